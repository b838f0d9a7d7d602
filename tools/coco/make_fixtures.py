#!/usr/bin/python3
"""Golden fixtures for DctNet.Detection's COCO code, computed by the real pycocotools.

Writes, under tests/fixtures/coco/ (deterministic from --seed):
  gt.json              synthetic ground truth: non-contiguous category ids, crowd regions as uncompressed RLE
                       and as polygons, a compressed-RLE object, multi-part polygons, objects in all three area
                       ranges, some 'area' fields that differ from the mask area (the bbox filter reads the field),
                       an empty image, an image with ground truth but no detections, one with detections only
  dt_bbox.json         bbox results ({image_id, category_id, bbox, score}); score ties; > 100 on one image
  dt_segm.json         the same detections as compressed RLE masks without bbox (loadRes: area from the mask)
  dt_segm_box.json     masks with a bbox (loadRes then takes area = w*h, as for detectron/mmdetection output)
  eval.json            COCOeval's parameters, 12-number stats, recall and mean precision for each run
  rle_cases.json       maskApi cases: encode/decode/area/toBbox, frPoly, frBbox, merge, iou, string form

How pycocotools was built (Debian 12, no internet; the cocoapi source from github:cocodataset/cocoapi, 8c9bcc3):
  apt-get install -y cython3 python3-numpy python3-dev python3-matplotlib   # coco.py imports matplotlib
  git --git-dir=<mirror of cocodataset/cocoapi> archive HEAD PythonAPI common | tar -x -C /tmp/cocoapi-src
  cd /tmp/cocoapi-src/PythonAPI && /usr/bin/python3 setup.py build_ext --inplace
  /usr/bin/python3 tools/coco/make_fixtures.py --pycocotools /tmp/cocoapi-src/PythonAPI
NumPy 1.24 removed np.float, which cocoeval.accumulate still uses; it was an alias of the builtin float, so this
script restores the alias instead of editing pycocotools.
"""
import argparse
import contextlib
import io
import json
import os
import sys

import numpy as np

if not hasattr(np, "float"):
    np.float = float

CATEGORY_IDS = [3, 7, 18, 44, 90]  # non-contiguous, as COCO's
IMAGE_SIZES = [(48, 64), (100, 120), (160, 200), (200, 240)]  # (height, width)


def polygon(rng, cx, cy, radius, vertices):
    """A star-shaped polygon around (cx, cy) with coordinates at 0.01 px (COCO's polygons have two decimals)."""
    angles = np.sort(rng.uniform(0, 2 * np.pi, vertices))
    radii = radius * rng.uniform(0.55, 1.0, vertices)
    xy = np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], axis=1)
    return [round(float(v), 2) for v in xy.reshape(-1)]


def polygon_box(parts):
    xs = [v for part in parts for v in part[0::2]]
    ys = [v for part in parts for v in part[1::2]]
    return [min(xs), min(ys), round(max(xs) - min(xs), 2), round(max(ys) - min(ys), 2)]


def uncompressed_counts(mask_utils, rle):
    """Run lengths of a compressed RLE as a list (COCO's crowd regions are stored this way)."""
    flat = mask_utils.decode(rle).reshape(-1, order="F")
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    counts = np.diff(bounds).tolist()
    return counts if flat[0] == 0 else [0] + counts


