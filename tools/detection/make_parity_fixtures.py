"""Write tests/fixtures/detection/: torchvision 0.14's detection models and ops as the oracle for DctNet.Detection.

    /usr/bin/python3 tools/detection/make_parity_fixtures.py [--out tests/fixtures/detection] [--skip-models]

Needs Debian's python3-torch (1.13) and python3-torchvision (0.14); runs the two full models on CPU (about a
minute per model and image on two cores). Rewrites:

- images/*.png      two ImageNet samples (../shared/data/imagenet-samples), shrunk to 320 px on the long side;
                    the models still resize them to 800 px on the short side.
- ops.json          inputs and outputs of torchvision.ops (nms, batched_nms on both of its paths, roi_align with
                    aligned false and true), BoxCoder, AnchorGenerator, LevelMapper, MultiScaleRoIAlign,
                    paste_masks_in_image and GeneralizedRCNNTransform's resizing, on small random inputs.
- models.json       for maskrcnn_resnet50_fpn and fasterrcnn_resnet50_fpn (FrozenBatchNorm2d backbone, exactly the
                    layout of torchvision's COCO checkpoints) with the deterministic weights of detection_weights.py:
                    the state_dict's keys and shapes, a few weight checksums, and per image the transform's sizes,
                    FPN feature sums, the first RPN proposals and the detections (boxes, scores, labels, and the
                    masks thresholded at 0.5 as uncompressed COCO run lengths, column-major, starting with zeros).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys

import numpy as np
import torch
import torchvision
from PIL import Image
from torchvision.models.detection import FasterRCNN, MaskRCNN
from torchvision.models.detection._utils import BoxCoder
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.backbone_utils import _resnet_fpn_extractor
from torchvision.models.detection.image_list import ImageList
from torchvision.models.detection.roi_heads import paste_masks_in_image
from torchvision.models.detection.transform import GeneralizedRCNNTransform
from torchvision.ops import MultiScaleRoIAlign, batched_nms, nms, roi_align
from torchvision.ops.misc import FrozenBatchNorm2d
from torchvision.ops.poolers import LevelMapper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import detection_weights  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLES = os.path.join(ROOT, "..", "shared", "data", "imagenet-samples")
IMAGES = [("goose", "n01855672_goose.JPEG"), ("zebra", "n02391049_zebra.JPEG")]
LONG_SIDE = 320
PROPOSALS_RECORDED = 20
CHECKSUM_KEYS = ["backbone.body.conv1.weight", "backbone.body.layer1.0.bn3.weight", "backbone.body.layer4.2.bn2.running_var",
                 "rpn.head.bbox_pred.weight", "roi_heads.box_head.fc6.bias", "roi_heads.mask_predictor.mask_fcn_logits.weight"]


def floats(t: torch.Tensor) -> list:
    """float32 values in their shortest decimal form (float32 parsing gives them back exactly)."""
    return [float(repr(v)) for v in t.detach().float().reshape(-1).numpy()]


def ints(t: torch.Tensor) -> list:
    return [int(v) for v in t.reshape(-1).tolist()]


def tensor(t: torch.Tensor) -> dict:
    return {"shape": list(t.shape), "values": floats(t) if t.dtype.is_floating_point else ints(t)}


def random_boxes(generator, count, width, height, min_size=1.0, max_size=60.0):
    xy = torch.rand(count, 2, generator=generator) * torch.tensor([width, height])
    wh = min_size + torch.rand(count, 2, generator=generator) * (max_size - min_size)
    return torch.cat([xy - wh / 2, xy + wh / 2], dim=1)


# --------------------------------------------------------------------------- ops
def ops_cases() -> dict:
    g = torch.Generator().manual_seed(20200226)
    cases = {}

    # BoxCoder: both weightings, decode (with a clamped dw/dh) and encode.
    anchors = random_boxes(g, 40, 200, 150, 4, 120)
    deltas = torch.randn(40, 4, generator=g) * 0.5
    deltas[0, 2] = 8.0  # above log(1000/16): clamped
    targets = random_boxes(g, 40, 200, 150, 4, 120)
    coder_cases = []
    for weights in [(1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0)]:
        coder = BoxCoder(weights)
        coder_cases.append({"weights": list(weights),
                            "decoded": tensor(coder.decode_single(deltas, anchors)),
                            "encoded": tensor(coder.encode_single(targets, anchors))})
    cases["box_coder"] = {"boxes": tensor(anchors), "deltas": tensor(deltas), "targets": tensor(targets), "cases": coder_cases}

    # NMS: plain, and batched below (coordinate trick) and above (per-class loop) torchvision's 4000-coordinate switch.
    nms_cases = []
    for count, classes, threshold in [(300, 1, 0.5), (300, 1, 0.7), (200, 5, 0.5), (1100, 7, 0.6)]:
        boxes = random_boxes(g, count, 300, 200, 2, 80)
        scores = torch.rand(count, generator=g)
        idxs = torch.randint(0, classes, (count,), generator=g)
        keep = nms(boxes, scores, threshold) if classes == 1 else batched_nms(boxes, scores, idxs, threshold)
        nms_cases.append({"boxes": tensor(boxes), "scores": tensor(scores), "idxs": tensor(idxs), "batched": classes > 1,
                          "threshold": threshold, "keep": ints(keep)})
    cases["nms"] = nms_cases

    # RoIAlign: boxes inside, across the border, outside, degenerate; two images; aligned false and true.
    features = torch.randn(2, 3, 12, 15, generator=g)
    rois = random_boxes(g, 30, 36, 28, 0.5, 30)
    rois[0] = torch.tensor([-5.0, -5.0, -1.0, -1.0])    # fully outside
    rois[1] = torch.tensor([10.0, 10.0, 10.0, 10.0])    # empty
    rois[2] = torch.tensor([0.0, 0.0, 36.0, 28.0])      # the whole map
    rois[3] = torch.tensor([28.0, 20.0, 40.0, 33.0])    # across the bottom-right border
    batch = torch.randint(0, 2, (30, 1), generator=g).float()
    rois5 = torch.cat([batch, rois], dim=1)
    align_cases = []
    for aligned in [False, True]:
        for output_size, scale in [((7, 7), 0.5), ((3, 4), 0.25)]:
            out = roi_align(features, rois5, output_size, spatial_scale=scale, sampling_ratio=2, aligned=aligned)
            align_cases.append({"aligned": aligned, "output_size": list(output_size), "spatial_scale": scale,
                                "sampling_ratio": 2, "output": tensor(out)})
    cases["roi_align"] = {"features": tensor(features), "rois": tensor(rois5), "cases": align_cases}

    # AnchorGenerator over a padded batch of two images and five levels.
    generator = AnchorGenerator(((32,), (64,), (128,), (256,), (512,)), ((0.5, 1.0, 2.0),) * 5)
    image_list = ImageList(torch.zeros(2, 3, 96, 128), [(90, 128), (96, 100)])
    maps = [torch.zeros(2, 4, 96 // s, 128 // s) for s in (4, 8, 16, 32)] + [torch.zeros(2, 4, 2, 2)]
    anchors = generator(image_list, maps)
    cases["anchors"] = {"image_size": [96, 128], "feature_sizes": [list(m.shape[-2:]) for m in maps],
                        "anchors": tensor(anchors[0])}

    # LevelMapper (k 2..5, canonical 224 at level 4).
    boxes = random_boxes(g, 60, 800, 800, 1, 900)
    mapper = LevelMapper(2, 5)
    cases["level_mapper"] = {"boxes": tensor(boxes), "levels": ints(mapper([boxes]))}

    # MultiScaleRoIAlign over four levels of two images (scales inferred from the image sizes).
    pooler = MultiScaleRoIAlign(["0", "1", "2", "3"], 7, 2)
    sizes = [(64, 96), (60, 90)]
    level_maps = {str(i): torch.randn(2, 2, 64 // 2 ** (i + 2), 96 // 2 ** (i + 2), generator=g) for i in range(4)}
    boxes = [random_boxes(g, 12, 96, 64, 2, 60), random_boxes(g, 9, 90, 60, 2, 60)]
    pooled = pooler(level_maps, boxes, sizes)
    cases["multiscale_roi_align"] = {"image_sizes": [list(s) for s in sizes],
                                     "features": [tensor(level_maps[str(i)]) for i in range(4)],
                                     "boxes": [tensor(b) for b in boxes], "output": tensor(pooled)}

    # paste_masks_in_image: 28x28 probabilities into a 50x70 image, boxes inside and across the border.
    masks = torch.rand(6, 1, 28, 28, generator=g)
    boxes = random_boxes(g, 6, 70, 50, 2, 40)
    boxes[0] = torch.tensor([-3.5, -2.2, 20.7, 15.1])
    boxes[1] = torch.tensor([60.2, 40.9, 75.0, 52.3])
    pasted = paste_masks_in_image(masks, boxes, (50, 70))
    cases["paste_masks"] = {"masks": tensor(masks), "boxes": tensor(boxes), "image_size": [50, 70], "pasted": tensor(pasted)}

    # GeneralizedRCNNTransform: sizes (min side 800, max side 1333, batched to a multiple of 32) and values.
    transform = GeneralizedRCNNTransform(800, 1333, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]).eval()
    transform_cases = []
    for h, w in [(171, 240), (240, 320), (500, 375), (300, 900), (37, 45)]:
        image = torch.rand(3, h, w, generator=g)
        batched, _ = transform([image])
        transform_cases.append({"height": h, "width": w, "image": tensor(image) if h * w < 5000 else None,
                                "resized": list(batched.image_sizes[0]), "batched": list(batched.tensors.shape[-2:]),
                                "sum": float(batched.tensors.double().sum()) if h * w < 5000 else None})
    cases["transform"] = transform_cases
    return cases


# --------------------------------------------------------------------------- models
def build(name: str):
    body = torchvision.models.resnet50(weights=None, norm_layer=FrozenBatchNorm2d)
    backbone = _resnet_fpn_extractor(body, 3)
    model = (MaskRCNN if name == "maskrcnn-r50-fpn" else FasterRCNN)(backbone, num_classes=91).eval()
    model.load_state_dict(detection_weights.state_dict(model))
    return model


def column_major_runs(mask: np.ndarray) -> list:
    """COCO's uncompressed run lengths of a binary mask: column-major, starting with a run of zeros."""
    flat = mask.T.reshape(-1).astype(np.uint8)
    changes = np.flatnonzero(np.diff(flat)) + 1
    edges = np.concatenate([[0], changes, [flat.size]])
    runs = np.diff(edges).tolist()
    return ([0] + runs) if flat.size and flat[0] == 1 else runs


