"""The initialisation matches its comments and big_vision's recipe; the MAP head has no dropout; input checks
read values only where that is free (issue 12)."""

import math

import pytest
import torch
import torch.nn as nn

from siglip_lib import SigLipConfig, SigLipModel, SigLipTextConfig, SigLipVisionConfig, SigLipVisionModel
from siglip_lib.checks import check_input_ids, check_pixel_values

SMALL = SigLipVisionConfig(embed_dim=64, num_attention_heads=4, num_encoder_blocks=2, mlp_hidden_dim=128,
                           image_size=32, patch_size=8)


def test_lecun_normal_has_the_recipe_std():
    """LeCun normal: std 1/sqrt(fan_in) after the cut at 2 std (0.0361 for the 768-wide patch convolution)."""
    torch.manual_seed(0)
    model = SigLipVisionModel()
    conv = model.transformer.embeddings.patch_embedding.weight  # [768, 3, 16, 16]: fan_in 768
    assert conv.std().item() == pytest.approx(1 / math.sqrt(768), rel=0.02)
    assert conv.abs().max().item() <= 2 * (1 / math.sqrt(768)) / 0.87962566103423978 + 1e-6  # cut at 2 std
    out_proj = model.transformer.head.attention.out_proj.weight
    assert out_proj.std().item() == pytest.approx(1 / math.sqrt(768), rel=0.02)


def test_every_init_line_draws_what_it_says():
    torch.manual_seed(0)
    model = SigLipModel(SigLipConfig(SigLipTextConfig(vocab_size=1000, embed_dim=256, num_attention_heads=4,
                                                      num_encoder_blocks=1, mlp_hidden_dim=1024),
                                     SigLipVisionConfig(embed_dim=256, num_attention_heads=4, num_encoder_blocks=1,
                                                        mlp_hidden_dim=1024)))
    d = 256
    vision, text = model.vision_model.transformer, model.text_model.transformer
    block = vision.encoder.encoder_blocks[0]
    xavier = math.sqrt(6 / (d + d)) / math.sqrt(3)  # std of Xavier uniform for a [D, D] matrix
    assert block.self_attn.q_proj.weight.std().item() == pytest.approx(xavier, rel=0.03)
    assert (block.self_attn.q_proj.bias == 0).all()
    assert block.mlp.fc1.weight.std().item() == pytest.approx(math.sqrt(6 / (d + 4 * d)) / math.sqrt(3), rel=0.03)
    assert block.mlp.fc1.bias.std().item() == pytest.approx(1e-6, rel=0.2)
    for table in (vision.embeddings.position_embedding, text.embeddings.position_embedding,
                  text.embeddings.token_embedding):
        assert table.weight.std().item() == pytest.approx(1 / math.sqrt(d), rel=0.05)
    head_q = vision.head.attention.q_proj.weight  # Xavier over transformers' stacked [3D, D] in_proj
    assert head_q.std().item() == pytest.approx(math.sqrt(6 / (4 * d)) / math.sqrt(3), rel=0.03)
    assert text.head.weight.std().item() == pytest.approx(1 / math.sqrt(d), rel=0.05)  # LeCun normal
    assert model.logit_scale.exp().item() == pytest.approx(10.0) and model.logit_bias.item() == -10.0


def test_the_map_head_has_no_dropout():
    """transformers' MAP head is an nn.MultiheadAttention without dropout, whatever attention_dropout says."""
    config = SigLipVisionConfig(**{**SMALL.to_dict(), "attention_dropout": 0.5})
    model = SigLipVisionModel(config).train()
    assert model.transformer.encoder.encoder_blocks[0].self_attn.dropout == 0.5
    tokens = torch.randn(2, 16, 64)
    first, second = model.transformer.head(tokens)[0], model.transformer.head(tokens)[0]
    assert torch.equal(first, second)  # no random mask in training mode


def test_value_checks_read_nothing_off_the_cpu():
    """On a GPU, reading values (NaN, id ranges) would make the CPU wait for the GPU on every call. A meta tensor
    has no values at all: the checks pass it, so they read none; on the CPU they still catch the mistake."""
    check_pixel_values(torch.empty(1, 3, 32, 32, device="meta"), SMALL)
    text = SigLipTextConfig(vocab_size=10, max_position_embeddings=4, embed_dim=8, num_attention_heads=2,
                            num_encoder_blocks=1, mlp_hidden_dim=16)
    check_input_ids(torch.empty(2, 4, dtype=torch.long, device="meta"), text)
    with pytest.raises(ValueError, match="finite"):
        check_pixel_values(torch.full((1, 3, 32, 32), float("nan")), SMALL)
    with pytest.raises(ValueError, match=r"\[0, 10\)"):
        check_input_ids(torch.full((2, 4), 10), text)
    with pytest.raises(ValueError, match="4 dimensions"):  # shape checks cost nothing: they run everywhere
        check_pixel_values(torch.empty(3, 32, 32, device="meta"), SMALL)


def test_checks_are_made_once_at_the_entry_not_inside_the_layers():
    """The lesson classes are plain: a layer called directly does no checking of its own."""
    model = SigLipVisionModel(SMALL).eval()
    nan = torch.full((1, 3, 32, 32), float("nan"))
    assert model.transformer.embeddings(nan).isnan().all()  # the layer computes; it does not check
    with pytest.raises(ValueError, match="finite"):
        model(nan)  # the model's entry does
    assert not any(isinstance(m, nn.Dropout) for m in model.modules())
