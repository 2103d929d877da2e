# GENERATED FILE, DO NOT EDIT: edit notebooks/A1_engineering.ipynb and run `python tools/export.py`.

import json
import os
import re
from pathlib import Path

import torch

from siglip_lib.config import SigLip2VisionConfig, SigLipConfig, SigLipTextConfig, SigLipVisionConfig

OFFICIAL_MODEL_ID = "google/siglip-base-patch16-224"
SIGLIP2_MODEL_ID = "google/siglip2-base-patch16-naflex"  # SigLIP 2 NaFlex (notebook 10)


def hf_name(our_name: str) -> str:
    """One of our tensor names -> transformers' name (for a tower, a SiglipModel's names less its tower prefix)."""
    name = re.sub(r"(^|\.)transformer\.", r"\1", our_name, count=1).replace(".encoder_blocks.", ".layers.")
    return re.sub(r"head\.attention\.[qkv]_proj\.(weight|bias)$", r"head.attention.in_proj_\1", name)


def transformers_state_dict(model) -> dict:
    """The model's tensors under transformers' names; the MAP head's q, k, v stacked (in that order) into in_proj."""
    out, stacked = {}, {}
    for key, tensor in model.state_dict().items():
        name = hf_name(key)
        if "in_proj_" in name:
            stacked.setdefault(name, {})[key.rsplit(".", 2)[-2]] = tensor  # {"q_proj": ..., "k_proj": ..., ...}
        else:
            out[name] = tensor
    return out | {name: torch.cat([p["q_proj"], p["k_proj"], p["v_proj"]]) for name, p in stacked.items()}


def load_transformers_state_dict(model, hf_state_dict: dict, source: str = "the state dict") -> None:
    """Load tensors named as in transformers' SiglipVisionModel, SiglipTextModel or SiglipModel into model.
    Strict: every tensor present with the right shape, none left over. A tower (model.tower_prefix
    "vision_model." or "text_model.") takes its own part of a full SiglipModel's tensors."""
    p = model.tower_prefix
    if p and any(k.startswith(p) for k in hf_state_dict):  # a full SiglipModel's tensors: keep this tower's
        hf_state_dict = {k[len(p):]: v for k, v in hf_state_dict.items() if k.startswith(p)}
    mine = {k: v for k, v in hf_state_dict.items() if not k.endswith("position_ids")}  # (a constant, in old files)
    ours, problems = {}, {}
    for key, expected in model.state_dict().items():
        name = hf_name(key)
        want = (3 * expected.shape[0], *expected.shape[1:]) if "in_proj_" in name else tuple(expected.shape)
        if name not in mine:
            problems[name] = f"missing tensor {name}"
        elif tuple(mine[name].shape) != want:
            problems[name] = f"wrong shape for {name}: expected {want}, got {tuple(mine[name].shape)}"
        elif "in_proj_" in name:  # q, k, v stacked: take this projection's third
            ours[key] = mine[name].chunk(3)["qkv".index(key.rsplit(".", 2)[-2][0])]
        else:
            ours[key] = mine[name]
    known = {hf_name(k) for k in model.state_dict()}
    problems |= {name: f"unexpected tensor {name}" for name in mine if name not in known}
    if problems:
        listed = list(problems.values())
        more = f" (and {len(listed) - 8} more)" if len(listed) > 8 else ""
        raise ValueError(f"{source} does not fit {type(model).__name__}: " + "; ".join(listed[:8]) + more)
    model.load_state_dict(ours)


def read_config(folder: Path) -> dict:
    """The config.json of a folder written by save_pretrained, as a dict."""
    config_file = Path(folder) / "config.json"
    if not config_file.is_file():
        raise FileNotFoundError(f"expected a config.json in {folder} (a folder written by save_pretrained), found none")
    return json.loads(config_file.read_text(encoding="utf-8"))


def weight_files(folder: Path) -> list[Path]:
    """The *.safetensors files of a save_pretrained folder: model.safetensors, or the shards its index lists."""
    index = folder / "model.safetensors.index.json"
    candidates = sorted(folder.glob("*.safetensors"))
    if index.is_file():  # sharded: the index lists the files
        return sorted({folder / name for name in json.loads(index.read_text())["weight_map"].values()})
    if (folder / "model.safetensors").is_file():
        return [folder / "model.safetensors"]
    if len(candidates) == 1:
        return candidates
    if candidates:
        raise ValueError(f"expected one weights file (model.safetensors) or a model.safetensors.index.json in "
                         f"{folder}, found {len(candidates)} *.safetensors files and no index")
    found = ", ".join(sorted(p.name for p in folder.iterdir())) or "nothing"
    raise FileNotFoundError(f"expected *.safetensors weights in {folder}, found {found}")


