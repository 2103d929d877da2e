# GENERATED FILE, DO NOT EDIT: edit notebooks/10_siglip2.ipynb and run `python tools/export.py`.

import math

import torch
import torch.nn as nn
from PIL import Image

from siglip_lib.checkpoint import Pretrained
from siglip_lib.checks import check_naflex_inputs, check_patch_budget
from siglip_lib.config import SigLip2VisionConfig
from siglip_lib.embeddings import patchify
from siglip_lib.outputs import SigLipVisionOutput
from siglip_lib.preprocess import IMAGE_MEAN, IMAGE_STD, load_image, to_pixels, to_rgb
from siglip_lib.vision import SigLipVisionTransformer, init_siglip_weights


def patch_grid(height: int, width: int, patch_size: int = 16, max_num_patches: int = 256) -> tuple[int, int]:
    """(rows, cols): the largest patch grid for a height x width image that keeps its aspect ratio (each side
    rounded up to whole patches) and holds at most max_num_patches patches. The scale is found by bisection."""

    def grid(scale: float) -> tuple[int, int]:  # each side scaled, rounded up to whole patches, at least one
        return max(1, math.ceil(height * scale / patch_size)), max(1, math.ceil(width * scale / patch_size))

    low, high = 1e-6, 100.0  # a scale that fits the budget (one patch) and one that does not
    while high - low >= 1e-5:
        middle = (low + high) / 2
        rows, cols = grid(middle)
        low, high = (middle, high) if rows * cols <= max_num_patches else (low, middle)
    return grid(low)


def image_to_patches(pixels: torch.Tensor, patch_size: int) -> torch.Tensor:
    """[C, H, W] -> [H/P * W/P, P * P * C]: notebook 01's patches, row by row, each reordered to (row, column,
    channel)."""
    patches = patchify(pixels[None], patch_size)[0]  # [N, C * P * P], channel first
    return patches.unflatten(-1, (len(pixels), patch_size, patch_size)).permute(0, 2, 3, 1).flatten(1)


def preprocess_naflex(images, max_num_patches: int = 256, patch_size: int = 16, mean=IMAGE_MEAN,
                      std=IMAGE_STD) -> dict:
    """PIL image(s) or path(s) -> SigLip2VisionModel's inputs, equal to transformers' Siglip2ImageProcessor:
    pixel_values [B, max_num_patches, P*P*3], pixel_attention_mask [B, max_num_patches] (1: patch, 0: padding)
    and spatial_shapes [B, 2] (rows, cols). Each image: to RGB, bilinear resize to its patch grid, rescale and
    normalize, cut into patches, pad with zeros. max_num_patches may also be a list, one budget per image."""
    images = list(images) if isinstance(images, (list, tuple)) else [images]
    budgets = list(max_num_patches) if isinstance(max_num_patches, (list, tuple)) else [max_num_patches] * len(images)
    if not images or len(budgets) != len(images):
        raise ValueError(f"expected at least one image and one max_num_patches per image, got {len(images)} "
                         f"image(s) and {len(budgets)} budget(s)")
    rgbs = [to_rgb(load_image(image)) for image in images]
    for rgb, budget in zip(rgbs, budgets):
        check_patch_budget(rgb.height, rgb.width, patch_size, budget)  # clear errors
    pixel_values = torch.zeros(len(images), max(budgets), patch_size * patch_size * 3)
    mask = torch.zeros(len(images), max(budgets), dtype=torch.int32)
    spatial_shapes = torch.zeros(len(images), 2, dtype=torch.int64)
    for i, (rgb, budget) in enumerate(zip(rgbs, budgets)):
        rows, cols = patch_grid(rgb.height, rgb.width, patch_size, budget)
        rgb = rgb.resize((cols * patch_size, rows * patch_size), resample=Image.Resampling.BILINEAR)  # PIL: (w, h)
        pixel_values[i, : rows * cols] = image_to_patches(to_pixels(rgb, mean, std), patch_size)
        mask[i, : rows * cols] = 1
        spatial_shapes[i] = torch.tensor([rows, cols])
    return {"pixel_values": pixel_values, "pixel_attention_mask": mask, "spatial_shapes": spatial_shapes}


def resize_weights(out_size: int, in_size: int, device=None) -> torch.Tensor:
    """[out_size, in_size]: what each of in_size grid points gives to each of out_size outputs when resizing
    bilinearly with antialiasing: a tent around each output's centre, widened by the shrink factor when
    shrinking, so that every input point counts. Each row sums to 1."""
    scale = in_size / out_size
    support = max(scale, 1.0)  # the tent's half-width, in input points
    centre = (torch.arange(out_size, dtype=torch.float32, device=device) + 0.5) * scale - 0.5  # in input coordinates
    points = torch.arange(in_size, dtype=torch.float32, device=device)
    tent = (1 - (points - centre[:, None]).abs() / support).clamp(min=0)  # [out_size, in_size]
    return tent / tent.sum(-1, keepdim=True)


