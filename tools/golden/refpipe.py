"""The reference classification input pipeline, built from the real libraries.

This module is the independent oracle for DctNet's input pipeline
(/work/shared/spec/REFERENCE.md section 1). It uses only what the reference
release used: OpenCV (decode, bilinear resize), libjpeg-turbo's TurboJPEG API
(tjCompress2, quality 100, 4:2:0) and libjpeg's jpeg_read_coefficients (through
the small C helper jpeg_coefficients.c, compiled on first use into a temporary
directory). It must not share code with the C# implementation.

Run with Debian's interpreter: /usr/bin/python3 (python3-opencv lives there).
"""
import atexit
import ctypes
import ctypes.util
import os
import shutil
import struct
import subprocess
import tempfile

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

# TurboJPEG constants (turbojpeg.h, libjpeg-turbo 2.1)
TJPF_RGB = 0
TJPF_BGR = 1
TJSAMP_444 = 0
TJSAMP_422 = 1
TJSAMP_420 = 2

_tj = None
_helper = None
_tmpdir = None


# --------------------------------------------------------------------------
# TurboJPEG compression (as PyTurboJPEG's TurboJPEG.encode does it)
# --------------------------------------------------------------------------
def _turbojpeg():
    global _tj
    if _tj is None:
        name = ctypes.util.find_library("turbojpeg") or "libturbojpeg.so.0"
        lib = ctypes.CDLL(name)
        lib.tjInitCompress.restype = ctypes.c_void_p
        lib.tjInitCompress.argtypes = []
        lib.tjDestroy.argtypes = [ctypes.c_void_p]
        lib.tjDestroy.restype = ctypes.c_int
        lib.tjCompress2.argtypes = [
            ctypes.c_void_p,                                   # handle
            ctypes.c_void_p,                                   # srcBuf
            ctypes.c_int, ctypes.c_int, ctypes.c_int,          # width, pitch, height
            ctypes.c_int,                                      # pixelFormat
            ctypes.POINTER(ctypes.c_void_p),                   # jpegBuf
            ctypes.POINTER(ctypes.c_ulong),                    # jpegSize
            ctypes.c_int, ctypes.c_int, ctypes.c_int,          # subsamp, quality, flags
        ]
        lib.tjCompress2.restype = ctypes.c_int
        lib.tjFree.argtypes = [ctypes.c_void_p]
        lib.tjFree.restype = None
        lib.tjGetErrorStr2.argtypes = [ctypes.c_void_p]
        lib.tjGetErrorStr2.restype = ctypes.c_char_p
        _tj = lib
    return _tj


def tj_compress(img, pixel_format=TJPF_BGR, subsamp=TJSAMP_420, quality=100, flags=0):
    """JPEG-encode an (H, W, 3) uint8 array with tjCompress2; returns bytes."""
    lib = _turbojpeg()
    img = np.ascontiguousarray(img, dtype=np.uint8)
    assert img.ndim == 3 and img.shape[2] == 3, img.shape
    h, w = img.shape[:2]
    handle = lib.tjInitCompress()
    if not handle:
        raise RuntimeError("tjInitCompress failed")
    try:
        buf = ctypes.c_void_p()
        size = ctypes.c_ulong(0)
        rc = lib.tjCompress2(handle, img.ctypes.data, w, img.strides[0], h,
                             pixel_format, ctypes.byref(buf), ctypes.byref(size),
                             subsamp, quality, flags)
        if rc != 0:
            raise RuntimeError("tjCompress2: " + lib.tjGetErrorStr2(handle).decode())
        try:
            return ctypes.string_at(buf.value, size.value)
        finally:
            lib.tjFree(buf)
    finally:
        lib.tjDestroy(handle)


# --------------------------------------------------------------------------
# Coefficient read-back through libjpeg (jpeg_coefficients.c)
# --------------------------------------------------------------------------
def helper_path():
    """Compile jpeg_coefficients.c once per process into a temp dir."""
    global _helper, _tmpdir
    if _helper is None:
        _tmpdir = tempfile.mkdtemp(prefix="dctnet-golden-")
        atexit.register(shutil.rmtree, _tmpdir, True)
        exe = os.path.join(_tmpdir, "jpeg_coefficients")
        subprocess.run(["gcc", "-O2", "-Wall", "-o", exe,
                        os.path.join(HERE, "jpeg_coefficients.c"), "-ljpeg"],
                       check=True)
        _helper = exe
    return _helper


def parse_coefficients(blob):
    """Parse the JCOF layout written by jpeg_coefficients.c.

    Returns dict(width, height, components=[dict(id, h, v, quant (64,) uint16,
    coef (height_in_blocks, width_in_blocks, 64) int16)]).
    """
    if blob[:4] != b"JCOF":
        raise ValueError("bad magic")
    version, width, height, ncomp = struct.unpack_from("<4I", blob, 4)
    if version != 1:
        raise ValueError("unsupported version %d" % version)
    off = 20
    comps = []
    for _ in range(ncomp):
        cid, hs, vs, wb, hb = struct.unpack_from("<5I", blob, off)
        off += 20
        quant = np.frombuffer(blob, dtype="<u2", count=64, offset=off).copy()
        off += 128
        n = wb * hb * 64
        coef = np.frombuffer(blob, dtype="<i2", count=n, offset=off).reshape(hb, wb, 64).copy()
        off += 2 * n
        comps.append(dict(id=cid, h=hs, v=vs, quant=quant, coef=coef))
    if off != len(blob):
        raise ValueError("trailing bytes: %d of %d parsed" % (off, len(blob)))
    return dict(width=width, height=height, components=comps)


