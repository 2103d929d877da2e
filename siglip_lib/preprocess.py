# GENERATED FILE, DO NOT EDIT: edit notebooks/00_overview.ipynb and run `python tools/export.py`.

import os
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

IMAGE_MEAN = (0.5, 0.5, 0.5)
IMAGE_STD = (0.5, 0.5, 0.5)


def load_image(image) -> Image.Image:
    """A PIL image, or a path to an image file, opened as a PIL image."""
    if isinstance(image, Image.Image):
        return image
    if not isinstance(image, (str, os.PathLike)):
        raise TypeError(f"expected a PIL.Image.Image or a path to an image, got {type(image).__name__}")
    if not Path(image).is_file():
        raise FileNotFoundError(f"expected an image file, but {str(image)!r} does not exist")
    try:
        with Image.open(image) as opened:
            opened.load()
            return opened
    except UnidentifiedImageError:
        raise ValueError(f"expected an image file, but PIL cannot read {str(image)!r} as an image") from None


def to_rgb(image: Image.Image) -> Image.Image:
    """RGB, with any transparency composited onto white (as transformers' convert_to_rgb does).

    16-bit and float images convert with Pillow's rules, as in transformers: values above 255 become white,
    so we warn when that happens."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F") and image.getextrema()[1] > 255:
        warnings.warn(f"a {image.mode} image with values up to {image.getextrema()[1]} becomes RGB by clipping at "
                      "255 (as transformers does); to keep its range, scale it to 8 bits first", stacklevel=3)
    if "A" in image.getbands() or image.info.get("transparency") is not None:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def preprocess(images, size=224, mean=IMAGE_MEAN, std=IMAGE_STD, device=None, dtype=None) -> torch.Tensor:
    """PIL image(s) or path(s) -> pixel_values [B, 3, H, W], equal to transformers' SiglipImageProcessorPil.

    size: an int (square) or (height, width). Steps: to RGB, bicubic resize (no crop),
    rescale by 1/255, normalize with mean and std (0.5 each, so values lie in [-1, 1]).
    Images of any size and mode can be mixed. device, dtype: where the result goes (default: CPU, float32).
    """
    images = list(images) if isinstance(images, (list, tuple)) else [images]
    if not images:
        raise ValueError("expected at least one image, got an empty list")
    height, width = (size, size) if isinstance(size, int) else tuple(size)
    batch = []
    for image in images:
        rgb = to_rgb(load_image(image)).resize((width, height), resample=Image.Resampling.BICUBIC)  # PIL: (w, h)
        batch.append(to_pixels(rgb, mean, std))
    return torch.stack(batch).to(device=device, dtype=dtype)  # [B, 3, H, W]


def to_pixels(rgb: Image.Image, mean=IMAGE_MEAN, std=IMAGE_STD) -> torch.Tensor:
    """An RGB image, already resized -> [3, H, W]: rescale by 1/255, then normalize with mean and std."""
    x = np.asarray(rgb).transpose(2, 0, 1)  # [3, H, W] uint8
    x = (x.astype(np.float64) * (1 / 255)).astype(np.float32)  # rescale, rounded as transformers does
    mean, std = (np.asarray(v, dtype=np.float32)[:, None, None] for v in (mean, std))  # [3, 1, 1]
    return torch.from_numpy((x - mean) / std)


def to_display(pixel_values: torch.Tensor, mean=IMAGE_MEAN, std=IMAGE_STD) -> torch.Tensor:
    """Undo the normalisation of one image: pixel_values [3, H, W] -> [H, W, 3] in [0, 1], for plt.imshow."""
    image = pixel_values.detach().float().cpu().permute(1, 2, 0)  # [H, W, 3]
    return (image * torch.tensor(std) + torch.tensor(mean)).clamp(0, 1)
