#!/usr/bin/python3
"""torchvision's detection inference time per image, to compare with `dctnet bench detect` (the same protocol).

    /usr/bin/python3 tools/baseline/detection_speed.py [--model maskrcnn-r50-fpn|fasterrcnn-r50-fpn] [--threads 2] [--runs 3]
        [--height 800 --width 1333]

torchvision 0.14's model with a FrozenBatchNorm2d backbone (as its COCO checkpoints) and the deterministic weights of
tools/detection/detection_weights.py (so that it detects about as much as in the parity fixtures), eval mode,
torch.no_grad(), float32 on CPU. The input is one uniformly random image (torch.rand, seed 0), by default 800 x 1333
(the transform keeps that size), so the whole pipeline runs at the paper's test scale: transform, backbone, RPN, RoI
heads, mask paste. One warm-up pass, then prints the best of --runs passes as `<seconds> s/image` and the number of
detections (the heads' work grows with it, so both sides should report similar counts).
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "detection"))
from make_parity_fixtures import build  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="maskrcnn-r50-fpn", choices=["maskrcnn-r50-fpn", "fasterrcnn-r50-fpn"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--height", type=int, default=800)
    parser.add_argument("--width", type=int, default=1333)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = build(args.model)
    image = torch.rand(3, args.height, args.width, generator=torch.Generator().manual_seed(0))
    times = []
    with torch.no_grad():
        model([image])
        for _ in range(args.runs):
            start = time.perf_counter()
            detections = model([image])[0]
            times.append(time.perf_counter() - start)
    print(f"{min(times):.3f} s/image ({args.model}, {args.threads} threads, {len(detections['boxes'])} detections)")


if __name__ == "__main__":
    main()
