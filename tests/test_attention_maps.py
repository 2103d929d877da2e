"""The attention-map tools of notebook 12 on inputs whose answer is known."""

import functools
import math

import numpy as np
import pytest
import torch

from siglip_lib import SigLipVisionConfig, SigLipVisionModel
from siglip_lib.attention_maps import (attention_rollout, map_vmax, mean_attention_distance, patch_grid,
                                       plant_bright_patch_probe, probe_rollout, show_map, to_grid)


def every_row_attends_to(j, n=3):
    return torch.eye(n)[j].expand(n, n)[None, None]  # [1, 1, n, n]


def test_rollout_composes_layers_in_order():
    chain = [every_row_attends_to(2), every_row_attends_to(0)]  # layer 0 reads token 2, layer 1 reads token 0
    assert torch.equal(attention_rollout(chain, residual=False)[0], every_row_attends_to(2)[0, 0])
    assert torch.equal(attention_rollout(chain[::-1], residual=False)[0], every_row_attends_to(0)[0, 0])

    def half(a):  # one layer of rollout with the residual, by hand
        return 0.5 * a[0, 0] + 0.5 * torch.eye(3)

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


def test_map_vmax_never_makes_a_flat_map_look_hot():
    assert map_vmax(torch.full((196,), 1 / 196)) == pytest.approx(10 / 196)  # uniform: drawn at a tenth of the scale
    assert map_vmax(torch.tensor([0.9, 0.1])) == pytest.approx(5.0)  # 10 x uniform (1/2) is above any weight
    assert map_vmax(torch.eye(64)[3]) == 1.0


# --- the planted model: blocks that write nothing, a probe whose attention must follow brightness ---------------

BASE = SigLipVisionConfig(num_encoder_blocks=2)  # the official sizes (768 wide, 12 heads of 64, 16-pixel patches)
TINY = SigLipVisionConfig(embed_dim=96, image_size=64, patch_size=8, num_attention_heads=3, num_encoder_blocks=2,
                          mlp_hidden_dim=384)  # heads of 32 channels, 8-pixel patches


@pytest.fixture(scope="module")
def planted():  # built once: an official-size model takes seconds to initialise
    return planted_base()


@functools.cache
def planted_base():
    return plant_bright_patch_probe(SigLipVisionModel(BASE).eval())


def probe_of(model, image):
    with torch.no_grad():
        return model(image, output_attentions=True, interpolate_pos_encoding=True).pooler_attention[0, :, 0]  # [H, N]


def planted_image(height, width, top, left, decoy=None, size=16, grey=0.8):
    """Black image, a white size x size square at (top, left), optionally a light grey one at decoy=(top, left)."""
    image = -torch.ones(1, 3, height, width)
    if decoy is not None:
        image[..., decoy[0]:decoy[0] + size, decoy[1]:decoy[1] + size] = grey
    image[..., top:top + size, left:left + size] = 1.0
    return image


def score(b):  # the probe's attention logit for a patch of mean pixel value b, by the docstring's formula
    return 16 * math.sqrt(2) * b / torch.sqrt(b**2 + 1)


@pytest.mark.parametrize("config", [BASE, TINY], ids=["base", "tiny"])
def test_planted_probe_scores_follow_brightness(planted, config):
    grid = config.image_size // config.patch_size
    torch.manual_seed(0)
    levels = torch.linspace(-1, 1, grid * grid)[torch.randperm(grid * grid)]  # every patch its own grey
    image = to_grid(levels, (grid, grid)).repeat_interleave(config.patch_size, -2).repeat_interleave(
        config.patch_size, -1).expand(1, 3, config.image_size, config.image_size).contiguous()
    model = planted if config is BASE else plant_bright_patch_probe(SigLipVisionModel(config).eval())
    weights = probe_of(model, image)
    logits = weights.log() - weights.log().mean(-1, keepdim=True)
    expected = score(levels) - score(levels).mean()
    assert torch.allclose(logits, expected.expand_as(logits), atol=1e-2)  # the formula, in every head
    assert (weights[:, levels.argsort()].diff(dim=-1) > 0).all()  # weights sorted exactly like the grey levels


CASES = [  # (height, width, top, left, decoy): white square and light grey decoy, in pixels
    (224, 224, 96, 144, (96, 160)),  # decoy in the next patch to the right
    (224, 224, 0, 208, (208, 0)),  # top-right corner, decoy at the transposed corner
    (224, 224, 208, 16, (16, 208)),  # near the bottom-left corner, decoy at the transposed place
    (320, 256, 208, 32, (16, 240)),  # 20 x 16 grid
    (256, 320, 240, 288, (0, 0)),  # 16 x 20 grid, bottom-right corner
    (320, 256, 16, 0, (0, 16)),  # 20 x 16 grid, near the top-left corner, decoy at the transposed place
]


