#!/usr/bin/python3
"""Golden files for the JPEG-domain pipeline: quantized coefficients as libjpeg's jpeg_read_coefficients reads them.

    /usr/bin/python3 tools/golden/make_jpeg_domain_goldens.py [--samples ../shared/data/imagenet-samples]

Writes tests/fixtures/jpeg-domain/:
  <name>.jpg    a JPEG written by libjpeg (jpeg_encode.c) in one of the encodings the pipeline must read:
                baseline, progressive, restart intervals, arithmetic coding, optimized tables, 4:4:4, 4:2:2, 4:2:0,
                4:4:0, 4:1:1, grayscale, odd and tiny sizes, plus CMYK and YCCK files (which the pipeline refuses)
  <name>.jcof   what jpeg_coefficients.c (jpeg_read_coefficients) reads from it: the JCOF layout of README.md
  imagenet-coefficients.json   {file name: SHA-256 of its JCOF} for every JPEG of the ImageNet samples, so a test
                can check all 1000 without committing their coefficients (or the images)
  manifest.json the cases and how they were made
The images are synthetic (seeded NumPy: gradients, edges, texture and noise, so every frequency is present).
Needs: gcc, libjpeg62-turbo-dev, python3-numpy.
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import tempfile

import numpy as np

import refpipe

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "tests", "fixtures", "jpeg-domain")
SAMPLES = os.path.join(ROOT, "..", "shared", "data", "imagenet-samples")

# name, width, height, jpeg_encode options
CASES = [
    ("baseline_420_q75", 67, 45, ["-q", "75", "-s", "420"]),
    ("baseline_420_q100", 64, 48, ["-q", "100", "-s", "420"]),
    ("baseline_422_q85", 67, 45, ["-q", "85", "-s", "422"]),
    ("baseline_444_q90", 67, 45, ["-q", "90", "-s", "444"]),
    ("baseline_440_q80", 45, 67, ["-q", "80", "-s", "440"]),
    ("baseline_411_q80", 70, 21, ["-q", "80", "-s", "411"]),
    ("gray_q75", 41, 29, ["-q", "75", "-s", "gray"]),
    ("progressive_420", 67, 45, ["-q", "75", "-s", "420", "-p"]),
    ("progressive_444", 50, 37, ["-q", "92", "-s", "444", "-p"]),
    ("progressive_gray", 41, 29, ["-q", "60", "-s", "gray", "-p"]),
    ("restart_1_420", 67, 45, ["-q", "75", "-s", "420", "-r", "1"]),
    ("restart_3_422", 67, 45, ["-q", "75", "-s", "422", "-r", "3"]),
    ("restart_progressive_420", 67, 45, ["-q", "75", "-s", "420", "-p", "-r", "2"]),
    ("arithmetic_420", 67, 45, ["-q", "75", "-s", "420", "-a"]),
    ("arithmetic_progressive_444", 50, 37, ["-q", "75", "-s", "444", "-a", "-p"]),
    ("optimized_420_q30", 67, 45, ["-q", "30", "-s", "420", "-o"]),
    ("tiny_1x1", 1, 1, ["-q", "75", "-s", "420"]),
    ("tiny_8x8_444", 8, 8, ["-q", "75", "-s", "444"]),
    ("odd_17x9_420", 17, 9, ["-q", "75", "-s", "420"]),
    ("thin_3x200_420", 3, 200, ["-q", "75", "-s", "420"]),
    ("wide_200x5_422", 200, 5, ["-q", "75", "-s", "422"]),
]
# A quantization table redefined between the frame header and a scan: (name, the case it is made from, the index
# of the scan (SOS marker) the DQT segment is put before). libjpeg latches a component's table when its first scan
# starts, so a DQT before scan 0 changes every component's table, and one before scan 1 of a progressive file whose
# first scan holds every component (jpeg_simple_progression's DC scan) changes none. TurboJPEG's transformer, which
# DctNet reads coefficients with, refuses the second kind ("multiple use of quantization table"): the case says so.
REDEFINED = [
    ("dqt_before_first_scan", "progressive_420", 0, False),
    ("dqt_after_first_scan", "progressive_420", 1, True),
]
# Four-channel files: the pipeline refuses them (there is no Y/Cb/Cr to read), so only the JPEG is kept.
REFUSED = [
    ("cmyk", 24, 16, ["-q", "75", "-cmyk"]),
    ("ycck", 24, 16, ["-q", "75", "-ycck"]),
]


def synthetic(width, height, channels, seed):
    """Smooth gradients, a hard diagonal edge, a fine texture and noise: content at every frequency."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    planes = []
    for c in range(channels):
        gradient = 255.0 * (0.3 + 0.4 * np.sin((x * (c + 1) + 2 * y) / max(width, height) * np.pi))
        edge = np.where(x * (c + 2) > y * 3 + c * 5, 60.0, -60.0)
        texture = 25.0 * np.sin(x * 2.1 + c) * np.cos(y * 1.7 - c)
        planes.append(gradient + edge + texture + rng.normal(0, 12, size=x.shape))
    return np.clip(np.stack(planes, axis=-1), 0, 255).round().astype(np.uint8)


