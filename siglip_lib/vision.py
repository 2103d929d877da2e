# GENERATED FILE, DO NOT EDIT: edit notebooks/05_vision_model.ipynb and run `python tools/export.py`.

import math

import torch
import torch.nn as nn

from siglip_lib.attention import MultiheadAttention
from siglip_lib.checkpoint import Pretrained
from siglip_lib.checks import check_pixel_values
from siglip_lib.config import SigLipVisionConfig
from siglip_lib.embeddings import VisionEmbeddings
from siglip_lib.encoder import MLP, SigLipEncoder
from siglip_lib.outputs import SigLipVisionOutput


class MultiheadAttentionPoolingHead(nn.Module):
    """MAP head: a learned probe attends over the tokens, then h + MLP(LayerNorm(h)). [B, N, D] -> [B, D]."""

    def __init__(self, config):
        super().__init__()
        self.probe = nn.Parameter(torch.randn(1, 1, config.embed_dim))  # the one learned query
        self.attention = MultiheadAttention(config, attn_implementation="eager")  # no dropout, as transformers
        self.layernorm = nn.LayerNorm(config.embed_dim, eps=config.layer_norm_eps)
        self.mlp = MLP(config)

    def forward(self, x, output_attentions: bool = False, attention_mask=None):
        """x [B, N, D] -> (pooled [B, D], probe attention [B, H, 1, N] or None). attention_mask [B, N]: False
        for padding tokens, which the probe then ignores (SigLIP 2, notebook 10)."""
        probe = self.probe.expand(x.shape[0], -1, -1)  # [B, 1, D]
        h, weights = self.attention(probe, x, output_attentions, attention_mask)  # [B, 1, D]
        h = h + self.mlp(self.layernorm(h))
        return h[:, 0], weights


class SigLipVisionTransformer(nn.Module):
    """Embeddings, the encoder, a final LayerNorm and the MAP head."""

    def __init__(self, config):
        super().__init__()
        self.embeddings = VisionEmbeddings(config)
        self.encoder = SigLipEncoder(config)
        self.post_layernorm = nn.LayerNorm(config.embed_dim, eps=config.layer_norm_eps)
        self.head = MultiheadAttentionPoolingHead(config) if config.use_head else None

    def forward(self, pixel_values, output_attentions=False, output_hidden_states=False,
                interpolate_pos_encoding=False) -> SigLipVisionOutput:
        x = self.embeddings(pixel_values, interpolate_pos_encoding=interpolate_pos_encoding)  # [B, N, D]
        x, hidden_states, attentions = self.encoder(x, output_attentions, output_hidden_states)
        x = self.post_layernorm(x)  # [B, N, D]
        pooled, probe_weights = self.head(x, output_attentions) if self.head is not None else (None, None)
        return SigLipVisionOutput(x, pooled, hidden_states, attentions, probe_weights)


def lecun_normal_(weight: torch.Tensor) -> None:
    """LeCun normal as big_vision draws it: std 1/sqrt(fan_in) after cutting at 2 std.
    Cutting a normal at +-2 std leaves 0.8796 of its std, so the normal is drawn 1/0.8796 wider first."""
    std = weight[0].numel() ** -0.5 / 0.87962566103423978  # fan_in = weight[0].numel(); 768 for the patch conv
    nn.init.trunc_normal_(weight, std=std, a=-2 * std, b=2 * std)


@torch.no_grad()
def init_siglip_weights(model: nn.Module) -> None:
    """SigLIP's initialisation (big_vision's, which transformers copies), in place. First every layer by its
    kind, then the recipe of attention, MLP and MAP head on top."""
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):  # patch embedding, text head: LeCun normal, zero bias
            lecun_normal_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):  # position (and token) tables: normal, std 1/sqrt(D)
            nn.init.normal_(m.weight, std=m.embedding_dim**-0.5)
    for m in model.modules():
        if isinstance(m, MultiheadAttention):  # q, k, v, out: Xavier uniform, zero bias
            for proj in (m.q_proj, m.k_proj, m.v_proj, m.out_proj):
                nn.init.xavier_uniform_(proj.weight)
                nn.init.zeros_(proj.bias)
        elif isinstance(m, MLP):  # Xavier uniform, biases almost zero (std 1e-6)
            for fc in (m.fc1, m.fc2):
                nn.init.xavier_uniform_(fc.weight)
                nn.init.normal_(fc.bias, std=1e-6)
    for m in model.modules():
        if isinstance(m, MultiheadAttentionPoolingHead):  # transformers' nn.MultiheadAttention layout:
            nn.init.xavier_uniform_(m.probe)
            bound = math.sqrt(6 / (4 * m.probe.shape[-1]))  # Xavier over q, k, v stacked as one [3D, D] matrix
            for proj in (m.attention.q_proj, m.attention.k_proj, m.attention.v_proj):
                nn.init.uniform_(proj.weight, -bound, bound)
            lecun_normal_(m.attention.out_proj.weight)  # out_proj is a plain Linear there: LeCun normal


class SigLipVisionModel(Pretrained, nn.Module):
    """SigLIP's vision tower: forward(pixel_values [B, C, H, W]) -> SigLipVisionOutput, whose last_hidden_state
    is [B, N, D] and pooler_output [B, D]. Loading and saving come from Pretrained (siglip_lib.checkpoint)."""

    def __init__(self, config: SigLipVisionConfig | None = None):
        super().__init__(config)  # sets self.config: the one given, or the base model's sizes
        self.transformer = SigLipVisionTransformer(self.config)
        init_siglip_weights(self)

    def forward(self, pixel_values, output_attentions: bool = False, output_hidden_states: bool = False,
                interpolate_pos_encoding: bool = False) -> SigLipVisionOutput:
        weight = self.transformer.post_layernorm.weight  # the model's device and dtype
        check_pixel_values(pixel_values, self.config, interpolate_pos_encoding, weight.dtype)  # clear errors
        pixel_values = pixel_values.to(weight)  # to the model's device and dtype
        return self.transformer(pixel_values, output_attentions, output_hidden_states, interpolate_pos_encoding)
