"""Write tests/fixtures/detection/dct_models.json: the paper's DCT detector, end to end, as the oracle for DctNet's.

    /usr/bin/python3 tools/detection/make_dct_parity_fixtures.py [--out tests/fixtures/detection]

For maskrcnn-r50-fpn-dct and fasterrcnn-r50-fpn-dct with DCT-24 and the deterministic weights of detection_weights.py,
on the two real images of make_parity_fixtures.py: the release's test input (OpenCV rescale and upscales, TurboJPEG
q100 4:2:0, coefficients read back by libjpeg - tools/baseline/dct_detection_speed.py, whose reader is compiled at run
time) and torchvision 0.14's heads on the DCT body, detections mapped back to the image. Records per case the
detections (boxes, scores, labels; masks thresholded at 0.5 as uncompressed COCO run lengths).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile

import cv2
import numpy as np
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tools", "baseline"))
import dct_detection_speed as dct  # noqa: E402
from make_parity_fixtures import column_major_runs, floats, ints, tensor  # noqa: E402

IMAGES = ["goose.png", "zebra.png"]
CHANNELS = 24


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "tests", "fixtures", "detection"))
    args = parser.parse_args()
    torch.set_num_threads(2)
    tmpdir = tempfile.mkdtemp(prefix="dctnet-dct-parity-")
    try:
        native = dct.Native(dct.build_helper(tmpdir))
        index, mean, std = dct.subset_and_statistics(CHANNELS)
        cases = []
        for name in ["maskrcnn-r50-fpn-dct", "fasterrcnn-r50-fpn-dct"]:
            model = dct.build(name, CHANNELS)
            for file in IMAGES:
                bgr = cv2.imread(os.path.join(args.out, "images", file), cv2.IMREAD_COLOR)
                with torch.no_grad():
                    coefficients, resized, factor = dct.dct_input(native, bgr, index, mean, std)
                    result = dct.detect(model, coefficients, resized, factor, bgr.shape[:2])
                detections = {"boxes": tensor(result["boxes"]), "scores": floats(result["scores"]), "labels": ints(result["labels"])}
                if "masks" in result:
                    detections["masks"] = [column_major_runs(m) for m in (result["masks"][:, 0] > 0.5).numpy()]
                cases.append({"model": name, "channels": CHANNELS, "image": file, "resized": list(resized), "detections": detections})
                print(name, file, len(result["scores"]), "detections", flush=True)
        with open(os.path.join(args.out, "dct_models.json"), "w") as f:
            json.dump({"torchvision": torchvision.__version__, "opencv": cv2.__version__, "cases": cases}, f)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


if __name__ == "__main__":
    main()
