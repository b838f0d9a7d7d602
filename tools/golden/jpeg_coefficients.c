/*
 * jpeg_coefficients - dump the quantized DCT coefficients of a JPEG file,
 * read with libjpeg's jpeg_read_coefficients (no IDCT, no colour conversion).
 *
 * Part of the DctNet golden-fixture oracle (tools/golden/generate.py).
 *
 * Build:  gcc -O2 -o jpeg_coefficients jpeg_coefficients.c -ljpeg
 * Usage:  jpeg_coefficients [FILE|-]        (default / "-": read stdin)
 *
 * Output (stdout), all integers little endian (the host order on x86-64):
 *
 *   header:
 *     char[4]  magic            "JCOF"
 *     uint32   version          1
 *     uint32   image_width      (pixels)
 *     uint32   image_height     (pixels)
 *     uint32   num_components
 *   then for each component, in frame order:
 *     uint32   component_id
 *     uint32   h_samp_factor
 *     uint32   v_samp_factor
 *     uint32   width_in_blocks  (blocks that cover the component, not the
 *                                MCU-padded count)
 *     uint32   height_in_blocks
 *     uint16   quant[64]        the component's quantization table, natural
 *                               (row-major) order
 *     int16    coef[height_in_blocks][width_in_blocks][64]
 *                               each block in natural row-major order
 *                               (index 8*v + u), as libjpeg's JBLOCK holds it
 *
 * Exit status: 0 on success, 1 on any error (message on stderr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>

struct err_mgr {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
};

static void on_error(j_common_ptr cinfo)
{
    struct err_mgr *e = (struct err_mgr *)cinfo->err;
    char msg[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, msg);
    fprintf(stderr, "jpeg_coefficients: libjpeg error: %s\n", msg);
    longjmp(e->jump, 1);
}

static unsigned char *read_all(FILE *f, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    if (!buf) return NULL;
    for (;;) {
        if (n == cap) {
            cap *= 2;
            unsigned char *nb = realloc(buf, cap);
            if (!nb) { free(buf); return NULL; }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    *len = n;
    return buf;
}

static void put_u32(uint32_t v) { fwrite(&v, 4, 1, stdout); }

int main(int argc, char **argv)
{
    FILE *in = stdin;
    if (argc > 2) {
        fprintf(stderr, "usage: %s [FILE|-]\n", argv[0]);
        return 1;
    }
    if (argc == 2 && strcmp(argv[1], "-") != 0) {
        in = fopen(argv[1], "rb");
        if (!in) { perror(argv[1]); return 1; }
    }
    size_t len = 0;
    unsigned char *data = read_all(in, &len);
    if (in != stdin) fclose(in);
    if (!data || len == 0) {
        fprintf(stderr, "jpeg_coefficients: no input\n");
        return 1;
    }

    struct jpeg_decompress_struct cinfo;
    struct err_mgr jerr;
    cinfo.err = jpeg_std_error(&jerr.pub);
    jerr.pub.error_exit = on_error;
    if (setjmp(jerr.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(data);
        return 1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)len);
    jpeg_read_header(&cinfo, TRUE);
    jvirt_barray_ptr *coefs = jpeg_read_coefficients(&cinfo);

    fwrite("JCOF", 1, 4, stdout);
    put_u32(1);
    put_u32(cinfo.image_width);
    put_u32(cinfo.image_height);
    put_u32((uint32_t)cinfo.num_components);

    for (int ci = 0; ci < cinfo.num_components; ci++) {
        jpeg_component_info *comp = &cinfo.comp_info[ci];
        put_u32((uint32_t)comp->component_id);
        put_u32((uint32_t)comp->h_samp_factor);
        put_u32((uint32_t)comp->v_samp_factor);
        put_u32(comp->width_in_blocks);
        put_u32(comp->height_in_blocks);
        uint16_t q[64];
        if (!comp->quant_table) {
            fprintf(stderr, "jpeg_coefficients: component %d has no quant table\n", ci);
            jpeg_destroy_decompress(&cinfo);
            free(data);
            return 1;
        }
        for (int k = 0; k < 64; k++) q[k] = comp->quant_table->quantval[k];
        fwrite(q, 2, 64, stdout);

        int16_t *row = malloc(sizeof(int16_t) * 64 * comp->width_in_blocks);
        for (JDIMENSION by = 0; by < comp->height_in_blocks; by++) {
            JBLOCKARRAY arr = (*cinfo.mem->access_virt_barray)(
                (j_common_ptr)&cinfo, coefs[ci], by, 1, FALSE);
            for (JDIMENSION bx = 0; bx < comp->width_in_blocks; bx++)
                for (int k = 0; k < 64; k++)
                    row[bx * 64 + k] = (int16_t)arr[0][bx][k];
            fwrite(row, 2, 64 * comp->width_in_blocks, stdout);
        }
        free(row);
    }

    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(data);
    if (fflush(stdout) != 0) { perror("stdout"); return 1; }
    return 0;
}
