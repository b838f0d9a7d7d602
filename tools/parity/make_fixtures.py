"""Write tests/fixtures/parity/: small reference models in the DCTNet release's
module layout with random weights and non-trivial BatchNorm statistics, saved in
the release's checkpoint layout, with fixed inputs and the logits PyTorch gives.

    /usr/bin/python3 tools/parity/make_fixtures.py [--out tests/fixtures/parity]

Needs Debian's python3-torch (1.13) and python3-torchvision (0.14). Deletes and
rewrites the output folder. See tools/parity/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import math
import os
import shutil
import sys
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_models as rm  # noqa: E402

SEED = 20200226
BATCH = 2
CLASSES = 10
REL_TOL = 1e-4
GATE_MARGIN = 0.05  # every |(l1+g1)-(l0+g0)| of a gated fixture is at least this

# Reduced configurations (see README: same classes as the full-size models).
RESNET_BASE = 2
RESNET_LAYERS = [2, 2, 1, 1]
MBV2_WIDTH = 0.1
MBV2_LAST = 64


# --------------------------------------------------------------------------- cases
def case_list():
    c = []
    rn = dict(block="Bottleneck", layers=RESNET_LAYERS, base=RESNET_BASE)
    c.append(dict(name="resnet-dct-24", family="resnet-dct", channels=24, spatial=14, layer2_stride=1, gate=False,
                  full="resnet50-dct --channels 24", **rn))
    c.append(dict(name="resnet-dct-24-s2", family="resnet-dct", channels=24, spatial=14, layer2_stride=2, gate=False,
                  full="resnet50-dct-s2 --channels 24", share_with="resnet-dct-24", **rn))
    c.append(dict(name="resnet-dct-64", family="resnet-dct", channels=64, spatial=10, layer2_stride=1, gate=False,
                  full="resnet50-dct --channels 64", **rn))
    c.append(dict(name="resnet-dct-192", family="resnet-dct", channels=192, spatial=7, layer2_stride=1, gate=False,
                  full="resnet50-dct --channels 192", **rn))
    c.append(dict(name="resnet-dct-192-gate", family="resnet-dct", channels=192, spatial=7, layer2_stride=1, gate=True,
                  full="resnet50-dct --channels 192 --gate", input_from="resnet-dct-192", **rn))
    c.append(dict(name="resnet-basic-dct-24", family="resnet-dct", channels=24, spatial=14, layer2_stride=1, gate=False,
                  full="resnet18-dct --channels 24 (DctNet extension: the release has no BasicBlock DCT model)",
                  extension=True, block="BasicBlock", layers=RESNET_LAYERS, base=RESNET_BASE,
                  input_from="resnet-dct-24"))
    mb = dict(width_mult=MBV2_WIDTH, last_channel=MBV2_LAST)
    c.append(dict(name="mobilenetv2-dct-24", family="mobilenetv2-dct", channels=24, spatial=18, gate=False,
                  full="mobilenetv2-dct --channels 24", **mb))
    c.append(dict(name="mobilenetv2-dct-32", family="mobilenetv2-dct", channels=32, spatial=18, gate=False,
                  full="mobilenetv2-dct --channels 32", **mb))
    c.append(dict(name="resnet-rgb", family="resnet-rgb", channels=3, spatial=40, full="resnet50 (torchvision)", **rn))
    c.append(dict(name="mobilenetv2-rgb", family="mobilenetv2-rgb", channels=3, spatial=40,
                  full="mobilenetv2 (torchvision mobilenet_v2)", **mb))
    return c


def mbv2_final_spatial(s):
    for _, _, _, stride in rm.MOBILENETV2_UPSCALED_CFGS:
        if stride == 2:
            s = (s - 1) // 2 + 1
    return s


def build(case):
    f = case["family"]
    if f == "resnet-dct":
        return rm.ResNetDCT_Upscaled_Static(case["channels"], case["block"], case["layers"], case["base"],
                                            case["layer2_stride"], CLASSES, case["gate"])
    if f == "mobilenetv2-dct":
        return rm.MobileNetV2DCT_Subset_woinp(case["channels"], CLASSES, case["width_mult"], case["gate"],
                                              pool_kernel=mbv2_final_spatial(case["spatial"]),
                                              last_channel=case["last_channel"])
    if f == "resnet-rgb":
        return rm.build_resnet(case["block"], case["layers"], case["base"], CLASSES)
    if f == "mobilenetv2-rgb":
        return rm.build_mobilenet_v2_rgb(case["width_mult"], CLASSES, case["last_channel"])
    raise ValueError(f)


def forward(model, x, gumbels=None):
    if getattr(model, "input_gate", False):
        return model(x, gumbels)
    return model(x), None


# --------------------------------------------------------------------------- weights
def randomize(model, x, gumbels, gen):
    """Random weights (He-scaled so activations stay O(1)), random BN affine,
    BN running statistics calibrated on x (train-mode pass, cumulative) then
    perturbed, num_batches_tracked set; returns the model in eval mode."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
                m.weight.normal_(0.0, math.sqrt(2.0 / fan_in), generator=gen)
                if m.bias is not None:
                    m.bias.normal_(0.0, 0.2, generator=gen)
            elif isinstance(m, nn.Linear):
                m.weight.normal_(0.0, 1.0 / math.sqrt(m.in_features), generator=gen)
                m.bias.normal_(0.0, 0.2, generator=gen)
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5, generator=gen)
                m.bias.normal_(0.0, 0.2, generator=gen)
        bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
        for m in bns:
            m.reset_running_stats()
            m.momentum = None  # cumulative average: running stats = this batch's
        model.train()
        forward(model, x, gumbels)
        for m in bns:
            m.momentum = 0.1
            std = m.running_var.clamp_min(1e-2).sqrt()
            noise = torch.empty_like(m.running_mean).normal_(0.0, 0.3, generator=gen)
            m.running_mean.add_(noise * std)
            m.running_var.clamp_(min=1e-2).mul_(torch.empty_like(m.running_var).uniform_(0.5, 2.0, generator=gen))
            m.num_batches_tracked.fill_(int(torch.randint(1000, 100000, (1,), generator=gen)))
    model.eval()
    return model


