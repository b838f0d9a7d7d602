#!/usr/bin/python3
"""Golden values for the DCT input of detection (REFERENCE.md section 4), from the reference's own libraries.

    /usr/bin/python3 tools/detection/make_dct_input_goldens.py      # writes tests/fixtures/detection/dct_input.json

The steps of the release's mmdetection v1 pipeline, each with the library it used:
  1. cv2.imread (BGR, as mmcv.imread);
  2. mmcv.imrescale(img, (1333, 800)): factor = min(1333 / long side, 800 / short side), new size
     int(w * factor + 0.5) x int(h * factor + 0.5), cv2.resize INTER_LINEAR (a copy when the size is unchanged);
  3. horizontal flip when asked (mmcv.imflip, training only);
  4. mmcv.impad_to_multiple(img, 32): zeros at the bottom and right;
  5. ToDCTUpscaledStatic: cv2.resize 2x -> TurboJPEG q100 4:2:0 -> Y coefficients; cv2.resize 4x -> the same ->
     Cb and Cr coefficients (jpeg_read_coefficients, via tools/golden's C helper), so all three are at 1/4 of the
     padded size.
Raw coefficients only (int16, 192 x H/4 x W/4, Y then Cb then Cr in natural order): the subset and the
normalization are the classification pipeline's, golden-tested there. Full-size outputs are large, so each case
stores the SHA-256 of the little-endian int16 array (exact equality) with its shape, per-channel sums (to see what
differs) and the SHA-256 of the padded BGR->RGB pixels (to see at which step).
"""
import hashlib
import json
import math
import os
import sys

import cv2
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "golden"))
import refpipe  # noqa: E402

IMAGES = os.path.join(ROOT, "tests", "fixtures", "images")
OUT = os.path.join(ROOT, "tests", "fixtures", "detection", "dct_input.json")

# (image, scale (long, short), flip): the paper's scale up and down, tall and wide extremes, an unchanged size.
CASES = [
    ("jpeg_420.jpg", (1333, 800), False),
    ("jpeg_420.jpg", (1333, 800), True),
    ("jpeg_tall.jpg", (1333, 800), False),
    ("jpeg_wide.jpg", (1333, 800), True),
    ("webp_lossy.webp", (1333, 800), False),
    ("png_rgb.png", (200, 120), True),
    ("bmp_rgb24.bmp", (50, 30), False),
    ("png_small.png", (28, 20), False),
]


def rescaled_size(w, h, scale):
    factor = min(max(scale) / max(h, w), min(scale) / min(h, w))
    return int(w * float(factor) + 0.5), int(h * float(factor) + 0.5)


def padded_image(bgr, scale, flip):
    h, w = bgr.shape[:2]
    nw, nh = rescaled_size(w, h, scale)
    resized = cv2.resize(bgr, (nw, nh), interpolation=cv2.INTER_LINEAR)
    if flip:
        resized = np.ascontiguousarray(np.flip(resized, axis=1))
    ph, pw = int(math.ceil(nh / 32) * 32), int(math.ceil(nw / 32) * 32)
    padded = np.zeros((ph, pw, 3), dtype=np.uint8)
    padded[:nh, :nw] = resized
    return (nw, nh), padded


def coefficients(padded):
    ph, pw = padded.shape[:2]
    y, _, _ = refpipe.encode_coefficients(cv2.resize(padded, (2 * pw, 2 * ph), interpolation=cv2.INTER_LINEAR), refpipe.TJPF_BGR)
    _, cb, cr = refpipe.encode_coefficients(cv2.resize(padded, (4 * pw, 4 * ph), interpolation=cv2.INTER_LINEAR), refpipe.TJPF_BGR)
    for a in (y, cb, cr):
        assert a.shape == (ph // 4, pw // 4, 64), a.shape
    out = np.concatenate([y, cb, cr], axis=2)
    return np.ascontiguousarray(out.transpose(2, 0, 1)).astype("<i2")


def main():
    cases = []
    for image, scale, flip in CASES:
        bgr = refpipe.decode(os.path.join(IMAGES, image))
        resized, padded = padded_image(bgr, scale, flip)
        coef = coefficients(padded)
        rgb = np.ascontiguousarray(padded[:, :, ::-1])
        cases.append({
            "image": image, "scale": list(scale), "flip": flip,
            "resized": list(resized), "padded": [padded.shape[1], padded.shape[0]],
            "shape": list(coef.shape),
            "padded_rgb_sha256": hashlib.sha256(rgb.tobytes()).hexdigest(),
            "sha256": hashlib.sha256(coef.tobytes()).hexdigest(),
            "channel_sums": [int(s) for s in coef.astype(np.int64).sum(axis=(1, 2))],
        })
        print(image, scale, flip, "->", resized, coef.shape)
    document = {"generator": "tools/detection/make_dct_input_goldens.py", "versions": refpipe.versions(), "cases": cases}
    with open(OUT, "w") as f:
        json.dump(document, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
