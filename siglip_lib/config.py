# GENERATED FILE, DO NOT EDIT: edit notebooks/00_overview.ipynb and run `python tools/export.py`.

from dataclasses import asdict, dataclass, fields


class TransformersNames:
    """For a config dataclass whose _FROM_TRANSFORMERS maps transformers' field names to ours: to_dict,
    conversion from and to a transformers config (as a dict), and the checks of its sizes. The text config
    of notebook 06 reuses it."""

    _FROM_TRANSFORMERS = {}

    def to_dict(self) -> dict:
        return asdict(self)

    def _check_sizes(self, names) -> None:
        """Raise a ValueError unless every named field is a positive int and embed_dim splits into the heads."""
        for name in names:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{type(self).__name__}.{name} must be a positive int, got {value!r}")
        if self.embed_dim % self.num_attention_heads:
            raise ValueError(f"embed_dim ({self.embed_dim}) must be divisible by num_attention_heads "
                             f"({self.num_attention_heads})")

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
        return {back.get(k, k): v for k, v in self.to_dict().items()}


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

    def __post_init__(self):
        self._check_sizes(("num_channels", "embed_dim", "image_size", "patch_size", "num_attention_heads",
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

    # transformers' SiglipVisionConfig names -> ours
    _FROM_TRANSFORMERS = {"hidden_size": "embed_dim", "num_hidden_layers": "num_encoder_blocks",
                          "intermediate_size": "mlp_hidden_dim", "vision_use_head": "use_head"}
