# GENERATED FILE, DO NOT EDIT: edit notebooks/07_training.ipynb and run `python tools/export.py`.

import math
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw

COLOURS = {"red": (220, 40, 40), "green": (40, 170, 60), "blue": (40, 80, 220), "yellow": (235, 200, 30)}
FORMS = ("circle", "square", "triangle", "star")
CLASS_NAMES = [f"{colour} {form}" for colour in COLOURS for form in FORMS]  # 16 classes
IMAGE_SIZE = 64
SIDE_RANGE = (16, 26)  # the side of a shape's box, in pixels
HELD_OUT_SEED = 20261126  # an int; training batches use [train_seed, step, 1], never equal to an int seed


class Shapes(NamedTuple):
    images: list  # PIL images, RGB, IMAGE_SIZE x IMAGE_SIZE
    captions: list  # "a red triangle"
    boxes: list  # (x0, y0, x1, y1) in pixels, x1 and y1 exclusive
    labels: list  # index into class_names
    class_names: list  # "red triangle", ...


def _background(rng, size: int) -> Image.Image:
    """Soft blotches of muted colour (a 4 x 4 grid, smoothly enlarged) plus grain."""
    blotches = rng.integers(70, 180, size=(4, 4, 3)).astype(np.float64)
    blotches = 0.35 * blotches + 0.65 * blotches.mean(axis=2, keepdims=True)  # pull towards grey
    smooth = Image.fromarray(blotches.astype(np.uint8)).resize((size, size), Image.Resampling.BICUBIC)
    grain = rng.integers(-12, 13, size=(size, size, 1))
    return Image.fromarray(np.clip(np.asarray(smooth, dtype=np.int16) + grain, 0, 255).astype(np.uint8))


def _draw(draw: ImageDraw.ImageDraw, form: str, box: tuple, fill: tuple) -> None:
    x0, y0, x1, y1 = box  # inclusive corners, as Pillow draws them
    if form == "circle":
        draw.ellipse(box, fill=fill)
    elif form == "square":
        draw.rectangle(box, fill=fill)
    elif form == "triangle":
        draw.polygon([((x0 + x1) / 2, y0), (x1, y1), (x0, y1)], fill=fill)
    elif form == "star":  # five points, inner radius 0.45 of the outer one
        cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2 + 0.1 * (y1 - y0) / 2, (x1 - x0) / 2
        draw.polygon([(cx + (r if k % 2 == 0 else 0.45 * r) * math.cos(math.pi * (k / 5 - 0.5)),
                       cy + (r if k % 2 == 0 else 0.45 * r) * math.sin(math.pi * (k / 5 - 0.5))) for k in range(10)],
                     fill=fill)


def make_shapes(n: int, seed, distinct_classes: bool = False, image_size: int = IMAGE_SIZE) -> Shapes:
    """n captioned images of one coloured shape each. seed: an int or a list of ints (numpy's SeedSequence).

    Image i is drawn from its own random stream, so make_shapes(200, s) is the first 200 of
    make_shapes(500, s). distinct_classes=True gives n <= 16 images of n different classes (a training
    batch with no two images of one caption, so every off-diagonal pair really is a non-match)."""
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}")
    root = np.random.SeedSequence(seed)
    streams = [np.random.default_rng(np.random.SeedSequence(root.entropy, spawn_key=(1, i))) for i in range(n)]
    if distinct_classes:
        if n > len(CLASS_NAMES):
            raise ValueError(f"distinct_classes allows at most {len(CLASS_NAMES)} images, got n={n}")
        order = np.random.default_rng(np.random.SeedSequence(root.entropy, spawn_key=(0,)))
        labels = order.permutation(len(CLASS_NAMES))[:n].tolist()
    else:
        labels = [int(rng.integers(0, len(CLASS_NAMES))) for rng in streams]
    images, captions, boxes = [], [], []
    for label, rng in zip(labels, streams):
        colour, form = CLASS_NAMES[label].split()
        image = _background(rng, image_size)
        side = int(rng.integers(SIDE_RANGE[0], SIDE_RANGE[1] + 1)) * image_size // IMAGE_SIZE
        x0, y0 = (int(v) for v in rng.integers(0, image_size - side + 1, size=2))
        fill = tuple(int(np.clip(c + rng.integers(-20, 21), 0, 255)) for c in COLOURS[colour])
        _draw(ImageDraw.Draw(image), form, (x0, y0, x0 + side - 1, y0 + side - 1), fill)
        images.append(image)
        captions.append(f"a {colour} {form}")
        boxes.append((x0, y0, x0 + side, y0 + side))
    return Shapes(images, captions, boxes, labels, list(CLASS_NAMES))
