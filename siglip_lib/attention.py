# GENERATED FILE, DO NOT EDIT: edit notebooks/03_attention.ipynb and run `python tools/export.py`.

import torch.nn as nn
import torch.nn.functional as F

from siglip_lib.checks import check_attn_implementation


def eager_attention(query, key, value, scale: float, dropout: float = 0.0, mask=None):
    """Scaled dot-product attention written out. query [B, H, Nq, d], key and value [B, H, Nk, d].

    Returns (output [B, H, Nq, d], weights [B, H, Nq, Nk]); each row of weights sums to 1 over the keys.
    dropout (training only) drops attention weights, as F.scaled_dot_product_attention's dropout_p does.
    mask (optional, bool, broadcast to [B, H, Nq, Nk]): False where a key must get no weight (padding).
    """
    scores = query @ key.transpose(-1, -2) * scale  # [B, H, Nq, Nk]
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))  # exp(-inf) = 0: no weight at all
    weights = F.softmax(scores, dim=-1)  # over the keys
    weights = F.dropout(weights, dropout)
    return weights @ value, weights  # [B, H, Nq, d], [B, H, Nq, Nk]


def split_heads(x, num_heads: int):  # [B, N, D] -> [B, H, N, d]
    return x.view(*x.shape[:2], num_heads, -1).transpose(1, 2)


def merge_heads(x):  # [B, H, N, d] -> [B, N, D]
    return x.transpose(1, 2).flatten(2)


class MultiheadAttention(nn.Module):
    """Multi-head attention with separate q/k/v/out projections (SigLIP's layout). attn_implementation "sdpa"
    computes the output with the fused F.scaled_dot_product_attention, "eager" with eager_attention."""

    def __init__(self, config, attn_implementation: str = "sdpa", dropout: float = 0.0):
        super().__init__()
        self.num_heads, self.dropout = config.num_attention_heads, dropout
        self.scale = (config.embed_dim // config.num_attention_heads) ** -0.5  # 1 / sqrt(head_dim)
        self.attn_implementation = check_attn_implementation(attn_implementation)
        self.k_proj = nn.Linear(config.embed_dim, config.embed_dim)
        self.v_proj = nn.Linear(config.embed_dim, config.embed_dim)
        self.q_proj = nn.Linear(config.embed_dim, config.embed_dim)
        self.out_proj = nn.Linear(config.embed_dim, config.embed_dim)

    def forward(self, x, context=None, output_attentions: bool = False, attention_mask=None):
        """x [B, Nq, D] makes the queries, context [B, Nk, D] (default: x) the keys and values, attention_mask
        [B, Nk] (bool, optional) is False for padding keys. Returns (output [B, Nq, D], weights [B, H, Nq, Nk])."""
        context = x if context is None else context
        q = split_heads(self.q_proj(x), self.num_heads)  # [B, H, Nq, d]
        k = split_heads(self.k_proj(context), self.num_heads)  # [B, H, Nk, d]
        v = split_heads(self.v_proj(context), self.num_heads)  # [B, H, Nk, d]
        dropout = self.dropout if self.training else 0.0
        mask = None if attention_mask is None else attention_mask[:, None, None, :]  # [B, 1, 1, Nk]
        weights = None
        if self.attn_implementation == "eager" or output_attentions:
            out, weights = eager_attention(q, k, v, self.scale, dropout, mask)
        if self.attn_implementation == "sdpa":
            out = F.scaled_dot_product_attention(q, k, v, mask, dropout, scale=self.scale)
        return self.out_proj(merge_heads(out)), (weights if output_attentions else None)
