#!/usr/bin/python3
"""Golden files for the RGB baselines' input recipe (torchvision on PIL images).

    /usr/bin/python3 tools/golden/make_rgb_goldens.py

Reads the decoded pixels of the decode fixtures (tests/fixtures/golden/<name>.pixels.npy,
so that decoding differences are out of the picture) and writes tests/fixtures/golden/rgb/:
  <name>.s<S>.npy     uint8 (H', W', 3): PIL Image.resize to torchvision Resize(S)'s size, BILINEAR
  <name>.recipe.npy   float32 (3, 32, 32): Resize(40), CenterCrop(32), ToTensor, Normalize(ImageNet)
  <name>.window<i>.npy float32 (3, 32, 32): the training recipe for one given window - resized_crop to 32 x 32,
                      hflip when asked, ToTensor, Normalize(ImageNet)
plus rgb/manifest.json. Needs Debian's python3-torchvision, python3-pil, python3-numpy.
"""
import json
import os

import numpy as np
import PIL
import torch
import torchvision
from PIL import Image
from torchvision import transforms
from torchvision.transforms import functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDEN = os.path.join(ROOT, "tests", "fixtures", "golden")
OUT = os.path.join(GOLDEN, "rgb")
NAMES = ["jpeg_420", "jpeg_444", "png_rgb", "png_rgba", "jpeg_tall", "jpeg_wide", "png_small", "bmp_rgb24"]
SIZES = [13, 40, 97]
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def resized_size(w, h, size):
    """torchvision's _compute_resized_output_size for an int size."""
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    return (new_short, new_long) if w <= h else (new_long, new_short)


def windows(width, height):
    """RandomResizedCrop-like windows: the whole image flipped, a small corner one (upscaled), an off-centre one."""
    return [(0, 0, width, height, True),
            (0, 0, max(1, width // 5), max(1, height // 4), False),
            (width // 3, height // 4, max(1, width // 2), max(1, (2 * height) // 3), True)]


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = []
    recipe = transforms.Compose([transforms.Resize(40), transforms.CenterCrop(32), transforms.ToTensor(),
                                 transforms.Normalize(MEAN, STD)])
    for name in NAMES:
        pixels = np.load(os.path.join(GOLDEN, name + ".pixels.npy"))
        image = Image.fromarray(pixels, "RGB")
        for size in SIZES:
            w, h = resized_size(image.width, image.height, size)
            if w * h * 3 > 60000:
                continue  # keep the fixtures small: extreme aspect ratios at the larger sizes
            resized = np.asarray(transforms.Resize(size)(image))
            assert resized.shape == (h, w, 3), (name, size, resized.shape, (h, w))
            out = "%s.s%d.npy" % (name, size)
            np.save(os.path.join(OUT, out), resized)
            cases.append(dict(kind="resize", input="golden/%s.pixels.npy" % name, size=size,
                              width=w, height=h, output="golden/rgb/" + out))
        out = "%s.recipe.npy" % name
        np.save(os.path.join(OUT, out), recipe(image).numpy().astype("<f4"))
        cases.append(dict(kind="recipe", input="golden/%s.pixels.npy" % name, resize=40, crop=32,
                          output="golden/rgb/" + out))
        for i, (left, top, w, h, flip) in enumerate(windows(image.width, image.height)):
            crop = F.resized_crop(image, top, left, h, w, [32, 32])
            if flip:
                crop = F.hflip(crop)
            out = "%s.window%d.npy" % (name, i)
            np.save(os.path.join(OUT, out), F.normalize(F.to_tensor(crop), MEAN, STD).numpy().astype("<f4"))
            cases.append(dict(kind="window", input="golden/%s.pixels.npy" % name, crop=32,
                              left=left, top=top, width=w, height=h, flip=flip, output="golden/rgb/" + out))
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(dict(generator="tools/golden/make_rgb_goldens.py",
                       versions=dict(torch=torch.__version__, torchvision=torchvision.__version__, pillow=PIL.__version__),
                       mean=MEAN, std=STD, cases=cases), f, indent=1)
        f.write("\n")
    print("%d cases -> %s" % (len(cases), OUT))


if __name__ == "__main__":
    main()
