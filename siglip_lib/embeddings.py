# GENERATED FILE, DO NOT EDIT: edit notebooks/01_patch_embedding.ipynb and notebooks/02_position_embedding.ipynb and run `python tools/export.py`.

import torch
import torch.nn as nn
import torch.nn.functional as F


def patchify(pixel_values: torch.Tensor, patch_size: int) -> torch.Tensor:
    """[B, C, H, W] -> [B, N, C * P * P]: non-overlapping P x P patches, row by row.

    Each patch is flattened in (channel, row, column) order, the layout of a Conv2d weight,
    so patchify(x, P) @ conv.weight.reshape(D, -1).T + conv.bias equals the strided convolution.
    """
    B, C, H, W = pixel_values.shape
    if H % patch_size or W % patch_size:
        raise ValueError(f"image size {H}x{W} is not a multiple of patch_size {patch_size}")
    patches = pixel_values.unfold(2, patch_size, patch_size).unfold(3, patch_size, patch_size)  # [B, C, H/P, W/P, P, P]
    patches = patches.permute(0, 2, 3, 1, 4, 5)  # [B, H/P, W/P, C, P, P]
    return patches.reshape(B, (H // patch_size) * (W // patch_size), C * patch_size * patch_size)  # [B, N, C*P*P]


import math


def check_pixel_values(pixel_values, num_channels: int, patch_size: int, image_size: int,
                       interpolate_pos_encoding: bool) -> None:
    """Raise a clear TypeError/ValueError unless pixel_values is a float tensor [B, C, H, W] the model can take."""
    if not isinstance(pixel_values, torch.Tensor):
        raise TypeError(f"pixel_values must be a torch.Tensor [B, {num_channels}, H, W], "
                        f"got {type(pixel_values).__name__}")
    if pixel_values.dim() != 4:
        hint = " (a single image? add a batch dimension: x.unsqueeze(0))" if pixel_values.dim() == 3 else ""
        raise ValueError(f"pixel_values must have 4 dimensions [B, {num_channels}, H, W], "
                         f"got shape {tuple(pixel_values.shape)}{hint}")
    if not pixel_values.is_floating_point():
        raise TypeError(f"pixel_values must be floating point (see siglip_lib.preprocess), got {pixel_values.dtype}")
    _, channels, height, width = pixel_values.shape
    if channels != num_channels:
        raise ValueError(f"pixel_values must have {num_channels} channels in dimension 1, got shape "
                         f"{tuple(pixel_values.shape)}")
    if height % patch_size or width % patch_size:
        raise ValueError(f"image height and width must be multiples of patch_size={patch_size}, got {height}x{width}")
    if (height, width) != (image_size, image_size) and not interpolate_pos_encoding:
        raise ValueError(f"the model was built for {image_size}x{image_size} images, got {height}x{width}; "
                         "pass interpolate_pos_encoding=True to use another resolution")


def check_finite(pixel_values) -> None:
    """Raise a ValueError if pixel_values hold NaN or inf: one NaN would silently turn every output into NaN.
    (Skipped inside torch.compile, where a data-dependent check would split the graph.)"""
    if torch.compiler.is_compiling():
        return
    finite = torch.isfinite(pixel_values)
    if not finite.all():
        raise ValueError(f"pixel_values must be finite numbers, got {(~finite).sum().item()} NaN or infinite "
                         f"value(s) in {pixel_values.numel()} ({pixel_values.dtype}; values beyond a 16-bit "
                         "float's range overflow to inf). See siglip_lib.preprocess for making pixel_values")


class VisionEmbeddings(nn.Module):
    """Pixels [B, C, H, W] -> patch tokens plus position embeddings [B, N, D]."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.patch_embedding = nn.Conv2d(config.num_channels, config.embed_dim, kernel_size=config.patch_size,
                                         stride=config.patch_size, padding="valid")
        self.num_positions = config.num_patches  # 196: one learned vector per patch of the 14 x 14 grid
        self.position_embedding = nn.Embedding(self.num_positions, config.embed_dim)
        self.register_buffer("position_ids", torch.arange(self.num_positions).unsqueeze(0), persistent=False)

    def interpolate_pos_encoding(self, height: int, width: int) -> torch.Tensor:
        """Position embeddings for an image of height x width pixels: [1, N, D].

        The 196 vectors form a 14 x 14 image with D channels; resize it (bicubic) to the new patch grid.
        Returns the table unchanged for a square image with the trained number of patches (as transformers).
        """
        grid_h, grid_w = height // self.config.patch_size, width // self.config.patch_size
        if grid_h * grid_w == self.num_positions and height == width:
            return self.position_embedding(self.position_ids)
        side = int(math.sqrt(self.num_positions))
        table = self.position_embedding.weight.reshape(1, side, side, -1).permute(0, 3, 1, 2)  # [1, D, 14, 14]
        table = F.interpolate(table, size=(grid_h, grid_w), mode="bicubic", align_corners=False)
        return table.permute(0, 2, 3, 1).reshape(1, grid_h * grid_w, -1)  # [1, grid_h * grid_w, D]

    def forward(self, pixel_values: torch.Tensor, interpolate_pos_encoding: bool = False) -> torch.Tensor:
        c = self.config
        check_pixel_values(pixel_values, c.num_channels, c.patch_size, c.image_size, interpolate_pos_encoding)
        height, width = pixel_values.shape[-2:]
        weight = self.patch_embedding.weight
        pixel_values = pixel_values.to(device=weight.device, dtype=weight.dtype)
        check_finite(pixel_values)  # after the cast, so that values a float16 model cannot hold count too
        patches = self.patch_embedding(pixel_values)  # [B, D, H/P, W/P]
        embeddings = patches.flatten(2).transpose(1, 2)  # [B, N, D], patches row by row
        if interpolate_pos_encoding:
            return embeddings + self.interpolate_pos_encoding(height, width)
        return embeddings + self.position_embedding(self.position_ids)  # [B, N, D] + [1, N, D]
