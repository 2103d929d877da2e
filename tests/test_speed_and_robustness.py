"""The benchmark's arithmetic and plumbing (not its timings), dtypes and devices, and bad or unusual input."""

import math
import warnings

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.flop_counter import FlopCounterMode

from siglip_lib import SigLipModel, SigLipVisionConfig, SigLipVisionModel, preprocess
from siglip_lib.attention import MultiheadAttention
from siglip_lib.benchmark import format_rows, main, plot_rows, run_benchmark, vision_flops, write_csv

SMALL = SigLipVisionConfig(embed_dim=64, num_attention_heads=4, num_encoder_blocks=2, mlp_hidden_dim=128,
                           image_size=32, patch_size=8)


@pytest.mark.parametrize("config, size", [(SigLipVisionConfig(), (224, 224)), (SigLipVisionConfig(), (320, 256)),
                                          (SMALL, (32, 32)), (SigLipVisionConfig(use_head=False), (224, 224))])
def test_flop_count_matches_torch_counter(config, size):
    # eager attention: torch's FLOP table has no entry for the CPU's fused attention kernel; and no no_grad,
    # which trips the counter's module tracker in torch 2.13 (the forward pass is the same either way)
    model = SigLipVisionModel(config).eval().set_attn_implementation("eager")
    with FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, 3, *size), interpolate_pos_encoding=size != (config.image_size,) * 2)
    assert vision_flops(config, *size) == pytest.approx(counter.get_total_flops(), rel=1e-3)


def test_base_model_is_about_35_gflop():
    assert vision_flops(SigLipVisionConfig()) / 1e9 == pytest.approx(35.4, abs=0.1)


def test_benchmark_rows_table_csv_and_chart(tmp_path):
    """The plumbing on a small model; no assertion on speed (timings are for the benchmark script)."""
    rows = run_benchmark(batch_sizes=[1, 2], dtypes=["float32", "bfloat16"], repeats=2, warmup=1, config=SMALL,
                         progress=lambda line: None)
    assert [(r["dtype"], r["batch"]) for r in rows] == [("float32", 1), ("float32", 2), ("bfloat16", 1),
                                                         ("bfloat16", 2)]
    for r in rows:
        assert r["ours_img_s"] > 0 and r["transformers_img_s"] > 0 and r["ratio"] > 0
        assert r["ours_gflop_s"] == pytest.approx(r["ours_img_s"] * vision_flops(SMALL) / 1e9)
        assert r["share_of_peak"] == pytest.approx(r["ours_gflop_s"] / r["matmul_peak_gflop_s"])
    assert "ratio" in format_rows(rows) and len(format_rows(rows).splitlines()) == 5
    write_csv(rows, tmp_path / "bench.csv")
    assert (tmp_path / "bench.csv").read_text().splitlines()[0].startswith("device,dtype,batch")
    plot_rows(rows, tmp_path / "bench.png")
    assert (tmp_path / "bench.png").stat().st_size > 10_000


def test_benchmark_refuses_a_missing_gpu(capsys):
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")  # (the check under test is for machines without one)
    with pytest.raises(SystemExit):
        main(["--device", "cuda"])
    assert "no CUDA device is available" in capsys.readouterr().err


def test_stacked_qkv_equals_separate_projections_and_follows_the_weights():
    attn = MultiheadAttention(SMALL).eval()
    x = torch.randn(2, 16, 64)
    with torch.no_grad():
        fast, _ = attn(x)
        attn.attn_implementation = "eager"
        slow, _ = attn(x)
        attn.attn_implementation = "sdpa"
        torch.testing.assert_close(fast, slow, rtol=0, atol=1e-6)
        attn.load_state_dict({k: v * 1.5 for k, v in attn.state_dict().items()})  # weights change in place
        after, _ = attn(x)
        attn.attn_implementation = "eager"
        after_slow, _ = attn(x)
    torch.testing.assert_close(after, after_slow, rtol=0, atol=1e-6)
    assert not torch.allclose(after, fast)


def test_stacked_qkv_trains():
    """With gradients on, the stacked weight is rebuilt in the graph, so q, k and v all get gradients."""
    attn = MultiheadAttention(SMALL)
    out, _ = attn(torch.randn(2, 16, 64))
    out.square().mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in attn.parameters())