def redefine_tables(jpeg, scan):
    """The JPEG with a DQT segment (table 0 all 2s, table 1 all 3s) inserted before its scan number `scan`."""
    starts = [i for i in range(len(jpeg) - 1) if jpeg[i] == 0xFF and jpeg[i + 1] == 0xDA]  # never inside entropy data
    segment = b"\xff\xdb" + (2 + 2 * 65).to_bytes(2, "big") + b"\x00" + bytes([2] * 64) + b"\x01" + bytes([3] * 64)
    return jpeg[:starts[scan]] + segment + jpeg[starts[scan]:]


def compile_encoder(tmp):
    exe = os.path.join(tmp, "jpeg_encode")
    subprocess.run(["gcc", "-O2", "-Wall", "-o", exe, os.path.join(HERE, "jpeg_encode.c"), "-ljpeg"], check=True)
    return exe


def coefficients(jpeg_bytes):
    return subprocess.run([refpipe.helper_path(), "-"], input=jpeg_bytes, stdout=subprocess.PIPE, check=True).stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", default=SAMPLES, help="the ImageNet samples folder (its digests are skipped if absent)")
    args = parser.parse_args()
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    tmp = tempfile.mkdtemp(prefix="dctnet-jpeg-domain-")
    try:
        encoder = compile_encoder(tmp)
        cases = []
        for seed, (name, width, height, options) in enumerate(CASES + REFUSED):
            channels = 4 if ("-cmyk" in options or "-ycck" in options) else 3
            pixels = synthetic(width, height, channels, seed)
            jpeg = subprocess.run([encoder, str(width), str(height)] + options, input=pixels.tobytes(),
                                  stdout=subprocess.PIPE, check=True).stdout
            with open(os.path.join(OUT, name + ".jpg"), "wb") as f:
                f.write(jpeg)
            case = dict(name=name, width=width, height=height, options=" ".join(options), jpeg=name + ".jpg")
            if channels == 3:
                jcof = coefficients(jpeg)
                parsed = refpipe.parse_coefficients(jcof)
                assert (parsed["width"], parsed["height"]) == (width, height), name
                with open(os.path.join(OUT, name + ".jcof"), "wb") as f:
                    f.write(jcof)
                case["coefficients"] = name + ".jcof"
                case["components"] = [dict(id=c["id"], h=c["h"], v=c["v"], blocks=list(c["coef"].shape[1::-1]))
                                      for c in parsed["components"]]
            cases.append(case)

        for name, source, scan, refused in REDEFINED:
            with open(os.path.join(OUT, source + ".jpg"), "rb") as f:
                jpeg = redefine_tables(f.read(), scan)
            with open(os.path.join(OUT, name + ".jpg"), "wb") as f:
                f.write(jpeg)
            with open(os.path.join(OUT, name + ".jcof"), "wb") as f:
                f.write(coefficients(jpeg))
            cases.append(dict(name=name, jpeg=name + ".jpg", coefficients=name + ".jcof",
                              made_from=source, dqt_before_scan=scan, tjtransform_refuses=refused))

        digests = {}
        if os.path.isdir(args.samples):
            for file in sorted(os.listdir(args.samples)):
                if file.lower().endswith((".jpeg", ".jpg")):
                    with open(os.path.join(args.samples, file), "rb") as f:
                        digests[file] = hashlib.sha256(coefficients(f.read())).hexdigest()
            with open(os.path.join(OUT, "imagenet-coefficients.json"), "w") as f:
                json.dump(dict(generator="tools/golden/make_jpeg_domain_goldens.py",
                               what="SHA-256 of the JCOF layout (tools/golden/README.md) that jpeg_coefficients.c "
                                    "writes for each file of ../shared/data/imagenet-samples",
                               files=digests), f, indent=1, sort_keys=True)
                f.write("\n")
        else:
            print("note: %s is absent; imagenet-coefficients.json not written" % args.samples)

        manifest = dict(generator="tools/golden/make_jpeg_domain_goldens.py",
                        regenerate="/usr/bin/python3 tools/golden/make_jpeg_domain_goldens.py",
                        encoder="tools/golden/jpeg_encode.c (libjpeg %s)" % libjpeg_version(),
                        reader="tools/golden/jpeg_coefficients.c (jpeg_read_coefficients)",
                        cases=cases, imagenet_digests=len(digests))
        with open(os.path.join(OUT, "manifest.json"), "w") as f:
            json.dump(manifest, f, indent=1)
            f.write("\n")
        print("wrote %d cases and %d ImageNet digests to %s" % (len(cases), len(digests), OUT))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def libjpeg_version():
    out = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "libjpeg62-turbo"], stdout=subprocess.PIPE, text=True)
    return out.stdout.strip() or "unknown"


if __name__ == "__main__":
    main()
