# GENERATED FILE, DO NOT EDIT: edit notebooks/12_attention_maps.ipynb and run `python tools/export.py`.

import math

import torch

from siglip_lib.preprocess import to_display


def patch_grid(num_patches: int, grid_hw: tuple[int, int] | None = None) -> tuple[int, int]:
    """(rows, columns) of the patch grid: square unless grid_hw is given; checked against num_patches."""
    grid_h, grid_w = grid_hw if grid_hw is not None else (math.isqrt(num_patches), math.isqrt(num_patches))
    if grid_h * grid_w != num_patches:
        raise ValueError(f"{num_patches} patches do not fill a {grid_h}x{grid_w} grid; "
                         "pass grid_hw=(rows, columns) for a non-square image")
    return grid_h, grid_w


def to_grid(attn_map: torch.Tensor, grid_hw: tuple[int, int] | None = None) -> torch.Tensor:
    """[..., N] weights per patch -> [..., grid_h, grid_w], patches in row-major order."""
    return attn_map.reshape(*attn_map.shape[:-1], *patch_grid(attn_map.shape[-1], grid_hw))


def map_vmax(maps: torch.Tensor) -> float:
    """Top of a colour scale shared by maps [..., N]: the largest weight, but at least 10/N (10 x uniform)."""
    return max(float(maps.max()), 10 / maps.shape[-1])


def show_map(ax, pixel_values: torch.Tensor, attn_map: torch.Tensor | None = None, title: str = "",
             vmax: float | None = None, mark_patch: int | None = None, grid_hw: tuple[int, int] | None = None,
             shade: float = 0.7):
    """Draw one normalized image (pixel_values [3, H, W]) and, if given, a patch map [N] over it as a spotlight:
    weight 0 darkens its patch (opacity shade), weight >= vmax leaves it clear. Returns the map's AxesImage."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import LinearSegmentedColormap

    image = to_display(pixel_values).numpy()  # [H, W, 3] in [0, 1]
    height, width = image.shape[:2]
    extent = (0, width, height, 0)  # pixel edges, shared by image and map: no half-pixel offset
    ax.imshow(image, extent=extent, interpolation="nearest")
    im = None
    if attn_map is not None:
        grid = to_grid(attn_map.detach().float().cpu(), grid_hw).numpy()
        spotlight = LinearSegmentedColormap.from_list("spotlight", [(0, 0, 0, shade), (0, 0, 0, 0)])
        im = ax.imshow(grid, cmap=spotlight, extent=extent, interpolation="nearest", vmin=0,
                       vmax=map_vmax(attn_map) if vmax is None else vmax)
        if mark_patch is not None:  # outline one patch (row-major index) in cyan
            (rows, cols), (r, c) = grid.shape, divmod(mark_patch, grid.shape[1])
            ax.add_patch(plt.Rectangle((c * width / cols, r * height / rows), width / cols, height / rows,
                                       fill=False, edgecolor="cyan", linewidth=2))
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    return im


def attention_rollout(attentions, residual: bool = True) -> torch.Tensor:
    """Rolled-out attention [B, N, N]: row i says how much each input patch flows into token i at the top.

    attentions: L tensors [B, H, N, N] (e.g. SigLipVisionOutput.attentions). Heads are averaged; with
    residual=True each layer becomes 0.5 * A + 0.5 * I, as in Abnar & Zuidema (2020).
    """
    rollout = None
    for layer in attentions:
        a = layer.float().mean(dim=1)  # [B, N, N], heads averaged
        if residual:
            a = 0.5 * a + 0.5 * torch.eye(a.shape[-1], device=a.device)
            a = a / a.sum(dim=-1, keepdim=True)
        rollout = a if rollout is None else a @ rollout  # later layers act on the result of earlier ones
    return rollout


def probe_rollout(pooler_attention: torch.Tensor, attentions, residual: bool = True) -> torch.Tensor:
    """[B, N]: how much each input patch contributes to the MAP-probe's embedding, through all layers."""
    probe = pooler_attention.float().mean(dim=1)  # [B, 1, N], heads averaged
    return (probe @ attention_rollout(attentions, residual))[:, 0]  # [B, N]


