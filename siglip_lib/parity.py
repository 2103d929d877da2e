# GENERATED FILE, DO NOT EDIT: edit notebooks/11_parity.ipynb and run `python tools/export.py`.

import copy
import math

import torch
import torch.nn.functional as F

from siglip_lib.config import SigLip2VisionConfig, SigLipConfig, SigLipVisionConfig
from siglip_lib.model import SigLipModel
from siglip_lib.siglip2 import SigLip2VisionModel
from siglip_lib.vision import SigLipVisionModel


def transformers_pair(config: SigLipVisionConfig | None = None, seed: int = 0, perturb: bool = False):
    """(ours, hf_sdpa, hf_eager): ours and transformers' SiglipVisionModel (sdpa and eager attention), same weights."""
    import transformers

    config = config if config is not None else SigLipVisionConfig()
    torch.manual_seed(seed)
    hf_config = transformers.SiglipVisionConfig(**config.to_transformers_dict())
    hf_sdpa = transformers.SiglipVisionModel._from_config(hf_config, attn_implementation="sdpa").eval()
    if perturb:
        perturb_like_trained(hf_sdpa, seed)
    hf_eager = copy.deepcopy(hf_sdpa)  # the same weights (and its own config, where the attention choice lives)
    hf_eager.set_attn_implementation("eager")
    assert (hf_sdpa.config._attn_implementation, hf_eager.config._attn_implementation) == ("sdpa", "eager")
    return SigLipVisionModel.from_transformers(hf_sdpa), hf_sdpa, hf_eager


@torch.no_grad()
def perturb_like_trained(model: torch.nn.Module, seed: int = 0) -> None:
    """Make random weights behave like trained ones, in place: LayerNorms, biases, position embeddings and
    the probe get values of a trained model's size; q and k projections x2 make attention sharp."""
    gen = torch.Generator().manual_seed(seed)
    for name, p in model.named_parameters():
        noise = torch.randn(p.shape, generator=gen)
        if "norm" in name and name.endswith("weight"):
            p.copy_(1 + 0.5 * noise)  # LayerNorm scale around 1
        elif name.endswith("bias"):
            p.copy_(0.2 * noise)  # LayerNorm shifts and linear biases
        elif "position_embedding" in name or "probe" in name:
            p.copy_(noise)  # trained position vectors and probe are O(1) per channel
        elif name.endswith(("q_proj.weight", "k_proj.weight")):
            p.mul_(2.0)  # attention logits x4: peaky heads instead of near-uniform ones
        elif name.endswith("attention.in_proj_weight"):  # the MAP head's stacked [q; k; v]
            p[: 2 * p.shape[1]].mul_(2.0)  # the same for the probe's query and keys


def max_abs_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a.double() - b.double()).abs().max().item()


def cosine_stats(a: torch.Tensor, b: torch.Tensor) -> tuple[float, float]:
    """(mean, min) cosine similarity along the last dimension."""
    cos = F.cosine_similarity(a.double(), b.double(), dim=-1)
    return cos.mean().item(), cos.min().item()


@torch.no_grad()
def compare_outputs(ours, hf_sdpa, hf_eager, pixel_values, interpolate_pos_encoding=False) -> list[dict]:
    """One row per output: name, shape, max |difference| and whether it is bit-for-bit identical. Outputs and
    hidden states: our default path against transformers' (sdpa). Attention weights: both eager paths."""
    kw = dict(output_hidden_states=True, interpolate_pos_encoding=interpolate_pos_encoding)
    a = ours(pixel_values, output_attentions=True, **kw)  # (for pooler_attention, made from a's last_hidden_state)
    b = hf_sdpa(pixel_values, **kw)
    e = hf_eager(pixel_values, output_attentions=True, **kw)
    previous = ours.attn_implementation
    try:
        a_eager = ours.set_attn_implementation("eager")(pixel_values, output_attentions=True, **kw)
    finally:
        ours.set_attn_implementation(previous)
    rows = [dict(output="last_hidden_state", ours=a.last_hidden_state, ref=b.last_hidden_state, tol=1e-5),
            dict(output="pooler_output", ours=a.pooler_output, ref=b.pooler_output, tol=1e-5)]
    rows += [dict(output=f"hidden_states[{i}]", ours=x, ref=y, tol=1e-5)
             for i, (x, y) in enumerate(zip(a.hidden_states, b.hidden_states, strict=True))]
    rows += [dict(output=f"attentions[{i}] (eager paths)", ours=x, ref=y, tol=1e-6)
             for i, (x, y) in enumerate(zip(a_eager.attentions, e.attentions, strict=True))]
    rows.append(dict(output="last_hidden_state (eager paths)", ours=a_eager.last_hidden_state,
                     ref=e.last_hidden_state, tol=1e-5))
    if getattr(hf_sdpa, "head", None) is not None:  # a torch.nn.MultiheadAttention: ask it for its weights
        probe = hf_sdpa.head.probe.expand(pixel_values.shape[0], -1, -1)
        x = b.last_hidden_state
        ref = hf_sdpa.head.attention(probe, x, x, need_weights=True, average_attn_weights=False)[1]
        rows.append(dict(output="pooler_attention", ours=a.pooler_attention, ref=ref, tol=1e-6))
    return _measure(rows)


