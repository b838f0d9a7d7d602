#!/usr/bin/python3
"""Measure how closely DctNet's raw coefficients agree with the reference.

    /usr/bin/python3 tools/golden/compare_imagenet.py /tmp/ref -n 0
    dotnet run -c Release --project src/DctNet.Cli -- transform ../shared/data/imagenet-samples \\
        --out /tmp/ours --raw --channels 192
    /usr/bin/python3 tools/golden/agreement.py /tmp/ref /tmp/ours

REF_DIR holds the reference's int16 (192, S, S) arrays (compare_imagenet.py), CANDIDATE_DIR
DctNet's float32 arrays of the same shape (`transform --raw --channels 192`), matched by file
stem. Prints the share of equal coefficients, the largest difference, and the images that
are not bit-exact. Exit status 1 if the acceptance bar (>= 99.9% equal, never off by more
than 1) is missed.
"""
import argparse
import os
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ref_dir")
    ap.add_argument("candidate_dir")
    args = ap.parse_args()

    stems = sorted(os.path.splitext(f)[0] for f in os.listdir(args.ref_dir) if f.endswith(".npy"))
    total = equal = images_exact = missing = 0
    worst = 0
    inexact = []
    for stem in stems:
        candidate_path = os.path.join(args.candidate_dir, stem + ".npy")
        if not os.path.exists(candidate_path):
            missing += 1
            continue
        ref = np.load(os.path.join(args.ref_dir, stem + ".npy")).astype(np.int32)
        ours = np.load(candidate_path)
        if ours.shape != ref.shape:
            sys.exit("%s: shape %s, reference %s" % (stem, ours.shape, ref.shape))
        if not np.array_equal(ours, np.round(ours)):
            sys.exit("%s: candidate values are not integers (was --raw given?)" % stem)
        diff = np.abs(ours.astype(np.int32) - ref)
        total += diff.size
        equal += int((diff == 0).sum())
        worst = max(worst, int(diff.max()))
        if diff.any():
            inexact.append((stem, int((diff != 0).sum()), int(diff.max())))
        else:
            images_exact += 1

    compared = len(stems) - missing
    share = 100.0 * equal / max(total, 1)
    print("images compared: %d (missing candidates: %d)" % (compared, missing))
    print("bit-exact images: %d (%.2f%%)" % (images_exact, 100.0 * images_exact / max(compared, 1)))
    print("equal coefficients: %d of %d (%.4f%%)" % (equal, total, share))
    print("largest difference: %d" % worst)
    for stem, count, largest in inexact[:20]:
        print("  %s: %d coefficients differ, by at most %d" % (stem, count, largest))
    ok = compared > 0 and share >= 99.9 and worst <= 1
    print("acceptance (>= 99.9%% equal, max difference <= 1): %s" % ("met" if ok else "NOT met"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
