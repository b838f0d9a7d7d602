#!/usr/bin/python3
"""Write the checkpoint fixtures of DctNet's tests with the real PyTorch.

    /usr/bin/python3 tools/checkpoint_fixtures/make_checkpoints.py     # from the repo root

Deletes and rewrites tests/fixtures/checkpoints/ (see README.md beside this file).
Every .pth file is written by torch.save itself - the oracle of the C# reader and
writer - and every expected value comes from the tensors torch.save was given,
as .npy files (bfloat16 as its raw 16-bit pattern, which NumPy cannot hold).
"""
import argparse
import collections
import json
import os
import pickle
import shutil
import struct
import sys

import numpy as np
import torch

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(REPO, "tests", "fixtures", "checkpoints")

# The command that the malicious fixtures would run if a loader executed them.
PWNED_MARKER = "/tmp/dctnet_pwned"
PWNED_COMMAND = "touch " + PWNED_MARKER

NPY_VIEW_OF = {torch.bfloat16: torch.int16}  # NumPy has no bfloat16: keep the bits


# --------------------------------------------------------------------------
# the state dicts
# --------------------------------------------------------------------------
def dtype_state_dict():
    """A few tensors of every supported dtype, views into bigger storages, a 0-d and an empty tensor."""
    g = torch.Generator().manual_seed(20240611)
    sd = collections.OrderedDict()
    sd["conv.weight"] = torch.randn(4, 3, 3, 3, generator=g)
    sd["conv.bias"] = torch.randn(4, generator=g)
    sd["bn.weight"] = torch.rand(4, generator=g) + 0.5
    sd["bn.bias"] = torch.randn(4, generator=g)
    sd["bn.running_mean"] = torch.randn(4, generator=g)
    sd["bn.running_var"] = torch.rand(4, generator=g) + 0.1
    sd["bn.num_batches_tracked"] = torch.tensor(7, dtype=torch.int64)  # 0-d, as BatchNorm keeps it
    # Special values must survive bit for bit.
    sd["special.float32"] = torch.tensor([float("inf"), -0.0, float("nan"), 1e-45, -3.4028235e38])
    sd["special.float64"] = torch.tensor([1.0 / 3.0, -2.0 ** -1074, float("-inf")], dtype=torch.float64)
    sd["special.float16"] = torch.tensor([65504.0, -0.0, 6e-8, float("inf"), 0.333], dtype=torch.float16)
    sd["special.bfloat16"] = torch.tensor([[1.0, -2.5, 3.0e38], [1e-38, 0.1, -0.0]], dtype=torch.bfloat16)
    sd["int.int64"] = torch.tensor([-(2 ** 63), 2 ** 63 - 1, 0, 123456789012], dtype=torch.int64)
    sd["int.int32"] = torch.tensor([[-(2 ** 31), 2 ** 31 - 1], [7, -7]], dtype=torch.int32)
    sd["int.int16"] = torch.tensor([-32768, 32767, 5], dtype=torch.int16)
    sd["int.int8"] = torch.tensor([-128, 127, -1, 0], dtype=torch.int8)
    sd["int.uint8"] = torch.tensor([0, 255, 128, 1], dtype=torch.uint8)
    sd["mask.bool"] = torch.tensor([True, False, False, True, True])
    sd["scalar.float32"] = torch.tensor(3.25)
    sd["empty.float32"] = torch.zeros(0, 3)
    # Views: torch.save writes the whole storage once; the tensor is (offset, shape, strides) into it.
    base = torch.arange(60, dtype=torch.float32).reshape(6, 10)
    sd["view.base"] = base
    sd["view.strided"] = base[1:5:2, 2:9:3]  # offset 12, strides (20, 3): shares view.base's storage
    sd["view.transposed"] = (torch.arange(12, dtype=torch.float32) * 0.5).reshape(3, 4).t()
    sd["view.offset"] = torch.arange(10, dtype=torch.int64)[3:8]  # storage of 10, offset 3
    sd["view.expanded"] = torch.tensor([1.5, -2.5]).reshape(2, 1).expand(2, 3)  # stride 0
    return sd


