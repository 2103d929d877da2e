# GENERATED FILE, DO NOT EDIT: edit notebooks/05_vision_model.ipynb and run `python tools/export.py`.

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn

from siglip_lib.attention import MultiheadAttention
from siglip_lib.config import SigLipVisionConfig
from siglip_lib.embeddings import VisionEmbeddings
from siglip_lib.encoder import MLP, SigLipEncoder


class MultiheadAttentionPoolingHead(nn.Module):
    """MAP head: a learned probe attends over the tokens, then h + MLP(LayerNorm(h)). [B, N, D] -> [B, D]."""

    def __init__(self, config):
        super().__init__()
        self.probe = nn.Parameter(torch.randn(1, 1, config.embed_dim))  # the one learned query
        self.attention = MultiheadAttention(config, attn_implementation="eager")
        self.layernorm = nn.LayerNorm(config.embed_dim, eps=config.layer_norm_eps)
        self.mlp = MLP(config)

    def forward(self, x, output_attentions: bool = False):
        """x [B, N, D] -> (pooled [B, D], probe attention [B, H, 1, N] or None)."""
        probe = self.probe.expand(x.shape[0], -1, -1)  # [B, 1, D]
        h, weights = self.attention(probe, context=x, output_attentions=output_attentions)  # [B, 1, D]
        h = h + self.mlp(self.layernorm(h))
        return h[:, 0], weights


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


class SigLipVisionTransformer(nn.Module):
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


@torch.no_grad()
def init_siglip_weights(model: nn.Module) -> None:
    """SigLIP-style initialisation, in place. Close to transformers' SiglipPreTrainedModel, which differs in
    two details: it draws the MAP head's q/k/v as one stacked matrix and its out_proj LeCun-normal."""
    for m in model.modules():
        if isinstance(m, VisionEmbeddings):
            std = m.patch_embedding.weight[0].numel() ** -0.5  # LeCun normal: std 1/sqrt(fan_in), cut at 2 std
            nn.init.trunc_normal_(m.patch_embedding.weight, std=std, a=-2 * std, b=2 * std)
            nn.init.zeros_(m.patch_embedding.bias)
            nn.init.normal_(m.position_embedding.weight, std=m.position_embedding.weight.shape[1] ** -0.5)
        elif isinstance(m, MultiheadAttention):
            for proj in (m.q_proj, m.k_proj, m.v_proj, m.out_proj):
                nn.init.xavier_uniform_(proj.weight)
                nn.init.zeros_(proj.bias)
        elif isinstance(m, MLP):
            for fc in (m.fc1, m.fc2):
                nn.init.xavier_uniform_(fc.weight)
                nn.init.normal_(fc.bias, std=1e-6)
        elif isinstance(m, MultiheadAttentionPoolingHead):
            nn.init.xavier_uniform_(m.probe)


class SigLipVisionModel(nn.Module):
    """SigLIP's vision tower. forward(pixel_values [B, C, H, W]) -> SigLipVisionOutput."""

    def __init__(self, config: SigLipVisionConfig | None = None):
        super().__init__()
        self.config = config if config is not None else SigLipVisionConfig()
        self.transformer = SigLipVisionTransformer(self.config)
        init_siglip_weights(self)

    def forward(self, pixel_values, output_attentions: bool = False, output_hidden_states: bool = False,
                interpolate_pos_encoding: bool = False) -> SigLipVisionOutput:
        return self.transformer(pixel_values, output_attentions, output_hidden_states, interpolate_pos_encoding)

    @property
    def attn_implementation(self) -> str:
        return self.transformer.encoder.encoder_blocks[0].self_attn.attn_implementation

    def set_attn_implementation(self, attn_implementation: str) -> "SigLipVisionModel":
        """Encoder attention: "sdpa" (default, the fused kernel) or "eager" (explicit softmax, as transformers'
        eager path). The MAP head is always eager: it has a single query."""
        self.transformer.encoder.set_attn_implementation(attn_implementation)
        return self

    @classmethod
    def from_transformers(cls, hf_model) -> "SigLipVisionModel":
        """Copy the weights of a live transformers SiglipVisionModel or SiglipModel (its vision tower)."""
        vision = hf_model
        while hasattr(vision, "vision_model"):  # SiglipModel -> SiglipVisionModel (-> SiglipVisionTransformer)
            vision = vision.vision_model
        if not hasattr(vision, "embeddings") or not hasattr(vision, "post_layernorm"):
            raise TypeError(f"expected a transformers SiglipVisionModel or SiglipModel, got {type(hf_model).__name__}")
        model = cls(SigLipVisionConfig.from_transformers_dict(vision.config.to_dict()))
        model.load_transformers_state_dict(vision.state_dict())
        return like(model, vision)

    @classmethod
    def from_pretrained(cls, name_or_path, *, device=None, dtype=None, revision=None, cache_dir=None,
                        local_files_only=False):
        """Load from a folder written by transformers' save_pretrained (of a SiglipVisionModel or a full
        SiglipModel: config.json + *.safetensors) or from a hub id such as google/siglip-base-patch16-224.

        device ("cpu", "cuda", "mps", ...) and dtype (torch.float32 by default, torch.bfloat16, ...) say where
        the weights go, whatever dtype the checkpoint stores."""
        folder = _resolve_checkpoint(name_or_path, revision, cache_dir, local_files_only)
        config, state_dict = _read_checkpoint(folder)
        model = cls(config)
        model.load_transformers_state_dict(state_dict, source=str(folder))
        return model.to(device=device, dtype=dtype).eval()

    def load_transformers_state_dict(self, hf_state_dict: dict, source: str = "the state dict") -> None:
        """Load tensors named as in transformers' SiglipVisionModel; strict: every tensor present, right shape."""
        load_strict(self, convert_transformers_state_dict(hf_state_dict), hf_state_dict, _hf_name, source)


