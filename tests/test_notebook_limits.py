"""The lessons stay short enough to read (issue 11): measured by tools/notebook_stats.py, which prints the table."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("notebook_stats", ROOT / "tools" / "notebook_stats.py")
stats = importlib.util.module_from_spec(spec)
spec.loader.exec_module(stats)

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_within_its_limits(path):
    row = stats.measure(path)
    assert not row["over"], f"{path.name}: {'; '.join(row['over'])}"


def test_every_lesson_has_limits():
    numbered = [p.stem for p in NOTEBOOKS if p.stem[:2].isdigit()]
    assert [n[:2] for n in numbered] == [f"{i:02d}" for i in range(13)]  # 00 to 12, one notebook each
    assert all(stats.limits(n)["max_lines"] for n in numbered)


def test_the_vision_model_reads_in_one_sitting():
    assert stats.vision_module_lines() <= stats.VISION_MODULE_LINES


def test_the_measure_counts_every_line(tmp_path):
    """A cell of 31 lines (blank ones included) breaks a lesson's limit; the measure can fail."""
    cell = {"cell_type": "code", "source": "x = 1\n" + "\n" * 29 + "y = 2\n", "metadata": {}, "outputs": []}
    path = tmp_path / "03_example.ipynb"
    path.write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    assert stats.measure(path)["largest"] == 31
    assert stats.measure(path)["over"] == ["largest cell 31 > 30", "median cell 31 > 8"]
