"""The attention-map tools of notebook 09 on inputs whose answer is known."""

import pytest
import torch

from siglip_lib import SigLipVisionConfig, SigLipVisionModel
from siglip_lib.attention_maps import (attention_rollout, mean_attention_distance, patch_grid,
                                       plant_bright_patch_probe, probe_rollout, to_grid)


def every_row_attends_to(j, n=3):
    return torch.eye(n)[j].expand(n, n)[None, None]  # [1, 1, n, n]


def test_rollout_composes_layers_in_order():
    chain = [every_row_attends_to(2), every_row_attends_to(0)]  # layer 1 reads token 2, layer 2 reads token 0
    assert torch.equal(attention_rollout(chain, residual=False)[0], every_row_attends_to(2)[0, 0])
    assert torch.equal(attention_rollout(chain[::-1], residual=False)[0], every_row_attends_to(0)[0, 0])
    half = lambda a: 0.5 * a[0, 0] + 0.5 * torch.eye(3)
    assert torch.allclose(attention_rollout(chain)[0], half(chain[1]) @ half(chain[0]))


def test_probe_rollout_is_probe_times_rollout():
    attentions = [torch.softmax(torch.randn(2, 4, 9, 9), -1) for _ in range(3)]
    probe = torch.softmax(torch.randn(2, 4, 1, 9), -1)
    expected = probe.mean(1) @ attention_rollout(attentions)
    assert torch.allclose(probe_rollout(probe, attentions), expected[:, 0])


def test_mean_attention_distance_on_known_patterns():
    n = 196
    neighbour = torch.tensor([i + 1 if i % 14 < 13 else i - 1 for i in range(n)])
    side = torch.eye(n)[neighbour][None, None]
    below = torch.eye(n)[torch.tensor([i + 14 if i < n - 14 else i - 14 for i in range(n)])][None, None]
    result = mean_attention_distance([torch.eye(n)[None, None], side, below], patch_size=16)
    assert torch.allclose(result[:, 0], torch.tensor([0.0, 16.0, 16.0]))
    rect = torch.eye(20 * 16)[None, None]
    assert mean_attention_distance([rect], 16, grid_hw=(20, 16)).item() == 0
    with pytest.raises(ValueError, match="320 patches do not fill a 17x17 grid"):
        mean_attention_distance([rect], 16)


def test_to_grid_is_row_major():
    grid = to_grid(torch.arange(6.0), grid_hw=(2, 3))
    assert grid.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert patch_grid(196) == (14, 14)
    with pytest.raises(ValueError, match="pass grid_hw"):
        to_grid(torch.zeros(6))


@pytest.mark.parametrize("height, width, top, left", [(224, 224, 96, 144), (320, 256, 208, 32), (224, 224, 0, 208)])
def test_planted_probe_finds_the_white_square_in_pixels(height, width, top, left):
    config = SigLipVisionConfig(num_encoder_blocks=2)
    model = plant_bright_patch_probe(SigLipVisionModel(config).eval())
    image = -torch.ones(1, 3, height, width)
    image[..., top:top + 16, left:left + 16] = 1.0
    with torch.no_grad():
        probe = model(image, output_attentions=True, interpolate_pos_encoding=True).pooler_attention[0, :, 0]
    in_pixels = to_grid(probe, (height // 16, width // 16)).repeat_interleave(16, -2).repeat_interleave(16, -1)
    assert torch.equal(in_pixels > 0.5, (image[0, 0] > 0).expand_as(in_pixels))
    assert probe.max(-1).values.min() > 0.9999
