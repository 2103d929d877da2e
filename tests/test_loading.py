"""from_pretrained on folders that transformers writes with save_pretrained, from_transformers, and the
errors a bad checkpoint gets."""

import json
import re
import time

import pytest
import torch
import transformers
from safetensors.torch import load_file, save_file
from torch.testing import assert_close

from siglip_lib import SigLipVisionConfig, SigLipVisionModel, pretrained_or_random
from siglip_lib.checkpoint import HubUnavailableError

transformers.logging.set_verbosity_error()
TINY = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4)


def tiny_vision(**overrides):
    return transformers.SiglipVisionModel(transformers.SiglipVisionConfig(**TINY, image_size=32, patch_size=8,
                                                                          **overrides)).eval()


def tiny_full():
    return transformers.SiglipModel(transformers.SiglipConfig(
        vision_config=dict(TINY, image_size=32, patch_size=8),
        text_config=dict(TINY, vocab_size=50, bos_token_id=None, eos_token_id=None, pad_token_id=1))).eval()


def same_outputs(ours, theirs, size=32):
    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        a, b = ours(x), theirs(x)
    assert_close(a.last_hidden_state, b.last_hidden_state, rtol=0, atol=1e-5)
    if b.pooler_output is not None:
        assert_close(a.pooler_output, b.pooler_output, rtol=0, atol=1e-5)
    else:
        assert a.pooler_output is None


def test_folder_of_a_vision_model(tmp_path):
    hf = tiny_vision()
    hf.save_pretrained(tmp_path)
    ours = SigLipVisionModel.from_pretrained(tmp_path)
    assert ours.config == SigLipVisionConfig(embed_dim=64, image_size=32, patch_size=8, num_attention_heads=4,
                                             num_encoder_blocks=2, mlp_hidden_dim=128)
    assert not ours.training
    same_outputs(ours, hf)


def test_folder_of_a_full_siglip_model(tmp_path):
    hf = tiny_full()
    hf.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["model_type"] == "siglip"
    same_outputs(SigLipVisionModel.from_pretrained(str(tmp_path)), hf.vision_model)


def test_sharded_checkpoint(tmp_path):
    hf = tiny_vision()
    hf.save_pretrained(tmp_path, max_shard_size="100KB")
    assert (tmp_path / "model.safetensors.index.json").exists() and len(list(tmp_path.glob("*.safetensors"))) > 1
    same_outputs(SigLipVisionModel.from_pretrained(tmp_path), hf)


def test_vision_model_without_head(tmp_path):
    hf = tiny_vision(vision_use_head=False)
    hf.save_pretrained(tmp_path)
    ours = SigLipVisionModel.from_pretrained(tmp_path)
    assert ours.transformer.head is None
    same_outputs(ours, hf)


def test_older_checkpoint_with_vision_model_prefix(tmp_path):
    """transformers 4.x saved SiglipVisionModel tensors as 'vision_model.embeddings...'."""
    hf = tiny_vision()
    hf.save_pretrained(tmp_path)
    weights = load_file(tmp_path / "model.safetensors")
    save_file({f"vision_model.{k}": v for k, v in weights.items()}, tmp_path / "model.safetensors",
              metadata={"format": "pt"})
    same_outputs(SigLipVisionModel.from_pretrained(tmp_path), hf)


@pytest.fixture
def saved(tmp_path):
    tiny_vision().save_pretrained(tmp_path)
    return tmp_path


def rewrite(folder, change):
    weights = load_file(folder / "model.safetensors")
    change(weights)
    save_file(weights, folder / "model.safetensors", metadata={"format": "pt"})


def test_missing_tensor_is_named(saved):
    rewrite(saved, lambda w: w.pop("encoder.layers.1.self_attn.k_proj.bias"))
    with pytest.raises(ValueError, match=r"missing tensor encoder\.layers\.1\.self_attn\.k_proj\.bias"):
        SigLipVisionModel.from_pretrained(saved)


def test_missing_head_projection_is_named(saved):
    rewrite(saved, lambda w: w.pop("head.attention.in_proj_weight"))
    with pytest.raises(ValueError, match=r"missing tensor head\.attention\.in_proj_weight"):
        SigLipVisionModel.from_pretrained(saved)


