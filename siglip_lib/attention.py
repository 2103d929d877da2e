# GENERATED FILE, DO NOT EDIT: edit notebooks/03_attention.ipynb and run `python tools/export.py`.

import torch
import torch.nn as nn
import torch.nn.functional as F


def eager_attention(query, key, value, scale: float, dropout: float = 0.0):
    """Scaled dot-product attention written out. query [B, H, Nq, d], key and value [B, H, Nk, d].

    Returns (output [B, H, Nq, d], weights [B, H, Nq, Nk]); each row of weights sums to 1 over the keys.
    dropout (training only) drops attention weights, as F.scaled_dot_product_attention's dropout_p does.
    """
    scores = torch.matmul(query, key.transpose(-1, -2)) * scale  # [B, H, Nq, Nk]
    weights = F.softmax(scores, dim=-1, dtype=torch.float32).to(query.dtype)  # softmax over the keys
    if dropout:
        weights = F.dropout(weights, dropout)
    return torch.matmul(weights, value), weights  # [B, H, Nq, d], [B, H, Nq, Nk]


class MultiheadAttention(nn.Module):
    """Multi-head attention with separate q/k/v/out projections (SigLIP's layout).

    attn_implementation: "sdpa" computes the output with F.scaled_dot_product_attention (fast);
    "eager" with eager_attention (the explicit softmax(QK^T / sqrt(d)) V, as torch.nn.MultiheadAttention does).
    """

    def __init__(self, config, attn_implementation: str = "sdpa"):
        super().__init__()
        if attn_implementation not in ("sdpa", "eager"):
            raise ValueError(f"attn_implementation must be 'sdpa' or 'eager', got {attn_implementation!r}")
        self.num_heads = config.num_attention_heads
        self.head_dim = config.embed_dim // config.num_attention_heads
        self.scale = self.head_dim**-0.5
        self.dropout = config.attention_dropout
        self.attn_implementation = attn_implementation
        self.k_proj = nn.Linear(config.embed_dim, config.embed_dim)
        self.v_proj = nn.Linear(config.embed_dim, config.embed_dim)
        self.q_proj = nn.Linear(config.embed_dim, config.embed_dim)
        self.out_proj = nn.Linear(config.embed_dim, config.embed_dim)

    def _split_heads(self, x):  # [B, N, D] -> [B, H, N, d]
        return x.view(*x.shape[:2], self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, hidden_states, context=None, output_attentions: bool = False):
        """hidden_states [B, Nq, D] make the queries; context [B, Nk, D] (default: hidden_states) the keys and values.

        Returns (output [B, Nq, D], weights [B, H, Nq, Nk] if output_attentions else None).
        """
        context = hidden_states if context is None else context
        q = self._split_heads(self.q_proj(hidden_states))  # [B, H, Nq, d]
        k = self._split_heads(self.k_proj(context))  # [B, H, Nk, d]
        v = self._split_heads(self.v_proj(context))  # [B, H, Nk, d]
        dropout = self.dropout if self.training else 0.0
        weights = None
        if self.attn_implementation == "eager":
            out, weights = eager_attention(q, k, v, self.scale, dropout)  # (dropout is 0.0 in SigLIP's configs)
        else:
            out = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout, scale=self.scale)
            if output_attentions:
                _, weights = eager_attention(q, k, v, self.scale)  # for inspection only: out is unchanged
        out = out.transpose(1, 2).reshape(hidden_states.shape)  # [B, Nq, H, d] -> [B, Nq, D]
        return self.out_proj(out), (weights if output_attentions else None)
