#!/usr/bin/python3
"""PyTorch's SGD training throughput for the models `dctnet bench train` measures, side by side.

    /usr/bin/python3 tools/baseline/train_speed.py [--model resnet50-dct-s2] [--channels 24]
        [--batch-size 16] [--threads 2] [--steps 5]

Same protocol as `dctnet bench train`: the model with the release's module layout (tools/parity) or
torchvision's, random input and labels, training mode, cross-entropy, backward, SGD (lr 0.01, momentum 0.9,
weight decay 1e-4); two warm-up steps, then the best of --steps timed steps as `<number> images/s`.
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model_speed  # noqa: E402  (the model builders)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="resnet50-dct-s2")
    ap.add_argument("--channels", type=int, default=24)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--classes", type=int, default=1000)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model, shape = model_speed.build(args.model, args.channels)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    inputs = torch.randn(args.batch_size, *shape)
    labels = torch.randint(0, args.classes, (args.batch_size,))

    def step():
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(inputs), labels).backward()
        optimizer.step()

    for _ in range(2):
        step()
    best = float("inf")
    for _ in range(args.steps):
        start = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - start)
    print("pytorch %s %s: SGD, batch %d, %d threads, torch %s" % (args.model, "x".join(map(str, shape)), args.batch_size,
                                                                torch.get_num_threads(), torch.__version__))
    print("%.2f images/s" % (args.batch_size / best))


if __name__ == "__main__":
    main()