def read_coefficients(jpeg_bytes):
    out = subprocess.run([helper_path(), "-"], input=jpeg_bytes,
                         stdout=subprocess.PIPE, check=True).stdout
    return parse_coefficients(out)


def encode_coefficients(img, pixel_format):
    """tjCompress2 q100 4:2:0, read back; asserts unit quant tables and the layout.

    Returns [Y, Cb, Cr] coefficient arrays, each (hb, wb, 64) int16."""
    h, w = img.shape[:2]
    parsed = read_coefficients(tj_compress(img, pixel_format, TJSAMP_420, 100, 0))
    comps = parsed["components"]
    assert (parsed["width"], parsed["height"]) == (w, h)
    assert len(comps) == 3
    assert [(c["h"], c["v"]) for c in comps] == [(2, 2), (1, 1), (1, 1)]
    for c in comps:
        assert np.all(c["quant"] == 1), "quality 100 quant table is not all ones"
    assert comps[0]["coef"].shape[:2] == (-(-h // 8), -(-w // 8))
    assert comps[1]["coef"].shape[:2] == (-(-h // 16), -(-w // 16))
    return [c["coef"] for c in comps]


# --------------------------------------------------------------------------
# The pipeline steps
# --------------------------------------------------------------------------
def decode(path):
    """cv2.imread with default flags (IMREAD_COLOR): BGR uint8, EXIF applied."""
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise IOError("cv2.imread failed: " + path)
    return img


def resize_shorter(img, size):
    """The release's Upscale/Resize: shorter side -> size, INTER_LINEAR."""
    if size is None:
        return img
    h, w = img.shape[:2]
    if (w <= h and w == size) or (h <= w and h == size):
        return img
    if w < h:
        ow = size
        oh = int(size * h / w)
    else:
        oh = size
        ow = int(size * w / h)
    return cv2.resize(img, (ow, oh), interpolation=cv2.INTER_LINEAR)


def center_crop(img, crop):
    """crop x crop centre crop, Python round (half to even), zero padded."""
    h, w = img.shape[:2]
    top = int(round((h - crop) / 2))
    left = int(round((w - crop) / 2))
    out = np.zeros((crop, crop) + img.shape[2:], dtype=img.dtype)
    r0, r1 = max(0, -top), min(crop, h - top)
    c0, c1 = max(0, -left), min(crop, w - left)
    if r1 > r0 and c1 > c0:
        out[r0:r1, c0:c1] = img[top + r0:top + r1, left + c0:left + c1]
    return out


def crop_to_coefficients(crop_bgr):
    """Steps 4-6: (crop, crop, 3) BGR uint8 -> (192, S, S) int16."""
    n = crop_bgr.shape[0]
    assert crop_bgr.shape == (n, n, 3) and n % 8 == 0
    s = n // 8
    y, _, _ = encode_coefficients(crop_bgr, TJPF_BGR)
    up = cv2.resize(crop_bgr, (2 * n, 2 * n), interpolation=cv2.INTER_LINEAR)
    _, cb, cr = encode_coefficients(up, TJPF_BGR)
    for a in (y, cb, cr):
        assert a.shape == (s, s, 64), a.shape
    out = np.concatenate([y, cb, cr], axis=2)          # (S, S, 192)
    return np.ascontiguousarray(out.transpose(2, 0, 1)).astype(np.int16)


def reference_coefficients(bgr, resize, crop):
    """The whole pipeline from a decoded BGR image (steps 2-6)."""
    return crop_to_coefficients(center_crop(resize_shorter(bgr, resize), crop))


def reference_coefficients_file(path, resize, crop):
    return reference_coefficients(decode(path), resize, crop)


def versions():
    import PIL
    return {
        "opencv": cv2.__version__,
        "numpy": np.__version__,
        "pillow": PIL.__version__,
        "libjpeg_turbo": libjpeg_turbo_version(),
        "python": "%d.%d.%d" % tuple(__import__("sys").version_info[:3]),
        "debian_packages": debian_packages(),
    }


def debian_packages():
    """Installed versions of the packages the oracle depends on (dpkg-query)."""
    names = ["python3-opencv", "libopencv-imgcodecs406", "libopencv-imgproc406", "libjpeg62-turbo",
             "libturbojpeg0", "libpng16-16", "libwebp7", "python3-numpy", "python3-pil"]
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}\\n"] + names,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    except OSError:
        return {}
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)


def libjpeg_turbo_version():
    """LIBJPEG_TURBO_VERSION from the installed headers (what the helper links)."""
    for p in ("/usr/include/x86_64-linux-gnu/jconfig.h", "/usr/include/jconfig.h"):
        if os.path.exists(p):
            with open(p) as f:
                for line in f:
                    parts = line.split()
                    if len(parts) == 3 and parts[:2] == ["#define", "LIBJPEG_TURBO_VERSION"]:
                        return parts[2]
    return "unknown"
