# GENERATED FILE, DO NOT EDIT: edit notebooks/06_text_and_loss.ipynb and run `python tools/export.py`.

import json
import re
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn

from siglip_lib.config import TransformersNames
from siglip_lib.encoder import SigLipEncoder
from siglip_lib.vision import ModelOutput, init_siglip_weights, like, load_strict


class WordTokenizer:
    """Word-level tokenizer for a small, closed vocabulary: each caption -> ids of its words, <eos>, then
    <pad> up to max_length. Calling it on a list of captions gives input_ids [B, max_length]."""

    PAD, EOS = "<pad>", "<eos>"
    FILE = "word_tokenizer.json"  # the name it has in a save_pretrained folder

    def __init__(self, words, max_length: int):
        self.vocab = [self.PAD, self.EOS, *words]
        self.ids = {w: i for i, w in enumerate(self.vocab)}
        if len(self.ids) != len(self.vocab):
            raise ValueError(f"the words of a vocabulary must be distinct, got {list(words)}")
        self.max_length = max_length
        self.pad_token_id, self.eos_token_id = self.ids[self.PAD], self.ids[self.EOS]

    def __len__(self) -> int:
        return len(self.vocab)

    def __call__(self, captions) -> torch.Tensor:
        captions = [captions] if isinstance(captions, str) else list(captions)
        return torch.tensor([self.encode(c) for c in captions], dtype=torch.long)  # [B, max_length]

    def encode(self, caption: str) -> list[int]:
        if not isinstance(caption, str):
            raise TypeError(f"expected a caption (str), got {type(caption).__name__}")
        words = re.findall(r"[a-z0-9]+", caption.lower())
        unknown = [w for w in words if w not in self.ids]
        if unknown:
            raise ValueError(f"{unknown} in {caption!r} not in this tokenizer's vocabulary: its {len(self) - 2} "
                             f"words are {self.vocab[2:]} (plus {self.PAD} and {self.EOS})")
        if len(words) + 1 > self.max_length:
            raise ValueError(f"{caption!r} has {len(words)} words; at most {self.max_length - 1} fit (+ <eos>)")
        ids = [self.ids[w] for w in words] + [self.eos_token_id]
        return ids + [self.pad_token_id] * (self.max_length - len(ids))

    def decode(self, ids) -> str:
        return " ".join(self.vocab[i] for i in ids if i not in (self.pad_token_id, self.eos_token_id))

    def save(self, folder) -> None:
        data = {"words": self.vocab[2:], "max_length": self.max_length}
        (Path(folder) / self.FILE).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder) -> "WordTokenizer":
        data = json.loads((Path(folder) / cls.FILE).read_text(encoding="utf-8"))
        return cls(data["words"], data["max_length"])


@dataclass
class SigLipTextConfig(TransformersNames):
    """Sizes of the SigLIP text tower. Defaults: the text tower of google/siglip-base-patch16-224."""

    vocab_size: int = 32000
    embed_dim: int = 768
    max_position_embeddings: int = 64  # the caption length: SigLIP pads every caption to it
    num_attention_heads: int = 12
    attention_dropout: float = 0.0
    num_encoder_blocks: int = 12
    mlp_hidden_dim: int = 3072
    layer_norm_eps: float = 1e-6
    projection_size: int | None = None  # width of the caption vector; None means embed_dim
    pad_token_id: int = 1

    def __post_init__(self):
        if self.projection_size is None:
            self.projection_size = self.embed_dim
        self._check_sizes(("vocab_size", "embed_dim", "max_position_embeddings", "num_attention_heads",
                           "num_encoder_blocks", "mlp_hidden_dim", "projection_size"))

    # transformers' SiglipTextConfig names -> ours
    _FROM_TRANSFORMERS = {"hidden_size": "embed_dim", "num_hidden_layers": "num_encoder_blocks",
                          "intermediate_size": "mlp_hidden_dim"}

    def to_transformers_dict(self) -> dict:
        """As the vision config's, with no begin/end-of-text ids (SigLIP's text tower reads neither)."""
        return super().to_transformers_dict() | {"bos_token_id": None, "eos_token_id": None}


def check_input_ids(input_ids, vocab_size: int, max_length: int) -> None:
    """Raise a clear TypeError/ValueError unless input_ids is an integer tensor [B, T] the text tower can take."""
    if not isinstance(input_ids, torch.Tensor):
        raise TypeError(f"input_ids must be a torch.Tensor [B, T] of token ids, got {type(input_ids).__name__}")
    if input_ids.dim() != 2:
        hint = " (a single caption? add a batch dimension: ids.unsqueeze(0))" if input_ids.dim() == 1 else ""
        raise ValueError(f"input_ids must have 2 dimensions [B, T], got shape {tuple(input_ids.shape)}{hint}")
    if input_ids.dtype not in (torch.int64, torch.int32):
        raise TypeError(f"input_ids must hold integer token ids (torch.int64 or torch.int32), got {input_ids.dtype}")
    if not 1 <= input_ids.shape[1] <= max_length:
        raise ValueError(f"captions must be 1 to {max_length} tokens long (max_position_embeddings), "
                         f"got {input_ids.shape[1]}")
    if input_ids.numel() and (input_ids.min() < 0 or input_ids.max() >= vocab_size):
        raise ValueError(f"token ids must lie in [0, {vocab_size}) (vocab_size), got values from "
                         f"{input_ids.min().item()} to {input_ids.max().item()}")


