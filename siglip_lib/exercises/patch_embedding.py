# GENERATED FILE, DO NOT EDIT: edit notebooks/solutions/01_patch_embedding.ipynb and run `python tools/export.py`.

import torch

from siglip_lib.exercises.engine import Checker, seeded


def patch_embedding(pixel_values, weight, bias):
    """pixel_values [B, C, H, W], weight [D, C, P, P], bias [D] -> [B, N, D], without nn.Conv2d."""
    b, c, h, w = pixel_values.shape
    p = weight.shape[-1]
    patches = pixel_values.unfold(2, p, p).unfold(3, p, p)  # [B, C, H/P, W/P, P, P]
    patches = patches.permute(0, 2, 3, 1, 4, 5).reshape(b, -1, c * p * p)  # [B, N, C*P*P], row by row
    return patches @ weight.reshape(weight.shape[0], -1).T + bias  # [B, N, D]


check_patch_embedding = Checker(
    "patch_embedding(pixel_values [B, C, H, W], weight [D, C, P, P], bias [D]) -> [B, N, D], as a stride-P Conv2d",
    patch_embedding,
    [seeded(1, lambda: (torch.randn(2, 3, 16, 24), torch.randn(10, 3, 4, 4), torch.randn(10))),
     seeded(2, lambda: (torch.randn(1, 2, 6, 15), torch.randn(5, 2, 3, 3), torch.randn(5)))],
    outputs={"embeddings": "[B, N, D]"},
    hints=["P is weight.shape[-1]; x.unfold(2, P, P).unfold(3, P, P) is [B, C, H/P, W/P, P, P]",
           "weight.reshape(D, -1) is the Conv2d weight as a matrix [D, C·P·P]"],
    error_hints=[("cannot be multiplied", "patches [B, N, C·P·P] @ weight.reshape(D, -1).T [C·P·P, D] gives "
                                          "[B, N, D]")])


@check_patch_embedding.mistake
def embedding_first(pixel_values, weight, bias):
    """your output is [B, D, N]: the right numbers, but the embedding must come last, [B, N, D]. Add
    .transpose(1, 2)."""
    return patch_embedding(pixel_values, weight, bias).transpose(1, 2)


@check_patch_embedding.mistake
def column_by_column(pixel_values, weight, bias):  # the image read transposed, and each kernel with it
    """the patches come column by column. They must go row by row, as you read text: patch 1 is the second
    patch of the top row. Unfold the height (dim 2) before the width (dim 3) and keep that order."""
    return patch_embedding(pixel_values.transpose(2, 3), weight.transpose(2, 3), bias)


@check_patch_embedding.mistake
def channels_last(pixel_values, weight, bias):
    """each patch is flattened channels last. A Conv2d weight [D, C, P, P] is laid out channel, then row, then
    column, so flatten each patch as [C, P, P] too: permute(0, 2, 3, 1, 4, 5) after the two unfolds."""
    b, c, h, w = pixel_values.shape
    p = weight.shape[-1]
    patches = pixel_values.unfold(2, p, p).unfold(3, p, p).permute(0, 2, 3, 4, 5, 1)  # [B, H/P, W/P, P, P, C]
    return patches.reshape(b, -1, c * p * p) @ weight.reshape(weight.shape[0], -1).T + bias


@check_patch_embedding.mistake
def rows_and_columns_swapped(pixel_values, weight, bias):  # pixel (i, j) of a patch meets weight (j, i)
    """inside each patch, rows and columns are swapped: flatten each patch as [C, P_rows, P_columns],
    permute(0, 2, 3, 1, 4, 5)."""
    return patch_embedding(pixel_values, weight.transpose(2, 3), bias)


@check_patch_embedding.mistake
def no_bias(pixel_values, weight, bias):
    """forgot the bias: add bias after the matrix multiply."""
    return patch_embedding(pixel_values, weight, torch.zeros_like(bias))


@check_patch_embedding.mistake
def no_permute(pixel_values, weight, bias):
    """you reshaped the unfolded image without moving its axes. After the two unfolds it is
    [B, C, H/P, W/P, P, P]: permute(0, 2, 3, 1, 4, 5) brings the grid to the front, then reshape to
    [B, N, C·P·P]."""
    b, c, h, w = pixel_values.shape
    p = weight.shape[-1]
    patches = pixel_values.unfold(2, p, p).unfold(3, p, p).reshape(b, -1, c * p * p)  # grid and channels mixed
    return patches @ weight.reshape(weight.shape[0], -1).T + bias