def test_wrong_shape_is_named_with_both_shapes(saved):
    rewrite(saved, lambda w: w.update({"post_layernorm.weight": torch.ones(65)}))
    with pytest.raises(ValueError, match=re.escape("post_layernorm.weight: expected (64,), got (65,)")):
        SigLipVisionModel.from_pretrained(saved)


def test_wrong_shape_of_the_stacked_head_projection_is_reported_once(saved):
    rewrite(saved, lambda w: w.update({"head.attention.in_proj_weight": torch.zeros(195, 64)}))
    with pytest.raises(ValueError) as err:
        SigLipVisionModel.from_pretrained(saved)
    assert str(err.value).count("in_proj_weight") == 1
    assert "wrong shape for head.attention.in_proj_weight: expected (192, 64), got (195, 64)" in str(err.value)


def test_unexpected_tensor_is_named(saved):
    rewrite(saved, lambda w: w.update({"encoder.layers.2.mlp.fc1.weight": torch.zeros(128, 64)}))
    with pytest.raises(ValueError, match=r"unexpected tensor encoder\.layers\.2\.mlp\.fc1\.weight"):
        SigLipVisionModel.from_pretrained(saved)


def test_several_weight_files_without_an_index(saved):
    (saved / "model.safetensors").rename(saved / "a.safetensors")
    save_file({"x": torch.zeros(1)}, saved / "b.safetensors")
    with pytest.raises(ValueError, match="found 2 \\*.safetensors files and no index"):
        SigLipVisionModel.from_pretrained(saved)


def test_a_single_weight_file_with_another_name(saved):
    (saved / "model.safetensors").rename(saved / "weights.safetensors")
    assert SigLipVisionModel.from_pretrained(saved).config.embed_dim == 64


def test_folder_with_a_hub_style_config(tmp_path):
    """The hub's config.json leaves most vision fields at their defaults; ours must fill in the same ones."""
    hf = tiny_full()
    hf.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["vision_config"] = {k: v for k, v in config["vision_config"].items()
                               if k in ("hidden_size", "intermediate_size", "num_hidden_layers",
                                        "num_attention_heads", "image_size", "patch_size", "model_type")}
    (tmp_path / "config.json").write_text(json.dumps(config))
    ours = SigLipVisionModel.from_pretrained(tmp_path)
    assert ours.config.layer_norm_eps == 1e-6 and ours.config.use_head and ours.config.num_channels == 3
    same_outputs(ours, hf.vision_model)


def test_missing_relative_folder_that_looks_like_a_hub_id():
    with pytest.raises(HubUnavailableError, match="no local folder of that name either"):
        SigLipVisionModel.from_pretrained("checkpoints/my-siglip")


def test_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="neither"):
        SigLipVisionModel.from_pretrained(tmp_path / "no" / "such" / "folder")


def test_folder_without_config(tmp_path):
    with pytest.raises(FileNotFoundError, match="config.json"):
        SigLipVisionModel.from_pretrained(tmp_path)


def test_folder_without_weights(saved):
    (saved / "model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match=r"expected \*\.safetensors weights .* found config\.json"):
        SigLipVisionModel.from_pretrained(saved)


def test_checkpoint_of_another_architecture(tmp_path):
    vit = transformers.ViTConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                                 image_size=32, patch_size=8)
    transformers.ViTModel(vit).save_pretrained(tmp_path)
    with pytest.raises(ValueError, match="got model_type 'vit'"):
        SigLipVisionModel.from_pretrained(tmp_path)


def test_truncated_safetensors_file(saved):
    data = (saved / "model.safetensors").read_bytes()
    (saved / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="cannot read the weights file"):
        SigLipVisionModel.from_pretrained(saved)


def test_hub_id_offline_fails_fast_and_says_how_to_work_offline():
    start = time.monotonic()
    with pytest.raises(HubUnavailableError, match="To work offline, pass a local folder"):
        SigLipVisionModel.from_pretrained("google/siglip-base-patch16-224", cache_dir="/nonexistent-cache")
    assert time.monotonic() - start < 30


def test_from_transformers_accepts_vision_and_full_models():
    hf = tiny_full()
    same_outputs(SigLipVisionModel.from_transformers(hf), hf.vision_model)
    same_outputs(SigLipVisionModel.from_transformers(hf.vision_model), hf.vision_model)
    with pytest.raises(TypeError, match="expected a transformers SiglipVisionModel or SiglipModel, got Linear"):
        SigLipVisionModel.from_transformers(torch.nn.Linear(2, 2))


