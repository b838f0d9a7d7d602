"""The deterministic "random" weights shared by torchvision (here) and DctNet (src/DctNet.Detection/Modeling/DeterministicDetectionWeights.cs).

Every tensor of a detection model's state_dict is a function of its key and shape only, so both sides build
bit-identical float32 weights without a 44M-parameter file: element i of key k is

    u = splitmix64(fnv1a64(k) + (i + 1) * 0x9E3779B97F4A7C15) >> 40          (24 random bits)
    v = u / 2**24 * 2 - 1                                                   (uniform in [-1, 1), exact in float32)
    value = float32(v * scale + offset)                                     (float64 arithmetic, then rounded)

with (scale, offset) chosen from the key (see `rule`):
- BatchNorm (FrozenBatchNorm2d in torchvision's detection backbone): weight 1 +- 0.1 (0.25 +- 0.05 for the
  norm that closes a residual branch, bn3, so that 16 un-normalized blocks do not blow activations up), bias
  +- 0.1, running_mean +- 0.1, running_var in [1, 1.5).
- Conv and Linear weights: uniform with standard deviation gain / sqrt(fan_in) (fan_in = prod(shape[1:])),
  gain sqrt(2) (He) - times TUNING for the few layers below; biases +- 0.01.
- TUNING, the only departures, so that random weights give real detections: small box deltas (RPN and box head)
  so that boxes stay near their anchors and proposals, and a wider mask logit layer so that mask probabilities
  spread well past 0.5 both ways. The class logits need none: with these weights several classes per RoI pass
  the 0.05 score threshold (top scores about 0.2) and six or so different labels win.
"""

from __future__ import annotations

import math

import numpy as np

GOLDEN = 0x9E3779B97F4A7C15
MASK64 = (1 << 64) - 1

TUNING = {
    "roi_heads.box_predictor.bbox_pred.weight": 0.5,
    "rpn.head.bbox_pred.weight": 0.25,
    "roi_heads.mask_predictor.mask_fcn_logits.weight": 4.0,
}


def fnv1a64(text: str) -> int:
    h = 0xCBF29CE484222325
    for byte in text.encode("utf-8"):
        h ^= byte
        h = (h * 0x100000001B3) & MASK64
    return h


def uniform(key: str, count: int) -> np.ndarray:
    """count values uniform in [-1, 1), as float64 (each exact in float32)."""
    with np.errstate(over="ignore"):
        z = np.uint64(fnv1a64(key)) + (np.arange(1, count + 1, dtype=np.uint64) * np.uint64(GOLDEN))
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)).astype(np.float64) / float(1 << 24) * 2.0 - 1.0


def is_norm(key: str) -> bool:
    return ".bn" in key or ".downsample.1." in key


def rule(key: str, shape: tuple[int, ...]) -> tuple[float, float]:
    """(scale, offset) of the key's values."""
    name = key.rsplit(".", 1)[1]
    if name == "running_mean":
        return 0.1, 0.0
    if name == "running_var":
        return 0.25, 1.25
    if is_norm(key):
        closes_branch = ".bn3." in key or ".downsample.1." in key
        if name == "weight":
            return (0.05, 0.25) if closes_branch else (0.1, 1.0)
        return 0.1, 0.0
    if name == "bias":
        return 0.01, 0.0
    fan_in = math.prod(shape[1:])
    return math.sqrt(3.0) * math.sqrt(2.0) / math.sqrt(fan_in) * TUNING.get(key, 1.0), 0.0


def tensor_values(key: str, shape: tuple[int, ...]) -> np.ndarray:
    scale, offset = rule(key, shape)
    count = math.prod(shape)
    return (uniform(key, count) * scale + offset).astype(np.float32).reshape(shape)


def state_dict(model) -> dict:
    """The deterministic values for every floating-point tensor of model.state_dict()."""
    import torch

    result = {}
    for key, value in model.state_dict().items():
        if value.dtype.is_floating_point:
            result[key] = torch.from_numpy(tensor_values(key, tuple(value.shape)))
        else:
            result[key] = value
    return result
