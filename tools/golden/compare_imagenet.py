#!/usr/bin/python3
"""Write reference coefficients for many ImageNet samples (not committed).

    /usr/bin/python3 tools/golden/compare_imagenet.py OUT_DIR [-n 200]
        [--samples ../shared/data/imagenet-samples] [--resize 512] [--crop 448]
        [--jobs 4]

For the first N sample files (sorted by name) writes OUT_DIR/<file stem>.npy:
int16 (192, crop/8, crop/8), C order, little endian, the reference pipeline of
REFERENCE.md section 1 (cv2.imread -> shorter side to --resize, INTER_LINEAR ->
centre crop --crop, zero padded -> tjCompress2 q100 4:2:0 -> libjpeg coefficients;
Y from the crop, Cb/Cr from the crop upscaled 2x). Also writes OUT_DIR/index.json
(file, stem, decoded shape, resize, crop, sha256 of the source file).

Used to measure how often the C# pipeline agrees exactly with the reference.
"""
import argparse
import hashlib
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import refpipe  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def one(job):
    path, out_dir, resize, crop = job
    bgr = refpipe.decode(path)
    coef = refpipe.reference_coefficients(bgr, resize, crop)
    stem = os.path.splitext(os.path.basename(path))[0]
    np.save(os.path.join(out_dir, stem + ".npy"), coef.astype("<i2"), allow_pickle=False)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    return dict(file=os.path.basename(path), stem=stem, decoded_shape=list(bgr.shape),
                resize=resize, crop=crop, shape=list(coef.shape), sha256=digest)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("-n", type=int, default=200, help="number of samples (first N by name; 0 = all)")
    ap.add_argument("--samples", default=os.path.join(os.path.dirname(REPO), "shared", "data", "imagenet-samples"))
    ap.add_argument("--resize", type=int, default=512)
    ap.add_argument("--crop", type=int, default=448)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()

    files = sorted(f for f in os.listdir(args.samples) if f.lower().endswith((".jpeg", ".jpg", ".png")))
    if args.n > 0:
        files = files[:args.n]
    os.makedirs(args.out_dir, exist_ok=True)
    refpipe.helper_path()   # compile once before forking
    jobs = [(os.path.join(args.samples, f), args.out_dir, args.resize, args.crop) for f in files]
    t0 = time.time()
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        index = list(ex.map(one, jobs))
    dt = time.time() - t0
    with open(os.path.join(args.out_dir, "index.json"), "w") as f:
        json.dump(dict(versions=refpipe.versions(), samples=args.samples, items=index), f, indent=1)
        f.write("\n")
    print("%d images -> %s in %.1f s" % (len(index), args.out_dir, dt))


if __name__ == "__main__":
    main()
