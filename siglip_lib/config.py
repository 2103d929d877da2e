# GENERATED FILE, DO NOT EDIT: edit notebooks/A1_engineering.ipynb and run `python tools/export.py`.

import math
from dataclasses import asdict, dataclass, field, fields


class TransformersNames:
    """Base of the configs: to_dict and translation from and to transformers' config dicts.
    A subclass maps transformers' field names to ours in _FROM_TRANSFORMERS."""

    _FROM_TRANSFORMERS = {}

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_transformers_dict(cls, d: dict):
        """Build from a transformers config dict (e.g. a part of config.json); unknown entries are ignored."""
        if d.get("hidden_act", "gelu_pytorch_tanh") != "gelu_pytorch_tanh":
            raise ValueError(f"only hidden_act='gelu_pytorch_tanh' is implemented, got {d['hidden_act']!r}")
        ours = {f.name for f in fields(cls)}
        kwargs = {cls._FROM_TRANSFORMERS.get(k, k): v for k, v in d.items()}
        return cls(**{k: v for k, v in kwargs.items() if k in ours})

    def to_transformers_dict(self) -> dict:
        """The same sizes under transformers' names, for transformers' config class (**d)."""
        back = {v: k for k, v in self._FROM_TRANSFORMERS.items()}
        return {back.get(k, k): v for k, v in self.to_dict().items()} | {"hidden_act": "gelu_pytorch_tanh"}

    def check_sizes(self, names) -> None:
        """Raise a ValueError unless every named field is a positive int and embed_dim splits into the heads."""
        for name in names:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{type(self).__name__}.{name} must be a positive int, got {value!r}")
        if self.embed_dim % self.num_attention_heads:
            raise ValueError(f"embed_dim ({self.embed_dim}) must be divisible by num_attention_heads "
                             f"({self.num_attention_heads})")


@dataclass
class SigLipVisionConfig(TransformersNames):
    """Sizes of the SigLIP vision tower. Defaults: google/siglip-base-patch16-224 (ViT-B/16, 224 px)."""

    num_channels: int = 3
    embed_dim: int = 768  # D, the width of every token
    image_size: int = 224  # the resolution the position embeddings were trained at
    patch_size: int = 16  # P, each token covers a P x P square of pixels
    num_attention_heads: int = 12
    attention_dropout: float = 0.0
    num_encoder_blocks: int = 12  # L
    mlp_hidden_dim: int = 3072  # 4 * D
    layer_norm_eps: float = 1e-6
    use_head: bool = True  # the attention-pooling (MAP) head that gives pooler_output

    _FROM_TRANSFORMERS = {"hidden_size": "embed_dim", "num_hidden_layers": "num_encoder_blocks",
                          "intermediate_size": "mlp_hidden_dim", "vision_use_head": "use_head"}

    def __post_init__(self):
        self.check_sizes(("num_channels", "embed_dim", "image_size", "patch_size", "num_attention_heads",
                          "num_encoder_blocks", "mlp_hidden_dim"))
        if self.image_size % self.patch_size:
            raise ValueError(f"image_size ({self.image_size}) must be a multiple of patch_size ({self.patch_size})")

    @property
    def head_dim(self) -> int:
        return self.embed_dim // self.num_attention_heads

    @property
    def grid_size(self) -> int:
        """Patches per side at image_size: 224 // 16 = 14."""
        return self.image_size // self.patch_size

    @property
    def num_patches(self) -> int:
        return self.grid_size**2


@dataclass
class SigLip2VisionConfig(TransformersNames):
    """Sizes of the SigLIP 2 NaFlex vision tower. Defaults: google/siglip2-base-patch16-naflex."""

    num_channels: int = 3
    embed_dim: int = 768
    num_patches: int = 256  # the learned position grid: 16 x 16, resized to each image's own patch grid
    patch_size: int = 16
    num_attention_heads: int = 12
    attention_dropout: float = 0.0
    num_encoder_blocks: int = 12
    mlp_hidden_dim: int = 3072
    layer_norm_eps: float = 1e-6
    use_head: bool = True
    _FROM_TRANSFORMERS = SigLipVisionConfig._FROM_TRANSFORMERS

    def __post_init__(self):
        self.check_sizes(("num_channels", "embed_dim", "num_patches", "patch_size", "num_attention_heads",
                          "num_encoder_blocks", "mlp_hidden_dim"))
        if math.isqrt(self.num_patches) ** 2 != self.num_patches:
            raise ValueError(f"num_patches ({self.num_patches}) must be a square number: the position "
                             "embeddings form a square grid")

    @property
    def grid_size(self) -> int:
        """Side of the learned position grid: 16 for 256 positions."""
        return math.isqrt(self.num_patches)


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

    _FROM_TRANSFORMERS = {"hidden_size": "embed_dim", "num_hidden_layers": "num_encoder_blocks",
                          "intermediate_size": "mlp_hidden_dim"}

    def __post_init__(self):
        if self.projection_size is None:
            self.projection_size = self.embed_dim
        self.check_sizes(("vocab_size", "embed_dim", "max_position_embeddings", "num_attention_heads",
                          "num_encoder_blocks", "mlp_hidden_dim", "projection_size"))

    def to_transformers_dict(self) -> dict:
        """As the vision config's, with no begin/end-of-text ids (SigLIP's text tower reads neither)."""
        return super().to_transformers_dict() | {"bos_token_id": None, "eos_token_id": None}


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
        """The config of a transformers SiglipModel with these sizes."""
        return {"text_config": {"model_type": "siglip_text_model", **self.text_config.to_transformers_dict()},
                "vision_config": {"model_type": "siglip_vision_model", **self.vision_config.to_transformers_dict()}}
