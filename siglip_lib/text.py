# GENERATED FILE, DO NOT EDIT: edit notebooks/06_text_tower.ipynb and run `python tools/export.py`.

import torch
import torch.nn as nn

from siglip_lib.checkpoint import Pretrained
from siglip_lib.checks import check_input_ids
from siglip_lib.config import SigLipTextConfig
from siglip_lib.encoder import SigLipEncoder
from siglip_lib.outputs import SigLipTextOutput
from siglip_lib.vision import init_siglip_weights


class TextEmbeddings(nn.Module):
    """Token ids [B, T] -> token embeddings plus learned position embeddings [B, T, D]."""

    def __init__(self, config):
        super().__init__()
        self.token_embedding = nn.Embedding(config.vocab_size, config.embed_dim)
        self.position_embedding = nn.Embedding(config.max_position_embeddings, config.embed_dim)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)  # [T]: 0, 1, 2, ...
        return self.token_embedding(input_ids) + self.position_embedding(positions)  # [B, T, D] + [T, D]


class SigLipTextTransformer(nn.Module):
    """Embeddings, the encoder (no attention mask: every position sees every other), a final LayerNorm, and
    a linear head on the last position."""

    def __init__(self, config):
        super().__init__()
        self.embeddings = TextEmbeddings(config)
        self.encoder = SigLipEncoder(config)
        self.final_layer_norm = nn.LayerNorm(config.embed_dim, eps=config.layer_norm_eps)
        self.head = nn.Linear(config.embed_dim, config.projection_size)

    def forward(self, input_ids, output_attentions=False, output_hidden_states=False) -> SigLipTextOutput:
        x = self.embeddings(input_ids)  # [B, T, D]
        x, hidden_states, attentions = self.encoder(x, output_attentions, output_hidden_states)
        x = self.final_layer_norm(x)
        pooled = self.head(x[:, -1])  # the last position (padding, usually) speaks for the caption
        return SigLipTextOutput(x, pooled, hidden_states, attentions)


class SigLipTextModel(Pretrained, nn.Module):
    """SigLIP's text tower. forward(input_ids [B, T]) -> SigLipTextOutput."""

    def __init__(self, config: SigLipTextConfig | None = None):
        super().__init__(config)  # sets self.config (siglip_lib.checkpoint.Pretrained)
        self.transformer = SigLipTextTransformer(self.config)
        init_siglip_weights(self)  # as the vision tower; the token table like the position tables

    def forward(self, input_ids, output_attentions: bool = False, output_hidden_states: bool = False):
        check_input_ids(input_ids, self.config)  # clear errors (siglip_lib.checks)
        input_ids = input_ids.to(self.transformer.head.weight.device)  # a tokenizer's ids live on the CPU
        return self.transformer(input_ids, output_attentions, output_hidden_states)
