# GENERATED FILE, DO NOT EDIT: edit notebooks/06_text_and_loss.ipynb and run `python tools/export.py`.

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn as nn

from siglip_lib.config import SigLipVisionConfig
from siglip_lib.loss import sigmoid_loss
from siglip_lib.text import SigLipTextConfig, SigLipTextModel, SigLipTextOutput, WordTokenizer, text_hf_name
from siglip_lib.vision import (ModelOutput, SigLipVisionModel, SigLipVisionOutput, _hf_name, _resolve_checkpoint,
                               like, read_config, read_tensors, weight_files)


@dataclass
class SigLipConfig:
    """Both towers, and where the learned temperature and bias start (the paper: t' = log 10, b = -10)."""

    text_config: SigLipTextConfig = field(default_factory=SigLipTextConfig)
    vision_config: SigLipVisionConfig = field(default_factory=SigLipVisionConfig)
    logit_scale_init: float = math.log(10)  # t' (t = exp(t') = 10)
    logit_bias_init: float = -10.0  # b

    def __post_init__(self):
        if isinstance(self.text_config, dict):
            self.text_config = SigLipTextConfig(**self.text_config)
        if isinstance(self.vision_config, dict):
            self.vision_config = SigLipVisionConfig(**self.vision_config)
        if not self.vision_config.use_head:
            raise ValueError("SigLipModel needs the vision tower's MAP head: vision_config.use_head must be True")
        if self.text_config.projection_size != self.vision_config.embed_dim:
            raise ValueError(f"caption and image vectors must have one width: text_config.projection_size "
                             f"({self.text_config.projection_size}) != vision_config.embed_dim "
                             f"({self.vision_config.embed_dim})")

    @classmethod
    def from_transformers_dict(cls, d: dict) -> "SigLipConfig":
        return cls(SigLipTextConfig.from_transformers_dict(d.get("text_config") or {}),
                   SigLipVisionConfig.from_transformers_dict(d.get("vision_config") or {}))

    def to_transformers_dict(self) -> dict:
        """config.json of a transformers SiglipModel with these sizes."""
        act = {"hidden_act": "gelu_pytorch_tanh"}
        return {"architectures": ["SiglipModel"], "model_type": "siglip",
                "text_config": {"model_type": "siglip_text_model", **self.text_config.to_transformers_dict(), **act},
                "vision_config": {"model_type": "siglip_vision_model", **self.vision_config.to_transformers_dict(),
                                  **act}}


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


