"""Speed baseline of the reference (DCTNet release) validation pipeline.

Times, single-threaded, the release's classification input pipeline at ResNet
geometry (resize 512, centre crop 448, DCT-24, normalized float32), end to end
per image, built from the same libraries the release used:

    cv2.imread(IMREAD_COLOR)                               (decode)
    cv2.resize INTER_LINEAR, shorter side -> 512           (Resize)
    centre crop 448, round half to even, zero padding      (CenterCrop)
    cv2.resize 2x INTER_LINEAR of the crop                 (Upscale)
    tjCompress2 q100 4:2:0 of crop and of the 2x image     (PyTurboJPEG encode)
    jpeg_read_coefficients in-process (coefficients_lib.c) (jpeg2dct.numpy.loads)
    Y from the crop, Cb/Cr from the 2x image               (TransformUpscaledDCT)
    24-channel subset, float32, (x - mean) / std           (SubsetDCT, NormalizeDCT)
    np.save                                                (stands in for the consumer)

See /work/shared/spec/REFERENCE.md section 1 and tools/baseline/README.md.
Run with Debian's interpreter:

    /usr/bin/python3 tools/baseline/reference_speed.py [-n 200] [--processes 2]

The C helper is compiled at run time into a temporary directory (gcc, -ljpeg);
no binary is committed. Correctness is checked once against
tools/golden/refpipe.py (the golden-file oracle) before anything is timed.
"""
import os

# Single-threaded everywhere: set before numpy / cv2 are imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import atexit
import ctypes
import ctypes.util
import json
import multiprocessing
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np

cv2.setNumThreads(1)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
RESOURCES = os.path.join(REPO, "src", "DctNet.Frequency", "Resources")
DEFAULT_SAMPLES = os.path.normpath(os.path.join(REPO, "..", "shared", "data", "imagenet-samples"))

sys.path.insert(0, os.path.join(REPO, "tools", "golden"))
import refpipe  # noqa: E402  (the golden-file oracle: shared pipeline steps and the correctness check)

RESIZE = 512
CROP = 448
SUBSET = "24"

# TurboJPEG constants (turbojpeg.h)
TJPF_BGR = 1
TJSAMP_420 = 2


# --------------------------------------------------------------------------
# Native pieces: TurboJPEG (compression) and the coefficient reader
# --------------------------------------------------------------------------
def build_helper(tmpdir):
    """Compile coefficients_lib.c into tmpdir; returns the .so path."""
    so = os.path.join(tmpdir, "libcoefficients.so")
    subprocess.run(["gcc", "-O2", "-Wall", "-shared", "-fPIC", "-o", so,
                    os.path.join(HERE, "coefficients_lib.c"), "-ljpeg"], check=True)
    return so


