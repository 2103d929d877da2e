# GENERATED FILE, DO NOT EDIT: edit notebooks/08_training.ipynb and run `python tools/export.py`.

import math
from collections import namedtuple

import numpy as np
from PIL import Image, ImageDraw

COLOURS = {"red": (220, 40, 40), "green": (40, 170, 60), "blue": (40, 80, 220), "yellow": (235, 200, 30)}
CLASS_NAMES = [f"{colour} {form}" for colour in COLOURS for form in ("circle", "square", "triangle", "star")]
IMAGE_SIZE = 64  # height and width, in pixels
HELD_OUT_SEED = 20261126  # an int; training batches use [train_seed, step, 1], never equal to an int seed
# images (PIL, RGB), captions ("a red star"), boxes ((x0, y0, x1, y1) in pixels, x1 and y1 exclusive), labels:
Shapes = namedtuple("Shapes", ["images", "captions", "boxes", "labels", "class_names"])  # labels index class_names


def _draw(draw: ImageDraw.ImageDraw, form: str, box: tuple, fill: tuple) -> None:
    x0, y0, x1, y1 = box  # inclusive corners, as Pillow draws them
    if form == "circle":
        draw.ellipse(box, fill=fill)
    elif form == "square":
        draw.rectangle(box, fill=fill)
    elif form == "triangle":
        draw.polygon([((x0 + x1) / 2, y0), (x1, y1), (x0, y1)], fill=fill)
    else:  # a star: five points, inner radius 0.45 r; 0.1 r low to fill its box (tips r up, 0.81 r down)
        cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2 + 0.1 * (y1 - y0) / 2, (x1 - x0) / 2
        radii = [r if k % 2 == 0 else 0.45 * r for k in range(10)]
        draw.polygon([(cx + rk * math.cos(math.pi * (k / 5 - 0.5)), cy + rk * math.sin(math.pi * (k / 5 - 0.5)))
                      for k, rk in enumerate(radii)], fill=fill)


def _one_image(rng, colour: str, form: str) -> tuple:
    """One shape on a background of soft blotches of muted colour plus grain: (PIL image, box)."""
    blotches = rng.integers(70, 180, size=(4, 4, 3)).astype(np.float64)  # a 4 x 4 grid of colours ...
    blotches = 0.35 * blotches + 0.65 * blotches.mean(axis=2, keepdims=True)  # ... pulled towards grey ...
    smooth = Image.fromarray(blotches.astype(np.uint8)).resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BICUBIC)
    grain = rng.integers(-12, 13, size=(IMAGE_SIZE, IMAGE_SIZE, 1))  # ... smoothly enlarged, plus grain
    image = Image.fromarray(np.clip(np.asarray(smooth, dtype=np.int16) + grain, 0, 255).astype(np.uint8))
    side = int(rng.integers(16, 27))  # the side of the shape's box: 16 to 26 pixels
    x0, y0 = (int(v) for v in rng.integers(0, IMAGE_SIZE - side + 1, size=2))
    fill = tuple(int(np.clip(c + rng.integers(-20, 21), 0, 255)) for c in COLOURS[colour])
    _draw(ImageDraw.Draw(image), form, (x0, y0, x0 + side - 1, y0 + side - 1), fill)
    return image, (x0, y0, x0 + side, y0 + side)


def make_shapes(n: int, seed, distinct_classes: bool = False) -> Shapes:
    """n captioned images of one coloured shape each. seed: an int or a list of ints (numpy's SeedSequence).
    distinct_classes=True: n <= 16 images of n different classes (a batch with no two images of one caption)."""
    if distinct_classes and n > len(CLASS_NAMES):
        raise ValueError(f"distinct_classes allows at most {len(CLASS_NAMES)} images, got n={n}")
    root = np.random.SeedSequence(seed)
    streams = [np.random.default_rng(np.random.SeedSequence(root.entropy, spawn_key=(1, i))) for i in range(n)]
    order = np.random.default_rng(np.random.SeedSequence(root.entropy, spawn_key=(0,))).permutation(len(CLASS_NAMES))
    labels = order[:n].tolist() if distinct_classes else [int(rng.integers(0, len(CLASS_NAMES))) for rng in streams]
    drawn = [_one_image(rng, *CLASS_NAMES[label].split()) for label, rng in zip(labels, streams)]
    return Shapes([image for image, _ in drawn], [f"a {CLASS_NAMES[label]}" for label in labels],
                  [box for _, box in drawn], labels, list(CLASS_NAMES))
