"""`python -m siglip_lib.compare` and the notebooks -> siglip_lib export."""

import subprocess
import sys
from pathlib import Path

import torch

import siglip_lib.compare as compare

ROOT = Path(__file__).resolve().parent.parent

sys.path.insert(0, str(ROOT / "tools"))
import export  # noqa: E402  (tools/export.py)


def test_compare_command_passes_offline():
    result = subprocess.run([sys.executable, "-m", "siglip_lib.compare"], capture_output=True, text=True,
                            cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert out.count("\n") >= 6 and out.splitlines()[0].startswith("Offline")
    assert "before pooling (last_hidden_state): ours (1, 196, 768), transformers (1, 196, 768)" in out
    assert "after pooling (pooler_output):      ours (1, 768), transformers (1, 768)" in out
    assert "cosine similarity mean" in out and "max |difference|" in out and "PASS" in out


def test_compare_exits_nonzero_when_models_differ(monkeypatch, capsys):
    real_load_pair = compare._load_pair

    def broken_pair(model_id, workdir):
        ours, theirs, description = real_load_pair(model_id, workdir)
        with torch.no_grad():
            ours.transformer.post_layernorm.bias.add_(1e-3)  # a small, real mistake
        return ours, theirs, description

    monkeypatch.setattr(compare, "_load_pair", broken_pair)
    assert compare.main([]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_package_is_in_sync_with_the_notebooks():
    wanted = export.render(export.collect())
    on_disk = export.generated_files_on_disk()
    assert set(wanted) == set(on_disk), "a generated module is missing or stale: run python tools/export.py"
    for name, text in wanted.items():
        assert on_disk[name] == text, f"siglip_lib/{name} differs from its notebook: run python tools/export.py"


def test_generated_files_say_where_to_edit():
    modules = {"preprocess", "embeddings", "attention", "encoder", "vision", "text", "model", "loss", "shapes", "train",
               "parity", "compare", "attention_maps", "config", "checks", "outputs", "checkpoint", "tokenizers",
               "benchmark", "distributed", "processes", "memory", "distributed_benchmark", "siglip2"}
    on_disk = export.generated_files_on_disk()
    assert {name.removesuffix(".py") for name in on_disk if not name.startswith("exercises/")} == modules
    banner = on_disk["embeddings.py"].split("\n\n")[0]  # two notebooks write the module: the banner names both
    assert "notebooks/01_patch_embedding.ipynb" in banner and "notebooks/02_position_embedding.ipynb" in banner
    assert any(name.startswith("exercises/") for name in on_disk)  # the checkers, from notebooks/solutions/
    for module, notebook in [("parity", "11_parity"), ("compare", "11_parity"), ("benchmark", "A2_performance"),
                             ("distributed", "09_scaling_out"), ("processes", "A1_engineering"),
                             ("siglip2", "10_siglip2")]:
        assert on_disk[f"{module}.py"].startswith(f"# GENERATED FILE, DO NOT EDIT: edit notebooks/{notebook}.ipynb and")
    for text in on_disk.values():
        assert text.startswith("# GENERATED FILE, DO NOT EDIT: edit notebooks/")


def test_export_check_detects_a_hand_edit(tmp_path, monkeypatch):
    package = tmp_path / "siglip_lib"
    package.mkdir()
    for name, text in export.render(export.collect()).items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text)
    monkeypatch.setattr(export, "PACKAGE", package)
    assert export.main(["--check"]) == 0
    (package / "encoder.py").write_text((package / "encoder.py").read_text() + "\n# a hand edit\n")
    assert export.main(["--check"]) == 1


def test_nbval_markers_are_exact():
    """nbval honours a comment only when it is exactly a marker: '# NBVAL_IGNORE_OUTPUT (why)' is silently ignored,
    and such a cell would fail on a machine whose output differs. Reasons go on the next line."""
    import json

    from nbval.plugin import comment_markers

    for path in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            for line in source.splitlines():
                if cell["cell_type"] == "code" and line.lstrip().startswith("#") and "NBVAL_" in line:
                    assert line.strip().lstrip("#").strip() in comment_markers, f"{path.name}: {line!r}"


def test_one_version_and_one_description():
    """pyproject.toml reads the version from siglip_lib.__version__; the installed metadata agrees (issue 12)."""
    import importlib.metadata

    import siglip_lib

    assert importlib.metadata.version("siglip-lib") == siglip_lib.__version__
    summary = importlib.metadata.metadata("siglip-lib")["Summary"]
    assert "text tower" in summary and "sigmoid loss" in summary
