"""SigLIP 2's NaFlex vision tower (notebook 10): the processor and the model against transformers, padding, errors."""

import pytest
import torch
import transformers
from PIL import Image

from siglip_lib import SigLip2VisionConfig, SigLip2VisionModel, load_image, preprocess_naflex
from siglip_lib.checkpoint import load_transformers_state_dict
from siglip_lib.embeddings import interpolate_positions
from siglip_lib.parity import compare_siglip2, siglip2_pair
from siglip_lib.siglip2 import patch_grid, resize_grid

SMALL = SigLip2VisionConfig(embed_dim=64, num_attention_heads=4, num_encoder_blocks=2, mlp_hidden_dim=128)


@pytest.fixture(scope="module")
def crops():
    photo, coffee = load_image("assets/grace_hopper.jpg"), load_image("assets/coffee.png")
    grey = load_image("assets/camera.png").convert("RGB")  # (transformers' Siglip2 processor refuses mode L)
    return [coffee.crop((0, 100, 600, 260)), photo, photo.crop((170, 0, 340, 600)), grey]


@pytest.mark.parametrize("budget", [64, 256, 576])
def test_processor_equals_transformers(crops, budget):
    ours = preprocess_naflex(crops, max_num_patches=budget)
    theirs = transformers.Siglip2ImageProcessorPil()(crops, max_num_patches=budget, return_tensors="pt")
    torch.testing.assert_close(ours["pixel_values"], theirs["pixel_values"], rtol=0, atol=1e-5)
    assert torch.equal(ours["pixel_attention_mask"], theirs["pixel_attention_mask"])
    assert torch.equal(ours["spatial_shapes"], theirs["spatial_shapes"])


def test_grid_keeps_the_aspect_ratio_within_the_budget():
    for height, width in [(150, 600), (600, 170), (512, 512), (300, 451), (16, 1000)]:
        for budget in (64, 256, 576):
            rows, cols = patch_grid(height, width, 16, budget)
            assert rows * cols <= budget
            assert (rows + 1) * (cols + 1) > budget  # no grid one patch larger each way would fit
            # each side is its scaled length rounded up: (rows - 1, rows] and (cols - 1, cols] patches
            assert (rows - 1) / cols < height / width < rows / max(cols - 1, 1e-9)


def test_resized_positions_equal_antialiased_bilinear():
    table = torch.randn(256, 5)
    for rows, cols in [(8, 30), (29, 8), (16, 16), (1, 64), (40, 3)]:
        expected = interpolate_positions(table, (rows, cols), mode="bilinear", antialias=True)
        torch.testing.assert_close(resize_grid(table, rows, cols), expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("perturb", [False, True], ids=["random", "perturbed"])
def test_model_equals_transformers_for_mixed_budgets(tmp_path, crops, perturb):
    ours, theirs = siglip2_pair(tmp_path, SMALL, perturb=perturb)
    batch = preprocess_naflex(crops[:3], max_num_patches=[64, 256, 576])
    assert batch["pixel_values"].shape == (3, 576, 768)
    assert batch["pixel_attention_mask"].sum(1).tolist() == [60, 255, 572]
    rows = compare_siglip2(ours, theirs, batch)
    assert [r["output"] for r in rows] == ["last_hidden_state (patches)", "pooler_output", "ours, 1e4 in the padding"]
    assert all(r["ok"] for r in rows), rows
    assert rows[2]["identical"]


def test_padding_length_changes_nothing(crops):
    model = SigLip2VisionModel(SMALL).eval()
    short = preprocess_naflex(crops[:2], max_num_patches=256)
    long = dict(short, pixel_values=torch.nn.functional.pad(short["pixel_values"], (0, 0, 0, 100)),
                pixel_attention_mask=torch.nn.functional.pad(short["pixel_attention_mask"], (0, 100)))
    real = short["pixel_attention_mask"].bool()
    with torch.no_grad():
        a, b = model(**short, output_attentions=True), model(**long)
    torch.testing.assert_close(b.last_hidden_state[:, :256][real], a.last_hidden_state[real])
    torch.testing.assert_close(b.pooler_output, a.pooler_output)
    assert a.pooler_attention.masked_select(~real[:, None, None, :]).eq(0).all()


def test_loads_a_full_siglip2_model_and_the_text_tower_is_siglips(tmp_path):
    sizes = dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64)
    full = transformers.Siglip2Model(transformers.Siglip2Config(text_config=dict(sizes, vocab_size=50),
                                                                vision_config=dict(sizes, num_patches=64))).eval()
    full.save_pretrained(tmp_path)
    ours = SigLip2VisionModel.from_pretrained(tmp_path)
    inputs = preprocess_naflex(Image.new("RGB", (100, 40), (200, 30, 30)), max_num_patches=32)
    with torch.no_grad():
        assert torch.equal(ours(**inputs).last_hidden_state, full.vision_model(**inputs).last_hidden_state)
    from siglip_lib import SigLipTextConfig, SigLipTextModel

    text = SigLipTextModel(SigLipTextConfig.from_transformers_dict(full.config.text_config.to_dict())).eval()
    load_transformers_state_dict(text, full.text_model.state_dict())
    ids = torch.randint(0, 50, (2, 64))
    with torch.no_grad():
        torch.testing.assert_close(text(ids).pooler_output, full.text_model(ids).pooler_output, rtol=0, atol=1e-6)


