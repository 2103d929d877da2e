# GENERATED FILE, DO NOT EDIT: edit notebooks/A1_engineering.ipynb and run `python tools/export.py`.

import torch


def _values_are_cheap(tensor: torch.Tensor) -> bool:
    """Whether reading values (NaN, ranges) is free: on the CPU and not while torch.compile traces."""
    return tensor.device.type == "cpu" and not torch.compiler.is_compiling()


def check_pixel_values(pixel_values, config, interpolate_pos_encoding: bool = False, dtype=None) -> None:
    """Raise a clear TypeError/ValueError unless pixel_values is a float tensor [B, C, H, W] the model can take.
    dtype: the model's, if it differs: values it cannot hold (1e6 in float16) become inf, and are refused too."""
    c = config.num_channels
    if not isinstance(pixel_values, torch.Tensor):
        raise TypeError(f"pixel_values must be a torch.Tensor [B, {c}, H, W], got {type(pixel_values).__name__}")
    if pixel_values.dim() != 4:
        hint = " (a single image? add a batch dimension: x.unsqueeze(0))" if pixel_values.dim() == 3 else ""
        raise ValueError(f"pixel_values must have 4 dimensions [B, {c}, H, W], "
                         f"got shape {tuple(pixel_values.shape)}{hint}")
    if not pixel_values.is_floating_point():
        raise TypeError(f"pixel_values must be floating point (see siglip_lib.preprocess), got {pixel_values.dtype}")
    _, channels, height, width = pixel_values.shape
    if channels != c:
        raise ValueError(f"pixel_values must have {c} channels in dimension 1, got shape {tuple(pixel_values.shape)}")
    p, size = config.patch_size, config.image_size
    if height % p or width % p:
        raise ValueError(f"image height and width must be multiples of patch_size={p}, got {height} × {width} "
                         "(height × width)")
    if (height, width) != (size, size) and not interpolate_pos_encoding:
        raise ValueError(f"the model was built for {size} × {size} images, got {height} × {width} (height × width); "
                         "pass interpolate_pos_encoding=True to use another resolution")
    if _values_are_cheap(pixel_values):
        values = pixel_values.to(dtype or pixel_values.dtype)  # as the model will hold them
        if not torch.isfinite(values).all():
            overflow = "; values beyond a 16-bit float's range overflow to inf" if values.element_size() == 2 else ""
            raise ValueError(f"pixel_values must be finite numbers, got {(~torch.isfinite(values)).sum().item()} "
                             f"NaN or infinite value(s) in {values.numel()} ({values.dtype}{overflow}). "
                             "See siglip_lib.preprocess for making pixel_values")


def check_input_ids(input_ids, config) -> None:
    """Raise a clear TypeError/ValueError unless input_ids is an integer tensor [B, T] the text tower can take."""
    if not isinstance(input_ids, torch.Tensor):
        raise TypeError(f"input_ids must be a torch.Tensor [B, T] of token ids, got {type(input_ids).__name__}")
    if input_ids.dim() != 2:
        hint = " (a single caption? add a batch dimension: ids.unsqueeze(0))" if input_ids.dim() == 1 else ""
        raise ValueError(f"input_ids must have 2 dimensions [B, T], got shape {tuple(input_ids.shape)}{hint}")
    if input_ids.dtype not in (torch.int64, torch.int32):
        raise TypeError(f"input_ids must hold integer token ids (torch.int64 or torch.int32), got {input_ids.dtype}")
    max_length, vocab_size = config.max_position_embeddings, config.vocab_size
    if not 1 <= input_ids.shape[1] <= max_length:
        raise ValueError(f"captions must be 1 to {max_length} tokens long (max_position_embeddings), "
                         f"got {input_ids.shape[1]}")
    if _values_are_cheap(input_ids) and input_ids.numel() and (input_ids.min() < 0 or input_ids.max() >= vocab_size):
        raise ValueError(f"token ids must lie in [0, {vocab_size}) (vocab_size), got values from "
                         f"{input_ids.min().item()} to {input_ids.max().item()}")


def check_square_logits(logits) -> None:
    """Raise a ValueError unless logits is a square [n, n] tensor: n captions against their n images."""
    if not isinstance(logits, torch.Tensor) or logits.dim() != 2 or logits.shape[0] != logits.shape[1]:
        got = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise ValueError(f"expected square logits [n, n] for n matching (caption, image) pairs, got {got}")


def check_attn_implementation(attn_implementation: str) -> str:
    """Return attn_implementation if it is "sdpa" or "eager", else raise a ValueError."""
    if attn_implementation not in ("sdpa", "eager"):
        raise ValueError(f"attn_implementation must be 'sdpa' or 'eager', got {attn_implementation!r}")
    return attn_implementation


