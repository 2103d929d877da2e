"""Measure the notebooks against the series' limits on code size (issue 11), and print a table.

    python tools/notebook_stats.py           # the table; exit 1 if a notebook is over a limit

A notebook's code lines are all the lines of all its code cells, blank lines included. Limits:
lessons 01-10: no code cell over 30 lines, median code cell at most 8 lines, at most 250 code lines;
00 overview: at most 120 code lines; 11 parity and 12 attention maps: at most 350 code lines, no cell over 40.
The modules that make up the vision model (embeddings, attention, encoder, vision) together: at most 400 lines.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
VISION_MODULES = ("embeddings", "attention", "encoder", "vision")
VISION_MODULE_LINES = 400


def limits(name: str) -> dict:
    """The limits for a notebook, by its number: max_cell, max_median, max_lines (None: no limit)."""
    number = name[:2]
    if number == "00":
        return {"max_cell": None, "max_median": None, "max_lines": 120}
    if number in ("11", "12"):
        return {"max_cell": 40, "max_median": None, "max_lines": 350}
    if number.isdigit() and 1 <= int(number) <= 10:
        return {"max_cell": 30, "max_median": 8, "max_lines": 250}
    return {"max_cell": None, "max_median": None, "max_lines": None}  # the appendices


def cell_lengths(path: Path) -> list[int]:
    """Lines of each code cell (trailing newlines do not count)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [len("".join(c["source"]).rstrip("\n").split("\n")) for c in cells if c["cell_type"] == "code"]


def measure(path: Path) -> dict:
    n = cell_lengths(path)
    row = {"notebook": path.stem, "cells": len(n), "lines": sum(n), "largest": max(n), "median": statistics.median(n)}
    lim = limits(path.stem)
    row["over"] = [f"{what} {row[key]} > {lim[limit]}" for what, key, limit in
                   [("largest cell", "largest", "max_cell"), ("median cell", "median", "max_median"),
                    ("code lines", "lines", "max_lines")] if lim[limit] is not None and row[key] > lim[limit]]
    return row


def vision_module_lines(package: Path | None = None) -> int:
    package = package or ROOT / "siglip_lib"
    return sum(len((package / f"{m}.py").read_text(encoding="utf-8").splitlines()) for m in VISION_MODULES)


def main() -> int:
    rows = [measure(p) for p in sorted(NOTEBOOKS.glob("*.ipynb"))]
    print(f"{'notebook':24s} {'cells':>5s} {'code lines':>10s} {'largest':>7s} {'median':>6s}  within limits")
    for r in rows:
        print(f"{r['notebook']:24s} {r['cells']:5d} {r['lines']:10d} {r['largest']:7d} {r['median']:6.1f}  "
              f"{'; '.join(r['over']) or 'yes'}")
    lines = vision_module_lines()
    print(f"\nthe vision model's modules ({', '.join(VISION_MODULES)}): {lines} lines (limit {VISION_MODULE_LINES})")
    return 1 if any(r["over"] for r in rows) or lines > VISION_MODULE_LINES else 0


if __name__ == "__main__":
    sys.exit(main())