def model_case(name: str, image_name: str, image: torch.Tensor) -> dict:
    model = build(name)
    captured = {}
    model.backbone.register_forward_hook(lambda module, inputs, output: captured.update(features=output))
    model.rpn.register_forward_hook(lambda module, inputs, output: captured.update(proposals=output[0][0]))
    model.transform.register_forward_hook(lambda module, inputs, output: captured.update(images=output[0]))
    with torch.no_grad():
        result = model([image])[0]
    images = captured["images"]
    features = {key: {"shape": list(value.shape), "sum": float(value.double().sum()), "abs_sum": float(value.double().abs().sum())}
                for key, value in captured["features"].items()}
    proposals = captured["proposals"]
    detections = {"boxes": tensor(result["boxes"]), "scores": floats(result["scores"]), "labels": ints(result["labels"])}
    if "masks" in result:
        binary = (result["masks"][:, 0] > 0.5).numpy()
        detections["masks"] = [column_major_runs(m) for m in binary]
    return {"model": name, "image": image_name, "resized": list(images.image_sizes[0]), "batched": list(images.tensors.shape[-2:]),
            "features": features, "proposal_count": int(proposals.shape[0]), "proposals": tensor(proposals[:PROPOSALS_RECORDED]),
            "detections": detections}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "tests", "fixtures", "detection"))
    parser.add_argument("--skip-models", action="store_true", help="write ops.json only (keeps models.json and images)")
    args = parser.parse_args()
    torch.set_num_threads(2)

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "ops.json"), "w") as f:
        json.dump({"torchvision": torchvision.__version__, **ops_cases()}, f)
    if args.skip_models:
        return

    image_dir = os.path.join(args.out, "images")
    shutil.rmtree(image_dir, ignore_errors=True)
    os.makedirs(image_dir)
    images = []
    for short_name, source in IMAGES:
        picture = Image.open(os.path.join(SAMPLES, source)).convert("RGB")
        picture.thumbnail((LONG_SIDE, LONG_SIDE), Image.BICUBIC)
        file = f"{short_name}.png"
        picture.save(os.path.join(image_dir, file), optimize=True)
        pixels = np.asarray(Image.open(os.path.join(image_dir, file)).convert("RGB")).copy()
        images.append((file, torch.from_numpy(pixels).permute(2, 0, 1).float().div(255)))

    reference = build("maskrcnn-r50-fpn")
    state = reference.state_dict()
    models = {"torchvision": torchvision.__version__,
              "keys": {"maskrcnn-r50-fpn": [[k, list(v.shape)] for k, v in state.items()],
                       "fasterrcnn-r50-fpn": [[k, list(v.shape)] for k, v in build("fasterrcnn-r50-fpn").state_dict().items()]},
              "checksums": [{"key": k, "sum": float(state[k].double().sum()), "first": floats(state[k].reshape(-1)[:4])} for k in CHECKSUM_KEYS],
              "cases": []}
    for name in ["maskrcnn-r50-fpn", "fasterrcnn-r50-fpn"]:
        for file, image in images:
            print(f"{name} {file}", flush=True)
            models["cases"].append(model_case(name, file, image))
    with open(os.path.join(args.out, "models.json"), "w") as f:
        json.dump(models, f)


if __name__ == "__main__":
    main()