def as_text(rle):
    return {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii")}


def make_ground_truth(rng, mask_utils):
    images, annotations = [], []

    def add(image, category, segmentation, iscrowd, bbox, area):
        # Crowd ids beyond 32 bits, as COCO's (900100xxxxxx).
        ann_id = len(annotations) + 1 + (900100000000 if iscrowd else 0)
        annotations.append({"id": ann_id, "image_id": image["id"], "category_id": category,
                            "segmentation": segmentation, "area": area, "bbox": bbox, "iscrowd": iscrowd})

    image_ids = sorted(rng.choice(np.arange(1, 600000), 18, replace=False).tolist())
    for index, image_id in enumerate(image_ids):
        h, w = IMAGE_SIZES[index % len(IMAGE_SIZES)]
        image = {"id": image_id, "width": w, "height": h, "file_name": f"{image_id:012d}.jpg"}
        images.append(image)
        if index in (0, 1):  # no ground truth: image 0 gets no detections either, image 1 only false positives
            continue
        for _ in range(rng.randint(1, 7)):
            category = int(rng.choice(CATEGORY_IDS))
            size_class = rng.randint(3)
            radius = [rng.uniform(2.5, 9), rng.uniform(20, 45), rng.uniform(60, 110)][size_class]
            cx, cy = rng.uniform(-0.1 * w, 1.1 * w), rng.uniform(-0.1 * h, 1.1 * h)
            parts = [polygon(rng, cx, cy, radius, rng.randint(3, 14))]
            if rng.rand() < 0.3:  # a second and third part beside the first
                for _ in range(rng.randint(1, 3)):
                    parts.append(polygon(rng, cx + rng.uniform(-1.5, 1.5) * radius, cy + rng.uniform(-1.5, 1.5) * radius,
                                         radius * rng.uniform(0.2, 0.6), rng.randint(3, 9)))
            rle = mask_utils.merge(mask_utils.frPyObjects(parts, h, w))
            area = float(mask_utils.area(rle))
            if area == 0:
                continue
            if rng.rand() < 0.15:  # an 'area' field that is not the mask's: the bbox evaluation must read the field
                area = round(area * rng.uniform(0.3, 3.0), 2)
            if len(annotations) % 9 == 4:
                add(image, category, as_text(rle), 0, polygon_box(parts), area)  # compressed RLE ground truth
            else:
                add(image, category, parts, 0, polygon_box(parts), area)
        if index % 3 == 1:  # a crowd region, as uncompressed RLE (as COCO stores them) or as polygons
            category = int(rng.choice(CATEGORY_IDS))
            parts = [polygon(rng, rng.uniform(0, w), rng.uniform(0, h), rng.uniform(15, 50), 10)]
            rle = mask_utils.merge(mask_utils.frPyObjects(parts, h, w))
            if index % 2 == 0:
                segmentation = {"size": [h, w], "counts": uncompressed_counts(mask_utils, rle)}
            else:
                segmentation = parts
            add(image, category, segmentation, 1, [float(v) for v in mask_utils.toBbox(rle)], float(mask_utils.area(rle)))
    categories = [{"id": c, "name": f"category{c}", "supercategory": "thing"} for c in CATEGORY_IDS]
    return {"images": images, "annotations": annotations, "categories": categories}


def jitter(rng, values, amount):
    return [round(float(v + rng.normal(0, amount)), 2) for v in values]


def make_detections(rng, gt, mask_utils):
    """Detections as (image, category, parts, bbox, score): near misses, duplicates, false positives, score ties."""
    images = {image["id"]: image for image in gt["images"]}
    by_image = {}
    for ann in gt["annotations"]:
        by_image.setdefault(ann["image_id"], []).append(ann)
    ordered_ids = [image["id"] for image in gt["images"]]
    no_detection_image = ordered_ids[2]  # ground truth but no detections
    crowded_image = ordered_ids[3]       # more than 100 detections of one category
    detections = []
    for image_id in ordered_ids[1:]:
        if image_id == no_detection_image:
            continue
        image = images[image_id]
        h, w = image["height"], image["width"]
        for ann in by_image.get(image_id, []):
            segmentation = ann["segmentation"]
            if not isinstance(segmentation, list):
                x, y, bw, bh = ann["bbox"]
                segmentation = [[x, y, x + bw, y, x + bw, y + bh, x, y + bh]]
            scale = max(ann["bbox"][2], ann["bbox"][3])
            for _ in range(rng.choice([0, 1, 1, 2, 3])):
                parts = [jitter(rng, part, 0.08 * scale) for part in segmentation]
                bbox = jitter(rng, ann["bbox"], 0.08 * scale)
                bbox[2], bbox[3] = abs(bbox[2]), abs(bbox[3])
                category = ann["category_id"] if rng.rand() < 0.9 else int(rng.choice(CATEGORY_IDS))
                detections.append((image_id, category, parts, bbox, round(float(rng.uniform(0.05, 1.0)), 1)))
        for _ in range(rng.randint(0, 4)):  # false positives anywhere
            radius = rng.uniform(3, 60)
            parts = [polygon(rng, rng.uniform(0, w), rng.uniform(0, h), radius, 6)]
            detections.append((image_id, int(rng.choice(CATEGORY_IDS)), parts, polygon_box(parts),
                               round(float(rng.uniform(0.0, 0.6)), 2)))
        if image_id == crowded_image:
            for _ in range(130):
                radius = rng.uniform(3, 40)
                parts = [polygon(rng, rng.uniform(0, w), rng.uniform(0, h), radius, 5)]
                detections.append((image_id, CATEGORY_IDS[1], parts, polygon_box(parts), round(float(rng.uniform(0, 1)), 1)))
    return detections


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, separators=(",", ":"))


