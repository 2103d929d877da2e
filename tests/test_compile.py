"""torch.compile(model, fullgraph=True) captures each model whole, and the compiled model computes what the eager
one does.

fullgraph=True turns any graph break into an error, so a passing compile is the proof of "no graph breaks";
torch._dynamo.explain counts graphs and breaks as a second witness. The "aot_eager" backend runs the captured
graph (after AOTAutograd) with PyTorch's ordinary kernels: it tests the capture, in seconds. Inductor, the default
backend, generates and compiles C++ for the CPU: a tiny model takes tens of seconds on 2 cores, so that test runs
only when SIGLIP_TEST_INDUCTOR=1.
"""

import os

import pytest
import torch
import torch._dynamo

from siglip_lib import (SigLipConfig, SigLipModel, SigLipTextConfig, SigLipTextModel, SigLipVisionConfig,
                        SigLipVisionModel)
from siglip_lib.tokenizers import WordTokenizer

VISION = SigLipVisionConfig(embed_dim=64, num_attention_heads=4, num_encoder_blocks=2, mlp_hidden_dim=128,
                            image_size=32, patch_size=8)
TEXT = SigLipTextConfig(vocab_size=20, embed_dim=64, max_position_embeddings=6, num_attention_heads=4,
                        num_encoder_blocks=2, mlp_hidden_dim=128, projection_size=64)
PIXELS = torch.randn(3, 3, 32, 32, generator=torch.Generator().manual_seed(0))
IDS = torch.randint(0, 20, (3, 6), generator=torch.Generator().manual_seed(1))


@pytest.fixture(autouse=True)
def _fresh_dynamo():
    torch._dynamo.reset()  # no compiled code or recompile counts carried between tests
    yield
    torch._dynamo.reset()


def _siglip_with_tokenizer():
    model = SigLipModel(SigLipConfig(vision_config=VISION, text_config=TEXT)).eval()
    model.tokenizer = WordTokenizer(["red", "blue", "circle", "square"], max_length=6)  # as from_pretrained sets
    return model


CASES = {  # name: (build the model, args, keyword arguments)
    "vision": (lambda: SigLipVisionModel(VISION).eval(), (PIXELS,), {}),
    "vision, every output": (lambda: SigLipVisionModel(VISION).eval(), (PIXELS,),
                             dict(output_attentions=True, output_hidden_states=True)),
    "vision, eager attention, 48 x 32 pixels": (lambda: SigLipVisionModel(VISION).set_attn_implementation("eager"),
                                               (torch.randn(2, 3, 48, 32),),
                                               dict(interpolate_pos_encoding=True)),
    "text": (lambda: SigLipTextModel(TEXT).eval(), (IDS,), {}),
    "text, every output": (lambda: SigLipTextModel(TEXT).eval(), (IDS,),
                           dict(output_attentions=True, output_hidden_states=True)),
    "siglip, with loss and a tokenizer": (_siglip_with_tokenizer, (PIXELS, IDS), dict(return_loss=True)),
}


def _tensors(output, prefix=""):
    """Every tensor in a model output (dataclass), by name, nested outputs and tuples included."""
    found = {}
    for name, value in vars(output).items():
        if isinstance(value, torch.Tensor):
            found[prefix + name] = value
        elif isinstance(value, tuple):
            found.update({f"{prefix}{name}[{i}]": v for i, v in enumerate(value)})
        elif value is not None:
            found.update(_tensors(value, f"{prefix}{name}."))
    return found


@pytest.mark.parametrize("case", list(CASES))
def test_fullgraph_compile_matches_eager(case):
    build, args, kwargs = CASES[case]
    model = build()
    compiled = torch.compile(model, fullgraph=True, backend="aot_eager")  # a graph break would raise here
    with torch.no_grad():
        got, want = compiled(*args, **kwargs), model(*args, **kwargs)
    assert type(got) is type(want)
    got, want = _tensors(got), _tensors(want)
    assert got.keys() == want.keys() and len(got) >= 2
    for name in want:
        torch.testing.assert_close(got[name], want[name], rtol=0, atol=1e-5, msg=lambda m, n=name: f"{n}: {m}")


@pytest.mark.parametrize("case", ["vision, every output", "text", "siglip, with loss and a tokenizer"])
def test_explain_finds_one_graph_and_no_break(case):
    build, args, kwargs = CASES[case]
    explanation = torch._dynamo.explain(build())(*args, **kwargs)
    assert (explanation.graph_count, explanation.graph_break_count) == (1, 0), explanation.break_reasons


def test_a_compiled_training_step_gives_eager_gradients():
    torch.manual_seed(0)
    model = _siglip_with_tokenizer().train()
    compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
    compiled(PIXELS, IDS, return_loss=True).loss.backward()
    compiled_grads = {name: p.grad.clone() for name, p in model.named_parameters()}
    model.zero_grad()
    model(PIXELS, IDS, return_loss=True).loss.backward()
    for name, p in model.named_parameters():
        torch.testing.assert_close(compiled_grads[name], p.grad, rtol=1e-5, atol=1e-6,
                                   msg=lambda m, n=name: f"{n}: {m}")


def test_bad_shapes_are_still_refused_under_compile():
    """Values are not checked while compiling (that would break the graph), but shapes are, with the same message."""
    model = SigLipVisionModel(VISION).eval()
    with pytest.raises(ValueError, match="must have 4 dimensions"):  # Dynamo hands the raise back to Python
        torch.compile(model, backend="aot_eager")(PIXELS[0])
    torch._dynamo.reset()  # (forget that frame's fallback to Python, which fullgraph=True must not reuse)
    with pytest.raises(torch._dynamo.exc.Unsupported, match="must have 4 dimensions"):  # fullgraph: torch's error,
        torch.compile(model, fullgraph=True, backend="aot_eager")(PIXELS[0])  # which quotes ours


@pytest.mark.skipif(os.environ.get("SIGLIP_TEST_INDUCTOR") != "1",
                    reason="inductor compiles C++: tens of seconds a model on 2 cores (SIGLIP_TEST_INDUCTOR=1 runs it)")
@pytest.mark.parametrize("case", ["vision, every output", "siglip, with loss and a tokenizer"])
def test_inductor_compile_matches_eager(case):
    build, args, kwargs = CASES[case]
    model = build()
    compiled = torch.compile(model, fullgraph=True)  # the default backend, inductor: fused kernels round differently
    with torch.no_grad():
        got, want = _tensors(compiled(*args, **kwargs)), _tensors(model(*args, **kwargs))
    for name in want:
        torch.testing.assert_close(got[name], want[name], rtol=0, atol=1e-5, msg=lambda m, n=name: f"{n}: {m}")


def test_benchmark_times_compiled_models_in_the_same_run(monkeypatch):
    """The plumbing of the compiled rows, with a backend that compiles in seconds (timings are the script's)."""
    import functools

    import siglip_lib.benchmark as benchmark

    monkeypatch.setattr(torch, "compile", functools.partial(torch.compile, backend="aot_eager"))
    monkeypatch.setattr(benchmark, "matmul_peak", lambda device, dtype: 1e12)  # (not what this test is about)
    rows = benchmark.run_benchmark(batch_sizes=[2], dtypes=["float32"], repeats=1, warmup=1,
                                   modes=("eager", "compiled"), config=VISION, progress=lambda line: None)
    assert [(r["mode"], r["batch"]) for r in rows] == [("eager", 2), ("compiled", 2)]
    assert all(r["ours_img_s"] > 0 and r["transformers_img_s"] > 0 for r in rows)
    assert "compiled" in benchmark.format_rows(rows)