class SigLipModel(nn.Module):
    """SigLIP: a vision tower and a text tower whose normalised outputs meet in t * cosine + b."""

    def __init__(self, config: SigLipConfig | None = None):
        super().__init__()
        self.config = config if config is not None else SigLipConfig()
        self.vision_model = SigLipVisionModel(self.config.vision_config)
        self.text_model = SigLipTextModel(self.config.text_config)
        self.logit_scale = nn.Parameter(torch.tensor([self.config.logit_scale_init]))  # t' = log t
        self.logit_bias = nn.Parameter(torch.tensor([self.config.logit_bias_init]))  # b
        self.tokenizer = None  # captions -> input_ids; from_pretrained sets it

    def embed_images(self, pixel_values, interpolate_pos_encoding: bool = False) -> torch.Tensor:
        """pixel_values [B, C, H, W] -> image vectors of length 1 [B, D]."""
        pooled = self.vision_model(pixel_values, interpolate_pos_encoding=interpolate_pos_encoding).pooler_output
        return pooled / pooled.norm(p=2, dim=-1, keepdim=True)

    def embed_texts(self, input_ids) -> torch.Tensor:
        """input_ids [B, T] -> caption vectors of length 1 [B, D]."""
        pooled = self.text_model(input_ids).pooler_output
        return pooled / pooled.norm(p=2, dim=-1, keepdim=True)

    def forward(self, pixel_values=None, input_ids=None, return_loss: bool = False, output_attentions: bool = False,
                output_hidden_states: bool = False, interpolate_pos_encoding: bool = False) -> SigLipOutput:
        if pixel_values is None or input_ids is None:
            raise ValueError("SigLipModel needs both pixel_values [B, C, H, W] and input_ids [B, T]; "
                             "for one tower, use embed_images or embed_texts")
        vision_out = self.vision_model(pixel_values, output_attentions, output_hidden_states, interpolate_pos_encoding)
        text_out = self.text_model(input_ids, output_attentions, output_hidden_states)
        image_embeds = vision_out.pooler_output / vision_out.pooler_output.norm(p=2, dim=-1, keepdim=True)
        text_embeds = text_out.pooler_output / text_out.pooler_output.norm(p=2, dim=-1, keepdim=True)
        logits_per_text = text_embeds @ image_embeds.t() * self.logit_scale.exp() + self.logit_bias  # [T, I]
        loss = sigmoid_loss(logits_per_text) if return_loss else None
        return SigLipOutput(loss, logits_per_text.t(), logits_per_text, text_embeds, image_embeds, text_out,
                            vision_out)

    def set_attn_implementation(self, attn_implementation: str) -> "SigLipModel":
        self.vision_model.set_attn_implementation(attn_implementation)
        self.text_model.set_attn_implementation(attn_implementation)
        return self

    @classmethod
    def from_transformers(cls, hf_model) -> "SigLipModel":
        """Copy the weights of a live transformers SiglipModel."""
        if not all(hasattr(hf_model, a) for a in ("vision_model", "text_model", "logit_scale", "logit_bias")):
            raise TypeError(f"expected a transformers SiglipModel, got {type(hf_model).__name__}")
        model = cls(SigLipConfig.from_transformers_dict(hf_model.config.to_dict()))
        model.load_transformers_state_dict(hf_model.state_dict())
        return like(model, hf_model)

    def load_transformers_state_dict(self, hf_state_dict: dict, source: str = "the state dict") -> None:
        """Tensors named as in transformers' SiglipModel: vision_model.*, text_model.*, logit_scale, logit_bias."""
        parts = {"vision_model.": {}, "text_model.": {}}
        for key, tensor in hf_state_dict.items():
            prefix = next((p for p in parts if key.startswith(p)), None)
            if prefix is not None:
                parts[prefix][key[len(prefix):]] = tensor
            elif key not in ("logit_scale", "logit_bias"):
                raise ValueError(f"{source} does not fit SigLipModel: unexpected tensor {key}")
        for name in ("logit_scale", "logit_bias"):
            if name not in hf_state_dict:
                raise ValueError(f"{source} does not fit SigLipModel: missing tensor {name}")
            if hf_state_dict[name].shape != (1,):
                raise ValueError(f"{source} does not fit SigLipModel: wrong shape for {name}: expected (1,), got "
                                 f"{tuple(hf_state_dict[name].shape)}")
        self.vision_model.load_transformers_state_dict(parts["vision_model."], source=f"{source} (vision_model)")
        self.text_model.load_transformers_state_dict(parts["text_model."], source=f"{source} (text_model)")
        with torch.no_grad():
            self.logit_scale.copy_(hf_state_dict["logit_scale"])
            self.logit_bias.copy_(hf_state_dict["logit_bias"])

    def transformers_state_dict(self) -> dict:
        """Our weights under transformers' SiglipModel names (the MAP head's q, k, v stacked into in_proj)."""
        vision = self.vision_model.state_dict()
        out = {"vision_model." + _hf_name(k): v for k, v in vision.items() if ".head.attention." not in k
               or "out_proj" in k}
        head = "transformer.head.attention"
        for kind in ("weight", "bias"):  # transformers stacks the probe's projections as [q; k; v]
            out[f"vision_model.head.attention.in_proj_{kind}"] = torch.cat(
                [vision[f"{head}.{proj}.{kind}"] for proj in ("q_proj", "k_proj", "v_proj")])
        out |= {"text_model." + text_hf_name(k): v for k, v in self.text_model.state_dict().items()}
        return out | {"logit_scale": self.logit_scale.detach(), "logit_bias": self.logit_bias.detach()}

    @classmethod
    def from_pretrained(cls, name_or_path, *, device=None, dtype=None, revision=None, cache_dir=None,
                        local_files_only=False) -> "SigLipModel":
        """Load a full SiglipModel from a save_pretrained folder or a hub id; attach its tokenizer.
        device and dtype say where the weights go (default: CPU, float32), as SigLipVisionModel.from_pretrained."""
        folder = _resolve_checkpoint(name_or_path, revision, cache_dir, local_files_only)
        raw = read_config(folder)
        if raw.get("model_type") != "siglip":
            raise ValueError(f"expected a full SigLIP checkpoint (model_type 'siglip') in {folder}, got model_type "
                             f"{raw.get('model_type')!r}; for a vision tower alone use SigLipVisionModel.from_pretrained")
        model = cls(SigLipConfig.from_transformers_dict(raw))
        model.load_transformers_state_dict(read_tensors(weight_files(folder)), source=str(folder))
        if (folder / WordTokenizer.FILE).is_file():
            model.tokenizer = WordTokenizer.load(folder)
        elif any((folder / name).is_file() for name in PretrainedTokenizer.FILES):
            model.tokenizer = PretrainedTokenizer(folder, model.config.text_config.max_position_embeddings)
        return model.to(device=device, dtype=dtype).eval()  # (no tokenizer files: model.tokenizer stays None)

    def save_pretrained(self, folder) -> Path:
        """Write config.json + model.safetensors in transformers' format (and the word tokenizer, if any)."""
        from safetensors.torch import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.json").write_text(json.dumps(self.config.to_transformers_dict(), indent=2) + "\n")
        tensors = {k: v.detach().cpu().contiguous() for k, v in self.transformers_state_dict().items()}
        save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})
        if isinstance(self.tokenizer, WordTokenizer):
            self.tokenizer.save(folder)
        return folder


class PretrainedTokenizer:
    """transformers' tokenizer of a pretrained SigLIP, called the way SigLIP was trained: every caption padded
    to max_length. (Padding to the longest caption instead is the classic mistake: the last position, which
    SigLIP reads the caption vector from, then holds a different token.) Loaded from the checkpoint's folder
    on first use, so it needs no network of its own."""

    FILES = ("tokenizer_config.json", "tokenizer.json", "spiece.model")  # any of these: a tokenizer is there

    def __init__(self, folder, max_length: int):
        self.name_or_path, self.max_length, self._tokenizer = str(folder), max_length, None

    def __call__(self, captions) -> torch.Tensor:
        if self._tokenizer is None:
            from transformers import AutoTokenizer

            self._tokenizer = AutoTokenizer.from_pretrained(self.name_or_path)
        captions = [captions] if isinstance(captions, str) else list(captions)
        return self._tokenizer(captions, padding="max_length", max_length=self.max_length, truncation=True,
                               return_tensors="pt")["input_ids"]
