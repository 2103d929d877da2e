"""The benchmark's arithmetic and plumbing (not its timings), dtypes and devices, and bad or unusual input."""

import math
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.flop_counter import FlopCounterMode

from siglip_lib import SigLipModel, SigLipVisionConfig, SigLipVisionModel, preprocess
from siglip_lib.benchmark import format_rows, main, plot_rows, read_csv, run_benchmark, vision_flops, write_csv

SMALL = SigLipVisionConfig(embed_dim=64, num_attention_heads=4, num_encoder_blocks=2, mlp_hidden_dim=128,
                           image_size=32, patch_size=8)


@pytest.mark.parametrize("config, size", [(SigLipVisionConfig(), (224, 224)), (SigLipVisionConfig(), (320, 256)),
                                          (SMALL, (32, 32)), (SigLipVisionConfig(use_head=False), (224, 224))])
def test_flop_count_matches_torch_counter(config, size):
    # eager attention: torch's FLOP table has no entry for the CPU's fused attention kernel; and no no_grad,
    # which trips the counter's module tracker in torch 2.13 (the forward pass is the same either way)
    with torch.device("meta"):  # FLOPs depend on shapes only: no weights to draw, no arithmetic to do
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
    assert [(r["dtype"], r["batch"], r["mode"]) for r in rows] == [
        ("float32", 1, "eager"), ("float32", 2, "eager"), ("bfloat16", 1, "eager"), ("bfloat16", 2, "eager")]
    for r in rows:
        assert r["ours_img_s"] > 0 and r["transformers_img_s"] > 0 and r["ratio"] > 0
        assert r["ours_gflop_s"] == pytest.approx(r["ours_img_s"] * vision_flops(SMALL) / 1e9)
        assert r["share_of_peak"] == pytest.approx(r["ours_gflop_s"] / r["matmul_peak_gflop_s"])
    assert "ratio" in format_rows(rows) and len(format_rows(rows).splitlines()) == 5
    write_csv(rows, tmp_path / "bench.csv")
    assert (tmp_path / "bench.csv").read_text().splitlines()[0].startswith("device,dtype,batch,mode")
    assert read_csv(tmp_path / "bench.csv") == rows  # every number back as it was
    plot_rows(rows, tmp_path / "bench.png")
    assert (tmp_path / "bench.png").stat().st_size > 10_000


def test_chart_shows_a_pair_per_mode_with_its_ratio():
    rows = [dict(device="cpu", dtype=dtype, batch=batch, mode=mode, ours_img_s=10.0 + batch,
                 transformers_img_s=(10.0 + batch) / ratio, ratio=ratio)
            for dtype in ("float32", "bfloat16") for mode, ratio in (("eager", 1.01), ("in-place", 1.05),
                                                                     ("compiled", 0.97)) for batch in (1, 8, 32)]
    fig = plot_rows(rows)
    assert [ax.get_title() for ax in fig.axes] == ["float32", "bfloat16"]  # one panel per dtype
    for ax in fig.axes:
        assert len(ax.patches) == 18  # 3 batch sizes x 3 modes x (ours, transformers)
        assert sorted(t.get_text() for t in ax.texts) == ["×0.97"] * 3 + ["×1.01"] * 3 + ["×1.05"] * 3
        assert [t.get_text() for t in ax.get_xticklabels()] == ["batch 1", "batch 8", "batch 32"]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "ours, eager", "transformers, eager", "ours, in-place", "ours, compiled", "transformers, compiled"]


def test_the_shipped_table_says_what_notebook_a2_says():
    """assets/benchmark_cpu.csv (python -m siglip_lib.benchmark --inplace --compile): the lesson classes level with
    transformers in float32 (same kernels, so level within the run-to-run noise of this shared machine: three runs
    of the same code gave 0.93 to 1.02), the in-place path ahead; in-place and compiled rows measured in the same
    run for every dtype and batch size."""
    rows = read_csv(Path(__file__).resolve().parent.parent / "assets" / "benchmark_cpu.csv")
    ratio = {(r["dtype"], r["mode"], r["batch"]): r["ratio"] for r in rows}
    assert all(abs(ratio["float32", "eager", b] - 1) < 0.07 for b in (1, 8, 32)), ratio
    assert all(ratio["float32", "in-place", b] >= 1.0 for b in (1, 8, 32)), ratio
    assert {(d, b) for d, m, b in ratio if m == "in-place"} == {(d, b) for d, m, b in ratio if m == "eager"} == {
        (d, b) for d, m, b in ratio if m == "compiled"} == {(d, b) for d in ("float32", "bfloat16") for b in (1, 8, 32)}


def test_inplace_path_gives_the_same_numbers_and_leaves_the_lesson_model_alone():
    from siglip_lib.benchmark import inplace_residuals

    model = SigLipVisionModel(SMALL).eval()
    fast = inplace_residuals(model)
    x = torch.randn(2, 3, 32, 32)
    with torch.inference_mode():
        plain, quick = model(x, output_hidden_states=True), fast(x, output_hidden_states=True)
    for a, b in zip(plain.hidden_states + (plain.pooler_output,), quick.hidden_states + (quick.pooler_output,),
                    strict=True):
        assert torch.equal(a, b)  # bit for bit: hidden_states[i] is not overwritten by block i + 1
    assert "forward" not in vars(model.transformer.encoder.encoder_blocks[0])  # the lesson model is untouched
    with pytest.raises(RuntimeError, match="for inference"):
        fast(x)  # gradients on
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16), pytest.raises(RuntimeError):
        fast(x)