def check_naflex_inputs(pixel_values, pixel_attention_mask, spatial_shapes, config, dtype=None) -> None:
    """Raise a clear TypeError/ValueError unless SigLip2VisionModel can take these three: pixel_values
    [B, N, C*P*P] (float, finite in the patches; padding rows may hold anything), pixel_attention_mask [B, N]
    (1 for the first rows * cols entries of each image, then 0) and spatial_shapes [B, 2] (each image's rows
    and cols of patches, at least 1 each). dtype: the model's, as in check_pixel_values."""
    per_patch, hint = config.num_channels * config.patch_size**2, " (see siglip_lib.siglip2.preprocess_naflex)"
    tensors = {"pixel_values": pixel_values, "pixel_attention_mask": pixel_attention_mask,
               "spatial_shapes": spatial_shapes}
    for name, tensor in tensors.items():
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(tensor).__name__}{hint}")
    if pixel_values.dim() != 3 or pixel_values.shape[-1] != per_patch or not pixel_values.is_floating_point():
        raise ValueError(f"pixel_values must be a float tensor [B, N, {per_patch}] of flattened {config.patch_size} x "
                         f"{config.patch_size} patches, got {pixel_values.dtype} {tuple(pixel_values.shape)}{hint}")
    batch, n = pixel_values.shape[:2]
    for name, want in (("pixel_attention_mask", (batch, n)), ("spatial_shapes", (batch, 2))):
        if tuple(tensors[name].shape) != want or tensors[name].is_floating_point():
            raise ValueError(f"{name} must be an integer or bool tensor of shape {want} to go with pixel_values "
                             f"{tuple(pixel_values.shape)}, got {tensors[name].dtype} {tuple(tensors[name].shape)}")
    if not _values_are_cheap(spatial_shapes) or not _values_are_cheap(pixel_attention_mask):
        return
    for i, (rows, cols) in enumerate(spatial_shapes.tolist()):
        if rows < 1 or cols < 1 or rows * cols > n:
            raise ValueError(f"spatial_shapes[{i}] = ({rows}, {cols}) must give at least one patch per side and at "
                             f"most the {n} positions of pixel_values, got {rows} × {cols} = {rows * cols}")
        if not torch.equal(pixel_attention_mask[i].bool(), torch.arange(n) < rows * cols):
            raise ValueError(f"pixel_attention_mask[{i}] does not match spatial_shapes[{i}] = ({rows}, {cols}): "
                             f"expected its first {rows * cols} entries 1 and the other {n - rows * cols} 0, got "
                             f"{int(pixel_attention_mask[i].bool().sum())} ones")
    patches = pixel_values[pixel_attention_mask.bool()].to(dtype or pixel_values.dtype)  # as the model holds them
    if _values_are_cheap(pixel_values) and not torch.isfinite(patches).all():
        raise ValueError(f"pixel_values must be finite numbers in the image patches, got "
                         f"{(~torch.isfinite(patches)).sum().item()} NaN or infinite value(s){hint}")


def check_patch_budget(height: int, width: int, patch_size: int, max_num_patches: int) -> None:
    """Raise a clear ValueError unless a height x width image can become at most max_num_patches patches at its
    own aspect ratio: each side at least one patch, and one row of patches within the budget."""
    if not isinstance(max_num_patches, int) or isinstance(max_num_patches, bool) or max_num_patches < 1:
        raise ValueError(f"max_num_patches must be a positive int, got {max_num_patches!r}")
    if min(height, width) < patch_size:
        raise ValueError(f"each side of an image must be at least one patch ({patch_size} pixels), got {height} × "
                         f"{width} (height × width)")
    one_row = -(-max(height, width) // min(height, width))  # patches along the long side when the short has one
    if one_row > max_num_patches:
        raise ValueError(f"a {height} × {width} image (height × width) needs at least {one_row} patches to keep "
                         f"its aspect ratio with one patch row, more than max_num_patches={max_num_patches}")


def check_shards(image_embeds, text_embeds, group=None, exchange: str = "") -> list[int]:
    """Every rank's number of pairs, after checking, on every rank, that all of them hold image and text
    embeddings of one shape [n_r, D] with one width D, and chose the same exchange. Raises the same
    ValueError on every rank."""
    import torch.distributed as dist

    def shape(x):  # [n, D], or [-1, -1] for anything that is not a 2-D tensor
        return list(x.shape) if isinstance(x, torch.Tensor) and x.dim() == 2 else [-1, -1]

    device = image_embeds.device if isinstance(image_embeds, torch.Tensor) else "cpu"
    exchanges = ["", "gather", "ring"]
    mine = torch.tensor(shape(image_embeds) + shape(text_embeds) + [exchanges.index(exchange)], device=device)
    shapes = [torch.empty_like(mine) for _ in range(dist.get_world_size(group))]
    dist.all_gather(shapes, mine, group=group)
    shapes = [s.tolist() for s in shapes]
    if len({s[4] for s in shapes}) > 1:
        raise ValueError(f"every rank must use the same exchange, got {[exchanges[s[4]] for s in shapes]}")
    if any(-1 in s[:4] or s[:2] != s[2:4] for s in shapes):
        raise ValueError("expected image and text embeddings of one shape [n, D] on every rank, got (images, texts) "
                         f"{[(tuple(s[:2]), tuple(s[2:4])) for s in shapes]} on ranks 0 to {len(shapes) - 1}")
    if len({s[1] for s in shapes}) > 1:
        raise ValueError(f"expected one embedding width D on every rank, got {[s[1] for s in shapes]}")
    return [s[0] for s in shapes]
