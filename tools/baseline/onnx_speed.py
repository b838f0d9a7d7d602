#!/usr/bin/python3
"""DctNet's ONNX Runtime engine against ONNX Runtime on the graph torch.onnx.export writes, side by side.

    /usr/bin/python3 tools/baseline/onnx_speed.py [--models resnet50-dct,mobilenetv2] [--rounds 3]
        [--batch-size 16] [--threads 2] [--batches 5] [--dctnet PATH] [--out DIR] [--export-only]

The baseline of the issue: `dctnet bench model --engine onnxruntime` runs at least as fast as ONNX Runtime on
the graph that torch.onnx.export (Debian's python3-torch 1.13) writes for the same model, measured side by side
with the same threads, batch and input, and faster than DctNet's torch engine.

1. Export: each model is built at full size exactly as tools/baseline/model_speed.py builds it (the release's
   module layout from tools/parity/reference_models.py, or torchvision's), random weights, eval mode, and
   torch.onnx.export writes OUT/torch-<model>.onnx: opset 17, input 'input' [batch, C, H, W], output 'logits'
   [batch, 1000], batch a dynamic axis, do_constant_folding=True, training=TrainingMode.EVAL (torch then folds
   every BatchNorm into its convolution). Inputs: DCT ResNets 24x56x56, mobilenetv2-dct 24x112x112, RGB
   3x224x224. Each file is then checked with tools/onnx/check_model.py --torch-graph (onnx.checker full_check).
2. Timing: for each model, R rounds, the three commands interleaved (their order rotated each round):
       dctnet bench onnx OUT/torch-M.onnx                                ONNX Runtime on torch's graph
       dctnet bench model --model M [--channels 24] --engine onnxruntime  DctNet's own export on ONNX Runtime
       dctnet bench model --model M [--channels 24] --engine torch        DctNet's libtorch engine
   all with the same --batch-size, --threads and --batches; all three use the same harness (random input of the
   graph's shape, two warm-up passes, best of --batches passes, '<number> images/s'), so the only difference
   between the first two is the graph. The best of the rounds is reported for each.
3. A markdown table with both ratios, under a header with the machine (lscpu, nproc, caches), the date and
   the exact commands. Run it on a quiet machine (`uptime`); the load average is printed at start and end.
"""
import argparse
import datetime
import os
import re
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "onnx"))

DCT_MODELS = ("resnet50-dct", "resnet50-dct-s2", "mobilenetv2-dct")
ALL_MODELS = ("resnet50-dct", "resnet50-dct-s2", "resnet50", "mobilenetv2-dct", "mobilenetv2")
IMAGES_PER_S = re.compile(r"([0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)\s*images/s")
COLUMNS = ("torch-export-ort", "dctnet-ort", "dctnet-torch")


def graph_path(out, model):
    return os.path.join(out, "torch-%s.onnx" % model)


def export(model_name, channels, out, threads):
    """torch.onnx.export of the model model_speed.py builds; returns (path, input shape, seconds)."""
    import torch
    import model_speed  # tools/baseline/model_speed.py: the same construction as the PyTorch baseline

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model, shape = model_speed.build(model_name, channels)
    model.eval()
    path = graph_path(out, model_name)
    start = time.perf_counter()
    with torch.no_grad():
        torch.onnx.export(model, torch.randn(1, *shape), path, opset_version=17,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                          do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)
    return path, shape, time.perf_counter() - start


def bench_commands(args, model):
    common = ["--batch-size", str(args.batch_size), "--threads", str(args.threads), "--batches", str(args.batches)]
    chans = ["--channels", str(args.channels)] if model in DCT_MODELS else []
    return {
        "torch-export-ort": [args.dctnet, "bench", "onnx", graph_path(args.out, model)] + common,
        "dctnet-ort": [args.dctnet, "bench", "model", "--model", model] + chans + ["--engine", "onnxruntime"] + common,
        "dctnet-torch": [args.dctnet, "bench", "model", "--model", model] + chans + ["--engine", "torch"] + common,
    }


def run_bench(cmd, timeout):
    """images/s from the last '<number> images/s' the command prints, or (None, reason)."""
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return None, "timed out after %d s" % timeout
    except OSError as e:
        return None, str(e)
    found = IMAGES_PER_S.findall(p.stdout)
    if p.returncode != 0 or not found:
        tail = " | ".join(p.stdout.strip().splitlines()[-3:])
        return None, "exit %d: %s" % (p.returncode, tail[:300])
    return float(found[-1]), None


def machine_header():
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout.strip()
        except OSError:
            return ""
    model = next((l.split(":", 1)[1].strip() for l in sh("lscpu").splitlines() if l.startswith("Model name")), "?")
    caches = [l.split() for l in sh("getconf -a | grep CACHE").splitlines()]
    caches = ", ".join("%s=%s" % (c[0], c[1]) for c in caches if len(c) == 2 and c[1] not in ("0",))
    return ["- CPU: %s; nproc %s" % (model, sh("nproc")),
            "- caches (getconf -a | grep CACHE, non-zero): %s" % (caches or "?"),
            "- date: %s" % datetime.datetime.now().astimezone().isoformat(timespec="seconds")]


