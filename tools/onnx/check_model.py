#!/usr/bin/python3
"""Checks ONNX files that `dctnet export` writes: the independent oracle.

    /usr/bin/python3 tools/onnx/check_model.py FILE.onnx [FILE ...]
    /usr/bin/python3 tools/onnx/check_model.py --torch-graph FILE.onnx    # any classifier graph, no dctnet.* checks

Nothing here comes from DctNet's code: the file is read by Debian's python3-onnx (1.12), the ONNX project's own
reader, checker and shape inference, and compared with the contract DctNet documents for its exports:

  * `onnx.checker.check_model(model, full_check=True)`: the protobuf, every node against its operator schema at
    the declared opset, and strict shape and type inference over the whole graph;
  * opset 17 for the default domain (no other domains), IR version 8;
  * input `input`: float32, 4 dims, the first a dim_param (the free batch); output `logits`: float32, 2 dims, the
    first a dim_param; no other graph input, except `gumbel_noise` (float32 [dim_param, 192, 2], with an
    initializer of zeros of the same name as its default) in gated models;
  * metadata_props: dctnet.version (1), dctnet.model, dctnet.classes (a positive integer), dctnet.pipeline
    (dct | jpeg | rgb: the exact or the JPEG-domain DCT pipeline, or RGB), dctnet.resize and dctnet.crop (positive integers), dctnet.gate (none | argmax, `argmax` if and only
    if the graph has `gumbel_noise`), dctnet.preprocessing (prose); dctnet.channels and dctnet.channels.y/.cb/.cr
    (JSON arrays of coefficient indices 0..63) when, and only when, the pipeline is dct or jpeg, with as many indices in all
    as the input has channels; dctnet.mean and dctnet.std optional, both or neither, JSON arrays of one finite value
    per input channel, the std positive; an rgb input has 3 channels and is crop x crop, a dct input crop/8 x crop/8;
  * the number of classes: the declared shape of `logits` is removed from a copy of the model and shape inference
    run again, and the second dim it infers from the graph itself must be the integer dctnet.classes (and agree
    with the declared one).

It prints one line per file, `ok FILE (opset 17, N nodes, M initializers, ops: Conv x53, ...)` or
`FAIL FILE: reason`, and exits 0 if every file is ok, 1 if one is not, 2 on a usage error. --torch-graph skips the
dctnet.* checks (metadata, classes, the input contract's channel counts) and says so on its line: it is for the
graphs torch.onnx.export writes (tools/baseline/onnx_speed.py). It does not run the graph (there is no onnxruntime
for Debian's python3); numerical agreement is the parity tests' job.
"""
import argparse
import collections
import json
import math
import sys

import onnx
from onnx import TensorProto, numpy_helper, shape_inference

OPSET = 17
IR_VERSION = 8
CONTRACT_VERSION = "1"
REQUIRED_KEYS = ["dctnet.version", "dctnet.model", "dctnet.classes", "dctnet.pipeline", "dctnet.resize",
                 "dctnet.crop", "dctnet.gate", "dctnet.preprocessing"]
CHANNEL_KEYS = ["dctnet.channels", "dctnet.channels.y", "dctnet.channels.cb", "dctnet.channels.cr"]


class CheckError(Exception):
    pass


def dims(value_info):
    """The dims of a tensor value_info: int, 'name' (dim_param) or None (unknown); None if it has no shape."""
    t = value_info.type.tensor_type
    if not t.HasField("shape"):
        return None
    out = []
    for d in t.shape.dim:
        if d.HasField("dim_value"):
            out.append(d.dim_value)
        elif d.HasField("dim_param"):
            out.append(d.dim_param)
        else:
            out.append(None)
    return out


def fmt(ds):
    return "[" + ", ".join("?" if d is None else str(d) for d in ds) + "]" if ds is not None else "(no shape)"


def elem_type(value_info):
    return TensorProto.DataType.Name(value_info.type.tensor_type.elem_type)


def positive_int(meta, key):
    value = meta[key]
    if not value.isdigit() or int(value) < 1:
        raise CheckError(f"metadata {key} must be a positive integer, got {value!r}")
    return int(value)