def gate_gumbels(model, x, gen):
    """Gumbel noise N x 192 x 2 drawn as the release does (g = -log(eps - log(u + eps)))
    from seeded uniforms, redrawn where a decision would sit within GATE_MARGIN."""
    u = torch.rand((x.shape[0], 192, 2), generator=gen)
    g = rm.release_gumbel_noise(u)
    for _ in range(100):
        with torch.no_grad():
            lg = model.inp_GM.logits(x).reshape(x.shape[0], 192, 2)
        d = (lg[..., 1] + g[..., 1]) - (lg[..., 0] + g[..., 0])
        bad = d.abs() < GATE_MARGIN
        if not bad.any():
            return g, float(d.abs().min())
        u2 = torch.rand(u.shape, generator=gen)
        g[bad] = rm.release_gumbel_noise(u2)[bad]
    raise RuntimeError("could not draw well-separated gate noise")


# --------------------------------------------------------------------------- saving
@contextlib.contextmanager
def storage_location(tag):
    """Make torch.save tag every storage with `tag` (the release's files were
    saved from GPU tensors: their storages say 'cuda:0')."""
    ser = torch.serialization
    orig = ser.location_tag
    if tag is not None:
        ser.location_tag = lambda storage: tag
    try:
        yield
    finally:
        ser.location_tag = orig


def save_npy(path, arr):
    np.save(path, np.ascontiguousarray(arr, dtype=np.float32))


def strip_module(sd):
    return OrderedDict((k[len("module."):] if k.startswith("module.") else k, v) for k, v in sd.items())


def load_any(path):
    obj = torch.load(path, map_location="cpu")
    if isinstance(obj, dict) and "state_dict" in obj:
        return strip_module(obj["state_dict"]), obj
    return strip_module(obj), obj


def pickle_info(path):
    """(format, zip record prefix or None, sorted pickle GLOBALs) of a torch.save file."""
    import io
    import pickletools
    import zipfile
    with open(path, "rb") as f:
        head = f.read(4)
    found = set()
    if head[:2] == b"PK":
        z = zipfile.ZipFile(path)
        pkl = [n for n in z.namelist() if n.endswith("/data.pkl")]
        assert len(pkl) == 1, pkl
        prefix = pkl[0][: -len("/data.pkl")]
        streams, fmt = [io.BytesIO(z.read(pkl[0]))], "zip"
    else:
        # legacy: five pickles (magic number, protocol version, sys info, the object, storage keys), then raw data
        f = open(path, "rb")
        streams, fmt, prefix = [f] * 5, "legacy", None
    for s in streams:
        for op, arg, _ in pickletools.genops(s):
            if op.name in ("GLOBAL", "INST"):
                found.add(arg.replace(" ", "."))
            elif op.name == "STACK_GLOBAL":
                found.add("<STACK_GLOBAL>")
    return fmt, prefix, sorted(found)