class Native:
    """Per-process state, as the release's transform holds one TurboJPEG()."""

    def __init__(self, helper_so):
        lib = ctypes.CDLL(helper_so)
        lib.jc_read_ycc.argtypes = [
            ctypes.c_char_p, ctypes.c_ulong,                 # jpeg, len
            ctypes.POINTER(ctypes.c_void_p),                 # out[3]
            ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int),  # hb[3], wb[3]
            ctypes.POINTER(ctypes.c_int),                    # quant_all_one
            ctypes.c_char_p, ctypes.c_int,                   # err, err_len
        ]
        lib.jc_read_ycc.restype = ctypes.c_int
        self.lib = lib
        self.err = ctypes.create_string_buffer(256)
        self.quant_one = ctypes.c_int(0)

        tj = ctypes.CDLL(ctypes.util.find_library("turbojpeg") or "libturbojpeg.so.0")
        tj.tjInitCompress.restype = ctypes.c_void_p
        tj.tjInitCompress.argtypes = []
        tj.tjDestroy.argtypes = [ctypes.c_void_p]
        tj.tjDestroy.restype = ctypes.c_int
        tj.tjCompress2.argtypes = [
            ctypes.c_void_p, ctypes.c_void_p,
            ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int,
            ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_ulong),
            ctypes.c_int, ctypes.c_int, ctypes.c_int,
        ]
        tj.tjCompress2.restype = ctypes.c_int
        tj.tjFree.argtypes = [ctypes.c_void_p]
        tj.tjFree.restype = None
        tj.tjGetErrorStr2.argtypes = [ctypes.c_void_p]
        tj.tjGetErrorStr2.restype = ctypes.c_char_p
        self.tj = tj
        self.handle = tj.tjInitCompress()
        if not self.handle:
            raise RuntimeError("tjInitCompress failed")

    def encode(self, img):
        """PyTurboJPEG's encode(img, quality=100, jpeg_subsample=TJSAMP_420):
        tjCompress2 into a TurboJPEG-allocated buffer, copied out to bytes.
        img may be a row-strided view (the pitch is passed), as in PyTurboJPEG."""
        h, w, c = img.shape
        if c != 3 or img.dtype != np.uint8 or img.strides[1:] != (3, 1):
            img = np.ascontiguousarray(img, dtype=np.uint8)
        buf = ctypes.c_void_p()
        size = ctypes.c_ulong(0)
        rc = self.tj.tjCompress2(self.handle, img.ctypes.data, w, img.strides[0], h,
                                 TJPF_BGR, ctypes.byref(buf), ctypes.byref(size),
                                 TJSAMP_420, 100, 0)
        if rc != 0:
            raise RuntimeError("tjCompress2: " + self.tj.tjGetErrorStr2(self.handle).decode())
        try:
            return ctypes.string_at(buf.value, size.value)
        finally:
            self.tj.tjFree(buf)

    def loads(self, jpeg, h, w):
        """jpeg2dct.numpy.loads: all three coefficient planes of a 4:2:0 JPEG of
        h x w pixels, each (height_in_blocks, width_in_blocks, 64) int16."""
        yb = (-(-h // 8), -(-w // 8))
        cb_ = (-(-h // 16), -(-w // 16))
        y = np.empty(yb + (64,), np.int16)
        cb = np.empty(cb_ + (64,), np.int16)
        cr = np.empty(cb_ + (64,), np.int16)
        out = (ctypes.c_void_p * 3)(y.ctypes.data, cb.ctypes.data, cr.ctypes.data)
        hb = (ctypes.c_int * 3)(yb[0], cb_[0], cb_[0])
        wb = (ctypes.c_int * 3)(yb[1], cb_[1], cb_[1])
        rc = self.lib.jc_read_ycc(jpeg, len(jpeg), out, hb, wb,
                                  ctypes.byref(self.quant_one), self.err, len(self.err))
        if rc != 0:
            raise RuntimeError("jc_read_ycc (%d): %s" % (rc, self.err.value.decode()))
        if self.quant_one.value != 1:
            raise RuntimeError("quantization tables are not all ones (not quality 100)")
        return y, cb, cr


# --------------------------------------------------------------------------
# The pipeline
# --------------------------------------------------------------------------
# Decoding and resizing are the oracle's own steps; only the crop differs (a view, as the release slices).
decode = refpipe.decode
resize_shorter = refpipe.resize_shorter


def center_crop(img, crop):
    """Python round (half to even). A view when the crop lies inside the image
    (as the release's slicing); a zero-padded copy otherwise."""
    h, w = img.shape[:2]
    top = int(round((h - crop) / 2))
    left = int(round((w - crop) / 2))
    if top >= 0 and left >= 0 and top + crop <= h and left + crop <= w:
        return img[top:top + crop, left:left + crop]
    out = np.zeros((crop, crop) + img.shape[2:], dtype=img.dtype)
    r0, r1 = max(0, -top), min(crop, h - top)
    c0, c1 = max(0, -left), min(crop, w - left)
    if r1 > r0 and c1 > c0:
        out[r0:r1, c0:c1] = img[top + r0:top + r1, left + c0:left + c1]
    return out


def coefficients(native, bgr):
    """Steps 2-5: decoded BGR -> (dct_y, dct_cb, dct_cr), each (S, S, 64) int16."""
    crop = center_crop(resize_shorter(bgr, RESIZE), CROP)
    up = cv2.resize(crop, (2 * CROP, 2 * CROP), interpolation=cv2.INTER_LINEAR)
    dct_y, _, _ = native.loads(native.encode(crop), CROP, CROP)
    _, dct_cb, dct_cr = native.loads(native.encode(up), 2 * CROP, 2 * CROP)
    return dct_y, dct_cb, dct_cr


class Normalizer:
    def __init__(self):
        with open(os.path.join(RESOURCES, "channel_subsets.json")) as f:
            subsets = json.load(f)
        with open(os.path.join(RESOURCES, "imagenet_upscaled_static_stats.json")) as f:
            stats = json.load(f)
        ys, cbs, crs = subsets[SUBSET]
        tl = lambda n: [8 * v + u for v in range(n) for u in range(n)]
        assert (ys, cbs, crs) == (tl(4), tl(2), tl(2)), "DCT-24 is not the expected top-left subset"
        self.ys, self.cbs, self.crs = (np.array(a, np.intp) for a in (ys, cbs, crs))
        idx = np.concatenate([self.ys, 64 + self.cbs, 128 + self.crs])
        mean = np.array(stats["mean"], np.float32)[idx]
        std = np.array(stats["std"], np.float32)[idx]
        self.mean = mean[:, None, None]
        self.std = std[:, None, None]

    def __call__(self, dct_y, dct_cb, dct_cr):
        """Subset (Y, then Cb, then Cr, list order), C x S x S float32, normalized."""
        x = np.concatenate([dct_y[:, :, self.ys], dct_cb[:, :, self.cbs],
                            dct_cr[:, :, self.crs]], axis=2)
        x = x.transpose(2, 0, 1).astype(np.float32)
        x -= self.mean
        x /= self.std
        return x


class Pipeline:
    def __init__(self, helper_so, out_dir):
        self.native = Native(helper_so)
        self.norm = Normalizer()
        self.out_dir = out_dir

    def __call__(self, path):
        x = self.norm(*coefficients(self.native, decode(path)))
        stem = os.path.splitext(os.path.basename(path))[0]
        np.save(os.path.join(self.out_dir, stem + ".npy"), x)
        return x.shape


# --------------------------------------------------------------------------
# Verification against the golden oracle
# --------------------------------------------------------------------------
def verify(pipe, files):
    for path in files:
        bgr = decode(path)
        y, cb, cr = coefficients(pipe.native, bgr)
        mine = np.ascontiguousarray(np.concatenate([y, cb, cr], axis=2).transpose(2, 0, 1))
        ref = refpipe.reference_coefficients(bgr, RESIZE, CROP)
        if mine.shape != ref.shape or mine.dtype != ref.dtype or not np.array_equal(mine, ref):
            bad = int(np.count_nonzero(mine != ref)) if mine.shape == ref.shape else -1
            raise SystemExit("verification FAILED for %s: shape %s vs %s, %d values differ"
                             % (os.path.basename(path), mine.shape, ref.shape, bad))
    return len(files)


# --------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------
def time_passes(fn, files, passes):
    times = []
    for _ in range(passes):
        t0 = time.perf_counter()
        for p in files:
            fn(p)
        times.append(time.perf_counter() - t0)
    return times


_worker_pipe = None


def _worker_init(helper_so, out_dir):
    global _worker_pipe
    cv2.setNumThreads(1)
    _worker_pipe = Pipeline(helper_so, out_dir)


def _worker_run(path):
    return _worker_pipe(path)


def _worker_ping(_):
    return os.getpid()


def time_processes(helper_so, out_dir, files, warmup, passes, processes):
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(processes, initializer=_worker_init, initargs=(helper_so, out_dir)) as pool:
        # every worker up and warmed (imports, handle, first images) before timing
        pool.map(_worker_ping, range(processes * 4), chunksize=1)
        list(pool.imap_unordered(_worker_run, files[:max(warmup, 1)] * processes, chunksize=1))
        times = []
        for _ in range(passes):
            t0 = time.perf_counter()
            for _shape in pool.imap_unordered(_worker_run, files, chunksize=4):
                pass
            times.append(time.perf_counter() - t0)
    return times


def loadavg():
    return "%.2f %.2f %.2f" % os.getloadavg()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=200, help="number of files (first N sorted by name)")
    ap.add_argument("--samples", default=DEFAULT_SAMPLES, help="folder of JPEG images")
    ap.add_argument("--processes", type=int, default=1,
                    help="also measure throughput with P single-threaded worker processes")
    ap.add_argument("--passes", type=int, default=3, help="timed passes (best and median reported)")
    ap.add_argument("--warmup", type=int, default=5, help="untimed warm-up images")
    ap.add_argument("--verify", type=int, default=5,
                    help="images checked bit-exactly against tools/golden/refpipe.py (0: skip)")
    args = ap.parse_args()

    names = sorted(f for f in os.listdir(args.samples)
                   if f.lower().endswith((".jpeg", ".jpg")))[:args.n]
    files = [os.path.join(args.samples, f) for f in names]
    if not files:
        raise SystemExit("no JPEG files in " + args.samples)
    n = len(files)

    tmpdir = tempfile.mkdtemp(prefix="dctnet-baseline-")
    atexit.register(shutil.rmtree, tmpdir, True)
    out_dir = os.path.join(tmpdir, "out")
    os.mkdir(out_dir)
    helper_so = build_helper(tmpdir)
    pipe = Pipeline(helper_so, out_dir)

    print("opencv %s, numpy %s, python %s, cv2 threads %d, cpus %d"
          % (cv2.__version__, np.__version__, sys.version.split()[0],
             cv2.getNumThreads(), os.cpu_count()))
    print("images: %d from %s; geometry resize %d, crop %d, DCT-%s -> %s float32"
          % (n, args.samples, RESIZE, CROP, SUBSET, pipe(files[0])))
    print("load average at start: " + loadavg())

    if args.verify > 0:
        k = verify(pipe, files[:args.verify])
        print("verified: int16 coefficients of %d images equal refpipe.reference_coefficients"
              "(%d, %d) exactly" % (k, RESIZE, CROP))

    warm = files[:args.warmup]

    # decode alone: read + cv2.imread
    for p in warm:
        decode(p)
    dec = time_passes(decode, files, args.passes)

    # end to end, one process
    for p in warm:
        pipe(p)
    e2e = time_passes(pipe, files, args.passes)

    ms = lambda t: 1000.0 * t / n
    print("reference decode: %.2f ms/image (median %.2f; passes %s)"
          % (ms(min(dec)), ms(statistics.median(dec)), ", ".join("%.2f" % ms(t) for t in dec)))
    print("reference end-to-end (1 process): %.2f ms/image (%.1f images/s) (median %.2f ms/image,"
          " %.1f images/s; passes %s)"
          % (ms(min(e2e)), n / min(e2e), ms(statistics.median(e2e)), n / statistics.median(e2e),
             ", ".join("%.2f" % ms(t) for t in e2e)))

    if args.processes > 1:
        pt = time_processes(helper_so, out_dir, files, args.warmup, args.passes, args.processes)
        print("reference end-to-end (%d processes): %.1f images/s (median %.1f images/s;"
              " passes %s)" % (args.processes, n / min(pt), n / statistics.median(pt),
                               ", ".join("%.1f" % (n / t) for t in pt)))

    print("load average at end: " + loadavg())


if __name__ == "__main__":
    main()
