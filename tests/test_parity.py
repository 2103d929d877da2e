"""siglip_lib against transformers' SiglipVisionModel, same weights, CPU, fp32.

The differences are computed here with torch, not with siglip_lib.parity, so that the comparison tools
of notebook 11 are not what decides whether the model they compare is right.
"""

from pathlib import Path

import pytest
import torch
import transformers
from torch.testing import assert_close

from siglip_lib import SigLipVisionConfig, SigLipVisionModel, preprocess
from siglip_lib.parity import perturb_like_trained

transformers.logging.set_verbosity_error()
KINDS = ["random", "perturbed"]
ASSETS = Path(__file__).resolve().parent.parent / "assets"


def _hf(attn_implementation):
    config = transformers.SiglipVisionConfig(**SigLipVisionConfig().to_transformers_dict())
    return transformers.SiglipVisionModel._from_config(config, attn_implementation=attn_implementation).eval()


@pytest.fixture(scope="module", params=KINDS)
def models(request):
    """(kind, ours, transformers sdpa, transformers eager) with identical weights, official configuration."""
    torch.manual_seed(0)
    hf_sdpa = _hf("sdpa")
    if request.param == "perturbed":
        perturb_like_trained(hf_sdpa, seed=1)
    hf_eager = _hf("eager")
    hf_eager.load_state_dict(hf_sdpa.state_dict())
    assert hf_sdpa.config._attn_implementation == "sdpa" and hf_eager.config._attn_implementation == "eager"
    return request.param, SigLipVisionModel.from_transformers(hf_sdpa), hf_sdpa, hf_eager


@pytest.fixture(scope="module")
def photos():
    """Two real photos: batch 2, so batch handling is compared too."""
    return preprocess([ASSETS / "grace_hopper.jpg", ASSETS / "chelsea.png"])  # [2, 3, 224, 224]


@pytest.fixture(scope="module")
def outputs(models, photos):
    _, ours, hf_sdpa, hf_eager = models
    with torch.no_grad():
        out = dict(ours=ours(photos, output_hidden_states=True),
                   sdpa=hf_sdpa(photos, output_hidden_states=True),
                   eager=hf_eager(photos, output_attentions=True, output_hidden_states=True))
        try:  # attention weights come from transformers' eager path only: compare eager with eager
            ours.set_attn_implementation("eager")
            out["ours_eager"] = ours(photos, output_attentions=True, output_hidden_states=True)
        finally:
            ours.set_attn_implementation("sdpa")
    return out


def test_perturbation_makes_weights_unlike_a_fresh_init(models):
    kind, ours, _, _ = models
    ln = ours.transformer.encoder.encoder_blocks[3].layer_norm1
    if kind == "random":
        assert torch.equal(ln.weight, torch.ones_like(ln.weight)) and torch.equal(ln.bias, torch.zeros_like(ln.bias))
    else:
        assert ln.weight.std() > 0.3 and ln.bias.abs().mean() > 0.05


def test_last_hidden_state_equals_transformers(outputs):
    ours, ref = outputs["ours"].last_hidden_state, outputs["sdpa"].last_hidden_state
    assert ours.shape == ref.shape == (2, 196, 768)
    assert_close(ours, ref, rtol=0, atol=1e-5)
    assert torch.equal(ours, ref), "same kernels in the same order: expected bit-for-bit equality"


def test_pooler_output_equals_transformers(models, outputs, photos):
    ours, ref = outputs["ours"].pooler_output, outputs["sdpa"].pooler_output
    assert ours.shape == ref.shape == (2, 768)
    assert_close(ours, ref, rtol=0, atol=1e-5)
    # One image at a time the MAP head is bit-for-bit too. (In a batch, torch.nn.MultiheadAttention, which
    # transformers' head uses, projects keys and values in a transposed layout: rounding differs by ~1e-6.)
    _, model, hf_sdpa, _ = models
    with torch.no_grad():
        for image in photos.split(1):
            assert torch.equal(model(image).pooler_output, hf_sdpa(image).pooler_output)