@functools.cache
def planted_case(height, width, top, left, decoy):
    """(image, probe weights [heads, N]) of the planted official-size model for one of CASES."""
    image = planted_image(height, width, top, left, decoy)
    return image, probe_of(planted_base(), image)


def column_major(attn_map, grid_hw):  # a wrong reader: patches numbered column by column
    return attn_map.reshape(*attn_map.shape[:-1], grid_hw[1], grid_hw[0]).transpose(-1, -2)


def transposed(attn_map, grid_hw):  # a wrong reader: the right grid, drawn transposed
    return to_grid(attn_map, grid_hw).transpose(-1, -2)


def lands_on_white_square(probe, image, reader, patch_size=16):
    """Does the map, read into a grid by `reader` and stretched over the pixels, peak exactly on the white square
    in every head? Also (row, column) of every head's peak cell."""
    height, width = image.shape[-2:]
    grid = reader(probe, (height // patch_size, width // patch_size))  # [heads, rows, cols]
    peaks = {divmod(int(k), grid.shape[-1]) for k in grid.flatten(1).argmax(-1)}
    if grid.shape[-2:] != (height // patch_size, width // patch_size):
        return False, peaks
    in_pixels = grid.repeat_interleave(patch_size, -2).repeat_interleave(patch_size, -1)  # [heads, H, W]
    brightest = in_pixels == in_pixels.amax(dim=(-2, -1), keepdim=True)
    return bool((brightest == (image[0, 0] == 1)).all()), peaks


@pytest.mark.parametrize("height, width, top, left, decoy", CASES)
def test_planted_probe_map_peaks_on_the_white_square(height, width, top, left, decoy):
    image, probe = planted_case(height, width, top, left, decoy)
    assert probe.shape == (12, height * width // 256)
    hit, peaks = lands_on_white_square(probe, image, to_grid)
    assert peaks == {(top // 16, left // 16)}  # every head's argmax is the white patch...
    assert hit  # ...and stretched over the pixels, the peak covers exactly the white square
    assert (probe[:, (decoy[0] // 16) * (width // 16) + decoy[1] // 16] < probe.max(-1).values / 5).all()


@pytest.mark.parametrize("reader", [column_major, transposed])
@pytest.mark.parametrize("height, width, top, left, decoy", CASES)
def test_planted_check_fails_on_a_wrong_patch_order(reader, height, width, top, left, decoy):
    image, probe = planted_case(height, width, top, left, decoy)
    hit, peaks = lands_on_white_square(probe, image, reader)
    assert not hit and peaks != {(top // 16, left // 16)}


def test_planted_probe_needs_the_constant_channel_group(planted):
    """Planted as b*u alone (no bias w), post_layernorm keeps only the sign of b: white and grey tie."""
    image = planted_image(224, 224, 96, 144, decoy=(96, 160))
    white, grey = 6 * 14 + 9, 6 * 14 + 10
    weights = probe_of(planted, image)
    assert (weights[:, white] > 5 * weights[:, grey]).all()
    bias = planted.transformer.embeddings.patch_embedding.bias
    w = bias.detach().clone()
    try:
        bias.data.zero_()  # the token is b*u alone
        weights = probe_of(planted, image)
    finally:
        bias.data.copy_(w)
    assert torch.allclose(weights[:, white], weights[:, grey])


def test_planted_probe_needs_heads_of_a_multiple_of_4_channels():
    config = SigLipVisionConfig(embed_dim=12, num_attention_heads=2, num_encoder_blocks=1, mlp_hidden_dim=48)
    with pytest.raises(ValueError, match="head_dim divisible by 4, got 6"):
        plant_bright_patch_probe(SigLipVisionModel(config))


@pytest.mark.parametrize("height, width, top, left, decoy", [CASES[1], CASES[3]])
def test_show_map_draws_the_peak_on_the_white_square(height, width, top, left, decoy):
    plt = pytest.importorskip("matplotlib.pyplot")
    image, probe = planted_case(height, width, top, left, decoy)
    fig, ax = plt.subplots()
    try:
        im = show_map(ax, image[0], probe[0], grid_hw=(height // 16, width // 16), mark_patch=int(probe[0].argmax()))
        assert list(ax.images[0].get_extent()) == list(im.get_extent()) == [0, width, height, 0]  # one pixel frame
        drawn = np.asarray(im.get_array())  # the map as matplotlib draws it: [rows, cols]
        rows, cols = drawn.shape
        r, c = divmod(int(drawn.argmax()), cols)
        assert (c * width / cols, r * height / rows) == (left, top)  # the peak cell's top-left corner, in pixels
        assert ax.patches[0].get_xy() == (left, top)  # and the cyan outline is around the white square
    finally:
        plt.close(fig)
