#!/usr/bin/python3
"""PyTorch's inference throughput for the models `dctnet bench model` measures, side by side.

    /usr/bin/python3 tools/baseline/model_speed.py [--model resnet50-dct] [--channels 24]
        [--batch-size 16] [--threads 2] [--batches 5]

Builds the model with the release's module layout (tools/parity/reference_models.py) or torchvision's,
random weights, eval mode, torch.no_grad(), float32 on CPU; warms up on two batches, then times --batches
forward passes of a random batch and prints `<number> images/s` (best pass) - the same protocol as
`dctnet bench model`. Models: resnet50-dct, resnet50-dct-s2, resnet50, mobilenetv2-dct, mobilenetv2.
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "parity"))
import reference_models as rm  # noqa: E402


def build(name, channels):
    if name == "resnet50-dct":
        return rm.ResNetDCT_Upscaled_Static(channels=channels, layer2_stride=1), (channels, 56, 56)
    if name == "resnet50-dct-s2":
        return rm.ResNetDCT_Upscaled_Static(channels=channels, layer2_stride=2), (channels, 56, 56)
    if name == "resnet50":
        return rm.build_resnet(), (3, 224, 224)
    if name == "mobilenetv2-dct":
        return rm.MobileNetV2DCT_Subset_woinp(channels=channels), (channels, 112, 112)
    if name == "mobilenetv2":
        return rm.build_mobilenet_v2_rgb(), (3, 224, 224)
    sys.exit("unknown model " + name)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="resnet50-dct")
    ap.add_argument("--channels", type=int, default=24)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batches", type=int, default=5)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model, shape = build(args.model, args.channels)
    model.eval()
    batch = torch.randn(args.batch_size, *shape)
    with torch.no_grad():
        for _ in range(2):
            model(batch)
        best = float("inf")
        for _ in range(args.batches):
            start = time.perf_counter()
            model(batch)
            best = min(best, time.perf_counter() - start)
    print("pytorch %s %s: batch %d, %d threads, torch %s" % (args.model, "x".join(map(str, shape)), args.batch_size,
                                                           torch.get_num_threads(), torch.__version__))
    print("%.2f images/s" % (args.batch_size / best))


if __name__ == "__main__":
    main()
