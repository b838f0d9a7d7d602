#!/usr/bin/python3
"""Reference per-channel statistics of the raw DCT input over images (the oracle of `dctnet stats`).

    /usr/bin/python3 tools/golden/reference_stats.py OUT.json PATH [PATH ...]
        [--resize 512] [--crop 448]

Each PATH is an image file or a folder walked recursively (the extensions dctnet reads, hidden entries
skipped). Every image goes through the reference pipeline (refpipe.reference_coefficients: OpenCV decode and
resize, TurboJPEG q100 4:2:0, libjpeg coefficients) to int16 (192, S, S). The coefficients are integers, so
the per-channel sums and sums of squares are accumulated exactly in Python integers and the population
statistics (ddof 0) are formed once at the end:

    mean = sum / n,  var = (n * sumsq - sum^2) / n^2,  std = sqrt(var)

exact up to the final rounding to float64 - independent of the Welford/Chan updates it checks. Images that
cv2.imread cannot read are skipped and listed under "failed_files". OUT.json gets {"mean", "std" (the true
values, 0 where a channel never varied), "count", "values_per_channel", "resize", "crop", "files", ...}.
"""
import argparse
import json
import math
import os
import sys
from fractions import Fraction

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import refpipe  # noqa: E402

EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif")


def image_files(path):
    """A file as given; a folder's image files in ordinal order of their relative paths, as dctnet lists them."""
    if os.path.isfile(path):
        return [path]
    found = []
    for directory, folders, files in os.walk(path):
        folders[:] = [f for f in folders if not f.startswith(".")]
        for name in files:
            if not name.startswith(".") and name.lower().endswith(EXTENSIONS):
                found.append(os.path.relpath(os.path.join(directory, name), path))
    return [os.path.join(path, relative) for relative in sorted(found)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--resize", type=int, default=512)
    ap.add_argument("--crop", type=int, default=448)
    args = ap.parse_args()

    sums = [0] * 192
    squares = [0] * 192
    values = 0
    used, failed = [], []
    for path in [f for p in args.paths for f in image_files(p)]:
        try:
            coefficients = refpipe.reference_coefficients_file(path, args.resize, args.crop)
        except IOError:
            failed.append(path)
            continue
        planes = coefficients.reshape(192, -1).astype(np.int64)
        # int64 per image cannot overflow (|c| <= 2^15, at most 2^20 values a plane); Python ints across images.
        for channel, (s, q) in enumerate(zip(planes.sum(axis=1).tolist(), (planes * planes).sum(axis=1).tolist())):
            sums[channel] += s
            squares[channel] += q
        values += planes.shape[1]
        used.append(os.path.basename(path))
    if not used:
        sys.exit("no readable images")

    mean = [float(Fraction(s, values)) for s in sums]
    std = [math.sqrt(Fraction(values * q - s * s, values * values)) for s, q in zip(sums, squares)]
    document = dict(mean=mean, std=std, count=len(used), values_per_channel=values,
                    resize=args.resize, crop=args.crop, files=used, failed_files=failed,
                    versions=refpipe.versions())
    with open(args.out, "w") as f:
        json.dump(document, f, indent=1)
        f.write("\n")
    print(f"{len(used)} images ({len(failed)} unreadable), {values} values per channel -> {args.out}")


if __name__ == "__main__":
    main()
