# GENERATED FILE, DO NOT EDIT: edit notebooks/solutions/03_attention.ipynb and run `python tools/export.py`.

import math

import torch

from siglip_lib.exercises.engine import Checker, seeded


def attention(query, key, value):
    """query [B, H, Nq, d], key and value [B, H, Nk, d] -> (output [B, H, Nq, d], weights [B, H, Nq, Nk])."""
    scores = query @ key.transpose(-1, -2) / math.sqrt(query.shape[-1])  # [B, H, Nq, Nk]
    weights = scores.softmax(dim=-1)  # each query's weights sum to 1 over the keys
    return weights @ value, weights


def _weights_sum_to_one(got, want):  # what the weights alone can tell
    weights = got[1]
    if weights.dim() == 4 and not torch.allclose(weights.sum(-1), torch.ones((), dtype=weights.dtype), atol=1e-4):
        return ("each query's weights must sum to 1 over the keys (the last axis), and yours do not: "
                "softmax(scores, dim=-1).")
    return None


check_attention = Checker(
    "attention(query [B, H, Nq, d], key, value [B, H, Nk, d]) -> (output [B, H, Nq, d], weights [B, H, Nq, Nk])",
    attention,
    [seeded(5, lambda: (torch.randn(2, 3, 5, 16), torch.randn(2, 3, 7, 16), torch.randn(2, 3, 7, 16))),
     seeded(6, lambda: (torch.randn(1, 2, 4, 9), torch.randn(1, 2, 6, 9), torch.randn(1, 2, 6, 9)))],
    outputs={"output": "[B, H, Nq, d]", "weights": "[B, H, Nq, Nk]"},
    hints=["scores = query @ key.transpose(-1, -2): [B, H, Nq, Nk]", "each row of weights (one query) sums to 1",
           "output = weights @ value"],
    error_hints=[(needle, "query @ key.transpose(-1, -2) is [B, H, Nq, Nk]; .T or transpose(0, 1) swap the wrong "
                          "dimensions") for needle in ("Expected size", "must match the size", "cannot be multiplied")],
    explain=_weights_sum_to_one)


@check_attention.mistake
def unscaled(query, key, value):
    """wrong scale: the scores are not divided by √d (d = query.shape[-1]). Without it the softmax saturates
    towards one-hot as d grows."""
    weights = (query @ key.transpose(-1, -2)).softmax(dim=-1)
    return weights @ value, weights


@check_attention.mistake
def divided_by_d(query, key, value):
    """wrong scale: you divided the scores by d. Divide by √d: multiply by d ** -0.5."""
    weights = torch.softmax(query @ key.transpose(-1, -2) / query.shape[-1], dim=-1)
    return weights @ value, weights


@check_attention.mistake
def multiplied_by_sqrt_d(query, key, value):
    """wrong scale: you multiplied the scores by √d. Divide by it instead: multiply by d ** -0.5."""
    scores = query @ key.transpose(-1, -2) * math.sqrt(query.shape[-1])
    weights = scores.softmax(dim=-1)
    return weights @ value, weights


@check_attention.mistake
def softmax_over_queries(query, key, value):
    """softmax over the wrong axis: yours sums to 1 over the queries. Each query's weights must sum to 1 over
    the keys: softmax(scores, dim=-1)."""
    weights = (query @ key.transpose(-1, -2) / math.sqrt(query.shape[-1])).softmax(dim=-2)
    return weights @ value, weights


@check_attention.mistake
def no_softmax(query, key, value):
    """no softmax: the weights must be positive and sum to 1 over the keys, softmax(scores, dim=-1)."""
    scores = query @ key.transpose(-1, -2) / math.sqrt(query.shape[-1])
    return scores @ value, scores


@check_attention.mistake
def weights_first(query, key, value):
    """you returned (weights, output): return (output, weights)."""
    output, weights = attention(query, key, value)
    return weights, output


def split_heads(x, num_heads):
    """x [B, N, D] -> [B, H, N, D / H]: head h gets channels h·d to (h + 1)·d − 1 of every token."""
    b, n, dim = x.shape
    return x.reshape(b, n, num_heads, dim // num_heads).transpose(1, 2)


check_split_heads = Checker(
    "split_heads(x [B, N, D], num_heads) -> [B, H, N, D/H], head h owning channels h·d to (h+1)·d − 1",
    split_heads, [seeded(7, lambda: (torch.randn(2, 5, 12), 3)), seeded(8, lambda: (torch.randn(1, 4, 8), 2))],
    outputs={"heads": "[B, H, N, d]"}, hints=["d = D // num_heads", "x.reshape(B, N, H, d).transpose(1, 2)"])


@check_split_heads.mistake
def reshaped_straight(x, num_heads):
    """you reshaped straight to [B, H, N, d]: that cuts the sequence of tokens into heads, not each token's
    channels. Reshape to [B, N, H, d] first, then transpose(1, 2)."""
    b, n, dim = x.shape
    return x.reshape(b, num_heads, n, dim // num_heads)


@check_split_heads.mistake
def no_transpose(x, num_heads):
    """missing transpose: [B, N, H, d] needs .transpose(1, 2) to become [B, H, N, d]."""
    return x.reshape(*x.shape[:2], num_heads, -1)


@check_split_heads.mistake
def every_h_th_channel(x, num_heads):
    """each head must own a block of d neighbouring channels (head 0: channels 0 to d − 1); yours takes
    every H-th channel. Split the last dimension as [H, d], not [d, H]."""
    return x.reshape(*x.shape[:2], -1, num_heads).permute(0, 3, 1, 2)
