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
