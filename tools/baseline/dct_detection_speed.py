#!/usr/bin/python3
"""The paper's DCT detector in PyTorch, timed per image, to compare with `dctnet bench detect --model maskrcnn-r50-fpn-dct`.

    /usr/bin/python3 tools/baseline/dct_detection_speed.py [--model maskrcnn-r50-fpn-dct|fasterrcnn-r50-fpn-dct]
        [--channels 24] [--threads 2] [--runs 3] [--height 800 --width 1333]

The same protocol as `dctnet bench detect` and tools/baseline/detection_speed.py: one uniformly random image (torch.rand,
seed 0, quantized to 8 bits as the C# side does), the deterministic weights of tools/detection/detection_weights.py, one
warm-up pass, then the best of --runs passes. A pass is what the release computes for a test image:

    mmcv.imrescale to fit 1333 x 800 (cv2.resize INTER_LINEAR), zero padding to a multiple of 32;
    cv2.resize 2x and 4x (INTER_LINEAR), TurboJPEG q100 4:2:0 of both, jpeg_read_coefficients in-process
    (tools/baseline/coefficients_lib.c, as jpeg2dct reads them): Y from the 2x image, Cb and Cr from the 4x;
    the channel subset, normalized with the release's ImageNet statistics;
    torchvision 0.14's Mask/Faster R-CNN heads on a ResNet-50-FPN whose body starts at layer1 with C input channels
    (FrozenBatchNorm2d, strides 1, 2, 2, 2 - DctNet's maskrcnn-r50-fpn-dct, key for key), boxes divided by the
    rescale factor and masks pasted into the original image.

The coefficient reader is compiled at run time into a temporary directory (gcc, -ljpeg); no binary is committed.
"""
import argparse
import json
import math
import os
import shutil
import sys
import tempfile
import time
from collections import OrderedDict

import cv2
import numpy as np
import torch
import torchvision
from torch import nn
from torchvision.models.detection import FasterRCNN, MaskRCNN
from torchvision.models.detection.image_list import ImageList
from torchvision.models.detection.roi_heads import paste_masks_in_image
from torchvision.ops.feature_pyramid_network import FeaturePyramidNetwork, LastLevelMaxPool
from torchvision.ops.misc import FrozenBatchNorm2d

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "tools", "detection"))
import detection_weights  # noqa: E402
from reference_speed import Native, build_helper  # noqa: E402

RESOURCES = os.path.join(REPO, "src", "DctNet.Frequency", "Resources")


class DctBody(nn.Module):
    """torchvision's ResNet-50 from layer1 on, its first block taking the DCT channels."""

    def __init__(self, channels):
        super().__init__()
        resnet = torchvision.models.resnet50(weights=None, norm_layer=FrozenBatchNorm2d)
        resnet.layer1[0].conv1 = nn.Conv2d(channels, 64, kernel_size=1, bias=False)
        resnet.layer1[0].downsample[0] = nn.Conv2d(channels, 256, kernel_size=1, bias=False)
        self.layer1, self.layer2, self.layer3, self.layer4 = resnet.layer1, resnet.layer2, resnet.layer3, resnet.layer4

    def forward(self, x):
        out = OrderedDict()
        for i, layer in enumerate([self.layer1, self.layer2, self.layer3, self.layer4]):
            x = layer(x)
            out[str(i)] = x
        return out


