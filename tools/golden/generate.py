#!/usr/bin/python3
"""Generate DctNet's golden fixtures from the real reference libraries.

    /usr/bin/python3 tools/golden/generate.py            # from the repo root

Writes tests/fixtures/ (images/, golden/, manifest.json); see
tools/golden/README.md. Deterministic: the same inputs and library versions
give byte-identical outputs (gzip files carry no timestamp).

Sources: the ImageNet samples in ../shared/data/imagenet-samples (override with
--samples). Only small derived images (crops/downscales, re-encoded) are written
into the repository; the full-geometry ImageNet goldens refer to the shared
files by name.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import struct
import sys

import cv2
import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import refpipe  # noqa: E402
import opencv_resize_model  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_SAMPLES = os.path.join(os.path.dirname(REPO), "shared", "data", "imagenet-samples")


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def save_npy(path, arr):
    """C order, little endian, no pickle."""
    arr = np.ascontiguousarray(arr)
    if arr.dtype.byteorder == ">":
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        np.lib.format.write_array(f, arr, version=(1, 0), allow_pickle=False)


def save_npy_gz(path, arr):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ascontiguousarray(arr), version=(1, 0), allow_pickle=False)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as raw:
        # mtime=0 and no file name: reproducible bytes
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
            gz.write(buf.getvalue())


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def bgr2rgb(a):
    return np.ascontiguousarray(a[:, :, ::-1])


def source(samples, name, box, size):
    """An RGB (or L) PIL image: crop `box` (l, t, r, b) of a sample, resize to size (w, h)."""
    im = Image.open(os.path.join(samples, name))
    im.load()
    return im.crop(box).resize(size, Image.LANCZOS)


def exif_orientation(value, big_endian=False):
    """A minimal EXIF APP1 payload ("Exif\\0\\0" + TIFF) with only tag 0x0112."""
    e = ">" if big_endian else "<"
    tiff = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8)
    ifd = struct.pack(e + "H", 1)
    # tag, type SHORT (3), count 1, value left-justified in the 4-byte field
    ifd += struct.pack(e + "HHI", 0x0112, 3, 1) + struct.pack(e + "H", value) + b"\0\0"
    ifd += struct.pack(e + "I", 0)  # no next IFD
    return b"Exif\0\0" + tiff + ifd


# Applying EXIF orientation to the stored pixels (the EXIF 2.3 definition),
# used only to check what cv2.imread does.
def apply_orientation(rgb, o):
    if o == 2:
        return rgb[:, ::-1]
    if o == 3:
        return rgb[::-1, ::-1]
    if o == 4:
        return rgb[::-1, :]
    if o == 5:
        return rgb.transpose(1, 0, 2)
    if o == 6:
        return np.rot90(rgb, -1)
    if o == 7:
        return np.rot90(rgb.transpose(1, 0, 2), 2)
    if o == 8:
        return np.rot90(rgb, 1)
    return rgb


# --------------------------------------------------------------------------
# A. derived input images
# --------------------------------------------------------------------------
def make_images(samples, out_dir, notes):
    """Write the fixture images; returns [(name, file, description)]."""
    os.makedirs(out_dir, exist_ok=True)
    items = []

    def add(name, fname, desc):
        items.append((name, fname, desc))
        return os.path.join(out_dir, fname)

    tench = "n01440764_tench.JPEG"          # 500x375 RGB
    goldfish = "n01443537_goldfish.JPEG"    # 376x263 RGB
    shark = "n01484850_great_white_shark.JPEG"  # 500x333 RGB
    airedale = "n02096051_Airedale.JPEG"    # 500x330 grayscale JPEG
    panda = "n02510455_giant_panda.JPEG"
    lion = "n02129165_lion.JPEG"

    # --- JPEG variants (PIL writes through the system libjpeg-turbo) ---
    im = source(samples, tench, (40, 20, 460, 329), (83, 61))
    im.save(add("jpeg_420", "jpeg_420.jpg", "baseline JPEG, 4:2:0, odd size 83x61, q90"),
            "JPEG", quality=90, subsampling=2)
    im = source(samples, goldfish, (20, 10, 356, 262), (96, 72))
    im.save(add("jpeg_444", "jpeg_444.jpg", "baseline JPEG, 4:4:4, 96x72, q95"),
            "JPEG", quality=95, subsampling=0)
    im = source(samples, shark, (0, 0, 500, 333), (81, 54))
    im.save(add("jpeg_422", "jpeg_422.jpg", "baseline JPEG, 4:2:2, odd width 81x54, q90"),
            "JPEG", quality=90, subsampling=1)
    im = source(samples, lion, (0, 100, 354, 366), (100, 75))
    im.save(add("jpeg_progressive", "jpeg_progressive.jpg", "progressive JPEG, 4:2:0, 100x75, q88"),
            "JPEG", quality=88, subsampling=2, progressive=True)
    im = source(samples, airedale, (60, 0, 440, 330), (90, 78))
    assert im.mode == "L"
    im.save(add("jpeg_gray", "jpeg_gray.jpg", "grayscale (1-component) JPEG, 90x78, q90"),
            "JPEG", quality=90)
    im = source(samples, panda, (50, 0, 290, 320), (72, 96))
    im.convert("CMYK").save(add("jpeg_cmyk", "jpeg_cmyk.jpg",
                                "4-component CMYK JPEG (Adobe APP14) written by PIL, 72x96, q92"),
                            "JPEG", quality=92)

    # EXIF orientation: the stored image is 72x48 (landscape, asymmetric content)
    base = source(samples, tench, (100, 60, 400, 260), (72, 48))
    for o, be, desc in [(3, False, "rotate 180"), (6, True, "rotate 90 CW; big-endian (MM) EXIF"),
                        (8, False, "rotate 90 CCW"), (2, False, "mirror horizontal"),
                        (5, False, "transpose (mirror + rotate 90 CCW)")]:
        p = add("jpeg_exif_orient%d" % o, "jpeg_exif_orient%d.jpg" % o,
                "JPEG 4:2:0 72x48 stored, EXIF orientation %d (%s); cv2.imread applies it" % (o, desc))
        base.save(p, "JPEG", quality=92, subsampling=2, exif=exif_orientation(o, be))
    p = add("jpeg_exif_orient1", "jpeg_exif_orient1.jpg",
            "JPEG 4:2:0 72x48, EXIF orientation 1 (identity) - control")
    base.save(p, "JPEG", quality=92, subsampling=2, exif=exif_orientation(1))

    # extreme aspect ratios
    im = source(samples, shark, (0, 150, 500, 170), (300, 12))
    im.save(add("jpeg_wide", "jpeg_wide.jpg", "JPEG 4:2:0 300x12 (extreme landscape)"),
            "JPEG", quality=90, subsampling=2)
    im = source(samples, shark, (240, 0, 260, 333), (12, 300))
    im.save(add("jpeg_tall", "jpeg_tall.jpg", "JPEG 4:2:0 12x300 (extreme portrait)"),
            "JPEG", quality=90, subsampling=2)

    # --- PNG ---
    rgb = np.asarray(source(samples, goldfish, (100, 40, 294, 170), (97, 65)).convert("RGB"))
    Image.fromarray(rgb).save(add("png_rgb", "png_rgb.png", "PNG RGB 8-bit, 97x65"), "PNG")

    rgb = np.asarray(source(samples, lion, (100, 50, 300, 250), (80, 80)).convert("RGB"))
    yy, xx = np.mgrid[0:80, 0:80]
    alpha = ((xx * 255) // 79).astype(np.uint8)          # 0..255 gradient left->right
    alpha[:, :10] = 0                                     # fully transparent band (RGB kept)
    alpha[60:, :] = 255
    rgba = np.dstack([rgb, alpha])
    assert np.any(rgba[alpha == 0][:, :3] != 0)
    Image.fromarray(rgba, "RGBA").save(
        add("png_rgba", "png_rgba.png",
            "PNG RGBA 8-bit 80x80, alpha gradient, fully transparent columns 0-9 with non-zero RGB"),
        "PNG")

    rng = np.random.RandomState(16)
    rgb8 = np.asarray(source(samples, tench, (200, 100, 328, 212), (64, 56)).convert("RGB")).astype(np.uint16)
    low = rng.randint(0, 256, size=rgb8.shape).astype(np.uint16)
    rgb16 = (rgb8 << 8) | low                             # high byte = image, low byte = noise
    rgb16[0, :8] = [[0xFFFF] * 3, [0xFF80] * 3, [0xFF7F] * 3, [0x0080] * 3,
                    [0x007F] * 3, [0x0101] * 3, [0x80FF] * 3, [0x0000] * 3]
    p = add("png_rgb16", "png_rgb16.png", "PNG RGB 16-bit 64x56, random low bytes (cv2 reduces to 8 bits)")
    assert cv2.imwrite(p, rgb16[:, :, ::-1].copy())
    back = cv2.imread(p, cv2.IMREAD_UNCHANGED)
    assert back.dtype == np.uint16 and np.array_equal(back[:, :, ::-1], rgb16)
    notes["png_rgb16_source_uint16_rgb"] = rgb16  # used for the 16->8 analysis

    g8 = np.asarray(source(samples, airedale, (100, 100, 260, 260), (48, 40))).astype(np.uint16)
    g16 = (g8 << 8) | rng.randint(0, 256, size=g8.shape).astype(np.uint16)
    p = add("png_gray16", "png_gray16.png", "PNG gray 16-bit 48x40, random low bytes")
    assert cv2.imwrite(p, g16)
    notes["png_gray16_source_uint16"] = g16

    g = source(samples, airedale, (0, 0, 500, 330), (70, 50))
    g.save(add("png_gray", "png_gray.png", "PNG gray 8-bit, 70x50"), "PNG")

    g = np.asarray(source(samples, airedale, (150, 50, 350, 250), (60, 60)))
    a = np.tile(np.linspace(0, 255, 60).astype(np.uint8)[:, None], (1, 60))
    a[:8, :] = 0
    Image.fromarray(np.dstack([g, a]), "LA").save(
        add("png_gray_alpha", "png_gray_alpha.png",
            "PNG gray+alpha 8-bit 60x60, rows 0-7 fully transparent"), "PNG")

    pal = source(samples, goldfish, (0, 0, 376, 263), (64, 64)).convert("RGB").quantize(colors=32, dither=0)
    pal.save(add("png_palette", "png_palette.png",
                 "PNG palette (32 colours) 64x64 with tRNS (index 0 transparent); short side = 64"),
             "PNG", transparency=bytes([0, 128] + [255] * 30))

    one = np.array([[[200, 30, 90]]], np.uint8)
    Image.fromarray(one).save(add("png_1x1", "png_1x1.png", "PNG RGB 1x1"), "PNG")

    small = np.asarray(source(samples, lion, (150, 100, 250, 240), (20, 28)).convert("RGB"))
    Image.fromarray(small).save(add("png_small", "png_small.png",
                                    "PNG RGB 20x28, smaller than every crop"), "PNG")

    # --- BMP, WebP (written by OpenCV) ---
    bgr = np.asarray(source(samples, panda, (0, 0, 300, 200), (96, 64)).convert("RGB"))[:, :, ::-1].copy()
    assert cv2.imwrite(add("bmp_rgb24", "bmp_rgb24.bmp", "BMP 24-bit 96x64 (short side = 64)"), bgr)
    bgr = np.asarray(source(samples, goldfish, (40, 30, 340, 230), (96, 64)).convert("RGB"))[:, :, ::-1].copy()
    assert cv2.imwrite(add("webp_lossy", "webp_lossy.webp", "WebP lossy (cv2 quality 80) 96x64"),
                       bgr, [cv2.IMWRITE_WEBP_QUALITY, 80])
    bgr = np.asarray(source(samples, lion, (0, 100, 354, 348), (80, 56)).convert("RGB"))[:, :, ::-1].copy()
    assert cv2.imwrite(add("webp_lossless", "webp_lossless.webp", "WebP lossless (cv2 quality 101) 80x56"),
                       bgr, [cv2.IMWRITE_WEBP_QUALITY, 101])
    return items


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------
# second geometries (C): name -> list of (resize, crop)
EXTRA_GEOMETRIES = {
    "jpeg_420": [(40, 56)],
    "png_rgb": [(40, 56), (None, 32)],
    "jpeg_wide": [(40, 56)],
    "png_small": [(40, 56), (None, 32)],
    "jpeg_444": [(None, 32)],
    "png_1x1": [(None, 32)],
    "jpeg_tall": [(None, 32)],
    "jpeg_exif_orient6": [(None, 32)],
}

IMAGENET_CASES = [
    # (file, resize, crop, why)
    ("n01440764_tench.JPEG", 512, 448, "RGB JPEG 4:4:4 500x375 (upscale)"),
    ("n02096051_Airedale.JPEG", 512, 448, "grayscale JPEG 500x330"),
    ("n02086240_Shih-Tzu.JPEG", 512, 448, "RGB JPEG 4:2:0 1280x1024 (downscale)"),
    ("n02951585_can_opener.JPEG", 512, 448, "RGB JPEG 4:2:0 392x294 stored, EXIF orientation 6"),
    ("n01443537_goldfish.JPEG", 1024, 896, "RGB JPEG 4:4:4 376x263, MobileNetV2 geometry"),
]


def geom_tag(resize, crop):
    return "r%sc%d" % ("None" if resize is None else str(resize), crop)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", default=DEFAULT_SAMPLES)
    ap.add_argument("--out", default=os.path.join(REPO, "tests", "fixtures"))
    args = ap.parse_args()

    out = args.out
    for sub in ("images", "golden"):
        shutil.rmtree(os.path.join(out, sub), ignore_errors=True)
    img_dir = os.path.join(out, "images")
    gold = os.path.join(out, "golden")
    rel = lambda p: os.path.relpath(p, out).replace(os.sep, "/")  # noqa: E731

    notes = {}
    cases = []
    findings = {}

    # ---- A + B + C ----
    items = make_images(args.samples, img_dir, notes)
    for name, fname, desc in items:
        path = os.path.join(img_dir, fname)
        bgr = refpipe.decode(path)
        assert bgr.dtype == np.uint8 and bgr.ndim == 3 and bgr.shape[2] == 3
        pix = os.path.join(gold, name + ".pixels.npy")
        save_npy(pix, bgr2rgb(bgr))
        cases.append(dict(id="decode/" + name, kind="decode", input=rel(path), description=desc,
                          size_bytes=os.path.getsize(path),
                          outputs=dict(pixels=rel(pix)), shape=list(bgr2rgb(bgr).shape)))
        for resize, crop in [(64, 48)] + EXTRA_GEOMETRIES.get(name, []):
            tag = geom_tag(resize, crop)
            resized = refpipe.resize_shorter(bgr, resize)
            cropped = refpipe.center_crop(resized, crop)
            if resize is not None and resized is not bgr:
                assert np.array_equal(resized, opencv_resize_model.resize_linear_u8(
                    bgr, resized.shape[1], resized.shape[0]))
            coef = refpipe.crop_to_coefficients(cropped)
            assert np.array_equal(coef, refpipe.reference_coefficients(bgr, resize, crop))
            cp = os.path.join(gold, "%s.%s.npy" % (name, tag))
            crp = os.path.join(gold, "%s.%s.crop.npy" % (name, tag))
            save_npy(cp, coef)
            save_npy(crp, bgr2rgb(cropped))
            h, w = resized.shape[:2]
            cases.append(dict(id="pipeline/%s/%s" % (name, tag), kind="pipeline", input=rel(path),
                              resize=resize, crop=crop,
                              resized_shape=[h, w], crop_top=int(round((h - crop) / 2)),
                              crop_left=int(round((w - crop) / 2)),
                              outputs=dict(coefficients=rel(cp), crop_pixels=rel(crp)),
                              shape=list(coef.shape)))

    # EXIF: check that cv2 applies orientation (and how)
    exif = {}
    for o in (1, 2, 3, 5, 6, 8):
        p = os.path.join(img_dir, "jpeg_exif_orient%d.jpg" % o)
        applied = bgr2rgb(cv2.imread(p, cv2.IMREAD_COLOR))
        raw = bgr2rgb(cv2.imread(p, cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION))
        ok = applied.shape == apply_orientation(raw, o).shape and np.array_equal(applied, apply_orientation(raw, o))
        exif[str(o)] = dict(stored_shape=list(raw.shape), decoded_shape=list(applied.shape),
                            matches_exif_definition=bool(ok), rotated=bool(not np.array_equal(applied, raw)
                                                                            if applied.shape == raw.shape else True))
        assert ok, "cv2 orientation %d does not match the EXIF definition" % o
    findings["exif_orientation"] = exif

    # 16-bit PNG -> 8 bit: high byte (truncation) or rounding?
    def png16_rule(src16, decoded8):
        hi = (src16 >> 8).astype(np.uint8)
        rnd = np.clip((src16.astype(np.int64) * 255 + 32767) // 65535, 0, 255).astype(np.uint8)
        return dict(equals_high_byte=bool(np.array_equal(decoded8, hi)),
                    equals_rounded_scale=bool(np.array_equal(decoded8, rnd)),
                    pixels_where_rules_differ=int(np.count_nonzero(hi != rnd)))
    d8 = bgr2rgb(cv2.imread(os.path.join(img_dir, "png_rgb16.png"), cv2.IMREAD_COLOR))
    findings["png_16bit_to_8bit_rgb"] = png16_rule(notes["png_rgb16_source_uint16_rgb"], d8)
    d8 = cv2.imread(os.path.join(img_dir, "png_gray16.png"), cv2.IMREAD_COLOR)
    assert np.array_equal(d8[:, :, 0], d8[:, :, 1]) and np.array_equal(d8[:, :, 0], d8[:, :, 2])
    findings["png_16bit_to_8bit_gray"] = png16_rule(notes["png_gray16_source_uint16"], d8[:, :, 0])

    # RGBA / gray+alpha: alpha dropped or composited?
    rgba = np.asarray(Image.open(os.path.join(img_dir, "png_rgba.png")))
    d = bgr2rgb(cv2.imread(os.path.join(img_dir, "png_rgba.png"), cv2.IMREAD_COLOR))
    findings["png_rgba"] = dict(alpha_dropped_rgb_kept=bool(np.array_equal(d, rgba[:, :, :3])))
    la = np.asarray(Image.open(os.path.join(img_dir, "png_gray_alpha.png")))
    d = cv2.imread(os.path.join(img_dir, "png_gray_alpha.png"), cv2.IMREAD_COLOR)
    findings["png_gray_alpha"] = dict(alpha_dropped_gray_replicated=bool(
        all(np.array_equal(d[:, :, k], la[:, :, 0]) for k in range(3))))
    pim = Image.open(os.path.join(img_dir, "png_palette.png"))
    d = bgr2rgb(cv2.imread(os.path.join(img_dir, "png_palette.png"), cv2.IMREAD_COLOR))
    pal = np.asarray(pim.getpalette()[:768], np.uint8).reshape(-1, 3)
    findings["png_palette"] = dict(palette_lookup_alpha_ignored=bool(
        np.array_equal(d, pal[np.asarray(pim)])))
    # CMYK: what does cv2 compute from the raw (Adobe-inverted) CMYK samples?
    cim = Image.open(os.path.join(img_dir, "jpeg_cmyk.jpg"))
    d = bgr2rgb(cv2.imread(os.path.join(img_dir, "jpeg_cmyk.jpg"), cv2.IMREAD_COLOR)).astype(int)
    raw = 255 - np.asarray(cim).astype(int)   # PIL undoes the Adobe inversion ("CMYK;I"); redo it
    k = raw[:, :, 3]
    cand = {
        "k - ((255 - c) * k >> 8), raw samples": np.stack([k - ((255 - raw[:, :, i]) * k >> 8) for i in range(3)], 2),
        "c * k // 255, raw samples": np.stack([raw[:, :, i] * k // 255 for i in range(3)], 2),
        "PIL convert RGB": np.asarray(cim.convert("RGB")).astype(int),
    }
    findings["jpeg_cmyk"] = dict(pil_mode=cim.mode, adobe_transform=cim.info.get("adobe_transform"),
                                 match={n: bool(np.array_equal(d, v)) for n, v in cand.items()},
                                 max_abs_diff={n: int(np.abs(d - v).max()) for n, v in cand.items()})
    assert findings["jpeg_cmyk"]["match"]["k - ((255 - c) * k >> 8), raw samples"]

    # ---- D. resize oracle ----
    rs_dir = os.path.join(gold, "resize")
    px = lambda n: np.load(os.path.join(gold, n + ".pixels.npy"))  # noqa: E731
    src37 = px("png_rgb")[10:39, 20:57]                    # 29 rows x 37 cols
    assert src37.shape == (29, 37, 3)
    src120 = px("jpeg_progressive")[:, :]                  # 75x100
    resize_cases = [
        # (case, src, (out_w, out_h), note)
        ("up2x_37x29_to_74x58", src37, (74, 58), "exact 2x upscale"),
        ("up_37x29_to_64x81", src37, (64, 81), "non-integer upscale, different factors"),
        ("up_37x29_to_81x64", src37, (81, 64), "non-integer upscale"),
        ("down_100x75_to_77x53", src120, (77, 53), "non-integer downscale"),
        ("down_100x75_to_41x30", src120, (41, 30), "non-integer downscale, factor > 2"),
        ("down2x_100x75_to_50x37", src120, (50, 37), "2x in x, 75/37 in y: generic bilinear"),
        ("down2x_96x72_to_48x36", px("jpeg_444"), (48, 36),
         "exactly 2x on both axes: OpenCV switches INTER_LINEAR to INTER_AREA"),
        ("down2x_80x56_to_40x28", px("webp_lossless"), (40, 28), "exactly 2x on both axes"),
        ("down3x_96x72_to_32x24", px("jpeg_444"), (32, 24), "exactly 3x: stays bilinear"),
        ("down4x_12x300_to_3x75", px("jpeg_tall"), (3, 75), "exactly 4x: stays bilinear"),
        ("width_only_37x29_to_50x29", src37, (50, 29), "width changes only"),
        ("height_only_37x29_to_37x45", src37, (37, 45), "height changes only"),
        ("width_only_down_100x75_to_63x75", src120, (63, 75), "width downscale only"),
        ("to_1x29", src37, (1, 29), "1 px wide"),
        ("to_37x1", src37, (37, 1), "1 px high"),
        ("to_1x1", src37, (1, 1), "1x1"),
        ("from_1x1_to_5x3", px("png_1x1"), (5, 3), "1x1 source"),
        ("from_12x300_to_64x1600", px("jpeg_tall"), (64, 1600), "pipeline geometry of jpeg_tall at resize 64"),
        ("from_1px_wide_to_9x7", src37[:, :1], (9, 7), "1 px wide source"),
        ("same_size_37x29", src37, (37, 29), "same size: copy"),
    ]
    two_x = {}
    for case, src, (ow, oh), note in resize_cases:
        src = np.ascontiguousarray(src)
        outp = bgr2rgb(cv2.resize(src[:, :, ::-1].copy(), (ow, oh), interpolation=cv2.INTER_LINEAR))
        # resize is per-channel, so RGB in -> RGB out equals the BGR route; check it
        assert np.array_equal(outp, cv2.resize(src, (ow, oh), interpolation=cv2.INTER_LINEAR))
        ip = os.path.join(rs_dir, case + ".in.npy")
        op = os.path.join(rs_dir, case + ".out.npy")
        save_npy(ip, src)
        save_npy(op, outp)
        c = dict(id="resize/" + case, kind="resize", input=rel(ip), width=ow, height=oh,
                 interpolation="INTER_LINEAR", description=note, outputs=dict(output=rel(op)),
                 in_shape=list(src.shape), shape=list(outp.shape))
        model_ok = np.array_equal(outp, opencv_resize_model.resize_linear_u8(src, ow, oh))
        assert model_ok, "opencv_resize_model disagrees with cv2 on " + case
        if src.shape[0] == 2 * oh and src.shape[1] == 2 * ow:
            area = cv2.resize(src, (ow, oh), interpolation=cv2.INTER_AREA)
            box = (src.reshape(oh, 2, ow, 2, 3).astype(int).sum((1, 3)) + 2) // 4
            two_x[case] = dict(equals_INTER_AREA=bool(np.array_equal(outp, area)),
                               equals_box_mean_round_half_up=bool(np.array_equal(outp, box)),
                               equals_generic_bilinear_model=bool(model_ok))
            c["opencv_uses"] = "INTER_AREA (same values as the generic bilinear)"
        cases.append(c)
    findings["resize_exact_2x_down"] = two_x

    # ---- E. DCT-stage oracle ----
    dct_dir = os.path.join(gold, "dct")
    rng = np.random.RandomState(2020)
    sat = np.zeros((32, 64, 3), np.uint8)
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (0, 255, 255),
               (255, 0, 255), (255, 255, 0), (0, 0, 0), (255, 255, 255)]
    for i, col in enumerate(colours):
        sat[(i // 4) * 16:(i // 4) * 16 + 16, (i % 4) * 16:(i % 4) * 16 + 16] = col
    flat = np.zeros((32, 32, 3), np.uint8)
    flat[:16, :16] = (128, 128, 128)
    flat[:16, 16:] = (17, 200, 99)
    flat[16:, :16] = (250, 251, 3)
    flat[16:, 20:] = (64, 0, 192)   # edge inside a block
    yy, xx = np.mgrid[0:48, 0:48]
    grad = np.dstack([xx * 255 // 47, yy * 255 // 47, (xx + yy) * 255 // 94]).astype(np.uint8)
    checker = (((np.indices((16, 16)).sum(0) % 2) * 255).astype(np.uint8))
    checker = np.dstack([checker, 255 - checker, checker])
    real1 = px("jpeg_progressive")[8:40, 10:74]            # 32 x 64
    real2 = px("png_rgb")[0:48, 20:68]                    # 48 x 48
    real3 = np.asarray(Image.open(os.path.join(args.samples, "n01440764_tench.JPEG")).convert("RGB"))[200:264, 150:214]
    dct_cases = [
        ("noise_16x16", rng.randint(0, 256, (16, 16, 3)).astype(np.uint8), "uniform random noise"),
        ("noise_48x48", rng.randint(0, 256, (48, 48, 3)).astype(np.uint8), "uniform random noise"),
        ("real_32x64", real1, "real image crop (h 32, w 64)"),
        ("real_48x48", real2, "real image crop"),
        ("real_64x64", real3, "real ImageNet crop"),
        ("saturated_32x64", sat, "saturated primaries/secondaries, black, white in 16x16 patches"),
        ("flat_32x32", flat, "flat areas, one edge inside a block"),
        ("gradient_48x48", grad, "smooth gradients"),
        ("checker_16x16", checker, "1-px checkerboard: extreme high-frequency coefficients"),
        ("real_24x40", px("jpeg_420")[5:29, 11:51],
         "NOT a multiple of 16 (h 24, w 40): Y exact; chroma blocks include libjpeg's edge replication"),
    ]
    for case, rgb, note in dct_cases:
        rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
        h, w = rgb.shape[:2]
        y, cb, cr = refpipe.encode_coefficients(rgb, refpipe.TJPF_RGB)
        # same as the BGR route used by the pipeline
        y2, cb2, cr2 = refpipe.encode_coefficients(rgb[:, :, ::-1].copy(), refpipe.TJPF_BGR)
        assert np.array_equal(y, y2) and np.array_equal(cb, cb2) and np.array_equal(cr, cr2)
        files = {}
        for key, arr in (("pixels", rgb), ("y", y), ("cb", cb), ("cr", cr)):
            p = os.path.join(dct_dir, "%s.%s.npy" % (case, key))
            save_npy(p, arr)
            files[key] = rel(p)
        cases.append(dict(id="dct/" + case, kind="dct", input=files.pop("pixels"),
                          multiple_of_16=(h % 16 == 0 and w % 16 == 0), description=note,
                          outputs=files, y_shape=list(y.shape), cbcr_shape=list(cb.shape)))

    # ---- F. ImageNet full geometry ----
    inet = os.path.join(gold, "imagenet")
    for fname, resize, crop, why in IMAGENET_CASES:
        src = os.path.join(args.samples, fname)
        bgr = refpipe.decode(src)
        coef = refpipe.reference_coefficients(bgr, resize, crop)
        stem = os.path.splitext(fname)[0]
        p = os.path.join(inet, "%s.%s.npy.gz" % (stem, geom_tag(resize, crop)))
        save_npy_gz(p, coef)
        cases.append(dict(id="imagenet/%s/%s" % (stem, geom_tag(resize, crop)), kind="imagenet",
                          shared_file=fname, shared_dir="../shared/data/imagenet-samples",
                          shared_sha256=sha256(src), decoded_shape=list(bgr.shape),
                          resize=resize, crop=crop, description=why,
                          outputs=dict(coefficients=rel(p)), shape=list(coef.shape)))

    manifest = dict(
        schema=1,
        generator="tools/golden/generate.py",
        regenerate="/usr/bin/python3 tools/golden/generate.py",
        versions=refpipe.versions(),
        conventions=dict(
            npy="NumPy .npy format 1.0, C order, little endian; .npy.gz = the same gzip-compressed",
            paths="relative to tests/fixtures; imagenet cases name a file in shared_dir "
                  "(relative to the repository root), skip if absent",
            pixels="uint8 (H, W, 3), RGB order (cv2.imread result with channels reversed)",
            coefficients="int16 (192, S, S), S = crop/8; channel = component*64 + (8*v + u), "
                         "component 0=Y 1=Cb 2=Cr; quant tables at q100 are all ones",
            crop_pixels="uint8 (crop, crop, 3) RGB: the resized, centre-cropped, zero-padded image "
                        "that enters the JPEG stage",
            dct="y: int16 (H/8, W/8, 64); cb, cr: int16 (ceil(H/16), ceil(W/16), 64); "
                "block (by, bx), coefficient 8*v+u; from tjCompress2(TJPF_RGB, TJSAMP_420, q100, flags 0)",
            resize="cv2.resize(in, (width, height), interpolation=INTER_LINEAR) on uint8 RGB",
            resize_rule="shorter side -> resize, longer -> int(resize*long/short); untouched if the "
                        "shorter side already equals resize; resize null = no resize",
            crop_rule="top = round((h-crop)/2), left = round((w-crop)/2), half to even; zero padding",
        ),
        findings=findings,
        cases=cases,
    )
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=False)
        f.write("\n")

    total = 0
    for root, _, files in os.walk(out):
        for fn in files:
            total += os.path.getsize(os.path.join(root, fn))
    print("cases: %d  total fixture size: %.2f MB" % (len(cases), total / 1e6))
    print(json.dumps(findings, indent=1))


if __name__ == "__main__":
    main()
