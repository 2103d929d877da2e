# GENERATED FILE, DO NOT EDIT: edit notebooks/04_encoder_block.ipynb and run `python tools/export.py`.

import torch
import torch.nn as nn
import torch.nn.functional as F

from siglip_lib.attention import MultiheadAttention


class MLP(nn.Module):
    """Position-wise feed-forward: Linear D -> 4D, GELU (tanh approximation), Linear 4D -> D."""

    def __init__(self, config):
        super().__init__()
        self.fc1 = nn.Linear(config.embed_dim, config.mlp_hidden_dim)
        self.fc2 = nn.Linear(config.mlp_hidden_dim, config.embed_dim)

    def forward(self, x):  # [B, N, D]
        h = self.fc1(x)  # [B, N, 4D]
        if (torch.is_grad_enabled() and h.requires_grad) or _hooked(self.fc1):
            h = F.gelu(h, approximate="tanh")  # autograd (or a hook) needs fc1's output: keep it
        else:
            h = torch.ops.aten.gelu_(h, approximate="tanh")  # inference: in place, one big tensor fewer
        return self.fc2(h)  # [B, N, D]


def _hooked(*modules) -> bool:
    """Whether a forward hook may hold on to these modules' outputs (then nothing may change them in place)."""
    return any(m._forward_hooks for m in modules) or bool(nn.modules.module._global_forward_hooks)


def _residual(update, x):
    """x + update, summed into update (a fresh tensor) when that keeps the dtype: under autocast the update
    may be bf16 while the stream stays fp32. (The caller checks that no hook holds on to update.)"""
    return update.add_(x) if update.dtype == torch.result_type(update, x) else x + update


class EncoderBlock(nn.Module):
    """One pre-LayerNorm transformer block: x + attn(LN(x)), then x + MLP(LN(x))."""

    def __init__(self, config):
        super().__init__()
        self.layer_norm1 = nn.LayerNorm(config.embed_dim, eps=config.layer_norm_eps)
        self.self_attn = MultiheadAttention(config)
        self.layer_norm2 = nn.LayerNorm(config.embed_dim, eps=config.layer_norm_eps)
        self.mlp = MLP(config)

    def forward(self, x, output_attentions: bool = False):
        """x [B, N, D] -> (x [B, N, D], attention weights [B, H, N, N] or None)."""
        attn_out, weights = self.self_attn(self.layer_norm1(x), output_attentions=output_attentions)
        if _hooked(self.self_attn, self.self_attn.out_proj, self.mlp, self.mlp.fc2):
            x = x + attn_out  # a hook keeps these outputs: leave them as they were
            return x + self.mlp(self.layer_norm2(x)), weights
        x = _residual(attn_out, x)  # residual around attention: x + attn(LN(x)), summed into attn_out
        x = _residual(self.mlp(self.layer_norm2(x)), x)  # residual around the MLP, the same way
        return x, weights


class SigLipEncoder(nn.Module):
    """A stack of num_encoder_blocks EncoderBlocks."""

    def __init__(self, config):
        super().__init__()
        self.encoder_blocks = nn.ModuleList([EncoderBlock(config) for _ in range(config.num_encoder_blocks)])

    def set_attn_implementation(self, attn_implementation: str) -> None:
        """Every block's attention: "sdpa" (the fused kernel) or "eager" (the explicit softmax)."""
        if attn_implementation not in ("sdpa", "eager"):
            raise ValueError(f"attn_implementation must be 'sdpa' or 'eager', got {attn_implementation!r}")
        for block in self.encoder_blocks:
            block.self_attn.attn_implementation = attn_implementation

    def forward(self, x, output_attentions: bool = False, output_hidden_states: bool = False):
        """x [B, N, D] -> (x [B, N, D], hidden_states (L+1 tensors) or None, attentions (L tensors) or None)."""
        hidden_states = [x] if output_hidden_states else None
        attentions = [] if output_attentions else None
        for block in self.encoder_blocks:
            x, weights = block(x, output_attentions=output_attentions)
            if output_hidden_states:
                hidden_states.append(x)
            if output_attentions:
                attentions.append(weights)
        return x, (tuple(hidden_states) if output_hidden_states else None), (tuple(attentions) if output_attentions else None)