def load_strict(module: nn.Module, ours: dict, hf_state_dict: dict, hf_name, source: str) -> None:
    """module.load_state_dict(ours), after checking that every tensor is there with the right shape.

    ours: hf_state_dict renamed to the module's names; hf_name maps one of our names back, for messages."""
    expected = module.state_dict()
    problems = {}  # by transformers name, so the three parts of a stacked in_proj are reported once
    for k in expected:
        name = hf_name(k)
        if k not in ours:
            problems[name] = f"missing tensor {name}"
        elif ours[k].shape != expected[k].shape:
            want = tuple(expected[k].shape)
            if "in_proj" in name:  # q, k and v are stored stacked: [3D, D] and [3D]
                want = (3 * want[0], *want[1:])
            got = tuple(hf_state_dict[name].shape) if name in hf_state_dict else tuple(ours[k].shape)
            problems[name] = f"wrong shape for {name}: expected {want}, got {got}"
    for k in ours:
        if k not in expected:
            problems.setdefault(hf_name(k), f"unexpected tensor {hf_name(k)}")
    problems = list(problems.values())
    if problems:
        more = f" (and {len(problems) - 8} more)" if len(problems) > 8 else ""
        raise ValueError(f"{source} does not fit {type(module).__name__}: " + "; ".join(problems[:8]) + more)
    module.load_state_dict(ours)


def like(model: nn.Module, reference: nn.Module) -> nn.Module:
    """model on the reference's device and dtype, in its train or eval mode (for from_transformers)."""
    first = next(reference.parameters())
    return model.to(device=first.device, dtype=first.dtype).train(reference.training)


def convert_transformers_state_dict(hf_state_dict: dict) -> dict:
    """transformers SiglipVisionModel tensor names (no 'vision_model.' prefix) -> SigLipVisionModel names."""
    ours = {}
    for key, tensor in hf_state_dict.items():
        if key.endswith("position_ids"):  # a constant buffer some old checkpoints carry
            continue
        if key.startswith("head.attention.in_proj_"):  # [3D, D] or [3D]: q, k, v stacked
            kind = key.rsplit("_", 1)[1]  # "weight" or "bias"
            for name, part in zip(("q_proj", "k_proj", "v_proj"), tensor.chunk(3)):
                ours[f"transformer.head.attention.{name}.{kind}"] = part
            continue
        ours["transformer." + key.replace("encoder.layers.", "encoder.encoder_blocks.")] = tensor
    return ours


def _hf_name(our_key: str) -> str:
    """Our tensor name -> the transformers name, for error messages."""
    key = our_key.removeprefix("transformer.").replace("encoder.encoder_blocks.", "encoder.layers.")
    return re.sub(r"head\.attention\.[qkv]_proj\.(weight|bias)", r"head.attention.in_proj_\1", key)


def _read_checkpoint(folder: Path):
    """config.json + *.safetensors of a SiglipVisionModel or SiglipModel -> (config, vision state dict)."""
    raw = read_config(folder)
    config_file = folder / "config.json"
    model_type = raw.get("model_type")
    if model_type == "siglip":
        vision_config, prefixes = raw.get("vision_config") or {}, ("vision_model.",)
    elif model_type == "siglip_vision_model":
        vision_config, prefixes = raw, ("vision_model.", "")
    else:
        raise ValueError(f"expected a SigLIP checkpoint (model_type 'siglip' or 'siglip_vision_model') in "
                         f"{config_file}, got model_type {model_type!r}")
    config = SigLipVisionConfig.from_transformers_dict(vision_config)
    tensors = read_tensors(weight_files(folder), keep=lambda key: not key.startswith(("text_model.", "logit_")))
    prefix = next((p for p in prefixes if any(k.startswith(p) for k in tensors)), prefixes[0])
    return config, {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}


