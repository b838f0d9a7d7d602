/*
 * jpeg_encode - write a JPEG with libjpeg, in the encodings the JPEG-domain pipeline must read.
 *
 * Part of the DctNet golden-fixture oracle (tools/golden/make_jpeg_domain_goldens.py): TurboJPEG 2.1's
 * tjCompress2 cannot write restart markers, 4:4:0 or CMYK, so the variants come from libjpeg's own API.
 *
 * Build:  gcc -O2 -o jpeg_encode jpeg_encode.c -ljpeg
 * Usage:  jpeg_encode WIDTH HEIGHT [options] < pixels > out.jpg
 *   pixels: WIDTH*HEIGHT*3 bytes of RGB (or *4 bytes of CMYK with -cmyk/-ycck), row-major
 *   -q N         quality (default 75)
 *   -s SAMPLING  444 | 422 | 420 | 440 | 411 | gray  (default 420)
 *   -p           progressive (jpeg_simple_progression)
 *   -r N         a restart marker every N MCUs
 *   -a           arithmetic coding
 *   -o           optimized Huffman tables
 *   -cmyk        store the 4 input channels as CMYK (Adobe marker)
 *   -ycck        store them as YCCK
 * Exit status: 0 on success, 1 on any error (message on stderr).
 */
#include <stdio.h>
#include <stdlib.h>
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
    fprintf(stderr, "jpeg_encode: libjpeg error: %s\n", msg);
    longjmp(e->jump, 1);
}

static int set_sampling(struct jpeg_compress_struct *c, const char *s)
{
    int h = 2, v = 2;
    if (!strcmp(s, "gray")) {
        jpeg_set_colorspace(c, JCS_GRAYSCALE);
        return 0;
    }
    if (!strcmp(s, "444")) { h = 1; v = 1; }
    else if (!strcmp(s, "422")) { h = 2; v = 1; }
    else if (!strcmp(s, "420")) { h = 2; v = 2; }
    else if (!strcmp(s, "440")) { h = 1; v = 2; }
    else if (!strcmp(s, "411")) { h = 4; v = 1; }
    else return -1;
    c->comp_info[0].h_samp_factor = h;
    c->comp_info[0].v_samp_factor = v;
    for (int ci = 1; ci < c->num_components; ci++) {
        c->comp_info[ci].h_samp_factor = 1;
        c->comp_info[ci].v_samp_factor = 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s WIDTH HEIGHT [-q N] [-s SAMPLING] [-p] [-r N] [-a] [-o] [-cmyk|-ycck]\n", argv[0]);
        return 1;
    }
    int width = atoi(argv[1]), height = atoi(argv[2]);
    int quality = 75, progressive = 0, restart = 0, arith = 0, optimize = 0, channels = 3;
    const char *sampling = "420";
    J_COLOR_SPACE stored = JCS_UNKNOWN;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "-q") && i + 1 < argc) quality = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-s") && i + 1 < argc) sampling = argv[++i];
        else if (!strcmp(argv[i], "-p")) progressive = 1;
        else if (!strcmp(argv[i], "-r") && i + 1 < argc) restart = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-a")) arith = 1;
        else if (!strcmp(argv[i], "-o")) optimize = 1;
        else if (!strcmp(argv[i], "-cmyk")) { channels = 4; stored = JCS_CMYK; }
        else if (!strcmp(argv[i], "-ycck")) { channels = 4; stored = JCS_YCCK; }
        else { fprintf(stderr, "jpeg_encode: unknown option %s\n", argv[i]); return 1; }
    }
    if (width <= 0 || height <= 0) {
        fprintf(stderr, "jpeg_encode: bad size %dx%d\n", width, height);
        return 1;
    }
    size_t stride = (size_t)width * channels;
    unsigned char *pixels = malloc(stride * height);
    if (!pixels || fread(pixels, 1, stride * height, stdin) != stride * height) {
        fprintf(stderr, "jpeg_encode: expected %zu bytes of pixels on stdin\n", stride * height);
        return 1;
    }

    struct jpeg_compress_struct cinfo;
    struct err_mgr jerr;
    cinfo.err = jpeg_std_error(&jerr.pub);
    jerr.pub.error_exit = on_error;
    if (setjmp(jerr.jump)) {
        jpeg_destroy_compress(&cinfo);
        return 1;
    }
    jpeg_create_compress(&cinfo);
    jpeg_stdio_dest(&cinfo, stdout);
    cinfo.image_width = width;
    cinfo.image_height = height;
    cinfo.input_components = channels;
    cinfo.in_color_space = channels == 4 ? JCS_CMYK : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    if (channels == 4)
        jpeg_set_colorspace(&cinfo, stored);
    else if (set_sampling(&cinfo, sampling) != 0) {
        fprintf(stderr, "jpeg_encode: unknown sampling %s\n", sampling);
        return 1;
    }
    jpeg_set_quality(&cinfo, quality, TRUE);
    cinfo.restart_interval = restart;
    cinfo.arith_code = arith;
    cinfo.optimize_coding = optimize;
    if (progressive)
        jpeg_simple_progression(&cinfo);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = pixels + cinfo.next_scanline * stride;
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    free(pixels);
    if (fflush(stdout) != 0) { perror("stdout"); return 1; }
    return 0;
}