def evaluate(coco_module, cocoeval_module, gt_path, dt_path, iou_type):
    ground_truth = coco_module.COCO(gt_path)
    results = ground_truth.loadRes(dt_path)
    evaluator = cocoeval_module.COCOeval(ground_truth, results, iou_type)
    evaluator.evaluate()
    evaluator.accumulate()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        evaluator.summarize()
    precision = evaluator.eval["precision"]  # T x R x K x A x M
    # Mean over recall thresholds, keeping -1 where the category had nothing to evaluate.
    mean_precision = np.where(precision[:, 0] > -1, precision.mean(axis=1), -1.0)
    return {"stats": evaluator.stats.tolist(), "recall": evaluator.eval["recall"].tolist(),
            "mean_precision": mean_precision.tolist(), "summary_lines": printed.getvalue().splitlines()}


def rle_cases(rng, mask_utils):
    cases = {"encode": [], "poly": [], "bbox": [], "merge": [], "iou": [], "box_iou": [], "uncompressed": []}
    shapes = [(1, 1), (5, 7), (7, 5), (13, 11), (32, 24)]
    for h, w in shapes:
        for fill in ["zeros", "ones", "random", "first_set", "blobs"]:
            if fill == "zeros":
                mask = np.zeros((h, w), np.uint8)
            elif fill == "ones":
                mask = np.ones((h, w), np.uint8)
            elif fill == "first_set":
                mask = (rng.rand(h, w) < 0.5).astype(np.uint8)
                mask[0, 0] = 1
            elif fill == "random":
                mask = (rng.rand(h, w) < 0.5).astype(np.uint8)
            else:
                mask = np.zeros((h, w), np.uint8)
                mask[h // 4:h // 2 + 1, w // 3:w - 1] = 1
                mask[h - 1, 0] = 1
            rle = mask_utils.encode(np.asfortranarray(mask))
            cases["encode"].append({"size": [h, w], "mask": "".join(str(v) for v in mask.reshape(-1, order="F")),
                                    "counts": rle["counts"].decode("ascii"), "area": int(mask_utils.area(rle)),
                                    "bbox": mask_utils.toBbox(rle).tolist()})
    for _ in range(60):
        h, w = int(rng.randint(1, 40)), int(rng.randint(1, 40))
        k = int(rng.randint(3, 12))
        coordinates = rng.uniform(-8, 48, 2 * k)
        style = rng.randint(4)
        if style == 1:
            coordinates = np.round(coordinates * 2) / 2  # on half pixels: the .5 rounding cases
        elif style == 2:
            coordinates = np.round(coordinates)
            coordinates[2:4] = coordinates[0:2]  # a repeated vertex
        elif style == 3:
            coordinates = np.round(coordinates, 2)
        xy = [float(v) for v in coordinates]
        rle = mask_utils.frPyObjects([xy], h, w)[0]
        cases["poly"].append({"size": [h, w], "polygon": xy, "counts": rle["counts"].decode("ascii"),
                              "area": int(mask_utils.area(rle)), "bbox": mask_utils.toBbox(rle).tolist()})
    for _ in range(20):
        h, w = int(rng.randint(1, 30)), int(rng.randint(1, 30))
        box = [float(v) for v in np.round(rng.uniform(-5, 30, 4) * np.array([1, 1, 0.7, 0.7]), 2)]
        box[2], box[3] = abs(box[2]), abs(box[3])
        rle = mask_utils.frPyObjects(np.array([box]), h, w)[0]
        cases["bbox"].append({"size": [h, w], "box": box, "counts": rle["counts"].decode("ascii")})
    for _ in range(20):
        h, w = int(rng.randint(1, 25)), int(rng.randint(1, 25))
        masks = [mask_utils.encode(np.asfortranarray((rng.rand(h, w) < rng.uniform(0.1, 0.9)).astype(np.uint8)))
                 for _ in range(rng.randint(1, 4))]
        for intersect in (0, 1):
            merged = mask_utils.merge(masks, intersect=intersect)
            cases["merge"].append({"size": [h, w], "masks": [m["counts"].decode("ascii") for m in masks],
                                   "intersect": bool(intersect), "counts": merged["counts"].decode("ascii")})
    for _ in range(15):
        h, w = int(rng.randint(4, 30)), int(rng.randint(4, 30))

        def blob():
            mask = np.zeros((h, w), np.uint8)
            y0, x0 = rng.randint(0, h), rng.randint(0, w)
            mask[y0:y0 + rng.randint(1, h), x0:x0 + rng.randint(1, w)] = 1
            mask &= (rng.rand(h, w) < 0.85).astype(np.uint8)
            return mask_utils.encode(np.asfortranarray(mask))
        dts, gts = [blob() for _ in range(rng.randint(1, 4))], [blob() for _ in range(rng.randint(1, 4))]
        if rng.rand() < 0.3:  # a mask of another size: maskApi returns -1 where the boxes overlap
            other = mask_utils.encode(np.asfortranarray(np.ones((h + 1, w), np.uint8)))
            gts.append(other)
        iscrowd = [int(v) for v in rng.randint(0, 2, len(gts))]
        iou = mask_utils.iou(dts, gts, iscrowd)
        cases["iou"].append({"dt": [as_text(r) for r in dts], "gt": [as_text(r) for r in gts], "iscrowd": iscrowd,
                             "iou": np.asarray(iou).tolist()})
    for _ in range(15):
        dts = np.round(rng.uniform(0, 40, (rng.randint(1, 5), 4)), 2)
        gts = np.round(rng.uniform(0, 40, (rng.randint(1, 5), 4)), 2)
        iscrowd = [int(v) for v in rng.randint(0, 2, len(gts))]
        iou = mask_utils.iou(dts.tolist(), gts.tolist(), iscrowd)
        cases["box_iou"].append({"dt": dts.tolist(), "gt": gts.tolist(), "iscrowd": iscrowd, "iou": np.asarray(iou).tolist()})
    # Large runs and large negative differences, within an image of at most 2^31 - 1 pixels.
    for counts in ([0, 6], [6], [3, 1, 2], [0, 1, 5, 0, 2], [100000, 7, 3000000, 1, 5, 40000000],
                   [0, 2000000000, 7, 100000000, 47483640], [1, 1073741824, 2, 1, 1073741819]):
        total = sum(counts)
        rle = mask_utils.frPyObjects({"size": [1, total], "counts": counts}, 1, total)
        cases["uncompressed"].append({"size": [1, total], "counts": counts, "string": rle["counts"].decode("ascii")})
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pycocotools", required=True, help="folder holding the built pycocotools package")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "coco"))
    parser.add_argument("--seed", type=int, default=20200228)
    args = parser.parse_args()
    sys.path.insert(0, args.pycocotools)
    from pycocotools import coco, cocoeval, mask as mask_utils

    rng = np.random.RandomState(args.seed)
    os.makedirs(args.out, exist_ok=True)
    gt = make_ground_truth(rng, mask_utils)
    detections = make_detections(rng, gt, mask_utils)
    sizes = {image["id"]: (image["height"], image["width"]) for image in gt["images"]}
    dt_bbox, dt_segm, dt_segm_box = [], [], []
    for image_id, category, parts, bbox, score in detections:
        h, w = sizes[image_id]
        rle = as_text(mask_utils.merge(mask_utils.frPyObjects(parts, h, w)))
        dt_bbox.append({"image_id": image_id, "category_id": category, "bbox": bbox, "score": score})
        dt_segm.append({"image_id": image_id, "category_id": category, "segmentation": rle, "score": score})
        dt_segm_box.append({"image_id": image_id, "category_id": category, "bbox": bbox, "segmentation": rle, "score": score})

    paths = {name: os.path.join(args.out, name + ".json") for name in ("gt", "dt_bbox", "dt_segm", "dt_segm_box")}
    write_json(paths["gt"], gt)
    write_json(paths["dt_bbox"], dt_bbox)
    write_json(paths["dt_segm"], dt_segm)
    write_json(paths["dt_segm_box"], dt_segm_box)
    params = cocoeval.Params("bbox")
    runs = {
        "bbox": evaluate(coco, cocoeval, paths["gt"], paths["dt_bbox"], "bbox"),
        "segm": evaluate(coco, cocoeval, paths["gt"], paths["dt_segm"], "segm"),
        "segm_box": evaluate(coco, cocoeval, paths["gt"], paths["dt_segm_box"], "segm"),
        "bbox_from_masks": evaluate(coco, cocoeval, paths["gt"], paths["dt_segm"], "bbox"),
    }
    write_json(os.path.join(args.out, "eval.json"), {
        "iou_thresholds": params.iouThrs.tolist(), "recall_thresholds": params.recThrs.tolist(),
        "runs": [{"name": name, "results": f"dt_{'bbox' if name == 'bbox' else 'segm_box' if name == 'segm_box' else 'segm'}.json",
                  "iou_type": "bbox" if name.startswith("bbox") else "segm", **run} for name, run in runs.items()]})
    write_json(os.path.join(args.out, "rle_cases.json"), rle_cases(rng, mask_utils))
    print(f"{len(gt['images'])} images, {len(gt['annotations'])} annotations, {len(detections)} detections")
    for name, run in runs.items():
        print(name, " ".join(f"{v:.4f}" for v in run["stats"]))


if __name__ == "__main__":
    main()
