# GENERATED FILE, DO NOT EDIT: edit notebooks/01_patch_embedding.ipynb and notebooks/02_position_embedding.ipynb and
# run `python tools/export.py`.

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
        raise ValueError(f"image size {H} × {W} (height × width) is not a multiple of patch_size {patch_size}")
    patches = pixel_values.unfold(2, patch_size, patch_size).unfold(3, patch_size, patch_size)  # [B, C, H/P, W/P, P, P]
    patches = patches.permute(0, 2, 3, 1, 4, 5)  # [B, H/P, W/P, C, P, P]
    return patches.reshape(B, (H // patch_size) * (W // patch_size), C * patch_size * patch_size)  # [B, N, C*P*P]


def interpolate_positions(table: torch.Tensor, grid_hw: tuple[int, int], mode: str = "bicubic",
                          antialias: bool = False) -> torch.Tensor:
    """Resize a square table of position vectors [N, D] to a grid_h x grid_w patch grid: [grid_h * grid_w, D].

    The N vectors form a sqrt(N) x sqrt(N) image with D channels; resize that image (bicubic by default;
    SigLIP 2 resizes bilinear with antialiasing, notebook 10)."""
    side = round(table.shape[0] ** 0.5)  # 14 for 196 positions
    image = table.reshape(1, side, side, -1).permute(0, 3, 1, 2)  # [1, D, 14, 14]
    image = F.interpolate(image, size=grid_hw, mode=mode, antialias=antialias,
                          align_corners=False)  # [1, D, grid_h, grid_w]
    return image.permute(0, 2, 3, 1).reshape(grid_hw[0] * grid_hw[1], -1)  # [grid_h * grid_w, D]


class VisionEmbeddings(nn.Module):
    """Pixels [B, C, H, W] -> patch tokens plus position embeddings [B, N, D]."""

    def __init__(self, config):
        super().__init__()
        self.patch_size = config.patch_size
        self.patch_embedding = nn.Conv2d(config.num_channels, config.embed_dim, kernel_size=config.patch_size,
                                         stride=config.patch_size)
        self.position_embedding = nn.Embedding(config.num_patches, config.embed_dim)  # one vector per patch

    def interpolate_pos_encoding(self, height: int, width: int) -> torch.Tensor:
        """The position table [N, D] for a height x width image: as trained, or resized to its patch grid."""
        table = self.position_embedding.weight  # [196, D]
        grid_hw = (height // self.patch_size, width // self.patch_size)
        if grid_hw[0] * grid_hw[1] == len(table) and height == width:
            return table  # the trained grid (transformers does not resize it either)
        return interpolate_positions(table, grid_hw)

    def forward(self, pixel_values: torch.Tensor, interpolate_pos_encoding: bool = False) -> torch.Tensor:
        patches = self.patch_embedding(pixel_values)  # [B, D, H/P, W/P]
        embeddings = patches.flatten(2).transpose(1, 2)  # [B, N, D], patches row by row
        if interpolate_pos_encoding:
            return embeddings + self.interpolate_pos_encoding(*pixel_values.shape[-2:])
        return embeddings + self.position_embedding.weight  # [B, N, D] + [N, D]
