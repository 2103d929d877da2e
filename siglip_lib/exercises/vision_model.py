# GENERATED FILE, DO NOT EDIT: edit notebooks/solutions/05_vision_model.ipynb and run `python tools/export.py`.

import torch

from siglip_lib.exercises.encoder_block import random_norms, small_config
from siglip_lib.exercises.engine import Checker, seeded
from siglip_lib.vision import MultiheadAttentionPoolingHead


def map_head(head, x):
    """x [B, N, D] -> pooled [B, D]."""
    probe = head.probe.expand(x.shape[0], -1, -1)  # [B, 1, D]
    h, _ = head.attention(probe, context=x)  # [B, 1, D]
    h = h + head.mlp(head.layernorm(h))
    return h[:, 0]  # [B, D]


check_map_head = Checker(
    "map_head(head, x [B, N, D]) -> [B, D]: the probe attends over x, then h + MLP(LayerNorm(h))", map_head,
    [seeded(13, lambda: (random_norms(MultiheadAttentionPoolingHead(small_config())), torch.randn(2, 6, 12))),
     seeded(14, lambda: (random_norms(MultiheadAttentionPoolingHead(small_config())), torch.randn(3, 4, 12)))],
    outputs={"pooled": "[B, D]"},
    error_hints=[("tuple", "head.attention(...) returns a pair (output, weights): take [0]")])


@check_map_head.mistake
def mean_of_tokens(head, x):
    """you averaged the tokens (then the MLP). The MAP head lets its learned probe attend over them:
    head.attention(probe, context=x)[0]."""
    h = x.mean(dim=1)
    return h + head.mlp(head.layernorm(h))


@check_map_head.mistake
def first_token(head, x):
    """you started from the first token: SigLIP has no class token. The learned probe attends over all
    tokens: head.attention(probe, context=x)[0]."""
    h = x[:, 0]
    return h + head.mlp(head.layernorm(h))


@check_map_head.mistake
def tokens_ask_the_probe(head, x):
    """the probe and the tokens are swapped: the probe asks (the query, first argument), the tokens answer
    (context=x)."""
    h = head.attention(x, context=head.probe.expand(len(x), -1, -1))[0]  # [B, N, D]
    return (h + head.mlp(head.layernorm(h)))[:, 0]


@check_map_head.mistake
def no_mlp_residual(head, x):
    """forgot the residual around the MLP: h = h + head.mlp(head.layernorm(h))."""
    h = head.attention(head.probe.expand(len(x), -1, -1), context=x)[0]
    return head.mlp(head.layernorm(h))[:, 0]


@check_map_head.mistake
def no_layernorm(head, x):
    """forgot head.layernorm before the MLP: h = h + head.mlp(head.layernorm(h))."""
    h = head.attention(head.probe.expand(len(x), -1, -1), context=x)[0]
    return (h + head.mlp(h))[:, 0]


@check_map_head.mistake
def no_mlp(head, x):
    """you stopped after the attention: the head then adds head.mlp(head.layernorm(h)) to h."""
    return head.attention(head.probe.expand(len(x), -1, -1), context=x)[0][:, 0]


@check_map_head.mistake
def probe_axis_kept(head, x):
    """your output is [B, 1, D], one probe per image: drop that axis with h[:, 0]."""
    return map_head(head, x)[:, None]
