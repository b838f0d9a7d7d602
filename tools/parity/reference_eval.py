#!/usr/bin/python3
"""End-to-end oracle for `dctnet eval` / `dctnet predict`: the reference pipeline + PyTorch over an ImageFolder.

    /usr/bin/python3 tools/parity/reference_eval.py --model resnet18-dct-s2 --channels 24 \\
        --data ../shared/data/hymenoptera/val --out /tmp/e2e
    dctnet eval --model resnet18-dct-s2 --channels 24 --weights /tmp/e2e/checkpoint.pth.tar \\
        --data ../shared/data/hymenoptera/val --json /tmp/e2e/dctnet.json
    dctnet predict --model resnet18-dct-s2 --channels 24 --weights /tmp/e2e/checkpoint.pth.tar \\
        --logits /tmp/e2e/dctnet_logits.npy $(cat /tmp/e2e/files.txt)
    /usr/bin/python3 tools/parity/reference_eval.py --compare /tmp/e2e

Builds the model with the release's module layout (reference_models.py), random weights with calibrated
BatchNorm statistics (make_fixtures.randomize, so that predictions vary between images), saves it in the
release's checkpoint layout (OUT/checkpoint.pth.tar), then runs REFERENCE.md section 1 (tools/golden/refpipe:
cv2.imread, resize, crop, TurboJPEG q100 4:2:0, libjpeg read-back), the channel subset, the release's
normalization and the model over the ImageFolder (classes sorted, files sorted), writing OUT/logits.npy
(N x classes), OUT/files.txt (the images in order) and OUT/reference.json ({"top1", "top5", "count"}).
--compare OUT checks dctnet.json and dctnet_logits.npy against them.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tools", "golden"))
import make_fixtures  # noqa: E402
import reference_models as rm  # noqa: E402
import refpipe  # noqa: E402

RESOURCES = os.path.join(ROOT, "src", "DctNet.Frequency", "Resources")
DEPTHS = {"18": ("BasicBlock", (2, 2, 2, 2)), "34": ("BasicBlock", (3, 4, 6, 3)),
          "50": ("Bottleneck", (3, 4, 6, 3)), "101": ("Bottleneck", (3, 4, 23, 3))}
EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


def build(name, channels, classes):
    depth, stride = name[len("resnet"):].split("-dct")
    block, layers = DEPTHS[depth]
    return rm.ResNetDCT_Upscaled_Static(channels=channels, block=block, layers=layers, base=64,
                                        layer2_stride=2 if stride == "-s2" else 1, num_classes=classes)


def image_folder(root):
    classes = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    samples = []
    for label, name in enumerate(classes):
        folder = os.path.join(root, name)
        for directory, _, files in sorted(os.walk(folder)):
            for f in files:
                if f.lower().endswith(EXTENSIONS):
                    samples.append((os.path.relpath(os.path.join(directory, f), folder), label, os.path.join(directory, f)))
    samples.sort(key=lambda s: (s[1], s[0]))
    return classes, [(path, label) for _, label, path in samples]


def model_input(path, channels):
    subset = json.load(open(os.path.join(RESOURCES, "channel_subsets.json")))[str(channels)]
    stats = json.load(open(os.path.join(RESOURCES, "imagenet_upscaled_static_stats.json")))
    index = subset[0] + [64 + k for k in subset[1]] + [128 + k for k in subset[2]]
    coefficients = refpipe.reference_coefficients(refpipe.decode(path), 512, 448)[index].astype(np.float32)
    mean = np.array(stats["mean"], np.float32)[index][:, None, None]
    std = np.array(stats["std"], np.float32)[index][:, None, None]
    return torch.from_numpy((coefficients - mean) / std)


def top_k(logits, labels, k):
    best = np.argsort(-logits, axis=1)[:, :k]
    return 100.0 * float(np.mean([label in row for row, label in zip(best, labels)]))


def run(args):
    os.makedirs(args.out, exist_ok=True)
    classes, samples = image_folder(args.data)
    torch.manual_seed(args.seed)
    model = build(args.model, args.channels, len(classes))
    calibration = torch.stack([model_input(path, args.channels) for path, _ in samples[:8]])
    make_fixtures.randomize(model, calibration, None, torch.Generator().manual_seed(args.seed))
    torch.save({"epoch": 1, "state_dict": {"module." + k: v for k, v in model.state_dict().items()}, "best_prec1": 0.0},
               os.path.join(args.out, "checkpoint.pth.tar"))
    logits = []
    with torch.no_grad():
        for start in range(0, len(samples), 16):
            batch = torch.stack([model_input(path, args.channels) for path, _ in samples[start:start + 16]])
            logits.append(model(batch).numpy())
    logits = np.concatenate(logits).astype(np.float32)
    labels = [label for _, label in samples]
    np.save(os.path.join(args.out, "logits.npy"), logits)
    with open(os.path.join(args.out, "files.txt"), "w") as f:
        f.write("\n".join(path for path, _ in samples) + "\n")
    result = {"top1": top_k(logits, labels, 1), "top5": top_k(logits, labels, min(5, len(classes))), "count": len(samples)}
    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump(dict(result, labels=labels, predictions=logits.argmax(1).tolist()), f)
    print("reference: top-1 %.3f%%  top-5 %.3f%%  over %d images (%d classes; predictions per class: %s)"
          % (result["top1"], result["top5"], len(samples), len(classes), np.bincount(logits.argmax(1), minlength=len(classes)).tolist()))


def compare(out):
    reference = json.load(open(os.path.join(out, "reference.json")))
    ours = json.load(open(os.path.join(out, "dctnet.json")))
    expected = np.load(os.path.join(out, "logits.npy"))
    actual = np.load(os.path.join(out, "dctnet_logits.npy"))
    diff = float(np.abs(actual - expected).max())
    scale = float(np.abs(expected).max())
    same = int((actual.argmax(1) == expected.argmax(1)).sum())
    print("top-1: reference %.3f%%, dctnet %.3f%%; top-5: %.3f%% / %.3f%%; count %d / %d"
          % (reference["top1"], ours["top1"], reference["top5"], ours["top5"], reference["count"], ours["count"]))
    print("logits: max |diff| %.3g (%.3g of max |logit| %.3g); same prediction on %d of %d images"
          % (diff, diff / scale, scale, same, len(expected)))
    ok = abs(reference["top1"] - ours["top1"]) < 1e-6 and ours["count"] == reference["count"] and diff <= 1e-4 * scale
    print("end-to-end parity: %s" % ("met" if ok else "NOT met"))
    sys.exit(0 if ok else 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="resnet18-dct-s2")
    ap.add_argument("--channels", type=int, default=24)
    ap.add_argument("--data")
    ap.add_argument("--out")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--compare", metavar="OUT")
    args = ap.parse_args()
    torch.set_num_threads(2)
    if args.compare:
        compare(args.compare)
    elif args.data and args.out:
        run(args)
    else:
        ap.error("give --data and --out, or --compare OUT")


if __name__ == "__main__":
    main()