def test_time_pair_alternates_and_the_ratio_points_the_right_way():
    """Fake models with known costs: 'ours' takes 10 ms, 'theirs' 30 ms; each call records who ran."""
    import time as clock

    from siglip_lib.benchmark import time_pair

    calls = []

    def fake(name, seconds):
        def run(x):
            calls.append(name)
            clock.sleep(seconds)
        return run

    ours_s, theirs_s = time_pair(fake("ours", 0.01), fake("theirs", 0.03), torch.zeros(1), repeats=4, warmup=1)
    assert calls == ["ours", "theirs"] + ["ours", "theirs", "theirs", "ours"] * 2  # warm-up, then swapped pairs
    assert sum(theirs_s) / sum(ours_s) == pytest.approx(3, rel=0.3)


@pytest.mark.parametrize("device, message", [("gpu", "expected cpu, cuda, cuda:N or mps, got 'gpu'"),
                                             ("cuda:7", "cuda:7"), ("mps:0", "mps")])
def test_benchmark_refuses_devices_it_cannot_use(capsys, device, message):
    if device.startswith("cuda") and torch.cuda.device_count() > 7 or device.startswith("mps") and \
            torch.backends.mps.is_available():
        pytest.skip("this machine has that device")  # (the check under test is for machines without one)
    with pytest.raises(SystemExit):
        main(["--device", device])
    assert message in capsys.readouterr().err


def test_hidden_states_and_gradients_in_training_mode_are_transformers_own():
    """Every hidden state, and the gradients of a training step, against transformers'."""
    from siglip_lib.parity import transformers_pair

    ours, theirs, _ = transformers_pair(SMALL, perturb=True)
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    a = ours.train()(x, output_hidden_states=True)
    b = theirs.train()(x, output_hidden_states=True)
    for h_a, h_b in zip(a.hidden_states, b.hidden_states, strict=True):
        torch.testing.assert_close(h_a, h_b, rtol=0, atol=1e-6)
    (a.pooler_output.square().sum() + a.last_hidden_state.sum()).backward()
    (b.pooler_output.square().sum() + b.last_hidden_state.sum()).backward()
    ours_grads = dict(ours.named_parameters())
    # The two backward passes sum in different orders (the MAP head's q, k, v are one matrix there), so a gradient
    # may differ in its last bits: compare at fp32 rounding (rtol 1e-5) and at the gradients' scale. (Seen: one
    # element of 12288 off by 6e-5 of 34, a relative 1.8e-6, with the code of both before and after issue 11.)
    scale = max(p.grad.abs().max().item() for p in theirs.parameters())
    for name, p in theirs.named_parameters():
        if "in_proj" in name:
            continue  # (the MAP head's stacked projection is split in ours)
        ours_name = "transformer." + name.replace("encoder.layers.", "encoder.encoder_blocks.")
        torch.testing.assert_close(ours_grads[ours_name].grad, p.grad, rtol=1e-5, atol=1e-6 * scale)


def test_hooks_see_the_outputs_before_the_residual_sum():
    model = SigLipVisionModel(SMALL).eval()
    block = model.transformer.encoder.encoder_blocks[0]
    seen = {}
    handles = [block.mlp.fc1.register_forward_hook(lambda m, i, o: seen.__setitem__("fc1", o)),
               block.self_attn.register_forward_hook(lambda m, i, o: seen.__setitem__("attn", o[0]))]
    with torch.no_grad():
        model(torch.randn(1, 3, 32, 32))
        layer_input = model(torch.randn(1, 3, 32, 32), output_hidden_states=True).hidden_states[0]
        expected_attn = block.self_attn(block.layer_norm1(layer_input))[0]
        expected_fc1 = block.mlp.fc1(block.layer_norm2(layer_input + expected_attn))
    for h in handles:
        h.remove()
    torch.testing.assert_close(seen["attn"], expected_attn)  # not attn + x
    torch.testing.assert_close(seen["fc1"], expected_fc1)  # not GELU(fc1)


def test_autocast_keeps_the_residual_stream_in_float32():
    model = SigLipVisionModel(SMALL).eval()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(torch.randn(1, 3, 32, 32), output_hidden_states=True)
    assert all(h.dtype == torch.float32 for h in out.hidden_states)  # as transformers: x + bf16 update is fp32


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
    x = preprocess(Image.new("RGB", (8, 8)), size=16, device="meta", dtype=torch.float64)  # (meta: no data)
    assert x.dtype == torch.float64 and x.device.type == "meta" and x.shape == (1, 3, 16, 16)
    default = preprocess(Image.new("RGB", (8, 8)), size=16)
    assert default.dtype == torch.float32 and default.device.type == "cpu"


def test_text_tower_moves_token_ids_to_its_device():
    """A tokenizer returns CPU tensors; the text tower takes them wherever it lives (meta here: no GPU)."""
    from siglip_lib import SigLipTextConfig, SigLipTextModel

    model = SigLipTextModel(SigLipTextConfig(vocab_size=50, embed_dim=32, max_position_embeddings=8,
                                             num_attention_heads=2, num_encoder_blocks=1, mlp_hidden_dim=64))
    out = model.to("meta")(torch.zeros(2, 8, dtype=torch.long))
    assert out.pooler_output.device.type == "meta" and out.pooler_output.shape == (2, 32)


def test_from_pretrained_takes_device_and_dtype(tmp_path):
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


def test_pixels_a_float16_model_cannot_hold_are_refused():
    pixel_values = torch.zeros(1, 3, 32, 32)
    pixel_values[0, 0, 0, 0] = 1e6  # finite in float32, inf in float16
    with pytest.raises(ValueError, match="float16; values beyond a 16-bit float's range overflow"):
        SigLipVisionModel(SMALL).to(torch.float16)(pixel_values)


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
