# GENERATED FILE, DO NOT EDIT: edit notebooks/A1_engineering.ipynb and run `python tools/export.py`.

from dataclasses import dataclass

import torch


class ModelOutput:
    """Tuple-style access for the output dataclasses, as transformers' ModelOutput gives."""

    def to_tuple(self) -> tuple:
        """The fields that are set, in order (as transformers' ModelOutput.to_tuple)."""
        return tuple(v for v in vars(self).values() if v is not None)

    def __getitem__(self, key):
        """out[0] is the first field that is set, out["pooler_output"] a field by name, as in transformers."""
        return getattr(self, key) if isinstance(key, str) else self.to_tuple()[key]


@dataclass
class SigLipVisionOutput(ModelOutput):
    """What SigLipVisionModel returns; field names as in transformers, plus pooler_attention."""

    last_hidden_state: torch.Tensor  # [B, N, D], after post_layernorm
    pooler_output: torch.Tensor | None = None  # [B, D] from the MAP head (None when use_head=False)
    hidden_states: tuple | None = None  # L+1 tensors [B, N, D]: embeddings, then each block's output
    attentions: tuple | None = None  # L tensors [B, H, N, N]
    pooler_attention: torch.Tensor | None = None  # [B, H, 1, N]: where the MAP probe looked


@dataclass
class SigLipTextOutput(ModelOutput):
    """What SigLipTextModel returns; field names as in transformers."""

    last_hidden_state: torch.Tensor  # [B, T, D], after final_layer_norm
    pooler_output: torch.Tensor  # [B, projection_size]: head(last position)
    hidden_states: tuple | None = None  # L+1 tensors [B, T, D]
    attentions: tuple | None = None  # L tensors [B, H, T, T]


@dataclass
class SigLipOutput(ModelOutput):
    """What SigLipModel returns; field names and order as in transformers' SiglipOutput."""

    loss: torch.Tensor | None = None  # the sigmoid loss, when return_loss=True
    logits_per_image: torch.Tensor | None = None  # [n_images, n_texts]
    logits_per_text: torch.Tensor | None = None  # [n_texts, n_images] = t * cosine + b
    text_embeds: torch.Tensor | None = None  # [n_texts, D], length 1
    image_embeds: torch.Tensor | None = None  # [n_images, D], length 1
    text_model_output: SigLipTextOutput | None = None
    vision_model_output: SigLipVisionOutput | None = None
