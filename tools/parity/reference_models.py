"""PyTorch definitions of the DCTNet release's classification models.

The independent oracle for DctNet's model parity: the modules below mirror the
public DCTNet release (`classification/models/imagenet/resnet.py`,
`mobilenetv2.py`, the gate and Gumbel-softmax modules) in structure, in forward
computation and in state_dict key names, but are written against Debian's
python3-torch 1.13 / python3-torchvision 0.14 and never load pretrained weights
(no network access). Run with /usr/bin/python3.

    /usr/bin/python3 tools/parity/reference_models.py    # full-size self-check

The self-check builds every model at full size and compares its state_dict
(names, order and shapes) against /work/shared/spec/state_dict_keys.json
(`--keys PATH` to point elsewhere), and prints parameter counts and MACs.

Reduced sizes (for small committed fixtures) come from the same classes:
  * ResNets: torchvision's ResNet/Bottleneck/BasicBlock with a base width other
    than 64 (`ScaledResNet`: torchvision's own `_make_layer` and forward, the
    stage widths base, 2*base, 4*base, 8*base instead of 64..512);
  * MobileNetV2: the release's own width_mult rule (`_make_divisible(c*w, 8)`)
    and an optional `last_channel` override of the 1x1 head conv (1280 in the
    release for width <= 1).
At base width 64 / width_mult 1.0 / default last_channel they ARE the
release's models (the self-check proves the key layout).
"""

from __future__ import annotations

import math
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models import resnet as tv_resnet
from torchvision.models import mobilenetv2 as tv_mobilenetv2

Bottleneck = tv_resnet.Bottleneck
BasicBlock = tv_resnet.BasicBlock
BLOCKS = {"Bottleneck": Bottleneck, "BasicBlock": BasicBlock}

# Depth configurations of torchvision (and the release's resnet.py).
RESNET_CONFIGS = {
    18: ("BasicBlock", [2, 2, 2, 2]),
    34: ("BasicBlock", [3, 4, 6, 3]),
    50: ("Bottleneck", [3, 4, 6, 3]),
    101: ("Bottleneck", [3, 4, 23, 3]),
}


# --------------------------------------------------------------------------- init
# The release's utils.py helpers (same arguments and defaults).
def kaiming_init(module, a=0, mode="fan_out", nonlinearity="relu", bias=0):
    nn.init.kaiming_normal_(module.weight, a=a, mode=mode, nonlinearity=nonlinearity)
    if getattr(module, "bias", None) is not None:
        nn.init.constant_(module.bias, bias)


def constant_init(module, val, bias=0):
    nn.init.constant_(module.weight, val)
    if getattr(module, "bias", None) is not None:
        nn.init.constant_(module.bias, bias)