def read_tensors(files: list[Path], prefix: str = "") -> dict:
    """{name: tensor} for the names that start with prefix, from safetensors files; a damaged file is a ValueError."""
    from safetensors import SafetensorError, safe_open

    tensors = {}
    for file in files:
        try:
            with safe_open(file, framework="pt") as f:
                tensors |= {key: f.get_tensor(key) for key in f.keys() if key.startswith(prefix)}
        except (SafetensorError, OSError) as err:
            raise ValueError(f"cannot read the weights file {file}: {err}") from err
    return tensors


_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_HUB_FILES = ["config.json", "*.safetensors", "*.safetensors.index.json", "word_tokenizer.json",
              "tokenizer_config.json", "tokenizer.json", "spiece.model", "special_tokens_map.json"]


class HubUnavailableError(OSError):
    """The Hugging Face hub cannot be reached (no network, or HF_HUB_OFFLINE) and nothing is cached."""


def resolve_checkpoint(name_or_path, revision=None, cache_dir=None, local_files_only=False) -> Path:
    """A local folder as is; a hub id downloaded (config, safetensors and tokenizer files) into the hub cache."""
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return path
    if path.exists() or not _HUB_ID.match(str(name_or_path)):
        raise FileNotFoundError(f"expected a folder written by save_pretrained or a hub id like "
                                f"'{OFFICIAL_MODEL_ID}', got {str(name_or_path)!r}, which is neither")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(snapshot_download(str(name_or_path), revision=revision, cache_dir=cache_dir,
                                      local_files_only=local_files_only, allow_patterns=_HUB_FILES))
    except LocalEntryNotFoundError as err:  # raised only when the hub cannot be asked and nothing is cached
        raise HubUnavailableError(f"could not get {name_or_path!r}: the Hugging Face hub cannot be reached, it is "
                                  "not in the local cache, and there is no local folder of that name either. To work "
                                  "offline, pass a local folder written by save_pretrained.") from err


# Each of our models: its config class, the prefix of its tensors inside a full two-tower model, the config.json
# model_type values it can load (its own first, the full model's last) and the transformers classes it matches.
TRANSFORMERS_NAMES = {
    "SigLipVisionModel": (SigLipVisionConfig, "vision_model.", ("siglip_vision_model", "siglip"),
                          ("SiglipVisionModel", "SiglipModel")),
    "SigLipTextModel": (SigLipTextConfig, "text_model.", ("siglip_text_model", "siglip"),
                        ("SiglipTextModel", "SiglipModel")),
    "SigLipModel": (SigLipConfig, "", ("siglip",), ("SiglipModel",)),
    "SigLip2VisionModel": (SigLip2VisionConfig, "vision_model.", ("siglip2_vision_model", "siglip2"),
                           ("Siglip2VisionModel", "Siglip2Model")),
}