def test_bad_input_gets_clear_errors():
    model = SigLip2VisionModel(SMALL).eval()
    good = preprocess_naflex(Image.new("RGB", (64, 32)), max_num_patches=16)
    pixels, mask, grid = good["pixel_values"], good["pixel_attention_mask"], good["spatial_shapes"]
    with pytest.raises(ValueError, match="does not match spatial_shapes"):
        model(pixels, torch.ones_like(mask), grid)
    with pytest.raises(ValueError, match="at least one patch per side"):
        model(pixels, mask, torch.tensor([[0, 4]]))
    with pytest.raises(ValueError, match=r"must be a float tensor \[B, N, 768\]"):
        model(pixels[..., :700], mask, grid)
    poisoned = pixels.clone()
    poisoned[0, 2, 7] = float("nan")  # one value in one patch
    with pytest.raises(ValueError, match="finite numbers in the image patches, got 1 NaN"):
        model(poisoned, mask, grid)
    poisoned[0, 2, 7], poisoned[0, 15] = 0.0, float("nan")  # the padding row: harmless, and not refused
    assert torch.isfinite(model(poisoned, mask, grid).pooler_output).all()
    with pytest.raises(TypeError, match="spatial_shapes must be a torch.Tensor"):
        model(pixels, mask, [[2, 4]])
    with pytest.raises(ValueError, match="at least one patch"):
        preprocess_naflex(Image.new("RGB", (64, 8)))
    with pytest.raises(ValueError, match="one patch row"):
        preprocess_naflex(Image.new("RGB", (1000, 16)), max_num_patches=32)
    with pytest.raises(ValueError, match="one max_num_patches per image, got 2 image"):
        preprocess_naflex([Image.new("RGB", (64, 64))] * 2, max_num_patches=[64])


def test_compare_command_selects_siglip2(capsys, monkeypatch):
    import siglip_lib.compare

    monkeypatch.setenv("SIGLIP_OFFLINE", "1")
    assert siglip_lib.compare.main(["--model-id", "google/siglip2-base-patch16-naflex", "--max-patches", "64"]) == 0
    out = capsys.readouterr().out
    assert "google/siglip2-base-patch16-naflex configuration" in out and "spatial_shapes [[9, 7]]" in out


def test_benchmark_times_naflex_against_transformers(tmp_path):
    from siglip_lib.benchmark import format_rows, naflex_rows, plot_rows, read_csv, write_csv

    rows = list(naflex_rows([2], torch.float32, "cpu", repeats=1, warmup=0, config=SMALL, modes=("eager", "in-place")))
    assert [(r["mode"], r["batch"]) for r in rows] == [("NaFlex", 2), ("NaFlex in-place", 2)]
    assert all(r["ours_img_s"] > 0 and r["transformers_img_s"] > 0 and r["ratio"] > 0 for r in rows)
    rows = [dict(r, matmul_peak_gflop_s=1.0, share_of_peak=0.5) for r in rows]
    assert "NaFlex in-place" in format_rows(rows)
    write_csv(rows, tmp_path / "naflex.csv")
    assert [r["mode"] for r in read_csv(tmp_path / "naflex.csv")] == ["NaFlex", "NaFlex in-place"]
    plot_rows(rows, tmp_path / "naflex.png")
    assert (tmp_path / "naflex.png").stat().st_size > 0
