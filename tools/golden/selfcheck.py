#!/usr/bin/python3
"""Sanity checks of the oracle itself (not of DctNet):

    /usr/bin/python3 tools/golden/selfcheck.py [--samples DIR]

1. flat images: Y DC = 8 * value - 1024, every AC and the Cb/Cr DC of gray are 0;
2. the C reader (jpeg_coefficients.c) round trip: coefficients of q100 JPEGs
   agree with an independent float DCT of the pixels (within 1), and their
   float inverse DCT agrees with libjpeg's own decode (within 1); also for a
   q75 JPEG (coefficient * quant table);
3. the reader's layout on real ImageNet files (component count, sampling,
   blocks = ceil(size / (8 * max_samp / samp))).
"""
import argparse
import os
import sys

import cv2
import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import refpipe  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def dct_matrix():
    k = np.arange(8)
    m = np.cos((2 * k[None, :] + 1) * k[:, None] * np.pi / 16) * np.sqrt(2 / 8)
    m[0] /= np.sqrt(2)
    return m                              # orthonormal DCT-II, rows = frequencies


C = dct_matrix()


def blocks(plane):
    h, w = plane.shape
    return plane.reshape(h // 8, 8, w // 8, 8).transpose(0, 2, 1, 3)


def fdct(plane):
    b = blocks(plane.astype(np.float64) - 128)
    return np.einsum("vy,abyx,ux->abvu", C, b, C).reshape(b.shape[0], b.shape[1], 64)


def idct(coef):
    b = coef.reshape(coef.shape[0], coef.shape[1], 8, 8).astype(np.float64)
    p = np.einsum("vy,abvu,ux->abyx", C, b, C) + 128
    hb, wb = coef.shape[:2]
    return p.transpose(0, 2, 1, 3).reshape(hb * 8, wb * 8)


def check(cond, msg):
    print(("ok    " if cond else "FAIL  ") + msg)
    return bool(cond)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", default=os.path.join(os.path.dirname(REPO), "shared", "data", "imagenet-samples"))
    args = ap.parse_args()
    ok = True

    # 1. flat images
    for v in (0, 1, 37, 127, 128, 129, 200, 254, 255):
        for n in (16, 48):
            c = refpipe.crop_to_coefficients(np.full((n, n, 3), v, np.uint8))
            ok &= check(np.all(c[0] == 8 * v - 1024) and not c[1:64].any() and not c[64:].any(),
                        "flat gray %3d (%dx%d): Y DC = %d = 8*v-1024, AC and chroma 0" % (v, n, n, c[0, 0, 0]))
    for rgb in ((255, 0, 0), (0, 0, 255), (10, 200, 30)):
        c = refpipe.crop_to_coefficients(np.full((32, 32, 3), rgb[::-1], np.uint8))  # BGR input
        r, g, b = rgb
        y = 0.299 * r + 0.587 * g + 0.114 * b
        cb = -0.168736 * r - 0.331264 * g + 0.5 * b
        cr = 0.5 * r - 0.418688 * g - 0.081312 * b
        ok &= check(not c[1:64].any() and not c[65:128].any() and not c[129:].any()
                    and abs(c[0, 0, 0] - (8 * y - 1024)) <= 8 and abs(c[64, 0, 0] - 8 * cb) <= 8
                    and abs(c[128, 0, 0] - 8 * cr) <= 8,
                    "flat colour %s: DC (Y, Cb, Cr) = (%d, %d, %d) ~ 8*(%.1f-128, %.1f, %.1f)"
                    % (rgb, c[0, 0, 0], c[64, 0, 0], c[128, 0, 0], y, cb, cr))

    # 2. reader round trip
    rng = np.random.RandomState(7)
    src = os.path.join(args.samples, "n01440764_tench.JPEG")
    gray = cv2.imread(src, cv2.IMREAD_GRAYSCALE)[100:228, 100:260] if os.path.exists(src) else \
        rng.randint(0, 256, (128, 160)).astype(np.uint8)
    for q in (100, 75):
        jpg = cv2.imencode(".jpg", gray, [cv2.IMWRITE_JPEG_QUALITY, q])[1].tobytes()
        parsed = refpipe.read_coefficients(jpg)
        comp = parsed["components"][0]
        quant = comp["quant"].astype(np.int64)
        ok &= check(len(parsed["components"]) == 1 and comp["coef"].shape == (16, 20, 64)
                    and (q != 100 or np.all(quant == 1)),
                    "gray q%d JPEG: 1 component, 16x20 blocks, quant all ones at q100: %s"
                    % (q, np.all(quant == 1)))
        deq = comp["coef"].astype(np.int64) * quant[None, None, :]
        dec = cv2.imdecode(np.frombuffer(jpg, np.uint8), cv2.IMREAD_GRAYSCALE).astype(np.float64)
        err_idct = np.abs(np.clip(np.round(idct(deq)), 0, 255) - dec).max()
        ok &= check(err_idct <= 1, "gray q%d: float IDCT of read coefficients vs libjpeg decode: max |diff| = %d"
                    % (q, err_idct))
        if q == 100:
            err_fdct = np.abs(np.round(fdct(gray)) - comp["coef"]).max()
            ok &= check(err_fdct <= 1, "gray q100: float DCT of pixels vs read coefficients: max |diff| = %d"
                        % err_fdct)

    # colour, the pipeline's encoder (tjCompress2 4:2:0 q100), Y plane vs float DCT
    rgb = cv2.imread(src)[:, :, ::-1][64:192, 96:256].copy() if os.path.exists(src) else \
        rng.randint(0, 256, (128, 160, 3)).astype(np.uint8)
    y, cb, cr = refpipe.encode_coefficients(rgb, refpipe.TJPF_RGB)
    yf = rgb.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    err = np.abs(fdct(yf) - y).max()
    ok &= check(err <= 1.5, "colour q100 4:2:0: Y coefficients vs float DCT of float Y: max |diff| = %.2f" % err)
    cbf = rgb.astype(np.float64) @ np.array([-0.168736, -0.331264, 0.5]) + 128
    cbf = cbf.reshape(64, 2, 80, 2).mean((1, 3))
    err = np.abs(fdct(cbf) - cb).max()
    ok &= check(err <= 2.5, "colour q100 4:2:0: Cb coefficients vs float DCT of float 2x2-mean Cb: max |diff| = %.2f"
                % err)
    # and the decoder agrees: libjpeg decode of the same file vs our read-back (Y only)
    jpg = refpipe.tj_compress(rgb, refpipe.TJPF_RGB, refpipe.TJSAMP_420, 100, 0)
    yuv = cv2.cvtColor(cv2.imdecode(np.frombuffer(jpg, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2YCrCb)
    err = np.abs(np.clip(np.round(idct(y)), 0, 255) - yuv[:, :, 0]).max()
    ok &= check(err <= 2, "colour: float IDCT of Y vs Y of libjpeg's decoded RGB: max |diff| = %d" % err)

    # 3. layout on real files
    if os.path.isdir(args.samples):
        for f in ("n01440764_tench.JPEG", "n02086240_Shih-Tzu.JPEG", "n02096051_Airedale.JPEG"):
            with open(os.path.join(args.samples, f), "rb") as fh:
                parsed = refpipe.read_coefficients(fh.read())
            im = Image.open(os.path.join(args.samples, f))
            comps = parsed["components"]
            hmax = max(c["h"] for c in comps)
            vmax = max(c["v"] for c in comps)
            good = (parsed["width"], parsed["height"]) == im.size and len(comps) == len(im.getbands())
            for c in comps:
                wb = -(-im.size[0] * c["h"] // (8 * hmax))
                hb = -(-im.size[1] * c["v"] // (8 * vmax))
                good &= c["coef"].shape == (hb, wb, 64)
            ok &= check(good, "%s: %dx%d, %s" % (f, parsed["width"], parsed["height"],
                                                 [(c["h"], c["v"], c["coef"].shape[:2]) for c in comps]))
    print("ALL OK" if ok else "SOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