class Pretrained:
    """The base of SigLipVisionModel, SigLipTextModel and SigLipModel: their default config, from_pretrained,
    from_transformers, save_pretrained and the attention switch. What differs between the three is in
    TRANSFORMERS_NAMES."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        names = next(TRANSFORMERS_NAMES[c.__name__] for c in cls.__mro__ if c.__name__ in TRANSFORMERS_NAMES)
        cls.config_class, cls.tower_prefix, cls.model_types, cls.hf_classes = names

    def __init__(self, config=None):
        super().__init__()  # nn.Module's
        self.config = config if config is not None else self.config_class()  # default: the base model's sizes

    @classmethod
    def _config_from(cls, raw: dict):
        if cls.tower_prefix and raw.get("model_type") == cls.model_types[-1]:  # a tower of a full model
            raw = raw.get(cls.tower_prefix.replace("_model.", "_config")) or {}
        return cls.config_class.from_transformers_dict(raw)

    @classmethod
    def _uninitialised(cls, config):
        """The model with its tensors in uninitialised memory, for loading: strict loading overwrites every one."""
        with torch.device("meta"):  # tensors with shapes but no memory, so no random initialisation runs
            model = cls(config)
        return model.to_empty(device="cpu")

    @classmethod
    def from_transformers(cls, hf_model):
        """Copy the weights of a live transformers model: the matching class, or a SiglipModel for a tower."""
        model_type = getattr(getattr(hf_model, "config", None), "model_type", None)
        if model_type not in cls.model_types:
            raise TypeError(f"expected a transformers {' or '.join(cls.hf_classes)}, got {type(hf_model).__name__}")
        model = cls._uninitialised(cls._config_from(hf_model.config.to_dict()))
        load_transformers_state_dict(model, hf_model.state_dict(), source=type(hf_model).__name__)
        first = next(hf_model.parameters())
        return model.to(device=first.device, dtype=first.dtype).train(hf_model.training)

    @classmethod
    def from_pretrained(cls, name_or_path, *, device=None, dtype=None, revision=None, cache_dir=None,
                        local_files_only=False):
        """Load from a folder written by transformers' save_pretrained (config.json + *.safetensors) or from a hub
        id such as google/siglip-base-patch16-224. device ("cpu", "cuda", ...) and dtype (float32 by default)
        say where the weights go, whatever dtype the checkpoint stores."""
        folder = resolve_checkpoint(name_or_path, revision, cache_dir, local_files_only)
        raw = read_config(folder)
        if raw.get("model_type") not in cls.model_types:
            tower = {"siglip_vision_model": "SigLipVisionModel", "siglip_text_model": "SigLipTextModel",
                     "siglip2_vision_model": "SigLip2VisionModel"}
            hint = f"; for a tower alone use {tower[raw['model_type']]}.from_pretrained" if raw.get(
                "model_type") in tower else ""
            raise ValueError(f"expected a checkpoint of a {' or '.join(cls.hf_classes)} (model_type "
                             f"{' or '.join(map(repr, cls.model_types))}) in {folder}, got model_type "
                             f"{raw.get('model_type')!r}{hint}")
        model = cls._uninitialised(cls._config_from(raw))
        prefix = cls.tower_prefix if raw["model_type"] == cls.model_types[-1] else ""  # one tower of a full model
        load_transformers_state_dict(model, read_tensors(weight_files(folder), prefix), source=str(folder))
        if hasattr(model, "tokenizer"):
            from siglip_lib.tokenizers import load_tokenizer

            model.tokenizer = load_tokenizer(folder, model.config.text_config.max_position_embeddings)
        return model.to(device=device, dtype=dtype).eval()

    @property
    def attn_implementation(self) -> str:
        encoder = next(m for m in self.modules() if hasattr(m, "encoder_blocks"))
        return encoder.encoder_blocks[0].self_attn.attn_implementation

    def set_attn_implementation(self, attn_implementation: str):
        """Every encoder block's attention: "sdpa" (the fused kernel, default) or "eager" (the explicit softmax,
        as transformers' eager path). The MAP head stays eager: it has a single query."""
        for encoder in [m for m in self.modules() if hasattr(m, "encoder_blocks")]:
            encoder.set_attn_implementation(attn_implementation)
        return self

    def save_pretrained(self, folder) -> Path:
        """Write config.json + model.safetensors as transformers writes them (and the tokenizer, if any)."""
        from safetensors.torch import save_file

        tokenizer = getattr(self, "tokenizer", None)
        if tokenizer is not None and not hasattr(tokenizer, "save"):
            raise TypeError(f"cannot save model.tokenizer ({type(tokenizer).__name__}): it has no save(folder) "
                            "method; set model.tokenizer = None to save the weights alone")
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        config = {"architectures": [self.hf_classes[0]], "model_type": self.model_types[0],
                  **self.config.to_transformers_dict()}
        (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        tensors = {k: v.detach().cpu().contiguous() for k, v in transformers_state_dict(self).items()}
        save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})
        if tokenizer is not None:
            tokenizer.save(folder)
        return folder


def hub_disabled() -> bool:
    """True when the environment variable SIGLIP_OFFLINE asks to skip the hub (set, and not "0")."""
    return os.environ.get("SIGLIP_OFFLINE", "0") not in ("", "0")


def vision_model_for(model_id) -> tuple:
    """(our vision model class, the official id whose configuration it has by default) for a hub id or folder:
    SigLIP 2's NaFlex tower when the name says siglip2, SigLIP's otherwise."""
    from siglip_lib.siglip2 import SigLip2VisionModel
    from siglip_lib.vision import SigLipVisionModel

    if "siglip2" in str(model_id).lower():
        return SigLip2VisionModel, SIGLIP2_MODEL_ID
    return SigLipVisionModel, OFFICIAL_MODEL_ID


def pretrained_or_random(model_id: str = OFFICIAL_MODEL_ID, seed: int = 0):
    """(model, pretrained: bool): the hub's weights, or, only when the hub cannot be reached (or SIGLIP_OFFLINE
    is set), random weights with the official configuration. A model id that names siglip2 gives SigLIP 2's NaFlex
    tower. Any other failure (an unknown or gated repository, a damaged file) raises."""
    model_class, official = vision_model_for(model_id)
    if hub_disabled():
        reason = "SIGLIP_OFFLINE is set"
    else:
        try:
            model = model_class.from_pretrained(model_id)
            print(f"Loaded the pretrained weights of {model_id}.")
            return model, True
        except HubUnavailableError:
            reason = "the Hugging Face hub cannot be reached"
    torch.manual_seed(seed)
    print(f"Offline ({reason}): using random weights with the {official} configuration.")
    return model_class(model_class.config_class()).eval(), False