def test_bfloat16_end_to_end_on_the_cpu():
    torch.manual_seed(0)
    model = SigLipVisionModel(SMALL).eval()
    images = [Image.new("RGB", (40, 30), (200, 30, 30)), Image.new("RGB", (32, 32), (20, 30, 200))]
    with torch.no_grad():
        full = model(preprocess(images, size=32)).pooler_output
        half = model.to(torch.bfloat16)(preprocess(images, size=32, dtype=torch.bfloat16)).pooler_output
    assert half.dtype == torch.bfloat16
    assert torch.nn.functional.cosine_similarity(full, half.float()).min() > 0.99


def test_preprocess_device_and_dtype():
    x = preprocess(Image.new("RGB", (8, 8)), size=16, device="cpu", dtype=torch.float64)
    assert x.dtype == torch.float64 and x.device.type == "cpu" and x.shape == (1, 3, 16, 16)
    assert preprocess(Image.new("RGB", (8, 8)), size=16).dtype == torch.float32


def test_from_pretrained_takes_device_and_dtype(tmp_path):
    SigLipVisionModel(SMALL).eval()  # (make sure construction works before saving a transformers folder)
    import transformers

    transformers.SiglipVisionModel(transformers.SiglipVisionConfig(**SMALL.to_transformers_dict())).save_pretrained(
        tmp_path)
    model = SigLipVisionModel.from_pretrained(tmp_path, device="cpu", dtype=torch.bfloat16)
    assert {p.dtype for p in model.parameters()} == {torch.bfloat16}
    assert SigLipVisionModel.from_pretrained(tmp_path).transformer.post_layernorm.weight.dtype == torch.float32


def test_tiny_siglip_in_bfloat16_still_classifies():
    from siglip_lib.shapes import HELD_OUT_SEED, make_shapes
    from siglip_lib.train import zero_shot

    model = SigLipModel.from_pretrained("assets/tiny_siglip_shapes", dtype=torch.bfloat16)
    data = make_shapes(100, seed=HELD_OUT_SEED)
    best = zero_shot(model, data.images, [f"a {name}" for name in data.class_names])
    assert (best == torch.tensor(data.labels)).float().mean() >= 0.85


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_pixels_are_refused(value):
    pixel_values = torch.zeros(1, 3, 32, 32)
    pixel_values[0, 1, 5, 7] = value
    with pytest.raises(ValueError, match=r"must be finite numbers, got 1 NaN or infinite value\(s\) in 3072"):
        SigLipVisionModel(SMALL)(pixel_values)


@pytest.fixture(scope="module")
def processor():
    from transformers import SiglipImageProcessorPil

    return SiglipImageProcessorPil()


def _unusual_images():
    rng = np.random.default_rng(0)
    rgb = Image.fromarray(rng.integers(0, 256, (40, 50, 3), dtype=np.uint8))
    return {
        "16-bit, values below 256": Image.fromarray(rng.integers(0, 256, (40, 50), dtype=np.uint16)),
        "palette": rgb.convert("P"),
        "CMYK": rgb.convert("CMYK"),
        "1x1 RGB": Image.new("RGB", (1, 1), (10, 200, 30)),
        "1x1 greyscale": Image.new("L", (1, 1), 77),
        "1-bit": rgb.convert("1"),
        "float": Image.fromarray(rng.random((40, 50)).astype(np.float32) * 200),
    }


@pytest.mark.parametrize("name", list(_unusual_images()))
def test_unusual_images_match_transformers(processor, name):
    image = _unusual_images()[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # none of these should warn
        ours = preprocess(image)
    reference = processor(images=image, return_tensors="pt")["pixel_values"]
    torch.testing.assert_close(ours, reference, rtol=0, atol=0)


def test_16_bit_image_with_a_wide_range_matches_transformers_and_warns(processor):
    image = Image.fromarray(np.random.default_rng(1).integers(0, 65536, (40, 50), dtype=np.uint16))
    with pytest.warns(UserWarning, match="I;16 image with values up to .* clipping at 255"):
        ours = preprocess(image)
    torch.testing.assert_close(ours, processor(images=image, return_tensors="pt")["pixel_values"], rtol=0, atol=0)


def test_a_list_of_mixed_sizes_and_modes_matches_transformers(processor):
    rng = np.random.default_rng(2)
    images = [Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)) for h, w in [(40, 50), (300, 120)]]
    images += [Image.new("L", (1, 1), 5), images[0].convert("CMYK")]
    ours = preprocess(images)
    assert ours.shape == (4, 3, 224, 224)
    torch.testing.assert_close(ours, processor(images=images, return_tensors="pt")["pixel_values"], rtol=0, atol=0)