class SmallNet(torch.nn.Module):
    """The module that tests/DctNet.Tests/Checkpoints rebuilds in TorchSharp (same names and shapes)."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(4)
        self.fc = torch.nn.Linear(4, 5)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv(x)))
        return self.fc(x.mean(dim=(2, 3)))


def trained_small_net():
    """A SmallNet after a few SGD steps: real momentum buffers and non-trivial BatchNorm statistics."""
    torch.manual_seed(7)
    net = SmallNet()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    net.train()
    for _ in range(3):
        x = torch.randn(8, 3, 6, 6) * 2 + 0.5
        loss = torch.nn.functional.cross_entropy(net(x), torch.randint(0, 5, (8,)))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return net, optimizer


def release_checkpoint(net, optimizer):
    """The layout of the release's model_best.pth.tar, with DataParallel's 'module.' prefix."""
    parallel = torch.nn.DataParallel(net)  # on a CPU-only machine this only wraps, as the prefix needs
    return {
        "epoch": 3,
        "arch": "resnet50",
        "state_dict": parallel.state_dict(),
        "best_prec1": torch.tensor(76.1),
        # Plain entries that make the pickle use BININT, LONG1 (beyond 32 bits) and, with the 300 memoized
        # strings before the optimizer's, LONG_BINPUT and LONG_BINGET (memo slots above 255).
        "iterations": 1234567,
        "patience": -1,
        "seed": 2 ** 40 + 3,
        "log": ["epoch %d" % i for i in range(300)],
        "note": None,
        "optimizer": optimizer.state_dict(),
    }


def mmcv_checkpoint(net, optimizer):
    """The layout mmcv's save_checkpoint gives the release's detection checkpoints (latest.pth): meta, state_dict, optimizer."""
    return {
        "meta": {"mmdet_version": "1.0rc0+d3ca926", "config": "model = dict(type='MaskRCNN')\n" * 40,
                 "CLASSES": ("person", "bicycle", "car"), "epoch": 12, "iter": 87960, "time": "Tue Oct 29 14:55:38 2019"},
        "state_dict": collections.OrderedDict(net.state_dict()),
        "optimizer": optimizer.state_dict(),
    }


# Python values whose pickles exercise every opcode the C# unpickler implements; its tests restate them.
PLAIN_VALUES = {
    "ints": [0, 255, 256, 65535, 65536, -1, -(2 ** 31), 2 ** 31, 2 ** 63 - 1, -(2 ** 63), 2 ** 64],
    "floats": [0.1, -2.5e-300, float("inf")],
    "text": "caf\u00e9 \u4e2d",
    "tuples": [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)],
    "flags": [True, False, None],
    "nested": {"list": [1, {"deeper": (2, "x")}], 7: "int key"},
    "shared": ["same", "same"],  # one string object twice: a memo hit
}
PLAIN_BYTES = {"short": b"\x00\x01\xff", "long": bytes(range(256)) * 2}  # protocol 3+: pickled natively


# --------------------------------------------------------------------------
# malicious payloads: each would run PWNED_COMMAND (or import NumPy) if unpickled by pickle.load
# --------------------------------------------------------------------------
class RunsOsSystem:
    def __reduce__(self):
        return (os.system, (PWNED_COMMAND,))


class RunsEval:
    def __reduce__(self):
        return (eval, ("__import__('os').system(%r)" % PWNED_COMMAND,))


# --------------------------------------------------------------------------
# writers
# --------------------------------------------------------------------------
def save_npy(path, tensor):
    tensor = tensor.detach().contiguous()
    if tensor.dtype in NPY_VIEW_OF:
        tensor = tensor.view(NPY_VIEW_OF[tensor.dtype])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        np.lib.format.write_array(f, tensor.numpy(), version=(1, 0), allow_pickle=False)


def write_expected(name, state_dict):
    """expected/<name>/<key>.npy plus the dtypes and shapes, the C# tests' oracle."""
    entries = collections.OrderedDict()
    for key, tensor in state_dict.items():
        save_npy(os.path.join(OUT, "expected", name, key + ".npy"), tensor)
        entries[key] = {"dtype": str(tensor.dtype).replace("torch.", ""), "shape": list(tensor.shape)}
    return entries


SAFETENSORS_DTYPES = {
    torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}


def write_safetensors(path, state_dict, metadata):
    """The safetensors layout as its specification defines it (github.com/huggingface/safetensors, README
    "Format"): u64 little-endian header size, a JSON header padded with spaces to 8 bytes, the raw tensors.
    Written from the spec because the reference library is not installable here (no Debian package)."""
    header = collections.OrderedDict([("__metadata__", metadata)])
    blobs, offset = [], 0
    for key, tensor in state_dict.items():
        data = tensor.detach().contiguous().view(-1).view(torch.uint8).numpy().tobytes() if tensor.numel() else b""
        header[key] = {"dtype": SAFETENSORS_DTYPES[tensor.dtype], "shape": list(tensor.shape),
                       "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def torch_save(name, obj, **kwargs):
    path = os.path.join(OUT, name)
    torch.save(obj, path, **kwargs)
    return path


def truncate(source, name, keep):
    with open(os.path.join(OUT, source), "rb") as f:
        data = f.read()
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data[:keep])


def legacy_storage_region_start(path):
    """Offset of the first raw storage in a legacy file: after its five pickles."""
    class Placeholder(dict):
        def __init__(self, *args):
            pass

        def __setstate__(self, state):
            pass

    class SkipGlobals(pickle.Unpickler):
        def find_class(self, module, name):
            return Placeholder  # nothing is imported or run: only the stream position matters

        def persistent_load(self, pid):
            return None

    with open(path, "rb") as f:
        for _ in range(5):  # magic, protocol, sys_info, the object, the storage keys
            SkipGlobals(f).load()
        return f.tell()