def resize_grid(table: torch.Tensor, rows: int, cols: int) -> torch.Tensor:
    """A square grid of vectors [S*S, D] resized to rows x cols: [rows * cols, D], computed in float32."""
    side = math.isqrt(table.shape[0])
    row_weights, col_weights = resize_weights(rows, side, table.device), resize_weights(cols, side, table.device)
    weights = row_weights[:, None, :, None] * col_weights[None, :, None, :]  # [rows, cols, S, S]
    return weights.reshape(rows * cols, side * side) @ table.float()  # [rows * cols, D]


class SigLip2VisionEmbeddings(nn.Module):
    """Flattened patches [B, N, P*P*C] -> patch tokens plus each image's own position embeddings [B, N, D]."""

    def __init__(self, config):
        super().__init__()
        self.patch_embedding = nn.Linear(config.num_channels * config.patch_size**2, config.embed_dim)
        self.position_embedding = nn.Embedding(config.num_patches, config.embed_dim)  # a 16 x 16 grid

    def resized_positions(self, spatial_shapes: torch.Tensor, length: int) -> torch.Tensor:
        """[B, length, D]: the learned grid resized to each image's (rows, cols), then zeros for the padding."""
        table = self.position_embedding.weight  # [256, D]
        resized = table.new_zeros(len(spatial_shapes), length, table.shape[1])  # [B, length, D]
        for i, (rows, cols) in enumerate(spatial_shapes.tolist()):
            resized[i, : rows * cols] = resize_grid(table, rows, cols)  # [rows * cols, D], computed in float32
        return resized

    def forward(self, pixel_values: torch.Tensor, spatial_shapes: torch.Tensor) -> torch.Tensor:
        return self.patch_embedding(pixel_values) + self.resized_positions(spatial_shapes, pixel_values.shape[1])


class SigLip2VisionTransformer(SigLipVisionTransformer):
    """Notebook 05's tower (encoder, post-LayerNorm, MAP head) with SigLIP 2's embeddings; the padding mask goes
    to every attention."""

    def __init__(self, config):
        super().__init__(config)
        self.embeddings = SigLip2VisionEmbeddings(config)  # in place of notebook 02's: patches arrive flattened

    def forward(self, pixel_values, pixel_attention_mask, spatial_shapes, output_attentions=False,
                output_hidden_states=False) -> SigLipVisionOutput:
        mask = pixel_attention_mask.bool()  # [B, N], True for the image's patches
        pixels = pixel_values.masked_fill(~mask[..., None], 0.0)  # what padding holds cannot matter
        x = self.embeddings(pixels, spatial_shapes)  # [B, N, D]
        del pixels  # (a copy of the input: free it before the encoder needs the memory)
        x, hidden_states, attentions = self.encoder(x, output_attentions, output_hidden_states, mask)
        x = self.post_layernorm(x)  # [B, N, D]
        pooled, probe_weights = self.head(x, output_attentions, mask) if self.head is not None else (None, None)
        return SigLipVisionOutput(x, pooled, hidden_states, attentions, probe_weights)


class SigLip2VisionModel(Pretrained, nn.Module):
    """SigLIP 2's NaFlex vision tower: forward(pixel_values [B, N, P*P*C], pixel_attention_mask [B, N],
    spatial_shapes [B, 2]), as preprocess_naflex makes them -> SigLipVisionOutput (last_hidden_state [B, N, D],
    pooler_output [B, D])."""

    def __init__(self, config: SigLip2VisionConfig | None = None):
        super().__init__(config)  # sets self.config: the one given, or the base model's sizes
        self.transformer = SigLip2VisionTransformer(self.config)
        init_siglip_weights(self)

    def forward(self, pixel_values, pixel_attention_mask, spatial_shapes, output_attentions: bool = False,
                output_hidden_states: bool = False) -> SigLipVisionOutput:
        weight = self.transformer.post_layernorm.weight  # the model's device and dtype
        check_naflex_inputs(pixel_values, pixel_attention_mask, spatial_shapes, self.config, weight.dtype)
        return self.transformer(pixel_values.to(weight), pixel_attention_mask.to(weight.device), spatial_shapes,
                                output_attentions, output_hidden_states)
