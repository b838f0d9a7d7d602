"""Write tests/fixtures/detection/mmdet_v1.json: real libraries computing what mmdetection v1's "+1" test time computes.

    /usr/bin/python3 tools/detection/make_mmdet_v1_fixtures.py [--out tests/fixtures/detection]

mmdetection v1 (the release's detection code base) needs its own compiled CUDA ops and is not packaged for Debian, so
its pieces are reproduced here with the libraries they are made of, where the identity is exact:

- roi_align: mmdetection v1's kernel pools from x1 * scale to (x2 + 1) * scale without torchvision's 1 x 1 minimum;
  for RoIs at least one feature pixel wide after the +1 that is torchvision.ops.roi_align (aligned=False) on the boxes
  with 1 added to x2 and y2. The cases keep to such RoIs.
- get_seg_masks: mmcv.imresize is cv2.resize(mask, (w, h)) with INTER_LINEAR on the float32 probabilities, then
  "> 0.5"; the cases resize random smooth 28 x 28 masks to sizes from 3 to 300 pixels, down and up.

Needs Debian's python3-torch (1.13), python3-torchvision (0.14), python3-opencv (4.6) and numpy.
"""

from __future__ import annotations

import argparse
import json
import os

import cv2
import numpy as np
import torch
import torchvision
from torchvision.ops import roi_align

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def floats(t) -> list:
    return [float(repr(v)) for v in np.asarray(t, dtype=np.float32).reshape(-1)]


def tensor(t: torch.Tensor) -> dict:
    return {"shape": list(t.shape), "values": floats(t.detach().numpy())}


def roi_align_cases(g: torch.Generator) -> dict:
    features = torch.randn(2, 3, 20, 26, generator=g)
    cases = []
    for size, scale in [(7, 0.25), (14, 0.125), (7, 0.5)]:
        xy = torch.rand(20, 2, generator=g) * torch.tensor([26 / scale, 20 / scale]) * 0.9
        wh = (1 / scale) + torch.rand(20, 2, generator=g) * (12 / scale)
        boxes = torch.cat([xy, xy + wh], dim=1)
        boxes[0] = torch.tensor([0.0, 0.0, 26 / scale - 1, 20 / scale - 1])  # the whole map, "+1" inclusive
        image = torch.randint(0, 2, (20, 1), generator=g).float()
        shifted = boxes + torch.tensor([0.0, 0.0, 1.0, 1.0])
        assert bool((shifted[:, 2:] - shifted[:, :2]).min() * scale >= 1), "every RoI at least one pixel after the +1"
        output = roi_align(features, torch.cat([image, shifted], dim=1), (size, size), spatial_scale=scale, sampling_ratio=2, aligned=False)
        cases.append({"output_size": size, "spatial_scale": scale, "rois": tensor(torch.cat([image, boxes], dim=1)), "output": tensor(output)})
    return {"features": tensor(features), "cases": cases}


def mask_resize_cases(rng: np.random.Generator) -> list:
    cases = []
    for width, height in [(3, 5), (17, 11), (28, 28), (40, 90), (120, 64), (150, 97)]:
        coarse = rng.random((7, 7)).astype(np.float32)
        mask = cv2.resize(coarse, (28, 28), interpolation=cv2.INTER_CUBIC).clip(0, 1).astype(np.float32)
        resized = cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR)
        cases.append({"mask": floats(mask), "width": width, "height": height,
                      "binary": [int(v) for v in (resized > 0.5).astype(np.uint8).reshape(-1)]})
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "tests", "fixtures", "detection"))
    args = parser.parse_args()
    g = torch.Generator().manual_seed(1019)
    fixture = {"torchvision": torchvision.__version__, "opencv": cv2.__version__,
               "roi_align": roi_align_cases(g), "mask_resize": mask_resize_cases(np.random.default_rng(1019))}
    with open(os.path.join(args.out, "mmdet_v1.json"), "w") as f:
        json.dump(fixture, f)


if __name__ == "__main__":
    main()