def test_from_transformers_keeps_dtype():
    ours = SigLipVisionModel.from_transformers(tiny_vision().to(torch.bfloat16))
    assert next(ours.parameters()).dtype == torch.bfloat16


def test_pretrained_or_random_offline(capsys):
    model, pretrained = pretrained_or_random()
    assert not pretrained and isinstance(model, SigLipVisionModel) and model.config == SigLipVisionConfig()
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Offline")


def test_pretrained_or_random_falls_back_when_the_hub_fails(monkeypatch, capsys):
    monkeypatch.delenv("SIGLIP_OFFLINE")  # take the hub path; HF_HUB_OFFLINE=1 makes it fail at once
    model, pretrained = pretrained_or_random("nobody-here/no-such-model")
    assert not pretrained and isinstance(model, SigLipVisionModel)
    assert capsys.readouterr().out.strip() == ("Offline (the Hugging Face hub cannot be reached): using random weights "
                                               "with the google/siglip-base-patch16-224 configuration.")


def test_pretrained_or_random_does_not_hide_a_broken_checkpoint(monkeypatch, tmp_path):
    """Only hub failures fall back to random weights; a bad checkpoint is an error."""
    import siglip_lib.checkpoint as checkpoint

    monkeypatch.delenv("SIGLIP_OFFLINE")
    monkeypatch.setattr(checkpoint, "resolve_checkpoint", lambda *args, **kwargs: tmp_path)  # an empty "download"
    with pytest.raises(FileNotFoundError, match="config.json"):
        pretrained_or_random()


@pytest.mark.parametrize("error", ["RepositoryNotFoundError", "GatedRepoError", "RevisionNotFoundError"])
def test_pretrained_or_random_raises_for_a_wrong_or_gated_repository(monkeypatch, error):
    """A typo in a model id or a gated repository is not "offline": it raises, naming the repository."""
    import huggingface_hub
    import huggingface_hub.errors

    def refuse(repo_id, **kwargs):
        import httpx

        response = httpx.Response(404, request=httpx.Request("GET", f"https://huggingface.co/api/models/{repo_id}"))
        raise getattr(huggingface_hub.errors, error)(f"{repo_id}: {error}", response=response)

    monkeypatch.delenv("SIGLIP_OFFLINE")
    monkeypatch.setattr(huggingface_hub, "snapshot_download", refuse)
    with pytest.raises(huggingface_hub.errors.HfHubHTTPError, match="google/siglip-base-patch16-22"):
        pretrained_or_random("google/siglip-base-patch16-22")


def test_pretrained_or_random_goes_offline_only_without_the_hub(monkeypatch, capsys):
    """huggingface_hub raises LocalEntryNotFoundError when it cannot ask the hub and nothing is cached."""
    import huggingface_hub
    from huggingface_hub.errors import LocalEntryNotFoundError

    def no_network(repo_id, **kwargs):
        raise LocalEntryNotFoundError("Got: ConnectError: [Errno -2] Name or service not known")

    monkeypatch.delenv("SIGLIP_OFFLINE")
    monkeypatch.setattr(huggingface_hub, "snapshot_download", no_network)
    model, pretrained = pretrained_or_random()
    assert not pretrained and "the Hugging Face hub cannot be reached" in capsys.readouterr().out


def test_a_copied_hub_cache_gives_the_pretrained_path_offline(tmp_path):
    """The teacher's guide: copy models--google--siglip-base-patch16-224 into each laptop's hub cache, set
    HF_HUB_OFFLINE=1, and pretrained_or_random (notebooks 08, 09) loads it. A tiny model stands in for the
    813 MB one, in the layout huggingface_hub writes: refs/main names a snapshot folder."""
    import os
    import subprocess
    import sys

    repo = tmp_path / "hub" / "models--google--siglip-base-patch16-224"
    commit = "0123456789abcdef0123456789abcdef01234567"
    tiny_full().save_pretrained(repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    env = dict(os.environ, HF_HUB_CACHE=str(tmp_path / "hub"), HF_HUB_OFFLINE="1", SIGLIP_OFFLINE="0")
    code = ("from siglip_lib import pretrained_or_random\n"
            "model, pretrained = pretrained_or_random()\n"
            "assert pretrained and model.config.embed_dim == 64, model.config\n")
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "Loaded the pretrained weights of google/siglip-base-patch16-224."