class DctBackbone(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.body = DctBody(channels)
        self.fpn = FeaturePyramidNetwork([256, 512, 1024, 2048], 256, extra_blocks=LastLevelMaxPool())
        self.out_channels = 256

    def forward(self, x):
        return self.fpn(self.body(x))


def build(name, channels):
    backbone = DctBackbone(channels)
    model = (MaskRCNN if name.startswith("maskrcnn") else FasterRCNN)(backbone, num_classes=91).eval()
    model.load_state_dict(detection_weights.state_dict(model))
    return model


def subset_and_statistics(channels):
    with open(os.path.join(RESOURCES, "channel_subsets.json")) as f:
        y, cb, cr = json.load(f)[str(channels)]
    with open(os.path.join(RESOURCES, "imagenet_upscaled_static_stats.json")) as f:
        stats = json.load(f)
    index = list(y) + [64 + c for c in cb] + [128 + c for c in cr]
    mean = np.array([stats["mean"][i] for i in index], np.float32).reshape(-1, 1, 1)
    std = np.array([stats["std"][i] for i in index], np.float32).reshape(-1, 1, 1)
    return index, mean, std


def dct_input(native, bgr, index, mean, std):
    """The release's test pipeline up to the normalized coefficients; returns them, the resized size and the factor."""
    h, w = bgr.shape[:2]
    factor = min(1333 / max(h, w), 800 / min(h, w))
    nw, nh = int(w * factor + 0.5), int(h * factor + 0.5)
    resized = bgr if (nw, nh) == (w, h) else cv2.resize(bgr, (nw, nh), interpolation=cv2.INTER_LINEAR)
    ph, pw = int(math.ceil(nh / 32) * 32), int(math.ceil(nw / 32) * 32)
    padded = np.zeros((ph, pw, 3), np.uint8)
    padded[:nh, :nw] = resized
    up2 = cv2.resize(padded, (2 * pw, 2 * ph), interpolation=cv2.INTER_LINEAR)
    up4 = cv2.resize(padded, (4 * pw, 4 * ph), interpolation=cv2.INTER_LINEAR)
    y, _, _ = native.loads(native.encode(up2), 2 * ph, 2 * pw)
    _, cb, cr = native.loads(native.encode(up4), 4 * ph, 4 * pw)
    planes = np.concatenate([y, cb, cr], axis=2).transpose(2, 0, 1)[index].astype(np.float32)
    return torch.from_numpy((planes - mean) / std).unsqueeze(0), (nh, nw), factor


def detect(model, coefficients, resized, factor, original):
    """DctNet's DetectDct: anchors for the padded image (4x the coefficients' grid), detections mapped back by the factor."""
    features = model.backbone(coefficients)
    padded = (coefficients.shape[2] * 4, coefficients.shape[3] * 4)
    images = ImageList(torch.zeros(1, 1, 1, 1).expand(1, 3, *padded), [resized])
    proposals, _ = model.rpn(images, features)
    detections, _ = model.roi_heads(features, proposals, images.image_sizes)
    result = detections[0]
    result["boxes"] = result["boxes"] / factor
    if "masks" in result:
        result["masks"] = paste_masks_in_image(result["masks"], result["boxes"], original)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="maskrcnn-r50-fpn-dct", choices=["maskrcnn-r50-fpn-dct", "fasterrcnn-r50-fpn-dct"])
    parser.add_argument("--channels", type=int, default=24)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--height", type=int, default=800)
    parser.add_argument("--width", type=int, default=1333)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    tmpdir = tempfile.mkdtemp(prefix="dctnet-dct-speed-")
    try:
        native = Native(build_helper(tmpdir))
        model = build(args.model, args.channels)
        index, mean, std = subset_and_statistics(args.channels)
        image = torch.rand(3, args.height, args.width, generator=torch.Generator().manual_seed(0))
        # 8-bit pixels as DctNet quantizes them (RGB, here BGR for OpenCV and TurboJPEG's BGR input).
        bgr = np.ascontiguousarray((image * 255).to(torch.uint8).permute(1, 2, 0).numpy()[:, :, ::-1])

        def one_pass():
            coefficients, resized, factor = dct_input(native, bgr, index, mean, std)
            return detect(model, coefficients, resized, factor, (args.height, args.width))

        times = []
        with torch.no_grad():
            one_pass()
            for _ in range(args.runs):
                start = time.perf_counter()
                detections = one_pass()
                times.append(time.perf_counter() - start)
        print(f"{min(times):.3f} s/image ({args.model}, DCT-{args.channels}, {args.threads} threads, {len(detections['boxes'])} detections)")
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


if __name__ == "__main__":
    main()
