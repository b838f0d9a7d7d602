#!/usr/bin/python3
"""A bit-exact NumPy model of OpenCV 4.6's cv2.resize(INTER_LINEAR) on uint8.

Not used to produce any golden output (those come from cv2 itself); it writes
down the arithmetic that the goldens were found to follow, so that an
independent implementation knows exactly what to do. Run it to re-verify:

    /usr/bin/python3 tools/golden/opencv_resize_model.py [trials]

The arithmetic (modules/imgproc/src/resize.cpp, resizeGeneric_ with
HResizeLinear<uchar,int,short,2048> and VResizeLinear + VResizeLinearVec_32s8u):

  scale = src_len / dst_len (double)
  for each output index d:
      f = float32((d + 0.5) * scale - 0.5)       # computed in double, stored as float
      s = floor(f); f = f - s                    # float32
  horizontal (x) only: if s < 0: s, f = 0, 0;  if s >= src_w - 1: s, f = src_w - 1, 0
  vertical (y): NO such clamping of f; the two source rows are clip(s, 0, h-1) and
      clip(s + 1, 0, h-1) (at the borders both are the same row, weights unchanged)
  weights: a0 = round_half_even(float32(1 - f) * 2048), a1 = round_half_even(f * 2048)
           (int16; a0 + a1 is 2048 except for rare float rounding)
  horizontal pass, exact in int32:  D[y][x] = S[y][sx] * a0 + S[y][sx + 1] * a1
      (for clamped x, the second tap has weight 0)
  vertical pass (the SIMD formula, used for every pixel, tails included):
      out = clip((((D0 >> 4) * b0) >> 16) + (((D1 >> 4) * b1) >> 16) + 2) >> 2, 0, 255)
      where >> is an arithmetic (floor) shift and D0, D1 the rows s and s+1.
  The plain scalar formula (D0*b0 + D1*b1 + 2^21) >> 22 does NOT match OpenCV's output
  (it is off by 1 on about 12% of pixels, random and real images alike).

  Exact 2x downscale on both axes: OpenCV switches INTER_LINEAR to INTER_AREA's fast
  path ((sum of 2x2 + 2) >> 2); with weights 1024/1024 the formula above gives the
  same values, so no special case is needed.
  Equal sizes: cv2.resize copies.
"""
import sys

import numpy as np


def _coefficients(dst, src, clamp):
    scale = src / dst
    ofs = np.zeros(dst, np.int64)
    w = np.zeros((dst, 2), np.int64)
    for d in range(dst):
        f = np.float32((d + 0.5) * scale - 0.5)
        s = int(np.floor(f))
        f = np.float32(f - np.float32(s))
        if clamp and s < 0:
            f, s = np.float32(0), 0
        if clamp and s >= src - 1:
            f, s = np.float32(0), src - 1
        ofs[d] = s
        w[d, 0] = int(np.rint(np.float32(np.float32(1) - f) * np.float32(2048)))
        w[d, 1] = int(np.rint(f * np.float32(2048)))
    return ofs, w


def resize_linear_u8(img, out_w, out_h):
    """Model of cv2.resize(img, (out_w, out_h), interpolation=cv2.INTER_LINEAR)."""
    img = np.asarray(img)
    assert img.dtype == np.uint8
    squeeze = img.ndim == 2
    if squeeze:
        img = img[:, :, None]
    h, w, cn = img.shape
    if (h, w) == (out_h, out_w):
        return img[:, :, 0].copy() if squeeze else img.copy()
    xo, xa = _coefficients(out_w, w, True)
    yo, ya = _coefficients(out_h, h, False)
    s = img.astype(np.int64)
    x1 = np.minimum(xo + 1, w - 1)
    d = s[:, xo, :] * xa[None, :, 0, None] + s[:, x1, :] * xa[None, :, 1, None]
    y0 = np.clip(yo, 0, h - 1)
    y1 = np.clip(yo + 1, 0, h - 1)
    d0 = d[y0].reshape(out_h, -1)
    d1 = d[y1].reshape(out_h, -1)
    b0 = ya[:, 0:1]
    b1 = ya[:, 1:2]
    r = ((((d0 >> 4) * b0) >> 16) + (((d1 >> 4) * b1) >> 16) + 2) >> 2
    r = np.clip(r, 0, 255).astype(np.uint8).reshape(out_h, out_w, cn)
    return r[:, :, 0] if squeeze else r


def _self_test(trials):
    import cv2
    rng = np.random.RandomState(0)
    sizes = [(72, 96, 36, 48), (375, 500, 512, 682), (263, 376, 1024, 1464),
             (1024, 1280, 512, 640), (448, 448, 896, 896), (1, 1, 3, 5), (29, 1, 7, 9)]
    sizes += [tuple(int(v) for v in rng.randint(1, 300, 4)) for _ in range(trials)]
    bad = 0
    for h, w, oh, ow in sizes:
        for cn in (1, 3):
            img = rng.randint(0, 256, (h, w, cn)).astype(np.uint8)
            if cn == 1:
                img = img[:, :, 0]
            ref = cv2.resize(img, (ow, oh), interpolation=cv2.INTER_LINEAR)
            if not np.array_equal(resize_linear_u8(img, ow, oh), ref):
                bad += 1
                print("mismatch", (h, w, cn), "->", (oh, ow))
    print("%d cases, %d mismatches" % (2 * len(sizes), bad))
    return bad == 0


if __name__ == "__main__":
    sys.exit(0 if _self_test(int(sys.argv[1]) if len(sys.argv) > 1 else 300) else 1)
