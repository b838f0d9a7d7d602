"""Write tests/fixtures/detection/training.json: torchvision 0.14's training losses and gradients as the oracle.

    /usr/bin/python3 tools/detection/make_training_fixtures.py [--out tests/fixtures/detection]

Needs Debian's python3-torch (1.13) and python3-torchvision (0.14) and the two images that make_parity_fixtures.py
wrote (tests/fixtures/detection/images). For maskrcnn_resnet50_fpn and fasterrcnn_resnet50_fpn with a
FrozenBatchNorm2d backbone (layer2..4 trainable, torchvision's default for pretrained backbones) and the
deterministic weights of detection_weights.py, in training mode, it records per case the loss dict of one batch and,
after backward() of their sum, the sum and L2 norm of the gradients of a few parameters from every part of the model.

Sampling is the only randomness of a training step: torchvision draws the RPN's 256 anchors and the RoI heads' 512
proposals per image with torch.randperm. The script replaces torch.randperm by torch.arange, so the samplers take
the first candidates in index order, and DctNet's tests pass the same order (BalancedPositiveNegativeSampler.InOrder).

The images are resized with min_size 320, max_size 512 (a small training scale keeps the test fast); the targets are
boxes with elliptic masks (uncompressed COCO run lengths, column-major, starting with zeros) at the images' own size.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import torch
import torchvision
from PIL import Image
from torchvision.models.detection import FasterRCNN, MaskRCNN
from torchvision.models.detection.backbone_utils import _resnet_fpn_extractor
from torchvision.ops.misc import FrozenBatchNorm2d

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import detection_weights  # noqa: E402
from make_parity_fixtures import column_major_runs  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MIN_SIZE, MAX_SIZE = 320, 512
TRAINABLE_LAYERS = 3

# Objects as fractions of the image (x1, y1, x2, y2) and labels 1..90: large, small, across the border, overlapping.
OBJECTS = {
    "goose.png": [((0.10, 0.20, 0.85, 0.95), 3), ((0.60, 0.05, 0.75, 0.18), 17), ((0.00, 0.55, 0.30, 1.00), 3)],
    "zebra.png": [((0.05, 0.10, 0.70, 0.90), 24), ((0.40, 0.30, 0.98, 0.85), 24), ((0.80, 0.02, 0.88, 0.10), 62),
                  ((0.20, 0.60, 0.45, 0.99), 1)],
}

CASES = [
    ("maskrcnn-r50-fpn", ["goose.png", "zebra.png"], [True, True]),
    ("fasterrcnn-r50-fpn", ["goose.png", "zebra.png"], [True, True]),
    # An image without objects beside one with: all of its anchors and proposals are background.
    ("maskrcnn-r50-fpn", ["zebra.png", "goose.png"], [True, False]),
]

GRADIENT_KEYS = [
    "backbone.body.layer2.0.conv1.weight", "backbone.body.layer4.2.conv3.weight", "backbone.fpn.inner_blocks.0.0.weight",
    "backbone.fpn.layer_blocks.3.0.bias", "rpn.head.conv.0.0.weight", "rpn.head.cls_logits.weight", "rpn.head.bbox_pred.bias",
    "roi_heads.box_head.fc6.weight", "roi_heads.box_predictor.cls_score.weight", "roi_heads.box_predictor.bbox_pred.weight",
    "roi_heads.mask_head.0.0.weight", "roi_heads.mask_predictor.conv5_mask.weight", "roi_heads.mask_predictor.mask_fcn_logits.weight",
]


def build(name: str):
    body = torchvision.models.resnet50(weights=None, norm_layer=FrozenBatchNorm2d)
    backbone = _resnet_fpn_extractor(body, TRAINABLE_LAYERS)
    model = (MaskRCNN if name == "maskrcnn-r50-fpn" else FasterRCNN)(backbone, num_classes=91, min_size=MIN_SIZE, max_size=MAX_SIZE)
    model.load_state_dict(detection_weights.state_dict(model))
    return model.train()


def target_of(file: str, height: int, width: int, with_objects: bool) -> dict:
    objects = OBJECTS[file] if with_objects else []
    boxes, masks = [], []
    rows, columns = np.mgrid[0:height, 0:width]
    for (x1, y1, x2, y2), _ in objects:
        box = [x1 * width, y1 * height, x2 * width, y2 * height]
        boxes.append(box)
        cx, cy, rx, ry = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2, (box[2] - box[0]) / 2, (box[3] - box[1]) / 2
        masks.append((((columns + 0.5 - cx) / rx) ** 2 + ((rows + 0.5 - cy) / ry) ** 2 <= 1).astype(np.uint8))
    return {
        "boxes": torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
        "labels": torch.tensor([label for _, label in objects], dtype=torch.int64),
        "masks": torch.from_numpy(np.stack(masks)) if masks else torch.zeros(0, height, width, dtype=torch.uint8),
    }


def load(file: str) -> torch.Tensor:
    pixels = np.asarray(Image.open(os.path.join(ROOT, "tests", "fixtures", "detection", "images", file)).convert("RGB")).copy()
    return torch.from_numpy(pixels).permute(2, 0, 1).float().div(255)


def run_case(name: str, files: list, with_objects: list) -> dict:
    model = build(name)
    images = [load(file) for file in files]
    targets = [target_of(file, image.shape[1], image.shape[2], objects) for file, image, objects in zip(files, images, with_objects)]
    losses = model(images, [dict(t) for t in targets])
    sum(losses.values()).backward()
    parameters = dict(model.named_parameters())
    gradients = []
    for key in GRADIENT_KEYS:
        if key not in parameters:
            continue
        grad = parameters[key].grad.double()
        gradients.append({"key": key, "sum": float(grad.sum()), "norm": float(grad.norm()), "abs_sum": float(grad.abs().sum())})
    return {
        "model": name,
        "images": [{"file": file, "boxes": t["boxes"].tolist(), "labels": t["labels"].tolist(),
                    "masks": [column_major_runs(m.numpy()) for m in t["masks"]]} for file, t in zip(files, targets)],
        "losses": {key: float(value) for key, value in losses.items()},
        "gradients": gradients,
        "frozen": [key for key, p in model.named_parameters() if not p.requires_grad],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "tests", "fixtures", "detection"))
    args = parser.parse_args()
    torch.set_num_threads(2)
    # The samplers' only randomness, made the identity (see the module docstring).
    torch.randperm = lambda n, *args, device=None, **kwargs: torch.arange(n, device=device)
    cases = []
    for name, files, with_objects in CASES:
        print(name, files, with_objects, flush=True)
        cases.append(run_case(name, files, with_objects))
        print(cases[-1]["losses"], flush=True)
    with open(os.path.join(args.out, "training.json"), "w") as f:
        json.dump({"torchvision": torchvision.__version__, "min_size": MIN_SIZE, "max_size": MAX_SIZE,
                   "trainable_layers": TRAINABLE_LAYERS, "cases": cases}, f)


if __name__ == "__main__":
    main()