def test_every_hidden_state_equals_transformers(outputs):
    out = outputs
    ours, ref = out["ours"].hidden_states, out["sdpa"].hidden_states
    assert len(ours) == len(ref) == 13
    for i, (a, b) in enumerate(zip(ours, ref)):
        assert_close(a, b, rtol=0, atol=1e-5, msg=lambda m, i=i: f"hidden_states[{i}]: {m}")
        assert torch.equal(a, b), f"hidden_states[{i}] is not bit-for-bit equal"


def test_attentions_equal_transformers_eager(outputs):
    out = outputs
    ours, ref = out["ours_eager"].attentions, out["eager"].attentions
    assert len(ours) == len(ref) == 12
    for i, (a, b) in enumerate(zip(ours, ref)):
        assert a.shape == b.shape == (2, 12, 196, 196)
        assert_close(a, b, rtol=0, atol=1e-6, msg=lambda m, i=i: f"attentions[{i}]: {m}")
    assert_close(out["ours_eager"].last_hidden_state, out["eager"].last_hidden_state, rtol=0, atol=1e-5)


def test_pooler_attention_equals_torch_multihead_attention(models, outputs, photos):
    _, ours, hf_sdpa, _ = models
    out = outputs
    with torch.no_grad():
        mine = ours(photos, output_attentions=True).pooler_attention
        x = out["sdpa"].last_hidden_state
        probe = hf_sdpa.head.probe.expand(2, -1, -1)
        ref = hf_sdpa.head.attention(probe, x, x, need_weights=True, average_attn_weights=False)[1]
    assert mine.shape == ref.shape == (2, 12, 1, 196)
    assert_close(mine, ref, rtol=0, atol=1e-6)


@pytest.mark.parametrize("size", [(384, 384), (320, 256)])
def test_interpolate_pos_encoding_equals_transformers(models, size):
    _, ours, hf_sdpa, _ = models
    pixel_values = preprocess(ASSETS / "coffee.png", size=size)
    with torch.no_grad():
        a = ours(pixel_values, interpolate_pos_encoding=True)
        b = hf_sdpa(pixel_values, interpolate_pos_encoding=True)
    n = (size[0] // 16) * (size[1] // 16)
    assert a.last_hidden_state.shape == b.last_hidden_state.shape == (1, n, 768)
    assert_close(a.last_hidden_state, b.last_hidden_state, rtol=0, atol=1e-5)
    assert_close(a.pooler_output, b.pooler_output, rtol=0, atol=1e-5)
    assert torch.equal(a.last_hidden_state, b.last_hidden_state) and torch.equal(a.pooler_output, b.pooler_output)


def test_asking_for_attentions_changes_no_output(models, photos):
    _, ours, _, _ = models
    with torch.no_grad():
        plain = ours(photos)
        full = ours(photos, output_attentions=True, output_hidden_states=True)
    assert plain.attentions is None and plain.hidden_states is None and plain.pooler_attention is None
    assert torch.equal(plain.last_hidden_state, full.last_hidden_state)
    assert torch.equal(plain.pooler_output, full.pooler_output)


def test_default_path_uses_the_fused_kernel(monkeypatch, photo_pixels):
    import siglip_lib.attention as attention

    calls = []
    fused = attention.F.scaled_dot_product_attention

    def counting(*args, **kwargs):
        calls.append(1)
        return fused(*args, **kwargs)

    monkeypatch.setattr(attention.F, "scaled_dot_product_attention", counting)
    model = SigLipVisionModel(SigLipVisionConfig(num_encoder_blocks=3)).eval()
    assert model.attn_implementation == "sdpa"
    with torch.no_grad():
        model(photo_pixels)
    assert len(calls) == 3  # one per encoder block; the MAP head (one query) is eager


def test_batch_items_are_independent(photo_pixels):
    model = SigLipVisionModel(SigLipVisionConfig(num_encoder_blocks=2)).eval()
    batch = torch.cat([photo_pixels, preprocess(ASSETS / "chelsea.png")])
    with torch.no_grad():
        together = model(batch).pooler_output
        alone = model(photo_pixels).pooler_output
    assert_close(together[:1], alone, rtol=0, atol=1e-5)