def _measure(rows: list[dict]) -> list[dict]:
    """Replace each row's pair of tensors by their shape, max |difference|, bit-for-bit flag and verdict."""
    for row in rows:
        x, y = row.pop("ours"), row.pop("ref")
        row.update(shape=tuple(x.shape), max_abs_diff=max_abs_diff(x, y), identical=torch.equal(x, y))
        row["ok"] = x.shape == y.shape and row["max_abs_diff"] <= row["tol"]
    return rows


def format_rows(rows: list[dict]) -> str:
    """A plain-text table of compare_outputs rows."""
    lines = [f"{'output':32s} {'shape':>20s} {'max |diff|':>11s} {'tolerance':>9s}  bit-for-bit  ok"]
    for r in rows:
        lines.append(f"{r['output']:32s} {str(r['shape']):>20s} {r['max_abs_diff']:11.1e} {r['tol']:9.0e}  "
                     f"{str(r['identical']):11s}  {'yes' if r['ok'] else 'NO'}")
    return "\n".join(lines)


def siglip_pair(config=None, seed: int = 0):
    """(ours, transformers SiglipModel) with the same weights: transformers' init, perturbed, t = 10, b = -10."""
    import transformers

    config = config if config is not None else SigLipConfig()
    torch.manual_seed(seed)
    hf = transformers.SiglipModel(transformers.SiglipConfig(**config.to_transformers_dict())).eval()
    perturb_like_trained(hf, seed)
    with torch.no_grad():
        hf.logit_scale.fill_(math.log(10))
        hf.logit_bias.fill_(-10.0)
    return SigLipModel.from_transformers(hf).eval(), hf


@torch.no_grad()
def compare_siglip_outputs(ours, hf, pixel_values, input_ids) -> list[dict]:
    """compare_outputs for the two-tower model: embeddings, logits and the sigmoid loss, default paths."""
    a = ours(pixel_values=pixel_values, input_ids=input_ids, return_loss=True)
    b = hf(pixel_values=pixel_values, input_ids=input_ids, return_loss=True)
    rows = [dict(output=name, ours=getattr(a, name), ref=getattr(b, name), tol=1e-5)
            for name in ("text_embeds", "image_embeds", "logits_per_image", "logits_per_text", "loss")]
    rows.append(dict(output="text last_hidden_state", ours=a.text_model_output.last_hidden_state,
                     ref=b.text_model_output.last_hidden_state, tol=1e-5))
    return _measure(rows)


def siglip2_pair(folder, config=None, seed: int = 0, perturb: bool = False):
    """(ours, theirs): transformers' Siglip2VisionModel with random weights (perturb: trained-like), written with
    save_pretrained into folder, and our SigLip2VisionModel read from there by our loader."""
    import transformers

    torch.manual_seed(seed)
    hf_config = transformers.Siglip2VisionConfig(**(config or SigLip2VisionConfig()).to_transformers_dict())
    theirs = transformers.Siglip2VisionModel._from_config(hf_config, attn_implementation="sdpa").eval()
    if perturb:
        perturb_like_trained(theirs, seed)
    transformers.logging.disable_progress_bar()  # (save_pretrained's bar, which would land in the notebook)
    theirs.save_pretrained(folder)
    return SigLip2VisionModel.from_pretrained(folder), theirs


@torch.no_grad()
def compare_siglip2(ours, theirs, inputs: dict) -> list[dict]:
    """Rows as compare_outputs makes them: last_hidden_state on the real patches, pooler_output, and ours again
    with noise written into the padding rows (which must change nothing)."""
    real = inputs["pixel_attention_mask"].bool()  # [B, N]
    noisy = dict(inputs, pixel_values=inputs["pixel_values"].where(real[..., None], 1e4))  # "noise": 10^4 everywhere
    a, b, c = ours(**inputs), theirs(**inputs), ours(**noisy)
    return _measure([
        dict(output="last_hidden_state (patches)", ours=a.last_hidden_state[real], ref=b.last_hidden_state[real],
             tol=1e-5),
        dict(output="pooler_output", ours=a.pooler_output, ref=b.pooler_output, tol=1e-5),
        dict(output="ours, 1e4 in the padding", ours=c.last_hidden_state[real], ref=a.last_hidden_state[real], tol=0)])
