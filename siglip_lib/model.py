# GENERATED FILE, DO NOT EDIT: edit notebooks/06_text_tower.ipynb and run `python tools/export.py`.

import torch
import torch.nn as nn

from siglip_lib.checkpoint import Pretrained
from siglip_lib.config import SigLipConfig
from siglip_lib.loss import sigmoid_loss
from siglip_lib.outputs import SigLipOutput
from siglip_lib.text import SigLipTextModel
from siglip_lib.vision import SigLipVisionModel


def normalize(x):  # [B, D] -> [B, D], each row of length 1
    return x / x.norm(p=2, dim=-1, keepdim=True)


class SigLipModel(Pretrained, nn.Module):
    """SigLIP: a vision tower and a text tower whose normalised outputs meet in t * cosine + b."""

    def __init__(self, config: SigLipConfig | None = None):
        super().__init__(config)  # sets self.config (siglip_lib.checkpoint.Pretrained)
        self.vision_model = SigLipVisionModel(self.config.vision_config)
        self.text_model = SigLipTextModel(self.config.text_config)
        self.logit_scale = nn.Parameter(torch.tensor([self.config.logit_scale_init]))  # t' = log t
        self.logit_bias = nn.Parameter(torch.tensor([self.config.logit_bias_init]))  # b
        self.tokenizer = None  # captions -> input_ids; from_pretrained sets it

    def embed_images(self, pixel_values, interpolate_pos_encoding: bool = False):  # -> [B, D], length 1
        return normalize(self.vision_model(pixel_values, interpolate_pos_encoding=interpolate_pos_encoding)[1])

    def embed_texts(self, input_ids):  # -> [B, D], length 1
        return normalize(self.text_model(input_ids).pooler_output)

    def forward(self, pixel_values, input_ids, return_loss: bool = False, output_attentions: bool = False,
                output_hidden_states: bool = False, interpolate_pos_encoding: bool = False) -> SigLipOutput:
        vision = self.vision_model(pixel_values, output_attentions, output_hidden_states, interpolate_pos_encoding)
        text = self.text_model(input_ids, output_attentions, output_hidden_states)
        image_embeds, text_embeds = normalize(vision.pooler_output), normalize(text.pooler_output)
        logits_per_text = text_embeds @ image_embeds.t() * self.logit_scale.exp() + self.logit_bias  # [T, I]
        loss = sigmoid_loss(logits_per_text) if return_loss else None
        return SigLipOutput(loss, logits_per_text.t(), logits_per_text, text_embeds, image_embeds, text, vision)