def read_config(folder: Path) -> dict:
    """The config.json of a folder written by save_pretrained, as a dict."""
    config_file = folder / "config.json"
    if not config_file.is_file():
        raise FileNotFoundError(f"expected a config.json in {folder} (a folder written by save_pretrained), found none")
    return json.loads(config_file.read_text(encoding="utf-8"))


def weight_files(folder: Path) -> list[Path]:
    """The *.safetensors files of a save_pretrained folder: model.safetensors, or the shards its index lists."""
    index = folder / "model.safetensors.index.json"
    candidates = sorted(folder.glob("*.safetensors"))
    if index.is_file():  # sharded: the index lists the files
        files = sorted({folder / name for name in json.loads(index.read_text())["weight_map"].values()})
    elif (folder / "model.safetensors").is_file():
        files = [folder / "model.safetensors"]
    elif len(candidates) == 1:
        files = candidates
    elif candidates:
        raise ValueError(f"expected one weights file (model.safetensors) or a model.safetensors.index.json in "
                         f"{folder}, found {len(candidates)} *.safetensors files and no index")
    else:
        found = ", ".join(sorted(p.name for p in folder.iterdir())) or "nothing"
        raise FileNotFoundError(f"expected *.safetensors weights in {folder}, found {found}")
    return files


def read_tensors(files: list[Path], keep=lambda key: True) -> dict:
    """{name: tensor} for the names keep() accepts, from safetensors files; a damaged file is a ValueError."""
    from safetensors import SafetensorError, safe_open

    tensors = {}
    for file in files:
        try:
            with safe_open(file, framework="pt") as f:
                for key in f.keys():
                    if keep(key):
                        tensors[key] = f.get_tensor(key)
        except (SafetensorError, OSError) as err:
            raise ValueError(f"cannot read the weights file {file}: {err}") from err
    return tensors


_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


class HubUnavailableError(OSError):
    """The Hugging Face hub could not provide a checkpoint (no network, unknown repository, ...)."""


def _resolve_checkpoint(name_or_path, revision=None, cache_dir=None, local_files_only=False) -> Path:
    """A local folder as is; a hub id downloaded (config, safetensors and tokenizer files) into the hub cache."""
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return path
    if path.exists() or not _HUB_ID.match(str(name_or_path)):
        raise FileNotFoundError(f"expected a folder written by save_pretrained or a hub id like "
                                f"'google/siglip-base-patch16-224', got {str(name_or_path)!r}, which is neither")
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(str(name_or_path), revision=revision, cache_dir=cache_dir,
                                      local_files_only=local_files_only,
                                      allow_patterns=["config.json", "*.safetensors", "*.safetensors.index.json",
                                                      "word_tokenizer.json", "tokenizer_config.json",
                                                      "tokenizer.json", "spiece.model", "special_tokens_map.json"]))
    except Exception as err:  # no network, unknown repository, gated model, ...
        reason = f"{type(err).__name__}: {str(err).splitlines()[0]}" if str(err) else type(err).__name__
        raise HubUnavailableError(f"could not get {name_or_path!r} from the Hugging Face hub ({reason}), and there "
                                  f"is no local folder of that name either. To work offline, pass a local folder "
                                  "written by save_pretrained, or set HF_HUB_OFFLINE=1 to use an earlier "
                                  "download.") from err


OFFICIAL_MODEL_ID = "google/siglip-base-patch16-224"


def hub_disabled() -> bool:
    """True when the environment variable SIGLIP_OFFLINE asks to skip the hub (set, and not "0")."""
    return os.environ.get("SIGLIP_OFFLINE", "0") not in ("", "0")


def pretrained_or_random(model_id: str = OFFICIAL_MODEL_ID, seed: int = 0):
    """(model, pretrained: bool): the hub's weights when they can be had, else random weights (official config)."""
    if hub_disabled():
        reason = "SIGLIP_OFFLINE is set"
    else:
        try:
            model = SigLipVisionModel.from_pretrained(model_id)
            print(f"Loaded the pretrained weights of {model_id}.")
            return model, True
        except HubUnavailableError:
            reason = "the Hugging Face hub cannot be reached"
    torch.manual_seed(seed)
    print(f"Offline ({reason}): using random weights with the {OFFICIAL_MODEL_ID} configuration.")
    return SigLipVisionModel(SigLipVisionConfig()).eval(), False