# --------------------------------------------------------------------------
def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args()

    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    manifest = collections.OrderedDict()
    manifest["generator"] = "tools/checkpoint_fixtures/make_checkpoints.py"
    manifest["regenerate"] = "/usr/bin/python3 tools/checkpoint_fixtures/make_checkpoints.py"
    manifest["versions"] = {"torch": torch.__version__, "numpy": np.__version__, "python": sys.version.split()[0]}
    manifest["pwned_marker"] = PWNED_MARKER

    # 1. Every dtype, views, 0-d and empty tensors: zip (protocol 2 and 4) and legacy.
    sd = dtype_state_dict()
    manifest["expected"] = {"dtypes": write_expected("dtypes", sd)}
    torch_save("dtypes.zip.pth", sd)
    torch_save("dtypes.protocol4.zip.pth", sd, pickle_protocol=4)
    torch_save("dtypes.legacy.pth", sd, _use_new_zipfile_serialization=False)
    write_safetensors(os.path.join(OUT, "dtypes.safetensors"),
                      collections.OrderedDict((k, v) for k, v in sd.items()),
                      {"format": "pt", "written_by": "make_checkpoints.py"})

    # 2. The release's checkpoint layout around a real trained module, both serializations, and {"model": ...}.
    net, optimizer = trained_small_net()
    manifest["expected"]["small_net"] = write_expected("small_net", net.state_dict())
    release = release_checkpoint(net, optimizer)
    torch_save("release_layout.zip.pth", release)
    torch_save("release_layout.legacy.pth", release, _use_new_zipfile_serialization=False)
    torch_save("model_entry.zip.pth", {"model": net.state_dict(), "epoch": 1})
    torch_save("no_state_dict.zip.pth", {"epoch": 1, "lr": 0.1})
    torch_save("mmcv_layout.legacy.pth", mmcv_checkpoint(net, optimizer), _use_new_zipfile_serialization=False)

    # Raw pickles of plain values (protocol 2 as torch.save writes, protocol 5 with bytes and frames).
    with open(os.path.join(OUT, "plain_values.protocol2.pkl"), "wb") as f:
        pickle.dump(PLAIN_VALUES, f, protocol=2)
    with open(os.path.join(OUT, "plain_values.protocol5.pkl"), "wb") as f:
        pickle.dump(dict(PLAIN_VALUES, **PLAIN_BYTES), f, protocol=5)

    # 3. What torch.save itself writes for the export layouts DctNet writes (the C# writer must match it).
    plain = collections.OrderedDict(net.state_dict())  # no _metadata attribute, as DctNet writes it
    torch_save("export_oracle.state_dict.pth", plain)
    # Every dtype, each tensor in a storage of its own (DctNet writes views as contiguous copies).
    torch_save("export_oracle.dtypes.pth", collections.OrderedDict((k, v.contiguous().clone()) for k, v in sd.items()))
    torch_save("export_oracle.release_layout.pth", {
        "epoch": 3,
        "arch": "resnet50",
        "state_dict": collections.OrderedDict(("module." + k, v) for k, v in plain.items()),
        "best_prec1": 76.1,
    })

    # 4. Malicious files, written by torch.save like any checkpoint: a good tensor first, then the payload.
    good = torch.arange(4, dtype=torch.float32)
    torch_save("malicious_os_system.zip.pth", {"weight": good, "payload": RunsOsSystem()})
    torch_save("malicious_os_system.legacy.pth", {"weight": good, "payload": RunsOsSystem()},
               _use_new_zipfile_serialization=False)
    torch_save("malicious_eval.protocol4.zip.pth", {"weight": good, "payload": RunsEval()}, pickle_protocol=4)
    torch_save("malicious_numpy.zip.pth", {"weight": good, "array": np.arange(3.0)})
    torch_save("malicious_namespace.zip.pth", {"state_dict": {"weight": good}, "args": argparse.Namespace(lr=0.1)})

    # 5. Truncated copies: the zip loses its central directory; the legacy file its pickle or its data.
    truncate("dtypes.zip.pth", "truncated.zip.pth", os.path.getsize(os.path.join(OUT, "dtypes.zip.pth")) // 2)
    storages = legacy_storage_region_start(os.path.join(OUT, "dtypes.legacy.pth"))
    truncate("dtypes.legacy.pth", "truncated_data.legacy.pth", storages + 100)
    truncate("dtypes.legacy.pth", "truncated_pickle.legacy.pth", storages // 2)

    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(d, n)) for d, _, names in os.walk(OUT) for n in names)
    print("wrote %s (%d bytes)" % (os.path.relpath(OUT, REPO), total))


if __name__ == "__main__":
    main()