def json_array(meta, key):
    try:
        value = json.loads(meta[key])
    except ValueError:
        raise CheckError(f"metadata {key} is not JSON: {meta[key][:60]!r}")
    if not isinstance(value, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        raise CheckError(f"metadata {key} is not a JSON array of numbers: {meta[key][:60]!r}")
    return value


def inferred_logits_dims(model):
    """Shape inference on a copy whose `logits` has no declared shape: what the graph itself computes (with data
    propagation, so that a Reshape to [Gather(Shape(x), 0), -1] keeps its classes)."""
    bare = onnx.ModelProto()
    bare.CopyFrom(model)
    for o in bare.graph.output:
        if o.name == "logits":
            o.type.tensor_type.ClearField("shape")
    inferred = shape_inference.infer_shapes(bare, check_type=True, strict_mode=True, data_prop=True)
    for o in inferred.graph.output:
        if o.name == "logits":
            return dims(o)
    return None


def check(path, torch_graph=False):
    """Returns the summary of a good file; raises CheckError (or an onnx error) otherwise."""
    model = onnx.load(path)
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as e:  # ValidationError, InferenceError
        raise CheckError(f"onnx.checker (full_check): {type(e).__name__}: {str(e).strip().splitlines()[0][:300]}")

    opsets = {o.domain: o.version for o in model.opset_import}
    default = opsets.get("", opsets.get("ai.onnx"))
    if default != OPSET:
        raise CheckError(f"default-domain opset is {default}, expected {OPSET}")
    others = sorted(d for d in opsets if d not in ("", "ai.onnx"))
    if others:
        raise CheckError(f"opsets of other domains: {others}")
    if model.ir_version != IR_VERSION:
        raise CheckError(f"ir_version is {model.ir_version}, expected {IR_VERSION}")

    g = model.graph
    inits = {i.name: i for i in g.initializer}
    inputs = {i.name: i for i in g.input}
    outputs = {o.name: o for o in g.output}
    if "input" not in inputs:
        raise CheckError(f"no graph input 'input' (inputs: {list(inputs)})")
    if "logits" not in outputs:
        raise CheckError(f"no graph output 'logits' (outputs: {list(outputs)})")
    if g.input[0].name != "input":
        raise CheckError(f"the first graph input is {g.input[0].name!r}, not 'input'")
    x, y = inputs["input"], outputs["logits"]
    xd, yd = dims(x), dims(y)
    if elem_type(x) != "FLOAT" or elem_type(y) != "FLOAT":
        raise CheckError(f"input is {elem_type(x)}, logits {elem_type(y)}; both must be FLOAT")
    if xd is None or len(xd) != 4 or not isinstance(xd[0], str):
        raise CheckError(f"input must have 4 dims, the first a dim_param; it has {fmt(xd)}")
    if yd is None or len(yd) != 2 or not isinstance(yd[0], str):
        raise CheckError(f"logits must have 2 dims, the first a dim_param; it has {fmt(yd)}")
    gated = "gumbel_noise" in inputs
    extra = [n for n in inputs if n not in ("input", "gumbel_noise") and n not in inits]
    if extra:
        raise CheckError(f"graph inputs beyond 'input' (and 'gumbel_noise'): {extra}")
    if gated:
        gd = dims(inputs["gumbel_noise"])
        if elem_type(inputs["gumbel_noise"]) != "FLOAT" or gd is None or len(gd) != 3 or not isinstance(gd[0], str) \
                or gd[1:] != [192, 2]:
            raise CheckError(f"gumbel_noise must be FLOAT [dim_param, 192, 2], it is {elem_type(inputs['gumbel_noise'])} {fmt(gd)}")
        if "gumbel_noise" not in inits:
            raise CheckError("gumbel_noise has no initializer (its default)")
        default_noise = numpy_helper.to_array(inits["gumbel_noise"])
        if default_noise.ndim != 3 or list(default_noise.shape[1:]) != [192, 2] or (default_noise != 0).any():
            raise CheckError(f"gumbel_noise's initializer must be zeros of shape [n, 192, 2], is {list(default_noise.shape)}")

    inferred = inferred_logits_dims(model)
    if inferred is None or len(inferred) != 2:
        raise CheckError(f"shape inference gives logits {fmt(inferred)}, not 2 dims")
    if isinstance(inferred[1], int) and isinstance(yd[1], int) and inferred[1] != yd[1]:
        raise CheckError(f"logits is declared {fmt(yd)}, shape inference gives {fmt(inferred)}")

    notes = []
    if torch_graph:
        notes.append("torch graph: dctnet.* metadata and class checks skipped")
    else:
        meta = {p.key: p.value for p in model.metadata_props}
        missing = [k for k in REQUIRED_KEYS if k not in meta]
        if missing:
            raise CheckError(f"metadata_props lacks {', '.join(missing)}")
        if meta["dctnet.version"] != CONTRACT_VERSION:
            raise CheckError(f"dctnet.version is {meta['dctnet.version']!r}, this checker knows {CONTRACT_VERSION!r}")
        if not meta["dctnet.model"].strip() or not meta["dctnet.preprocessing"].strip():
            raise CheckError("dctnet.model or dctnet.preprocessing is empty")
        classes = positive_int(meta, "dctnet.classes")
        resize, crop = positive_int(meta, "dctnet.resize"), positive_int(meta, "dctnet.crop")
        pipeline = meta["dctnet.pipeline"]
        if pipeline not in ("dct", "jpeg", "rgb"):
            raise CheckError(f"dctnet.pipeline is {pipeline!r}, not dct, jpeg or rgb")
        if meta["dctnet.gate"] not in ("none", "argmax"):
            raise CheckError(f"dctnet.gate is {meta['dctnet.gate']!r}, not none or argmax")
        if (meta["dctnet.gate"] == "argmax") != gated:
            raise CheckError(f"dctnet.gate is {meta['dctnet.gate']} but the graph {'has' if gated else 'has no'} gumbel_noise input")
        channels = xd[1]
        if pipeline in ("dct", "jpeg"):
            missing = [k for k in CHANNEL_KEYS if k not in meta]
            if missing:
                raise CheckError(f"{pipeline} pipeline without {', '.join(missing)}")
            lists = [json_array(meta, k) for k in CHANNEL_KEYS[1:]]
            for key, lst in zip(CHANNEL_KEYS[1:], lists):
                if not all(isinstance(v, int) and 0 <= v < 64 for v in lst) or len(set(lst)) != len(lst):
                    raise CheckError(f"{key} must hold distinct coefficient indices 0..63, got {lst}")
            count = sum(len(lst) for lst in lists)
            if count != channels:
                raise CheckError(f"dctnet.channels.y/.cb/.cr list {count} channels, the input has {channels}")
            if crop % 8 != 0 or xd[2:] != [crop // 8, crop // 8]:
                raise CheckError(f"dct input must be [N, C, {crop // 8}, {crop // 8}] (dctnet.crop / 8 blocks), it is {fmt(xd)}")
            notes.append(f"{pipeline} {meta['dctnet.channels']}: {len(lists[0])}+{len(lists[1])}+{len(lists[2])} channels")
        else:
            present = [k for k in CHANNEL_KEYS if k in meta]
            if present:
                raise CheckError(f"rgb pipeline with {', '.join(present)}")
            if xd[1:] != [3, crop, crop]:
                raise CheckError(f"rgb input must be [N, 3, {crop}, {crop}] (dctnet.crop), it is {fmt(xd)}")
            notes.append("rgb")
        if ("dctnet.mean" in meta) != ("dctnet.std" in meta):
            raise CheckError("one of dctnet.mean and dctnet.std without the other")
        if "dctnet.mean" in meta:
            mean, std = json_array(meta, "dctnet.mean"), json_array(meta, "dctnet.std")
            if len(mean) != channels or len(std) != channels:
                raise CheckError(f"dctnet.mean/std have {len(mean)}/{len(std)} values, the input has {channels} channels")
            if not all(math.isfinite(m) for m in mean) or not all(math.isfinite(s) and s > 0 for s in std):
                raise CheckError("dctnet.mean/std must be finite, std positive")
            notes.append("mean/std")
        if inferred[1] != classes:
            raise CheckError(f"shape inference gives logits {fmt(inferred)}, dctnet.classes is {classes}")
        if yd[1] != classes:
            raise CheckError(f"logits is declared {fmt(yd)}, dctnet.classes is {classes}")
        notes.append(f"resize {resize} crop {crop}, gate {meta['dctnet.gate']}, {classes} classes")

    ops = collections.Counter(n.op_type for n in g.node)
    op_list = ", ".join(f"{op} x{n}" for op, n in sorted(ops.items(), key=lambda kv: (-kv[1], kv[0])))
    return (f"opset {default}, {len(g.node)} nodes, {len(g.initializer)} initializers, IR {model.ir_version}, "
            f"input {fmt(xd)}, logits {fmt(yd)}, {'; '.join(notes)}, ops: {op_list}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*", metavar="FILE.onnx")
    ap.add_argument("--torch-graph", action="store_true",
                    help="a graph from torch.onnx.export: skip the dctnet.* metadata and class checks")
    args = ap.parse_args(argv)
    if not args.files:
        ap.print_usage(sys.stderr)
        print("check_model.py: error: give at least one ONNX file", file=sys.stderr)
        return 2
    failed = 0
    for path in args.files:
        try:
            print(f"ok {path} ({check(path, args.torch_graph)})", flush=True)
        except Exception as e:  # CheckError, a file that does not parse, an unreadable file
            failed += 1
            msg = str(e) if isinstance(e, CheckError) else f"{type(e).__name__}: {str(e).strip()[:300]}"
            print(f"FAIL {path}: {msg}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
