"""Check tests/fixtures/parity/ with PyTorch, rebuilding every model from the
manifest's architecture fields alone (so the manifest is shown to be a complete
description), loading each checkpoint file as a user would (torch.load with
map_location='cpu', 'module.' stripped, strict load_state_dict) and comparing
the logits (and gates) with the expected ones under the manifest's tolerance.

    /usr/bin/python3 tools/parity/check_fixtures.py [--dir tests/fixtures/parity]

Also usable on files DctNet writes:
    --case NAME --checkpoint FILE   load FILE (e.g. DctNet's PyTorch export) into
                                    the case's reference model; compare logits
    --case NAME --logits FILE.npy   compare logits DctNet computed (e.g.
                                    `dctnet predict --input-tensor ... --logits`)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import OrderedDict

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_models as rm  # noqa: E402
from make_fixtures import pickle_info  # noqa: E402


def build_from_manifest(case):
    a = case["architecture"]
    f = case["family"]
    if f == "resnet-dct":
        return rm.ResNetDCT_Upscaled_Static(a["in_channels"], a["block"], a["layers"], a["base_width"],
                                            a["layer2_stride"], a["num_classes"], a["input_gate"])
    if f == "mobilenetv2-dct":
        return rm.MobileNetV2DCT_Subset_woinp(a["in_channels"], a["num_classes"], a["width_mult"], a["input_gate"],
                                              pool_kernel=a["final_spatial"], last_channel=a["last_channel"])
    if f == "resnet-rgb":
        return rm.build_resnet(a["block"], a["layers"], a["base_width"], a["num_classes"])
    if f == "mobilenetv2-rgb":
        return rm.build_mobilenet_v2_rgb(a["width_mult"], a["num_classes"], a["last_channel"])
    raise ValueError(f)


def load_state_dict_file(path, locations=None):
    def record(storage, location):
        if locations is not None:
            locations.add(location)
        return storage
    obj = torch.load(path, map_location=record)
    if isinstance(obj, dict):
        for key in ("state_dict", "model"):
            if key in obj and isinstance(obj[key], dict):
                obj = obj[key]
                break
    return OrderedDict((k[7:] if k.startswith("module.") else k, v) for k, v in obj.items())


def within(actual, expected, rel):
    diff = float(np.abs(actual.astype(np.float64) - expected.astype(np.float64)).max())
    bound = rel * float(np.abs(expected).max())
    return diff <= bound, diff, bound


def run_case(d, case, rel, checkpoint=None):
    torch.manual_seed(0)
    model = build_from_manifest(case).eval()
    x = torch.from_numpy(np.load(os.path.join(d, case["input"]["file"])))
    assert list(x.shape) == case["input"]["shape"]
    expected = np.load(os.path.join(d, case["expected_logits"]["file"]))
    g = None
    if "gumbel_noise" in case:
        g = torch.from_numpy(np.load(os.path.join(d, case["gumbel_noise"]["file"])))
        gates_exp = np.load(os.path.join(d, case["expected_gates"]["file"]))
    files = [checkpoint] if checkpoint else [os.path.join(d, c["file"]) for c in case["checkpoints"]]
    infos = [None] if checkpoint else case["checkpoints"]
    ok = True
    for path, info in zip(files, infos):
        locs = set()
        sd = load_state_dict_file(path, locs)
        model.load_state_dict(sd, strict=True)
        with torch.no_grad():
            if g is not None:
                logits, gates = model(x, g)
            else:
                logits, gates = model(x), None
        good, diff, bound = within(logits.numpy(), expected, rel)
        msg = f"max|diff| {diff:.2e} <= {bound:.2e}"
        if gates is not None:
            same = np.array_equal(gates.reshape(gates.shape[0], -1).numpy(), gates_exp)
            good &= same
            msg += f", gates {'equal' if same else 'DIFFER'}"
        if info is not None:
            fmt, prefix, globs = pickle_info(path)
            if fmt != info["serialization"].split()[0] or sorted(locs) != [info["storage_location"]] \
                    or globs != info["pickle_globals"]:
                good = False
                msg += f", format/locations/globals {fmt} {sorted(locs)} {globs} disagree with the manifest"
        print(f"  {'ok ' if good else 'BAD'} {case['name']:22s} {os.path.basename(path):36s} {msg}")
        ok &= good
    return ok


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=os.path.join(here, "..", "..", "tests", "fixtures", "parity"))
    ap.add_argument("--case")
    ap.add_argument("--checkpoint")
    ap.add_argument("--logits")
    args = ap.parse_args()
    d = os.path.abspath(args.dir)
    with open(os.path.join(d, "manifest.json")) as f:
        manifest = json.load(f)
    rel = manifest["tolerance"]["rel"]
    cases = {c["name"]: c for c in manifest["cases"]}
    if args.case and args.case not in cases:
        sys.exit(f"unknown case {args.case}; cases: {', '.join(cases)}")
    if args.logits:
        if not args.case:
            sys.exit("--logits needs --case")
        c = cases[args.case]
        good, diff, bound = within(np.load(args.logits), np.load(os.path.join(d, c["expected_logits"]["file"])), rel)
        print(f"{'ok' if good else 'FAIL'}: max|diff| {diff:.3e}, bound {bound:.3e}")
        sys.exit(0 if good else 1)
    torch.set_num_threads(1)
    selected = [cases[args.case]] if args.case else manifest["cases"]
    ok = all([run_case(d, c, rel, args.checkpoint) for c in selected])
    print("all fixtures check" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
