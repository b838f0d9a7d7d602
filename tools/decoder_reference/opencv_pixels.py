#!/usr/bin/python3
"""Reference pixels for the JPEG decoder comparison (bench/README.md, "Decoder candidates").

Decodes every image of a folder with OpenCV exactly as the reference pipeline does
(cv2.imread(path, cv2.IMREAD_COLOR)), converts BGR to RGB and writes <out>/<stem>.npy
(uint8, H x W x 3). Also times cv2.imread alone, single-threaded, and prints ms/image.

Run with the system interpreter (Debian 12: OpenCV 4.6, numpy):
    /usr/bin/python3 tools/decoder_reference/opencv_pixels.py ../shared/data/imagenet-samples /tmp/cvpix

The output folder is scratch: never commit it, nor the images.
"""

import argparse
import os
import sys
import time

import cv2
import numpy as np

EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


def list_images(folder, limit):
    names = sorted(n for n in os.listdir(folder) if os.path.splitext(n)[1].lower() in EXTENSIONS)
    return names[:limit] if limit else names


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", help="folder of images (e.g. ../shared/data/imagenet-samples)")
    parser.add_argument("out", help="output folder for <stem>.npy (created; e.g. /tmp/cvpix)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N images in name order (0: all)")
    parser.add_argument("--repeats", type=int, default=3, help="timing passes over the in-memory files; the best pass is reported")
    args = parser.parse_args()

    cv2.setNumThreads(1)
    names = list_images(args.images, args.limit)
    if not names:
        sys.exit(f"no images in {args.images}")
    os.makedirs(args.out, exist_ok=True)

    # Reference pixels.
    for name in names:
        bgr = cv2.imread(os.path.join(args.images, name), cv2.IMREAD_COLOR)
        if bgr is None:
            sys.exit(f"cv2.imread could not decode {name}")
        rgb = np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        np.save(os.path.join(args.out, os.path.splitext(name)[0] + ".npy"), rgb)

    # Timing of cv2.imread alone. The files were just read, so they sit in the page cache; imread still
    # pays for open/read, which the in-memory .NET candidates do not. cv2.imdecode over in-memory bytes
    # is timed too, as the like-for-like number.
    paths = [os.path.join(args.images, n) for n in names]
    blobs = [np.fromfile(p, dtype=np.uint8) for p in paths]
    best_imread = best_imdecode = float("inf")
    for _ in range(args.repeats):
        start = time.perf_counter()
        for p in paths:
            cv2.imread(p, cv2.IMREAD_COLOR)
        best_imread = min(best_imread, time.perf_counter() - start)
        start = time.perf_counter()
        for b in blobs:
            cv2.imdecode(b, cv2.IMREAD_COLOR)
        best_imdecode = min(best_imdecode, time.perf_counter() - start)

    print(f"OpenCV {cv2.__version__}, threads {cv2.getNumThreads()}, {len(names)} images -> {args.out}")
    print(f"cv2.imread   (file):      {1000 * best_imread / len(names):.3f} ms/image (best of {args.repeats} passes)")
    print(f"cv2.imdecode (in memory): {1000 * best_imdecode / len(names):.3f} ms/image (best of {args.repeats} passes)")


if __name__ == "__main__":
    main()
