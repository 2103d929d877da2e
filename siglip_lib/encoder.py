# GENERATED FILE, DO NOT EDIT: edit notebooks/04_encoder_block.ipynb and run `python tools/export.py`.

import torch.nn as nn
import torch.nn.functional as F

from siglip_lib.attention import MultiheadAttention
from siglip_lib.checks import check_attn_implementation


class MLP(nn.Module):
    """Position-wise feed-forward: Linear D -> 4D, GELU (tanh approximation), Linear 4D -> D."""

    def __init__(self, config):
        super().__init__()
        self.fc1 = nn.Linear(config.embed_dim, config.mlp_hidden_dim)
        self.fc2 = nn.Linear(config.mlp_hidden_dim, config.embed_dim)

    def forward(self, x):  # [B, N, D]
        return self.fc2(F.gelu(self.fc1(x), approximate="tanh"))  # through [B, N, 4D]


class EncoderBlock(nn.Module):
    """One pre-LayerNorm transformer block: x + attn(LN(x)), then x + MLP(LN(x))."""

    def __init__(self, config):
        super().__init__()
        self.layer_norm1 = nn.LayerNorm(config.embed_dim, eps=config.layer_norm_eps)
        self.self_attn = MultiheadAttention(config, dropout=config.attention_dropout)
        self.layer_norm2 = nn.LayerNorm(config.embed_dim, eps=config.layer_norm_eps)
        self.mlp = MLP(config)

    def forward(self, x, output_attentions: bool = False, attention_mask=None):
        """x [B, N, D] -> (x [B, N, D], attention weights [B, H, N, N] or None). attention_mask [B, N]: False
        for padding tokens, which then take no part as keys (SigLIP 2, notebook 10)."""
        attn_out, weights = self.self_attn(self.layer_norm1(x), output_attentions=output_attentions,
                                           attention_mask=attention_mask)
        x = x + attn_out  # residual around attention
        del attn_out  # free this [B, N, D] tensor before the MLP makes its [B, N, 4D] one
        x = x + self.mlp(self.layer_norm2(x))  # residual around the MLP
        return x, weights


class SigLipEncoder(nn.Module):
    """A stack of num_encoder_blocks EncoderBlocks."""

    def __init__(self, config):
        super().__init__()
        self.encoder_blocks = nn.ModuleList([EncoderBlock(config) for _ in range(config.num_encoder_blocks)])

    def set_attn_implementation(self, attn_implementation: str) -> None:
        """Every block's attention: "sdpa" (the fused kernel) or "eager" (the explicit softmax)."""
        for block in self.encoder_blocks:
            block.self_attn.attn_implementation = check_attn_implementation(attn_implementation)

    def forward(self, x, output_attentions: bool = False, output_hidden_states: bool = False, attention_mask=None):
        """x [B, N, D] -> (x [B, N, D], hidden_states (L+1 tensors) or None, attentions (L tensors) or None)."""
        hidden_states = (x,) if output_hidden_states else None
        attentions = () if output_attentions else None
        for block in self.encoder_blocks:
            x, weights = block(x, output_attentions, attention_mask)
            if output_hidden_states:
                hidden_states += (x,)
            if output_attentions:
                attentions += (weights,)
        return x, hidden_states, attentions