def loadavg():
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dctnet", default=os.path.join(ROOT, "src/DctNet.Cli/bin/Release/net10.0/dctnet"))
    ap.add_argument("--out", default="/tmp/dctnet-onnx-baseline", help="where the torch graphs go")
    ap.add_argument("--models", default=",".join(ALL_MODELS), help="comma-separated, from: " + ", ".join(ALL_MODELS))
    ap.add_argument("--channels", type=int, default=24, help="DCT models' channels (the issue: 24)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batches", type=int, default=5)
    ap.add_argument("--timeout", type=int, default=900, help="seconds per bench command")
    ap.add_argument("--export-only", action="store_true", help="only write (and check) the torch graphs")
    args = ap.parse_args()
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    bad = [m for m in models if m not in ALL_MODELS]
    if bad or not models or min(args.rounds, args.batch_size, args.threads, args.batches) < 1:
        ap.error("unknown models %s (known: %s) or a count below 1" % (bad, ", ".join(ALL_MODELS)))
    os.makedirs(args.out, exist_ok=True)

    import torch
    import check_model  # tools/onnx/check_model.py: onnx.checker full_check and the graph's contract
    print("# torch.onnx.export graphs (torch %s), %s" % (torch.__version__, args.out), flush=True)
    failed = False
    for m in models:
        path, shape, secs = export(m, args.channels, args.out, args.threads)
        try:
            summary = "ok (%s)" % check_model.check(path, torch_graph=True)
        except Exception as e:
            summary, failed = "FAIL: %s" % e, True
        print("- %s: input %s, %.1f MB, exported in %.1f s; check_model --torch-graph %s"
              % (path, "x".join(map(str, shape)), os.path.getsize(path) / 1e6, secs, summary), flush=True)
    if args.export_only:
        return 1 if failed else 0
    if not os.access(args.dctnet, os.X_OK):
        sys.exit("no dctnet at %s (dotnet build DctNet.slnx -c Release, or --dctnet PATH)" % args.dctnet)

    load_start = loadavg()
    best = {m: {c: None for c in COLUMNS} for m in models}
    errors = []
    for m in models:
        cmds = bench_commands(args, m)
        for r in range(args.rounds):
            order = COLUMNS[r % 3:] + COLUMNS[:r % 3]
            for col in order:
                value, err = run_bench(cmds[col], args.timeout)
                print("  %s round %d %-16s %s" % (m, r + 1, col, "%.2f images/s" % value if value else err), flush=True)
                if value is None:
                    errors.append("%s %s: %s" % (m, col, err))
                elif best[m][col] is None or value > best[m][col]:
                    best[m][col] = value

    def num(v):
        return "%.2f" % v if v else "n/a"

    def ratio(a, b):
        return "%.3f" % (a / b) if a and b else "n/a"

    print()
    print("## ONNX Runtime: DctNet's graph vs torch.onnx.export's graph, and DctNet's torch engine")
    print()
    print("\n".join(machine_header()))
    print("- load average: %s at start, %s at end" % (load_start, loadavg()))
    print("- torch %s (export), batch %d, %d threads, best of %d passes, best of %d interleaved rounds, images/s"
          % (torch.__version__, args.batch_size, args.threads, args.batches, args.rounds))
    print("- commands (from %s):" % ROOT)
    print("  - `/usr/bin/python3 %s`" % " ".join(shlex.quote(a) for a in [os.path.relpath(os.path.abspath(__file__), ROOT)] + sys.argv[1:]))
    for m in models:
        for col, cmd in bench_commands(args, m).items():
            print("  - %s: `%s`" % (col, " ".join(shlex.quote(a) for a in cmd)))
    print()
    print("| model | torch.onnx.export graph on ORT | DctNet onnxruntime engine | DctNet torch engine "
          "| ratio dctnet-ort / torch-export-ort | ratio dctnet-ort / dctnet-torch |")
    print("|---|---:|---:|---:|---:|---:|")
    for m in models:
        b = best[m]
        label = "%s (%d ch)" % (m, args.channels) if m in DCT_MODELS else m
        print("| %s | %s | %s | %s | %s | %s |" % (label, num(b["torch-export-ort"]), num(b["dctnet-ort"]), num(b["dctnet-torch"]),
                                                  ratio(b["dctnet-ort"], b["torch-export-ort"]), ratio(b["dctnet-ort"], b["dctnet-torch"])))
    if errors:
        print()
        print("errors:")
        for e in errors:
            print("- " + e)
    return 1 if failed or errors else 0


if __name__ == "__main__":
    sys.exit(main())