# ------------------------------------------------------------------ torchvision ResNet
class ScaledResNet(tv_resnet.ResNet):
    """torchvision.models.resnet.ResNet with stage widths base*(1, 2, 4, 8).

    This is torchvision's ResNet.__init__ (0.14) with the literals 64/128/256/512
    replaced by base*(1, 2, 4, 8) (stem width = base); `_make_layer`, the blocks
    and `forward` are torchvision's own, inherited. Bottleneck's inner width is
    `planes` (width_per_group stays 64, groups 1). At base = 64 the module tree
    equals torchvision's resnetXX; `build_resnet` returns torchvision's class
    itself in that case.
    """

    def __init__(self, block, layers: Sequence[int], num_classes: int = 1000, base: int = 64):
        nn.Module.__init__(self)
        norm_layer = nn.BatchNorm2d
        self._norm_layer = norm_layer
        self.inplanes = base
        self.dilation = 1
        self.groups = 1
        self.base_width = 64  # torchvision's width_per_group (Bottleneck width = planes)
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, base, layers[0])
        self.layer2 = self._make_layer(block, 2 * base, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 4 * base, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 8 * base, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(8 * base * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)


def build_resnet(block="Bottleneck", layers=(3, 4, 6, 3), base: int = 64, num_classes: int = 1000):
    """The RGB torchvision ResNet (torchvision's class at base 64)."""
    blk = BLOCKS[block] if isinstance(block, str) else block
    if base == 64:
        return tv_resnet.ResNet(blk, list(layers), num_classes=num_classes)
    return ScaledResNet(blk, list(layers), num_classes=num_classes, base=base)


# ------------------------------------------------------------------ Gumbel + gate
def release_gumbel_noise(uniform: torch.Tensor, eps: float = 1e-10) -> torch.Tensor:
    """The release's GumbleSoftmax.sample_gumbel_like given the uniform draws:
    g = -log(eps - log(u + eps)). (Note `eps - log`, as released.)"""
    return -torch.log(eps - torch.log(uniform + eps))


def hard_gumbel_softmax(logits: torch.Tensor, gumbels: Optional[torch.Tensor] = None,
                        temperature: float = 1.0) -> torch.Tensor:
    """The release's GumbleSoftmax forward with force_hard=True, over dim 2.

    logits: N x C x 2 x 1 (the release's layout). gumbels: same numel, or None
    to draw them as the release does (uniform_ on a clone). The soft sample is
    softmax((logits + g) / tau) over dim 2 (the release always uses tau = 1:
    its forward ignores `temp`); the result is y_hard - y_soft.detach() + y_soft
    (straight-through), numerically the one-hot of the argmax.
    """
    if gumbels is None:
        gumbels = release_gumbel_noise(logits.detach().clone().uniform_())
    gumbels = gumbels.reshape(logits.shape).to(logits.dtype)
    y = F.softmax((logits + gumbels) / temperature, dim=2)
    _, idx = y.detach().max(2, keepdim=True)
    y_hard = torch.zeros_like(logits).scatter_(2, idx, 1.0)
    return (y_hard - y.detach()) + y


class GateModule192(nn.Module):
    """The release's GateModule192 (act='relu'): keys inp_gate.0/1, inp_gate_l.

    forward(x, gumbels=None) -> (x * gate, gate N x 192 x 1).
    `gumbels` (N x 192 x 2) makes the forward deterministic for fixtures; the
    release draws them inside. The release's gate also uses the hard sample in
    eval mode.
    """

    def __init__(self, act: str = "relu"):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.in_ch = in_ch = 192
        relu = {"relu": nn.ReLU, "relu6": nn.ReLU6}[act]
        self.inp_gate = nn.Sequential(
            nn.Conv2d(in_ch, in_ch, kernel_size=1, stride=1, padding=0, bias=True),
            nn.BatchNorm2d(in_ch),
            relu(inplace=True),
        )
        self.inp_gate_l = nn.Conv2d(in_ch, in_ch * 2, kernel_size=1, stride=1, padding=0,
                                    groups=in_ch, bias=True)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        h = self.avg_pool(x)
        h = self.inp_gate(h)
        h = self.inp_gate_l(h)
        return h.reshape(h.size(0), self.in_ch, 2, 1)

    def forward(self, x: torch.Tensor, gumbels: Optional[torch.Tensor] = None):
        h = hard_gumbel_softmax(self.logits(x), gumbels)
        x = x * h[:, :, 1].unsqueeze(2)
        return x, h[:, :, 1]


def init_gate_like_release(model: nn.Module) -> None:
    """The release's _initialize_weights for the gate: inp_gate_l N(0, 0.001),
    biases 0.1 (even = 'off' logit) and 2 (odd = 'on'); inp_gate conv Kaiming
    (fan_out), its BN weight 1 bias 0."""
    for name, m in model.named_modules():
        if "inp_gate_l" in name:
            m.weight.data.normal_(0, 0.001)
            m.bias.data[::2].fill_(0.1)
            m.bias.data[1::2].fill_(2)
        elif "inp_gate" in name:
            if isinstance(m, nn.Conv2d):
                kaiming_init(m)
            elif isinstance(m, nn.BatchNorm2d):
                constant_init(m, 1)


# ------------------------------------------------------------------ ResNet on DCT input
class ResNetDCT_Upscaled_Static(nn.Module):
    """The release's ResNetDCT_Upscaled_Static, generalised over depth and width.

    channels: C DCT channels fed into layer1 (0 means 192, as in the release).
    block/layers/base: torchvision ResNet configuration (release: Bottleneck,
      [3, 4, 6, 3], 64 = ResNet-50).
    layer2_stride: 1 as released (feature maps S, S, S/2, S/4) or 2 (standard).
    input_gate: GateModule192 before the network (C must be 192), keys inp_GM.*.

    Input adaptation of layer1[0] (the release, Bottleneck): if C differs from
    the stem width (64 at full size; the release adapts for C < 64 and C = 192):
      conv1         -> 1x1 conv C -> width (no bias)
      downsample[0] -> 1x1 conv C -> planes*4 (no bias)
    i.e. layer1 is what torchvision's _make_layer builds with inplanes = C.
    (The release creates the C < 64 conv1 with kernel_size=3 but assigns a
    [64, C, 1, 1] weight and padding 0: it computes a 1x1 conv, and its key
    shape is [64, C, 1, 1]; this module uses a true 1x1 conv.)
    The release initialises these from the first C input channels of the
    RGB-pretrained weights for C < 64 and with kaiming_init for 192; here
    (no pretrained weights) the slice is of the freshly initialised weights.

    BasicBlock (resnet18/34-dct, NOT in the release; DctNet's extension, same
    rule "layer1 built with inplanes = C"): conv1 -> 3x3 conv C -> 64
    (stride 1, padding 1) and, when C != stem width, a new downsample
    Sequential(1x1 conv C -> 64, BN) (torchvision's _make_layer rule).

    forward: [gate] -> model (layer1..4, avgpool) -> reshape(N, -1) -> fc;
    returns logits, or (logits, gate N x 192 x 1) with the gate.
    """

    def __init__(self, channels: int = 0, block="Bottleneck", layers=(3, 4, 6, 3), base: int = 64,
                 layer2_stride: int = 1, num_classes: int = 1000, input_gate: bool = False):
        super().__init__()
        if channels == 0:
            channels = 192
        if input_gate and channels != 192:
            raise ValueError("the input gate needs all 192 channels")
        if layer2_stride not in (1, 2):
            raise ValueError("layer2_stride must be 1 or 2")
        self.input_gate = input_gate
        self.channels = channels
        resnet = build_resnet(block, layers, base, num_classes)

        self.model = nn.Sequential(*list(resnet.children())[4:-1])
        self.fc = list(resnet.children())[-1]
        self.relu = nn.ReLU(inplace=True)  # unused, as in the release

        blk0 = self.model[0][0]
        stem = base
        if channels != stem:
            if isinstance(blk0, Bottleneck):
                old = blk0.conv1
                blk0.conv1 = nn.Conv2d(channels, old.out_channels, kernel_size=1, stride=1, bias=False)
                old_ds = blk0.downsample[0]
                blk0.downsample[0] = nn.Conv2d(channels, old_ds.out_channels, kernel_size=1, stride=1, bias=False)
                if channels < stem:
                    # first C input channels of the (here: fresh) RGB-model weights
                    blk0.conv1.weight.data = old.weight.data[:, :channels].clone()
                    blk0.downsample[0].weight.data = old_ds.weight.data[:, :channels].clone()
                else:
                    kaiming_init(blk0.conv1)
                    kaiming_init(blk0.downsample[0])
            else:  # BasicBlock: DctNet's extension
                old = blk0.conv1
                blk0.conv1 = nn.Conv2d(channels, old.out_channels, kernel_size=3, stride=1, padding=1, bias=False)
                kaiming_init(blk0.conv1)
                planes_out = blk0.conv2.out_channels
                blk0.downsample = nn.Sequential(
                    nn.Conv2d(channels, planes_out, kernel_size=1, stride=1, bias=False),
                    nn.BatchNorm2d(planes_out),
                )
                kaiming_init(blk0.downsample[0])
                constant_init(blk0.downsample[1], 1)

        # layer2 stride: the release builds layer2 with stride 1 in its resnet.py
        # (_make_layer(block, 128, ..., stride=1)); layer2[0] still has its
        # downsample (inplanes != planes*expansion), with stride 1.
        l2 = self.model[1][0]
        strided = l2.conv2 if isinstance(l2, Bottleneck) else l2.conv1
        strided.stride = (layer2_stride, layer2_stride)
        l2.downsample[0].stride = (layer2_stride, layer2_stride)
        l2.stride = layer2_stride

        if input_gate:
            self.inp_GM = GateModule192()
            init_gate_like_release(self)

    def forward(self, x: torch.Tensor, gumbels: Optional[torch.Tensor] = None):
        if self.input_gate:
            x, inp_atten = self.inp_GM(x, gumbels)
        x = self.model(x)
        x = x.reshape(x.size(0), -1)
        x = self.fc(x)
        if self.input_gate:
            return x, inp_atten
        return x


# ------------------------------------------------------------------ MobileNetV2 (release)
def _make_divisible(v, divisor, min_value=None):
    """The release's (tf-repo) _make_divisible."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def conv_3x3_bn(inp, oup, stride):
    return nn.Sequential(nn.Conv2d(inp, oup, 3, stride, 1, bias=False), nn.BatchNorm2d(oup), nn.ReLU6(inplace=True))


def conv_1x1_bn(inp, oup):
    return nn.Sequential(nn.Conv2d(inp, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup), nn.ReLU6(inplace=True))


class InvertedResidual(nn.Module):
    """The release's InvertedResidual (tonylins layout): a single `conv`
    Sequential; expansion 1: dw3x3, BN, ReLU6, pw-linear 1x1, BN (keys conv.0,
    conv.1, conv.3, conv.4); expansion t: pw 1x1, BN, ReLU6, dw3x3, BN, ReLU6,
    pw-linear, BN (conv.0/1, conv.3/4, conv.6/7). Residual when stride 1 and
    inp == oup."""

    def __init__(self, inp, oup, stride, expand_ratio):
        super().__init__()
        assert stride in (1, 2)
        hidden_dim = round(inp * expand_ratio)
        self.identity = stride == 1 and inp == oup
        if expand_ratio == 1:
            self.conv = nn.Sequential(
                nn.Conv2d(hidden_dim, hidden_dim, 3, stride, 1, groups=hidden_dim, bias=False),
                nn.BatchNorm2d(hidden_dim),
                nn.ReLU6(inplace=True),
                nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False),
                nn.BatchNorm2d(oup),
            )
        else:
            self.conv = nn.Sequential(
                nn.Conv2d(inp, hidden_dim, 1, 1, 0, bias=False),
                nn.BatchNorm2d(hidden_dim),
                nn.ReLU6(inplace=True),
                nn.Conv2d(hidden_dim, hidden_dim, 3, stride, 1, groups=hidden_dim, bias=False),
                nn.BatchNorm2d(hidden_dim),
                nn.ReLU6(inplace=True),
                nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False),
                nn.BatchNorm2d(oup),
            )

    def forward(self, x):
        if self.identity:
            return x + self.conv(x)
        return self.conv(x)


MOBILENETV2_UPSCALED_CFGS = [  # t, c, n, s  (the release's upscale=True settings)
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
]


class ReleaseMobileNetV2(nn.Module):
    """The release's MobileNetV2 (upscale=True settings), first conv included.
    `last_channel` overrides the head width (release: 1280 for width <= 1)."""

    def __init__(self, num_classes=1000, input_size=224, width_mult=1.0, last_channel=None):
        super().__init__()
        self.cfgs = MOBILENETV2_UPSCALED_CFGS
        input_channel = _make_divisible(32 * width_mult, 8)
        layers: List[nn.Module] = [conv_3x3_bn(3, input_channel, 2)]
        for t, c, n, s in self.cfgs:
            output_channel = _make_divisible(c * width_mult, 8)
            layers.append(InvertedResidual(input_channel, output_channel, s, t))
            input_channel = output_channel
            for _ in range(1, n):
                layers.append(InvertedResidual(input_channel, output_channel, 1, t))
                input_channel = output_channel
        self.features = nn.Sequential(*layers)
        if last_channel is None:
            last_channel = _make_divisible(1280 * width_mult, 8) if width_mult > 1.0 else 1280
        self.conv = conv_1x1_bn(input_channel, last_channel)
        self.avgpool = nn.AvgPool2d(input_size // 32, stride=1)
        self.classifier = nn.Linear(last_channel, num_classes)
        for m in self.modules():  # the release's _initialize_weights
            if isinstance(m, nn.Conv2d):
                n = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                m.weight.data.normal_(0, math.sqrt(2.0 / n))
                if m.bias is not None:
                    m.bias.data.zero_()
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.data.fill_(1)
                m.bias.data.zero_()
            elif isinstance(m, nn.Linear):
                m.weight.data.normal_(0, 0.01)
                m.bias.data.zero_()


def mobilenetv2_stage_channels(width_mult=1.0):
    """(first block input width, [output width per stage]) of the release's rule."""
    return (_make_divisible(32 * width_mult, 8),
            [_make_divisible(c * width_mult, 8) for _, c, _, _ in MOBILENETV2_UPSCALED_CFGS])


class MobileNetV2DCT_Subset_woinp(nn.Module):
    """The release's MobileNetV2DCT_Subset_woinp.

    features = the release MobileNetV2's features without the first 3x3 stride-2
    conv (17 inverted residuals, the 'upscaled' stage settings); then `conv`
    (1x1 -> last_channel, BN, ReLU6), `avgpool` = AvgPool2d(pool_kernel,
    stride=1) (the release: input_size 224 // 32 = 7, i.e. the global average
    for its 112 x 112 input, which ends at 7 x 7), flatten, `classifier`.

    First-block adaptation (the release): C < 32 (the first block's width at
    width 1.0): its depthwise conv and BN shrink to C channels (groups C) and
    its projection takes C inputs (weights/BN stats sliced from the first C);
    C == 32 keeps the block; C == 192: its depthwise conv becomes
    Conv2d(192, 32, 3, groups=32) (weights repeated 6x over the inputs).
    Other counts are not defined by the release (ValueError here).
    At reduced width the same rule is applied with the first block's depthwise
    conv having C channels for every C <= 32 (so C = 32 at width < 1 is also
    'shrunk/grown' to 32 channels: the block has C channels as at full size).
    """

    def __init__(self, channels: int = 0, num_classes: int = 1000, width_mult: float = 1.0,
                 input_gate: bool = False, pool_kernel: int = 7, last_channel: Optional[int] = None):
        super().__init__()
        if channels == 0:
            channels = 192
        if not (1 <= channels <= 32 or channels == 192):
            raise ValueError(f"MobileNetV2DCT_Subset_woinp defines C <= 32 or C = 192, not {channels}")
        if input_gate and channels != 192:
            raise ValueError("the input gate needs all 192 channels")
        self.input_gate = input_gate
        self.channels = channels
        model = ReleaseMobileNetV2(num_classes=num_classes, input_size=32 * pool_kernel,
                                   width_mult=width_mult, last_channel=last_channel)
        self.features = nn.Sequential(*list(model.children())[0][1:])
        blk = self.features[0]
        w0 = blk.conv[0].out_channels
        if channels == 192:
            temp = nn.Conv2d(channels, w0, 3, 1, 1, groups=w0, bias=False)
            temp.weight.data = blk.conv[0].weight.data.repeat(1, channels // w0, 1, 1)
            blk.conv[0] = temp
        elif channels != w0:
            src_dw, src_bn, src_pw = blk.conv[0], blk.conv[1], blk.conv[3]
            reps = -(-channels // w0)  # for C > w0 at reduced width: tile the fresh weights
            temp = nn.Conv2d(channels, channels, 3, 1, 1, groups=channels, bias=False)
            temp.weight.data = src_dw.weight.data.repeat(reps, 1, 1, 1)[:channels].clone()
            blk.conv[0] = temp
            temp = nn.BatchNorm2d(channels)
            temp.weight.data = src_bn.weight.data.repeat(reps)[:channels].clone()
            temp.bias.data = src_bn.bias.data.repeat(reps)[:channels].clone()
            temp.running_mean.data = src_bn.running_mean.data.repeat(reps)[:channels].clone()
            temp.running_var.data = src_bn.running_var.data.repeat(reps)[:channels].clone()
            blk.conv[1] = temp
            temp = nn.Conv2d(channels, src_pw.out_channels, 1, 1, 0, bias=False)
            temp.weight.data = src_pw.weight.data.repeat(1, reps, 1, 1)[:, :channels].clone()
            blk.conv[3] = temp
        # the residual rule (stride 1 and in == out) for the adapted block; at
        # full size it is never residual (C -> 16); at width 0.1 the unadapted
        # block is 8 -> 8, so recompute it for the new input width
        blk.identity = channels == blk.conv[-1].num_features and blk.conv[0].stride == (1, 1)
        self.conv = list(model.children())[1]
        self.avgpool = list(model.children())[2]
        self.classifier = list(model.children())[3]
        if input_gate:
            self.inp_GM = GateModule192()
            init_gate_like_release(self)

    def forward(self, x: torch.Tensor, gumbels: Optional[torch.Tensor] = None):
        if self.input_gate:
            x, inp_atten = self.inp_GM(x, gumbels)
        x = self.features(x)
        x = self.conv(x)
        x = self.avgpool(x)
        x = x.view(x.size(0), -1)
        x = self.classifier(x)
        if self.input_gate:
            return x, inp_atten
        return x


# ------------------------------------------------------------------ torchvision MobileNetV2 (RGB)
def build_mobilenet_v2_rgb(width_mult: float = 1.0, num_classes: int = 1000, last_channel: Optional[int] = None):
    """torchvision.models.mobilenet_v2 (RGB baseline naming). `last_channel`
    (reduced fixtures only) replaces the head conv features[-1] and the
    classifier's Linear by the same torchvision modules at that width
    (torchvision fixes it at 1280 for width <= 1)."""
    m = tv_mobilenetv2.MobileNetV2(num_classes=num_classes, width_mult=width_mult)
    if last_channel is not None and last_channel != m.last_channel:
        from torchvision.ops.misc import Conv2dNormActivation
        inp = m.features[-1][0].in_channels
        m.features[-1] = Conv2dNormActivation(inp, last_channel, kernel_size=1,
                                              norm_layer=nn.BatchNorm2d, activation_layer=nn.ReLU6)
        m.classifier[1] = nn.Linear(last_channel, num_classes)
        m.last_channel = last_channel
    return m


# ------------------------------------------------------------------ MAC counter
def count_macs(model: nn.Module, *inputs, **kwargs) -> int:
    """Multiply-accumulates per forward of Conv2d and Linear layers (hooks):
    conv: out.numel() * (in_channels / groups) * kh * kw; linear: out.numel() * in_features.
    Divide by the batch size for per-image numbers."""
    total = [0]

    def conv_hook(m, inp, out):
        kh, kw = m.kernel_size
        total[0] += out.numel() * (m.in_channels // m.groups) * kh * kw

    def lin_hook(m, inp, out):
        total[0] += out.numel() * m.in_features

    hooks = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(lin_hook))
    try:
        with torch.no_grad():
            model(*inputs, **kwargs)
    finally:
        for h in hooks:
            h.remove()
    return total[0]


def num_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# ------------------------------------------------------------------ self-check
def _compare(name, model, expected: dict, prefix_filter=None) -> List[str]:
    sd = model.state_dict()
    got = [(k, list(v.shape)) for k, v in sd.items() if prefix_filter is None or k.startswith(prefix_filter)]
    exp = [(k, list(v)) for k, v in expected.items()]
    errors = []
    if [k for k, _ in got] != [k for k, _ in exp]:
        gk, ek = {k for k, _ in got}, {k for k, _ in exp}
        missing, unexpected = sorted(ek - gk), sorted(gk - ek)
        if missing or unexpected:
            errors.append(f"{name}: missing {missing[:8]} unexpected {unexpected[:8]}")
        else:
            errors.append(f"{name}: same keys, different order")
    gd = dict(got)
    for k, s in exp:
        if k in gd and gd[k] != s:
            errors.append(f"{name}: {k} has shape {gd[k]}, expected {s}")
    return errors


def full_size_models():
    """(json entry name, builder, prefix filter) for the self-check."""
    return [
        ("resnet50-dct, channels=24 (seed: ResNetDCT_Upscaled_Static)",
         lambda: ResNetDCT_Upscaled_Static(24), None),
        ("resnet50-dct, channels=64 (seed: ResNetDCT_Upscaled_Static)",
         lambda: ResNetDCT_Upscaled_Static(64), None),
        ("resnet50-dct, channels=192 (seed: ResNetDCT_Upscaled_Static)",
         lambda: ResNetDCT_Upscaled_Static(192), None),
        ("mobilenetv2-dct, channels=24 (seed: MobileNetV2DCT_Subset_woinp)",
         lambda: MobileNetV2DCT_Subset_woinp(24), None),
        ("mobilenetv2-dct, channels=32 (seed: MobileNetV2DCT_Subset_woinp)",
         lambda: MobileNetV2DCT_Subset_woinp(32), None),
        ("input gate, prefix 'inp_GM.' inside a gated model (seed: GateModule192)",
         lambda: ResNetDCT_Upscaled_Static(192, input_gate=True), "inp_GM."),
        ("torchvision resnet50 (RGB baseline naming)",
         lambda: build_resnet("Bottleneck", [3, 4, 6, 3], 64, 1000), None),
        ("torchvision mobilenet_v2 (RGB baseline naming)",
         lambda: build_mobilenet_v2_rgb(1.0, 1000), None),
    ]


def self_check(keys_path: str) -> List[str]:
    import json
    with open(keys_path) as f:
        spec = json.load(f)
    errors: List[str] = []
    for name, build, prefix in full_size_models():
        torch.manual_seed(0)
        model = build()
        if name not in spec:
            errors.append(f"{name}: not in {keys_path}")
            continue
        e = _compare(name, model, spec[name], prefix)
        print(f"  {'OK ' if not e else 'BAD'} {len(spec[name]):4d} keys  {name}")
        errors += e
    # a gated model = the plain model's keys followed by inp_GM.*
    torch.manual_seed(0)
    g = ResNetDCT_Upscaled_Static(192, input_gate=True).state_dict()
    plain = spec["resnet50-dct, channels=192 (seed: ResNetDCT_Upscaled_Static)"]
    gate = spec["input gate, prefix 'inp_GM.' inside a gated model (seed: GateModule192)"]
    if list(g.keys()) != list(plain.keys()) + list(gate.keys()):
        errors.append("gated resnet50-dct-192: keys are not plain keys + inp_GM.*")
    else:
        print(f"  OK  {len(g):4d} keys  gated resnet50-dct-192 = resnet50-dct-192 keys + inp_GM.*")
    # the reduced-width class at base 64 is torchvision's resnet50, module for module
    torch.manual_seed(0)
    a = ScaledResNet(Bottleneck, [3, 4, 6, 3], 1000, 64).state_dict()
    b = tv_resnet.resnet50().state_dict()
    if [(k, v.shape) for k, v in a.items()] != [(k, v.shape) for k, v in b.items()]:
        errors.append("ScaledResNet(base 64) differs from torchvision resnet50")
    else:
        print(f"  OK  {len(a):4d} keys  ScaledResNet(Bottleneck, [3,4,6,3], base 64) == torchvision resnet50")
    return errors


def print_full_size_macs():
    rows = []
    torch.manual_seed(0)
    for label, model, shape in [
        ("resnet50-dct, 24 channels, layer2 stride 1 (release)", ResNetDCT_Upscaled_Static(24), (1, 24, 56, 56)),
        ("resnet50-dct, 64 channels, layer2 stride 1", ResNetDCT_Upscaled_Static(64), (1, 64, 56, 56)),
        ("resnet50-dct, 192 channels, layer2 stride 1", ResNetDCT_Upscaled_Static(192), (1, 192, 56, 56)),
        ("resnet50-dct, 24 channels, layer2 stride 2", ResNetDCT_Upscaled_Static(24, layer2_stride=2), (1, 24, 56, 56)),
        ("resnet50 RGB (torchvision), 224", build_resnet(), (1, 3, 224, 224)),
        ("mobilenetv2-dct, 24 channels, 112", MobileNetV2DCT_Subset_woinp(24), (1, 24, 112, 112)),
        ("mobilenetv2-dct, 32 channels, 112", MobileNetV2DCT_Subset_woinp(32), (1, 32, 112, 112)),
        ("mobilenet_v2 RGB (torchvision), 224", build_mobilenet_v2_rgb(), (1, 3, 224, 224)),
    ]:
        model.eval()
        macs = count_macs(model, torch.zeros(shape))
        rows.append((label, shape, macs, num_params(model)))
        print(f"  {label:55s} input {str(list(shape[1:])):16s} {macs/1e9:8.4f} GMAC ({macs:,d})  params {num_params(model):,d}")
    return rows


if __name__ == "__main__":
    import argparse
    import sys
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keys", default="/work/shared/spec/state_dict_keys.json")
    ap.add_argument("--no-macs", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    print(f"torch {torch.__version__}, state_dict keys vs {args.keys}:")
    errs = self_check(args.keys)
    if not args.no_macs:
        print("MACs per image (Conv2d + Linear multiply-accumulates, hook-based) and parameters:")
        print_full_size_macs()
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  " + e)
        sys.exit(1)
    print("self-check passed")