# --------------------------------------------------------------------------- main
def describe_arch(case, model):
    f = case["family"]
    a = OrderedDict()
    if f in ("resnet-dct", "resnet-rgb"):
        blk = rm.BLOCKS[case["block"]]
        b = case["base"]
        a["block"] = case["block"]
        a["expansion"] = blk.expansion
        a["layers"] = case["layers"]
        a["base_width"] = b
        a["stage_planes"] = [b, 2 * b, 4 * b, 8 * b]
        a["stage_out_channels"] = [p * blk.expansion for p in a["stage_planes"]]
        a["num_classes"] = CLASSES
        if f == "resnet-dct":
            a["in_channels"] = case["channels"]
            a["layer2_stride"] = case["layer2_stride"]
            a["stage_strides"] = [1, case["layer2_stride"], 2, 2]
            a["input_gate"] = case["gate"]
            l10 = model.model[0][0]
            a["layer1_0"] = OrderedDict(
                [("conv1", list(l10.conv1.weight.shape)),
                 ("downsample.0", list(l10.downsample[0].weight.shape))])
            if case["block"] == "Bottleneck":
                a["input_adaptation"] = ("layer1[0].conv1 = 1x1 conv C->planes, layer1[0].downsample[0] = 1x1 conv "
                                         "C->4*planes (the release's rule for C<64 and C=192, i.e. torchvision's "
                                         "_make_layer with inplanes=C; at full size C=64 is the unchanged layer1)")
            else:
                a["input_adaptation"] = ("DctNet extension for BasicBlock: layer1[0].conv1 = 3x3 conv C->planes "
                                         "(stride 1, padding 1); layer1[0].downsample = Sequential(1x1 conv "
                                         "C->planes, BN) when C != stem width (torchvision's _make_layer with "
                                         "inplanes=C; at full size C=64 is the unchanged layer1)")
            a["module_layout"] = ("model.0..3 = layer1..4, model.4 = AdaptiveAvgPool2d(1), fc; forward: "
                                  "[inp_GM gate] -> model -> reshape(N,-1) -> fc")
        else:
            a["in_channels"] = 3
            a["stem"] = f"conv1 7x7/2 3->{b} (pad 3), bn1, relu, maxpool 3x3/2 (pad 1)"
            a["stage_strides"] = [1, 2, 2, 2]
            a["module_layout"] = "torchvision ResNet (conv1, bn1, layer1..4, fc)"
    else:
        w = case["width_mult"]
        first, stage_out = rm.mobilenetv2_stage_channels(w)
        a["width_mult"] = w
        a["channel_rule"] = "_make_divisible(c * width_mult, 8) (tf/torchvision rule); hidden = round(in * t)"
        a["last_channel"] = case["last_channel"]
        a["last_channel_full_size"] = 1280
        a["num_classes"] = CLASSES
        if f == "mobilenetv2-dct":
            a["in_channels"] = case["channels"]
            a["stage_settings_tcns"] = rm.MOBILENETV2_UPSCALED_CFGS
            a["stage_out_channels"] = stage_out
            a["first_block"] = OrderedDict(
                [("depthwise", list(model.features[0].conv[0].weight.shape)),
                 ("groups", model.features[0].conv[0].groups),
                 ("projection", list(model.features[0].conv[3].weight.shape))])
            a["first_block_rule"] = ("features.0 (expansion 1): depthwise 3x3 conv with C channels (groups C), "
                                     "BN(C), ReLU6, 1x1 projection C->stage_out_channels[0], BN. "
                                     "Full size: C<32 shrinks the 32-channel block, C=32 keeps it")
            a["final_spatial"] = mbv2_final_spatial(case["spatial"])
            a["pool"] = (f"AvgPool2d({a['final_spatial']}, stride 1) = the global average at the final "
                         f"{a['final_spatial']}x{a['final_spatial']} (the release: AvgPool2d(7, stride 1) at the "
                         f"7x7 that a 112x112 input ends at)")
            a["input_gate"] = case["gate"]
            a["module_layout"] = ("features.0..16 (release InvertedResidual, `conv` Sequential: expansion 1 -> "
                                  "conv.0 dw, conv.1 BN, conv.3 pw, conv.4 BN; else conv.0 pw, conv.1 BN, conv.3 dw, "
                                  "conv.4 BN, conv.6 pw, conv.7 BN), conv.0/1 (1x1 -> last_channel + BN, ReLU6), "
                                  "classifier (Linear)")
        else:
            a["in_channels"] = 3
            a["stage_settings_tcns"] = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2],
                                        [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]
            a["stem_channels"] = first
            a["stage_out_channels"] = stage_out
            a["last_channel_note"] = ("torchvision fixes last_channel at 1280 for width <= 1; the fixture replaces "
                                      "features[-1] and classifier[1] by the same torchvision modules at "
                                      f"{case['last_channel']}")
            a["module_layout"] = "torchvision MobileNetV2 (features.0 stem, features.1..17, features.18 head, classifier.1)"
    return a


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                                  "tests", "fixtures", "parity"))
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    torch.set_num_threads(1)  # reproducible float32 reductions
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)

    manifest_cases = []
    made = {}  # name -> dict(model, input, files)
    for idx, case in enumerate(case_list()):
        name = case["name"]
        gen = torch.Generator().manual_seed(SEED + 1000 * idx)
        torch.manual_seed(SEED + 1000 * idx)
        model = build(case)
        files = OrderedDict()

        # input
        if "share_with" in case:
            x = made[case["share_with"]]["input"]
            files["input"] = made[case["share_with"]]["files"]["input"]
        elif "input_from" in case:
            x = made[case["input_from"]]["input"]
            files["input"] = made[case["input_from"]]["files"]["input"]
        else:
            x = torch.randn((BATCH, case["channels"], case["spatial"], case["spatial"]), generator=gen)
            files["input"] = f"{name}.input.npy"
            save_npy(os.path.join(out, files["input"]), x.numpy())

        # weights
        gumbels, margin = None, None
        if "share_with" in case:
            src = made[case["share_with"]]["model"]
            model.load_state_dict(src.state_dict(), strict=True)
            model.eval()
        else:
            if case.get("gate"):
                # noise for the calibration pass, then noise well clear of every decision
                gumbels = rm.release_gumbel_noise(torch.rand((BATCH, 192, 2), generator=gen))
            randomize(model, x, gumbels, gen)
            if case.get("gate"):
                gumbels, margin = gate_gumbels(model, x, gen)

        with torch.no_grad():
            logits, gates = forward(model, x, gumbels)
            m64 = copy.deepcopy(model).double()
            logits64, gates64 = forward(m64, x.double(), None if gumbels is None else gumbels.double())
        if gates is not None:
            gates = gates.reshape(BATCH, 192)
            assert torch.equal(gates, gates64.reshape(BATCH, 192).float()), "gate decisions differ in float64"
            assert bool(((gates == 0) | (gates == 1)).all()), "gates not exactly 0/1"
            on = float(gates.mean())
            assert 0.15 < on < 0.85, f"gate fraction on {on} is trivial"
        max_abs = float(logits.abs().max())
        d64 = float((logits.double() - logits64).abs().max())
        assert d64 <= 0.05 * REL_TOL * max_abs, f"{name}: float32 vs float64 {d64} vs {max_abs}"
        assert float(logits.std()) > 0.1, f"{name}: logits nearly constant"

        files["expected_logits"] = f"{name}.logits.npy"
        save_npy(os.path.join(out, files["expected_logits"]), logits.numpy())
        if gumbels is not None:
            files["gumbel_noise"] = f"{name}.gumbels.npy"
            save_npy(os.path.join(out, files["gumbel_noise"]), gumbels.numpy())
            files["expected_gates"] = f"{name}.gates.npy"
            save_npy(os.path.join(out, files["expected_gates"]), gates.numpy())

        # checkpoints
        ckpt = OrderedDict()
        if case["family"] in ("resnet-dct", "mobilenetv2-dct"):
            if "share_with" in case:
                ckpt = made[case["share_with"]]["ckpt"]
            else:
                sd = nn.DataParallel(model).state_dict()
                assert all(k.startswith("module.") for k in sd)
                content = OrderedDict([("epoch", 1), ("state_dict", sd), ("best_prec1", 12.5)])
                ckpt["zip"] = OrderedDict([("file", f"{name}.zip.pth.tar"), ("serialization", "zip"),
                                           ("storage_location", "cpu"),
                                           ("entries", list(content.keys()))])
                with storage_location(None):
                    torch.save(content, os.path.join(out, ckpt["zip"]["file"]))
                if not case.get("extension"):
                    legacy = OrderedDict(content)
                    note = None
                    if name == "resnet-dct-24":
                        # a training checkpoint's optimizer state (SGD momentum buffers), to be ignored
                        m2 = copy.deepcopy(model).train()
                        opt = torch.optim.SGD(m2.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
                        out2, _ = forward(m2, x, gumbels)
                        nn.functional.cross_entropy(out2, torch.tensor([1, 2])).backward()
                        opt.step()
                        legacy["optimizer"] = opt.state_dict()
                        note = "also an 'optimizer' entry (torch.optim.SGD state_dict with momentum buffers): ignore it"
                    ckpt["legacy"] = OrderedDict([("file", f"{name}.legacy.pth.tar"),
                                                  ("serialization", "legacy (_use_new_zipfile_serialization=False)"),
                                                  ("storage_location", "cuda:0"),
                                                  ("entries", list(legacy.keys()))])
                    if note:
                        ckpt["legacy"]["note"] = note
                    with storage_location("cuda:0"):
                        torch.save(legacy, os.path.join(out, ckpt["legacy"]["file"]),
                                   _use_new_zipfile_serialization=False)
        else:
            ckpt["zip"] = OrderedDict([("file", f"{name}.pth"), ("serialization", "zip"),
                                       ("storage_location", "cpu"), ("entries", "bare state_dict (no prefix)")])
            torch.save(model.state_dict(), os.path.join(out, ckpt["zip"]["file"]))

        # round trip: every checkpoint file, loaded into a freshly built model, gives the same logits bit for bit
        for kind, info in ckpt.items():
            sd, obj = load_any(os.path.join(out, info["file"]))
            torch.manual_seed(12345)
            fresh = build(case)
            fresh.load_state_dict(sd, strict=True)
            fresh.eval()
            with torch.no_grad():
                l2, _ = forward(fresh, x, gumbels)
            assert torch.equal(l2, logits), f"{name}: {kind} round trip differs"
            fmt, prefix, globs = pickle_info(os.path.join(out, info["file"]))
            assert fmt == info["serialization"].split()[0], (fmt, info["serialization"])
            if prefix is not None:
                info["zip_record_prefix"] = prefix
            info["pickle_globals"] = globs
            info["tensors"] = len(sd)
            info["parameters"] = int(sum(v.numel() for k, v in sd.items() if not k.endswith("num_batches_tracked")
                                         and "running_" not in k))

        entry = OrderedDict()
        entry["name"] = name
        entry["family"] = case["family"]
        entry["reference_class"] = {
            "resnet-dct": "ResNetDCT_Upscaled_Static", "mobilenetv2-dct": "MobileNetV2DCT_Subset_woinp",
            "resnet-rgb": "torchvision.models.resnet.ResNet", "mobilenetv2-rgb": "torchvision.models.mobilenetv2.MobileNetV2",
        }[case["family"]]
        entry["full_size_equivalent"] = case["full"]
        if case.get("extension"):
            entry["extension"] = "not a release model; DctNet's rule for BasicBlock DCT ResNets (resnet18/34-dct)"
        entry["architecture"] = describe_arch(case, model)
        entry["checkpoints"] = list(ckpt.values())
        if "share_with" in case:
            entry["checkpoint_note"] = (f"the same files as {case['share_with']} (the layer2 stride has no weights): "
                                        "load them into the stride-2 model")
        entry["input"] = OrderedDict([("file", files["input"]), ("shape", list(x.shape)), ("dtype", "float32")])
        entry["expected_logits"] = OrderedDict([("file", files["expected_logits"]), ("shape", list(logits.shape)),
                                                ("dtype", "float32")])
        if gumbels is not None:
            entry["gumbel_noise"] = OrderedDict([
                ("file", files["gumbel_noise"]), ("shape", list(gumbels.shape)), ("dtype", "float32"),
                ("meaning", "g[n, c, k] added to gate logit k of channel c (k = 1 is 'on'); logit k of channel c is "
                            "output channel 2c+k of inp_GM.inp_gate_l. Drawn as the release does: "
                            "g = -log(1e-10 - log(u + 1e-10)), u ~ U(0,1)"),
                ("min_decision_margin", margin)])
            entry["expected_gates"] = OrderedDict([
                ("file", files["expected_gates"]), ("shape", list(gates.shape)), ("dtype", "float32"),
                ("meaning", "gate[n, c] = 1 if logit1 + g1 > logit0 + g0 else 0 (hard Gumbel-softmax, tau 1); "
                            "the gated input is x * gate[:, :, None, None]; must match exactly"),
                ("fraction_on", float(gates.mean()))])
        entry["stats"] = OrderedDict([("max_abs_logit", max_abs),
                                      ("float32_vs_float64_max_abs_diff", d64),
                                      ("tolerance_abs", REL_TOL * max_abs)])
        manifest_cases.append(entry)
        made[name] = dict(model=model, input=x, files=files, ckpt=ckpt)
        print(f"{name:22s} logits max|.| {max_abs:9.4f}  f32-f64 {d64:.2e}"
              + (f"  gates on {float(gates.mean()):.2f} margin {margin:.3f}" if gates is not None else ""))

    manifest = OrderedDict()
    manifest["schema"] = "dctnet-parity/1"
    manifest["generator"] = "tools/parity/make_fixtures.py"
    manifest["regenerate"] = "/usr/bin/python3 tools/parity/make_fixtures.py"
    manifest["versions"] = OrderedDict([("torch", torch.__version__), ("torchvision", torchvision.__version__),
                                        ("numpy", np.__version__), ("python", sys.version.split()[0])])
    manifest["seed"] = SEED
    manifest["tolerance"] = OrderedDict([
        ("rule", "max |actual - expected| <= rel * max |expected| over all logits of a case"),
        ("rel", REL_TOL),
        ("gates", "exact equality (0/1)")])
    manifest["conventions"] = OrderedDict([
        ("paths", "relative to tests/fixtures/parity"),
        ("npy", "NumPy .npy 1.0, float32, little endian, C order"),
        ("input", "N x C x H x W, fed to the model as is (DCT cases: already normalized coefficients)"),
        ("mode", "eval (BatchNorm uses running statistics, eps 1e-5); float32 on CPU, 1 thread"),
        ("dct_checkpoint_layout", "torch.save dict {'epoch': 1, 'state_dict': DataParallel state_dict (every key "
                                  "'module.'-prefixed, an OrderedDict), 'best_prec1': 12.5} as the release's "
                                  "model_best.pth.tar; legacy files tag storages 'cuda:0' as the release's "
                                  "GPU-saved files do (torch.load needs map_location='cpu')"),
        ("rgb_checkpoint_layout", "bare torchvision state_dict, zip serialization"),
        ("bn", "weights U(0.5,1.5), biases N(0,0.2), running stats calibrated on the input then perturbed "
               "(mean + N(0,0.3)*std, var * U(0.5,2)); num_batches_tracked random in [1000, 100000)"),
    ])
    manifest["reduced_configs"] = OrderedDict([
        ("resnet", f"torchvision ResNet classes at base width {RESNET_BASE} (stage planes "
                   f"{[RESNET_BASE * k for k in (1, 2, 4, 8)]}), layers {RESNET_LAYERS}: full size is base 64, "
                   "[3,4,6,3] (50), [2,2,2,2] (18, BasicBlock), [3,4,6,3] (34, BasicBlock), [3,4,23,3] (101)"),
        ("mobilenetv2", f"width_mult {MBV2_WIDTH}, last_channel {MBV2_LAST}: full size is width 1.0, last 1280"),
        ("classes", f"{CLASSES} (full size 1000)"),
    ])
    manifest["cases"] = manifest_cases
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(out, p)) for p in os.listdir(out))
    print(f"wrote {len(os.listdir(out))} files, {total/1e6:.2f} MB, to {out}")


if __name__ == "__main__":
    main()