class TextEmbeddings(nn.Module):
    """Token ids [B, T] -> token embeddings plus learned position embeddings [B, T, D]."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.token_embedding = nn.Embedding(config.vocab_size, config.embed_dim)
        self.position_embedding = nn.Embedding(config.max_position_embeddings, config.embed_dim)
        self.register_buffer("position_ids", torch.arange(config.max_position_embeddings).unsqueeze(0),
                             persistent=False)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        check_input_ids(input_ids, self.config.vocab_size, self.config.max_position_embeddings)
        positions = self.position_ids[:, : input_ids.shape[1]]  # [1, T]
        input_ids = input_ids.to(positions.device)  # a tokenizer returns CPU tensors; the model may be on a GPU
        return self.token_embedding(input_ids) + self.position_embedding(positions)  # [B, T, D]


@dataclass
class SigLipTextOutput(ModelOutput):
    """What SigLipTextModel returns; field names as in transformers."""

    last_hidden_state: torch.Tensor  # [B, T, D], after final_layer_norm
    pooler_output: torch.Tensor  # [B, projection_size]: head(last position)
    hidden_states: tuple | None = None  # L+1 tensors [B, T, D]
    attentions: tuple | None = None  # L tensors [B, H, T, T]


class SigLipTextTransformer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.embeddings = TextEmbeddings(config)
        self.encoder = SigLipEncoder(config)
        self.final_layer_norm = nn.LayerNorm(config.embed_dim, eps=config.layer_norm_eps)
        self.head = nn.Linear(config.embed_dim, config.projection_size)

    def forward(self, input_ids, output_attentions=False, output_hidden_states=False) -> SigLipTextOutput:
        x = self.embeddings(input_ids)  # [B, T, D]
        x, hidden_states, attentions = self.encoder(x, output_attentions, output_hidden_states)  # no mask
        x = self.final_layer_norm(x)
        pooled = self.head(x[:, -1])  # the last position (padding, usually) speaks for the caption
        return SigLipTextOutput(x, pooled, hidden_states, attentions)


class SigLipTextModel(nn.Module):
    """SigLIP's text tower. forward(input_ids [B, T]) -> SigLipTextOutput."""

    def __init__(self, config: SigLipTextConfig | None = None):
        super().__init__()
        self.config = config if config is not None else SigLipTextConfig()
        self.transformer = SigLipTextTransformer(self.config)
        init_siglip_weights(self)  # attention and MLP as in the vision tower
        with torch.no_grad():
            for table in (self.transformer.embeddings.token_embedding, self.transformer.embeddings.position_embedding):
                nn.init.normal_(table.weight, std=self.config.embed_dim**-0.5)

    def forward(self, input_ids, output_attentions: bool = False, output_hidden_states: bool = False):
        return self.transformer(input_ids, output_attentions, output_hidden_states)

    def set_attn_implementation(self, attn_implementation: str) -> "SigLipTextModel":
        """"sdpa" (default) or "eager", as SigLipVisionModel.set_attn_implementation."""
        self.transformer.encoder.set_attn_implementation(attn_implementation)
        return self

    @classmethod
    def from_transformers(cls, hf_model) -> "SigLipTextModel":
        """Copy the weights of a live transformers SiglipTextModel or SiglipModel (its text tower)."""
        text = hf_model
        while hasattr(text, "text_model"):  # SiglipModel -> SiglipTextModel
            text = text.text_model
        if not hasattr(text, "embeddings") or not hasattr(text, "final_layer_norm"):
            raise TypeError(f"expected a transformers SiglipTextModel or SiglipModel, got {type(hf_model).__name__}")
        model = cls(SigLipTextConfig.from_transformers_dict(text.config.to_dict()))
        model.load_transformers_state_dict(text.state_dict())
        return like(model, text)

    def load_transformers_state_dict(self, hf_state_dict: dict, source: str = "the state dict") -> None:
        """Load tensors named as in transformers' SiglipTextModel; strict, as the vision tower's loader."""
        ours = {"transformer." + k.replace("encoder.layers.", "encoder.encoder_blocks."): v
                for k, v in hf_state_dict.items() if not k.endswith("position_ids")}
        load_strict(self, ours, hf_state_dict, text_hf_name, source)


def text_hf_name(our_key: str) -> str:
    """Our text tensor name -> the transformers name."""
    return our_key.removeprefix("transformer.").replace("encoder.encoder_blocks.", "encoder.layers.")
