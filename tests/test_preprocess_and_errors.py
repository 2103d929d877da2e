"""preprocess against transformers' SigLIP image processor, the config's checks, and clear errors on bad input."""

from pathlib import Path

import pytest
import torch
from PIL import Image
from torch.testing import assert_close
from transformers import SiglipImageProcessorPil

from siglip_lib import SigLipVisionConfig, SigLipVisionModel, load_image, preprocess

ASSETS = Path(__file__).resolve().parent.parent / "assets"


@pytest.fixture(scope="module", params=["SiglipImageProcessorPil", "SiglipImageProcessor"])
def reference(request):
    """transformers' Pillow backend, and SiglipImageProcessor, which is that same backend when torchvision is not
    installed (this project's install; preprocess reproduces the Pillow backend, not the torchvision one)."""
    import importlib.util

    import transformers

    if request.param == "SiglipImageProcessorPil":
        return SiglipImageProcessorPil()
    if importlib.util.find_spec("torchvision") is not None:
        pytest.skip("with torchvision installed, SiglipImageProcessor is the torchvision backend, not reproduced here")
    transformers.logging.set_verbosity_error()  # (it says that it falls back to the Pillow backend)
    processor = transformers.SiglipImageProcessor()
    assert type(processor) is SiglipImageProcessorPil
    return processor


def rgba_photo():
    image = load_image(f"{ASSETS}/chelsea.png").convert("RGBA")
    image.putalpha(Image.linear_gradient("L").resize(image.size))
    return image


def palette_with_transparency():
    image = load_image(f"{ASSETS}/coffee.png").convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    image.info["transparency"] = 0
    return image


@pytest.mark.parametrize("make", [
    lambda: load_image(f"{ASSETS}/grace_hopper.jpg"),  # colour photo (JPEG)
    lambda: load_image(f"{ASSETS}/camera.png"),  # greyscale photo, mode L
    rgba_photo,  # transparency composited onto white
    palette_with_transparency,
    lambda: load_image(f"{ASSETS}/grace_hopper.jpg").convert("LA"),
], ids=["rgb", "greyscale", "rgba", "palette", "la"])
def test_preprocess_equals_transformers(reference, make):
    image = make()
    ours = preprocess(image)
    theirs = reference(images=image, return_tensors="pt")["pixel_values"]
    assert ours.shape == theirs.shape == (1, 3, 224, 224) and ours.dtype == torch.float32
    assert_close(ours, theirs, rtol=0, atol=1e-5)


def test_preprocess_batch_of_paths_and_images(reference):
    images = [f"{ASSETS}/grace_hopper.jpg", load_image(f"{ASSETS}/coffee.png")]
    ours = preprocess(images)
    theirs = reference(images=[load_image(images[0]), images[1]], return_tensors="pt")["pixel_values"]
    assert ours.shape == (2, 3, 224, 224)
    assert_close(ours, theirs, rtol=0, atol=1e-5)


def test_preprocess_rectangular_size(reference):
    image = load_image(f"{ASSETS}/coffee.png")
    ours = preprocess(image, size=(320, 256))
    theirs = reference(images=image, size={"height": 320, "width": 256}, return_tensors="pt")["pixel_values"]
    assert ours.shape == (1, 3, 320, 256)
    assert_close(ours, theirs, rtol=0, atol=1e-5)


def test_preprocess_range():
    x = preprocess(f"{ASSETS}/grace_hopper.jpg")
    assert x.min() >= -1 and x.max() <= 1 and x.min() < -0.9 and x.max() > 0.9


def test_missing_file():
    with pytest.raises(FileNotFoundError, match="no_such.jpg"):
        preprocess(f"{ASSETS}/no_such.jpg")


def test_not_an_image(tmp_path):
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    with pytest.raises(ValueError, match="cannot read .*notes.jpg.* as an image"):
        preprocess(text)


def test_wrong_type_and_empty_list():
    with pytest.raises(TypeError, match="expected a PIL.Image.Image or a path to an image, got int"):
        preprocess(3)
    with pytest.raises(ValueError, match="at least one image"):
        preprocess([])


@pytest.mark.parametrize("kwargs, message", [
    (dict(embed_dim=768, num_attention_heads=10), "divisible by num_attention_heads"),
    (dict(image_size=225), "multiple of patch_size"),
    (dict(num_encoder_blocks=0), "num_encoder_blocks must be a positive int"),
    (dict(embed_dim=76.8), "embed_dim must be a positive int"),
])
def test_config_refuses_impossible_sizes(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SigLipVisionConfig(**kwargs)


def test_config_round_trips_through_transformers_names():
    import transformers

    config = SigLipVisionConfig(embed_dim=96, num_attention_heads=6, num_encoder_blocks=3, mlp_hidden_dim=200)
    hf = transformers.SiglipVisionConfig(**config.to_transformers_dict())
    assert (hf.hidden_size, hf.num_hidden_layers, hf.intermediate_size) == (96, 3, 200)
    assert SigLipVisionConfig.from_transformers_dict(hf.to_dict()) == config
    default = transformers.SiglipVisionConfig().to_dict()
    assert SigLipVisionConfig.from_transformers_dict(default) == SigLipVisionConfig()


@pytest.fixture(scope="module")
def small_model():
    return SigLipVisionModel(SigLipVisionConfig(embed_dim=64, num_attention_heads=4, num_encoder_blocks=1,
                                                mlp_hidden_dim=128, image_size=32, patch_size=16)).eval()


@pytest.mark.parametrize("pixel_values, error, message", [
    ([[0.0]], TypeError, "must be a torch.Tensor"),
    (torch.zeros(3, 32, 32), ValueError, r"4 dimensions .* got shape \(3, 32, 32\).*add a batch dimension"),
    (torch.zeros(1, 1, 32, 32), ValueError, r"3 channels .* got shape \(1, 1, 32, 32\)"),
    (torch.zeros(1, 3, 32, 32, dtype=torch.uint8), TypeError, "floating point .* got torch.uint8"),
    (torch.zeros(1, 3, 40, 32), ValueError, "multiples of patch_size=16, got 40 × 32"),
    (torch.zeros(1, 3, 48, 48), ValueError,
     "built for 32 × 32 images, got 48 × 48 .height × width.; pass interpolate_pos_encoding=True"),
])
def test_bad_pixel_values_get_clear_errors(small_model, pixel_values, error, message):
    with pytest.raises(error, match=message):
        small_model(pixel_values)


def test_other_resolution_works_when_asked(small_model):
    with torch.no_grad():
        out = small_model(torch.zeros(1, 3, 48, 64), interpolate_pos_encoding=True)
    assert out.last_hidden_state.shape == (1, 12, 64)


def test_bfloat16_model_takes_float32_pixels(small_model):
    model = SigLipVisionModel(small_model.config).to(torch.bfloat16).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 3, 32, 32))
    assert out.pooler_output.dtype == torch.bfloat16 and torch.isfinite(out.pooler_output.float()).all()


def test_output_indexes_like_transformers(small_model):
    with torch.no_grad():
        out = small_model(torch.zeros(1, 3, 32, 32))
    assert out[0] is out.last_hidden_state and out[1] is out.pooler_output and out["pooler_output"] is out[1]
    assert len(out.to_tuple()) == 2  # fields left at None are skipped, as in transformers


def test_unknown_attention_implementation(small_model):
    with pytest.raises(ValueError, match="'sdpa' or 'eager', got 'flash'"):
        small_model.set_attn_implementation("flash")