def box_coverage(boxes, image_hw: tuple[int, int], patch_size: int) -> torch.Tensor:
    """[B, N]: for each image, the fraction of every patch (row by row) inside its box (x0, y0, x1, y1), pixels."""
    height, width = image_hw
    if height % patch_size or width % patch_size:
        raise ValueError(f"image size {height}x{width} is not a multiple of patch_size {patch_size}")
    masks = torch.zeros(len(boxes), height, width)
    for mask, box in zip(masks, boxes):
        x0, y0, x1, y1 = (int(v) for v in box)
        if not (0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height):
            raise ValueError(f"expected a box (x0, y0, x1, y1) inside the {height}x{width} image (height x width), "
                             f"got {tuple(box)}")
        mask[y0:y1, x0:x1] = 1
    gh, gw = height // patch_size, width // patch_size
    return masks.view(len(boxes), gh, patch_size, gw, patch_size).mean(dim=(2, 4)).flatten(1)  # [B, N]


def object_attention_share(attention: torch.Tensor, boxes, image_hw: tuple[int, int], patch_size: int):
    """(attention share on the object [B], share of the image the object covers [B]).

    attention: [B, N], one distribution over the patches per image (e.g. the probe's, heads averaged)."""
    if attention.dim() != 2 or attention.shape[0] != len(boxes):
        raise ValueError(f"expected attention [B, N] with one row per box ({len(boxes)} boxes), "
                         f"got shape {tuple(attention.shape)}")
    coverage = box_coverage(boxes, image_hw, patch_size)
    if coverage.shape != attention.shape:
        raise ValueError(f"attention has {attention.shape[1]} patches, but a {image_hw} image in {patch_size}-pixel "
                         f"patches has {coverage.shape[1]}")
    coverage = coverage.to(attention.device)
    return (attention.float() * coverage).sum(dim=-1), coverage.mean(dim=-1)


def mean_attention_distance(attentions, patch_size: int, grid_hw: tuple[int, int] | None = None) -> torch.Tensor:
    """[L, H]: attention-weighted distance in pixels between query and key patches, averaged over queries and batch."""
    grid_h, grid_w = patch_grid(attentions[0].shape[-1], grid_hw)
    rows, cols = torch.meshgrid(torch.arange(grid_h), torch.arange(grid_w), indexing="ij")
    centres = torch.stack([rows.flatten(), cols.flatten()], dim=-1).float() * patch_size  # [N, 2] in pixels
    distance = torch.cdist(centres, centres)  # [N, N]
    return torch.stack([(layer.float() * distance.to(layer.device)).sum(-1).mean(dim=(0, 2)) for layer in attentions])


@torch.no_grad()
def plant_bright_patch_probe(model):
    """Set a SigLipVisionModel's weights by hand so that each probe head's attention grows with brightness.

    A patch with mean pixel value b (-1 black, +1 white) becomes the token b*u + w (u = +1 -1 +1 -1 ...,
    w = +1 +1 -1 -1 ..., the patch filter's bias; no position vectors); the encoder blocks write nothing;
    post_layernorm turns it into (b*u + w) / sqrt(b^2 + 1); with identity query and key projections and the
    probe 2*sqrt(2)*u*8/sqrt(head_dim), every head scores a patch 16*sqrt(2)*b / sqrt(b^2 + 1) (+16 white,
    -16 black), so every head puts its largest weight on the brightest patch. In place; returns the model.
    """
    t, c = model.transformer, model.config
    if c.head_dim % 4:
        raise ValueError(f"the planted pattern needs a head_dim divisible by 4, got {c.head_dim}")
    channel = torch.arange(c.embed_dim)
    u = 1.0 - 2 * (channel % 2)  # + - + - : mean 0, variance 1
    w = 1.0 - 2 * (channel // 2 % 2)  # + + - - : mean 0, variance 1, orthogonal to u in every head
    for p in model.parameters():
        p.zero_()
    patch = t.embeddings.patch_embedding
    patch.weight.copy_(u[:, None, None, None].expand_as(patch.weight) / patch.weight[0].numel())  # b * u
    patch.bias.copy_(w)
    for ln in [t.post_layernorm, t.head.layernorm] + [m for b in t.encoder.encoder_blocks
                                                      for m in (b.layer_norm1, b.layer_norm2)]:
        ln.weight.fill_(1)
    t.head.attention.q_proj.weight.copy_(torch.eye(c.embed_dim))
    t.head.attention.k_proj.weight.copy_(torch.eye(c.embed_dim))
    t.head.probe[0, 0] = 2 * math.sqrt(2) * 8 / math.sqrt(c.head_dim) * u  # c = 2*sqrt(2) when head_dim = 64
    return model
