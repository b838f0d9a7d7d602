/*
 * jpeg_entropy_cost - what reading a JPEG's coefficients costs at the least, in libjpeg itself.
 *
 * The JPEG-domain pipeline (dctnet ... --pipeline jpeg) must entropy-decode every Huffman symbol of a file before it
 * has a single coefficient; no decoder can skip that. This times libjpeg-turbo's own jpeg_read_coefficients (the
 * entropy decode alone) against its full decode to pixels (entropy decode + IDCT + upsampling + colour conversion),
 * in C, over files held in memory, one thread: the floor under any coefficient route, and how much of a pixel decode
 * it already is.
 *
 * Build:  gcc -O2 -o jpeg_entropy_cost tools/baseline/jpeg_entropy_cost.c -ljpeg
 * Usage:  jpeg_entropy_cost [FOLDER] [N] [ROUNDS]   (default ../shared/data/imagenet-samples, 1000, 3)
 * Prints the best round's milliseconds per image for both, and their ratio.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jpeglib.h>

struct err_mgr {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
};

static void on_error(j_common_ptr cinfo)
{
    longjmp(((struct err_mgr *)cinfo->err)->jump, 1);
}

static void quiet(j_common_ptr cinfo, int level)
{
    (void)cinfo;
    (void)level;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* One file either way; returns 0 on success. */
static int read_one(const unsigned char *data, unsigned long length, int to_pixels, unsigned char *row)
{
    struct jpeg_decompress_struct c;
    struct err_mgr e;
    c.err = jpeg_std_error(&e.pub);
    e.pub.error_exit = on_error;
    e.pub.emit_message = quiet;
    if (setjmp(e.jump)) {
        jpeg_destroy_decompress(&c);
        return 1;
    }
    jpeg_create_decompress(&c);
    jpeg_mem_src(&c, data, length);
    jpeg_read_header(&c, TRUE);
    if (to_pixels) {
        c.out_color_space = JCS_RGB;
        jpeg_start_decompress(&c);
        while (c.output_scanline < c.output_height) {
            JSAMPROW r = row;
            jpeg_read_scanlines(&c, &r, 1);
        }
    } else {
        jpeg_read_coefficients(&c);
    }
    jpeg_finish_decompress(&c);
    jpeg_destroy_decompress(&c);
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }

int main(int argc, char **argv)
{
    const char *folder = argc > 1 ? argv[1] : "../shared/data/imagenet-samples";
    int limit = argc > 2 ? atoi(argv[2]) : 1000, rounds = argc > 3 ? atoi(argv[3]) : 3;
    struct dirent **names;
    int listed = scandir(folder, &names, NULL, by_name);
    if (listed < 0) {
        perror(folder);
        return 1;
    }
    unsigned char **data = calloc(listed, sizeof *data);
    unsigned long *lengths = calloc(listed, sizeof *lengths);
    int n = 0;
    for (int i = 0; i < listed && n < limit; i++) {
        if (names[i]->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", folder, names[i]->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        fseek(f, 0, SEEK_END);
        long length = ftell(f);
        fseek(f, 0, SEEK_SET);
        data[n] = malloc(length);
        if (fread(data[n], 1, length, f) == (size_t)length)
            lengths[n++] = length;
        fclose(f);
    }
    unsigned char *row = malloc(3 << 16);
    double best[2] = {1e30, 1e30};
    for (int round = 0; round < rounds; round++) {
        for (int pixels = 0; pixels < 2; pixels++) {
            double start = now();
            for (int i = 0; i < n; i++)
                read_one(data[i], lengths[i], pixels, row);
            double ms = (now() - start) * 1e3 / n;
            if (ms < best[pixels])
                best[pixels] = ms;
        }
    }
    printf("%d images from %s, best of %d rounds, one thread (libjpeg %d)\n", n, folder, rounds, JPEG_LIB_VERSION);
    printf("jpeg_read_coefficients (entropy decode only): %.3f ms/image\n", best[0]);
    printf("full decode to RGB:                           %.3f ms/image\n", best[1]);
    printf("entropy decode / full decode:                 %.2f\n", best[0] / best[1]);
    return 0;
}
