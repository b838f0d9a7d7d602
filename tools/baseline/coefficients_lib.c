/*
 * coefficients_lib - in-process read-back of a JPEG's quantized DCT
 * coefficients with libjpeg's jpeg_read_coefficients, for the speed baseline
 * (tools/baseline/reference_speed.py, through ctypes).
 *
 * This plays the part of jpeg2dct.numpy.loads in the DCTNet release: decode
 * the entropy-coded data of a 3-component JPEG (no IDCT, no colour
 * conversion) and copy the Y, Cb and Cr coefficient planes out, each as
 * int16 [height_in_blocks][width_in_blocks][64], block entries in natural
 * row-major order (k = 8*v + u), as libjpeg's JBLOCK holds them.
 *
 * Built at run time by reference_speed.py:
 *     gcc -O2 -shared -fPIC -o libcoefficients.so coefficients_lib.c -ljpeg
 * No binary is committed.
 */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>

/* The block rows are copied with memcpy into int16 arrays. */
_Static_assert(sizeof(JCOEF) == sizeof(int16_t), "JCOEF must be 16 bits");

/* Return codes of jc_read_ycc. */
#define JC_OK          0
#define JC_ELIBJPEG    1   /* libjpeg raised an error (message in err) */
#define JC_ELAYOUT     2   /* not 3 components, or sampling not 2x2,1x1,1x1 */
#define JC_ESHAPE      3   /* a component's block grid does not match the caller's arrays */
#define JC_EARGS       4   /* bad arguments */

struct err_mgr {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char *msg;
    int msg_len;
};

static void on_error(j_common_ptr cinfo)
{
    struct err_mgr *e = (struct err_mgr *)cinfo->err;
    if (e->msg && e->msg_len > 0) {
        char buf[JMSG_LENGTH_MAX];
        (*cinfo->err->format_message)(cinfo, buf);
        snprintf(e->msg, (size_t)e->msg_len, "libjpeg: %s", buf);
    }
    longjmp(e->jump, 1);
}

/* Warnings (corrupt data that libjpeg can recover from) are ignored silently,
 * as jpeg2dct does with libjpeg's default handler minus the stderr output. */
static void on_message(j_common_ptr cinfo) { (void)cinfo; }

static void set_msg(char *err, int err_len, const char *text)
{
    if (err && err_len > 0) snprintf(err, (size_t)err_len, "%s", text);
}

/*
 * jc_read_ycc: read the coefficients of a JPEG held in memory.
 *
 *   jpeg, len     the compressed data
 *   out[3]        caller-allocated int16 arrays for Y, Cb, Cr
 *                 (an entry may be NULL to skip that component)
 *   hb[3], wb[3]  the block grid each array holds (height, width in blocks);
 *                 must equal libjpeg's height_in_blocks / width_in_blocks
 *   quant_all_one set to 1 if every component's quantization table is all
 *                 ones (quality 100), else 0; may be NULL
 *   err, err_len  message buffer for failures (may be NULL)
 *
 * Returns JC_OK or one of the JC_E* codes above.
 */
int jc_read_ycc(const unsigned char *jpeg, unsigned long len,
                int16_t *out[3], const int hb[3], const int wb[3],
                int *quant_all_one, char *err, int err_len)
{
    struct jpeg_decompress_struct cinfo;
    struct err_mgr jerr;
    /* volatile: inspected after a longjmp */
    volatile int created = 0;
    volatile int rc = JC_OK;

    if (!jpeg || len == 0 || !out || !hb || !wb) {
        set_msg(err, err_len, "bad arguments");
        return JC_EARGS;
    }
    if (err && err_len > 0) err[0] = '\0';

    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = jpeg_std_error(&jerr.pub);
    jerr.pub.error_exit = on_error;
    jerr.pub.output_message = on_message;
    jerr.msg = err;
    jerr.msg_len = err_len;
    if (setjmp(jerr.jump)) {
        if (created) jpeg_destroy_decompress(&cinfo);
        return JC_ELIBJPEG;
    }
    jpeg_create_decompress(&cinfo);
    created = 1;
    jpeg_mem_src(&cinfo, jpeg, len);
    jpeg_read_header(&cinfo, TRUE);

    if (cinfo.num_components != 3
        || cinfo.comp_info[0].h_samp_factor != 2 || cinfo.comp_info[0].v_samp_factor != 2
        || cinfo.comp_info[1].h_samp_factor != 1 || cinfo.comp_info[1].v_samp_factor != 1
        || cinfo.comp_info[2].h_samp_factor != 1 || cinfo.comp_info[2].v_samp_factor != 1) {
        set_msg(err, err_len, "expected 3 components sampled 2x2, 1x1, 1x1 (4:2:0)");
        jpeg_destroy_decompress(&cinfo);
        return JC_ELAYOUT;
    }

    jvirt_barray_ptr *coefs = jpeg_read_coefficients(&cinfo);

    int all_one = 1;
    for (int ci = 0; ci < 3 && rc == JC_OK; ci++) {
        jpeg_component_info *comp = &cinfo.comp_info[ci];
        if (!comp->quant_table) {
            all_one = 0;
        } else {
            for (int k = 0; k < 64; k++)
                if (comp->quant_table->quantval[k] != 1) { all_one = 0; break; }
        }
        if (!out[ci]) continue;
        if ((int)comp->height_in_blocks != hb[ci] || (int)comp->width_in_blocks != wb[ci]) {
            if (err && err_len > 0)
                snprintf(err, (size_t)err_len,
                         "component %d has %ux%u blocks, caller expects %dx%d", ci,
                         (unsigned)comp->height_in_blocks, (unsigned)comp->width_in_blocks,
                         hb[ci], wb[ci]);
            rc = JC_ESHAPE;
            break;
        }
        int16_t *dst = out[ci];
        size_t row_len = (size_t)comp->width_in_blocks * 64;
        for (JDIMENSION by = 0; by < comp->height_in_blocks; by++) {
            JBLOCKARRAY arr = (*cinfo.mem->access_virt_barray)(
                (j_common_ptr)&cinfo, coefs[ci], by, 1, FALSE);
            /* JCOEF is short in libjpeg-turbo; a JBLOCK is 64 contiguous JCOEFs
             * and a block row is contiguous, so copy the row at once. */
            memcpy(dst + (size_t)by * row_len, arr[0][0], row_len * sizeof(JCOEF));
        }
    }
    if (quant_all_one) *quant_all_one = all_one;

    if (rc == JC_OK) jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return rc;
}
