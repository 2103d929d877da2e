# GENERATED FILE, DO NOT EDIT: edit notebooks/solutions/02_position_embedding.ipynb and run `python tools/export.py`.

import math

import torch
import torch.nn.functional as F

from siglip_lib.exercises.engine import Checker, seeded


def interpolate_positions(table, grid_h, grid_w):
    """table [side * side, D] -> [grid_h * grid_w, D]: the grid resized to grid_h x grid_w patches, row by row."""
    side, dim = math.isqrt(table.shape[0]), table.shape[1]
    grid = table.reshape(1, side, side, dim).permute(0, 3, 1, 2)  # [1, D, side, side]
    grid = F.interpolate(grid, size=(grid_h, grid_w), mode="bicubic", align_corners=False)
    return grid.permute(0, 2, 3, 1).reshape(grid_h * grid_w, dim)  # [grid_h * grid_w, D]


check_position_interpolation = Checker(
    "interpolate_positions(table [side², D], grid_h, grid_w) -> [grid_h·grid_w, D], bicubic, align_corners=False",
    interpolate_positions,
    [seeded(3, lambda: (torch.randn(16, 6), 6, 3)), seeded(4, lambda: (torch.randn(25, 4), 3, 7))],
    outputs={"positions": "[grid_h·grid_w, D]"},
    hints=["side = int(table.shape[0] ** 0.5)", "F.interpolate wants a batch of images: [1, D, side, side]",
           "F.interpolate(grid, size=(grid_h, grid_w), mode='bicubic', align_corners=False)"])


@check_position_interpolation.mistake
def height_and_width_swapped(table, grid_h, grid_w):
    """the grid's height and width are swapped: F.interpolate takes size=(grid_h, grid_w) for a grid
    [1, D, rows, columns]."""
    return interpolate_positions(table, grid_w, grid_h)


@check_position_interpolation.mistake
def bilinear(table, grid_h, grid_w):
    """wrong interpolation: SigLIP (and transformers) resize the grid with mode='bicubic'."""
    side = math.isqrt(table.shape[0])
    grid = F.interpolate(table.T.reshape(1, -1, side, side), size=(grid_h, grid_w), mode="bilinear")
    return grid.flatten(2)[0].T


@check_position_interpolation.mistake
def nearest(table, grid_h, grid_w):
    """F.interpolate's default mode is 'nearest', which copies values instead of blending them: pass
    mode='bicubic' (and align_corners=False)."""
    side, dim = math.isqrt(table.shape[0]), table.shape[1]
    grid = F.interpolate(table.reshape(1, side, side, dim).permute(0, 3, 1, 2), size=(grid_h, grid_w))
    return grid.permute(0, 2, 3, 1).reshape(-1, dim)


@check_position_interpolation.mistake
def corners_aligned(table, grid_h, grid_w):
    """align_corners=True: transformers resizes with align_corners=False, which treats each value as the
    centre of a cell."""
    side = math.isqrt(len(table))
    grid = table.T.reshape(1, -1, side, side)
    return F.interpolate(grid, size=(grid_h, grid_w), mode="bicubic", align_corners=True).flatten(2)[0].T


@check_position_interpolation.mistake
def reshaped_to_channels_first(table, grid_h, grid_w):
    """a reshape cannot move the channel axis, so the grid and the channels got mixed. Reshape the table to
    [1, side, side, D], then permute(0, 3, 1, 2) to [1, D, side, side]."""
    side = math.isqrt(table.shape[0])
    grid = F.interpolate(table.reshape(1, -1, side, side), size=(grid_h, grid_w), mode="bicubic")
    return grid.permute(0, 2, 3, 1).reshape(grid_h * grid_w, -1)


@check_position_interpolation.mistake
def reshaped_to_rows(table, grid_h, grid_w):
    """a reshape cannot move the channel axis, so the grid and the channels got mixed: after F.interpolate,
    permute back to [1, grid_h, grid_w, D] before reshaping to [grid_h·grid_w, D]."""
    side, dim = math.isqrt(table.shape[0]), table.shape[1]
    grid = table.reshape(1, side, side, dim).permute(0, 3, 1, 2)
    return F.interpolate(grid, size=(grid_h, grid_w), mode="bicubic").reshape(-1, dim)


@check_position_interpolation.mistake
def batch_kept(table, grid_h, grid_w):
    """your output is [1, grid_h·grid_w, D]: drop the batch dimension, [grid_h·grid_w, D]."""
    return interpolate_positions(table, grid_h, grid_w)[None]
