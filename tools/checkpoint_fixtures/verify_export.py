#!/usr/bin/python3
"""Check that the real PyTorch loads a file that DctNet exported.

    /usr/bin/python3 tools/checkpoint_fixtures/verify_export.py FILE --layout state_dict|release

FILE must hold the SmallNet weights of tests/fixtures/checkpoints/expected/small_net (the C# tests export
them). torch.load reads it, load_state_dict(strict=True) puts it into a fresh SmallNet - through
DataParallel for the release layout, whose keys carry "module." - and every tensor must equal the expected
one bit for bit. Prints "OK <n> tensors" and exits 0, or prints the problem and exits 1.
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_checkpoints import OUT, SmallNet  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file")
    parser.add_argument("--layout", choices=["state_dict", "release"], required=True)
    args = parser.parse_args()

    net = SmallNet()
    if args.layout == "state_dict":
        # PyTorch's own restricted unpickler must accept the file too.
        state_dict = torch.load(args.file, weights_only=True)
        net.load_state_dict(state_dict, strict=True)
    else:
        # PyTorch 1.13's weights-only unpickler has no BINFLOAT (best_prec1), so this one loads normally.
        checkpoint = torch.load(args.file)
        expected_fields = {"epoch": 3, "arch": "resnet50", "best_prec1": 76.1}
        fields = {key: checkpoint[key] for key in expected_fields}
        if fields != expected_fields:
            sys.exit("fields %r, expected %r" % (fields, expected_fields))
        torch.nn.DataParallel(net).load_state_dict(checkpoint["state_dict"], strict=True)

    loaded = net.state_dict()
    for key, tensor in loaded.items():
        expected = np.load(os.path.join(OUT, "expected", "small_net", key + ".npy"))
        if tensor.numpy().tobytes() != expected.tobytes() or list(tensor.shape) != list(expected.shape):
            sys.exit("%s differs from the expected values" % key)
    print("OK %d tensors" % len(loaded))


if __name__ == "__main__":
    main()
