"""Regenerate the package `siglip_lib` from the notebooks.

    python tools/export.py            # write siglip_lib/*.py from notebooks/*.ipynb
    python tools/export.py --check    # exit 1 if the files on disk differ from what the notebooks say

The notebooks are the source. A notebook names its module in a code cell holding `#| default_exp NAME`;
a code cell whose first line is `#| export` goes to that module, `#| export NAME` to module NAME.
Cells are written in notebook order (00, 01, ..., then the appendices A1, A2), so two notebooks can build one
module: notebook 01 writes the patch embedding into `siglip_lib/embeddings.py` and notebook 02 adds the position
embedding.
The solutions notebooks, read after the lessons, write the exercise checkers (`siglip_lib/exercises/`:
00_checkers the engine and `__init__.py`, each other one its lesson's checkers).
The markers are nbdev's; README.md says why this file exists instead of nbdev.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
PACKAGE = ROOT / "siglip_lib"
BANNER = "# GENERATED FILE, DO NOT EDIT: edit {sources} and run `python tools/export.py`."
_DIRECTIVE = re.compile(r"^#\|\s*(default_exp|export)\b\s*(\S*)\s*$")


def _cell_source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def collect(notebooks_dir: Path | None = None) -> dict[str, list[tuple[str, str]]]:
    """Map module name -> [(notebook path relative to the repo, cell code without its directive)]."""
    notebooks_dir = notebooks_dir or NOTEBOOKS
    modules: dict[str, list[tuple[str, str]]] = {}
    lessons = sorted(notebooks_dir.glob("[0-9][0-9]_*.ipynb"))
    appendices = sorted(notebooks_dir.glob("A[0-9]_*.ipynb"))
    for nb_path in lessons + appendices + sorted(notebooks_dir.glob("solutions/[0-9][0-9]_*.ipynb")):
        cells = [c for c in json.loads(nb_path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
        rel = nb_path.relative_to(notebooks_dir.parent).as_posix()
        default = None
        for cell in cells:
            for line in _cell_source(cell).splitlines():
                m = _DIRECTIVE.match(line)
                if m and m.group(1) == "default_exp":
                    default = m.group(2)
        for cell in cells:
            lines = _cell_source(cell).splitlines()
            n_directives = next((i for i, line in enumerate(lines) if not line.startswith("#|")), len(lines))
            exports = [m for m in map(_DIRECTIVE.match, lines[:n_directives]) if m and m.group(1) == "export"]
            if not exports:
                continue
            module = exports[0].group(2) or default
            if not module:
                raise SystemExit(f"{rel}: an `#| export` cell but no `#| default_exp` in the notebook")
            modules.setdefault(module, []).append((rel, "\n".join(lines[n_directives:]).strip("\n")))
    return modules


def render(modules: dict[str, list[tuple[str, str]]]) -> dict[str, str]:
    """Map file name in siglip_lib/ -> the text the notebooks say it should hold."""
    files = {}
    for module, cells in modules.items():
        sources = list(dict.fromkeys(nb for nb, _ in cells))
        words = BANNER.format(sources=" and ".join(sources)).replace("python tools", "python\0tools")  # one unit
        banner = textwrap.wrap(words, width=118, break_on_hyphens=False)
        text = "\n# ".join(banner).replace("\0", " ") + "\n\n"  # (a long banner goes on over several comment lines)
        text += "\n\n\n".join(code for _, code in cells) + "\n"
        files[module.replace(".", "/") + ".py"] = text
    return files


def generated_files_on_disk(package: Path | None = None) -> dict[str, str]:
    """Files in siglip_lib/ that carry the banner (hand-written files like __init__.py do not)."""
    package = package or PACKAGE
    out = {}
    for path in sorted(package.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if text.startswith(BANNER.split("{")[0]):
            out[path.relative_to(package).as_posix()] = text
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args(argv)
    wanted = render(collect())
    on_disk = generated_files_on_disk()
    stale = sorted(set(on_disk) - set(wanted))
    changed = sorted(name for name, text in wanted.items() if on_disk.get(name) != text)
    if args.check:
        for name in changed:
            print(f"siglip_lib/{name} differs from the notebooks")
        for name in stale:
            print(f"siglip_lib/{name} is generated but no notebook exports it any more")
        return 1 if changed or stale else 0
    for name in stale:
        (PACKAGE / name).unlink()
        print(f"removed siglip_lib/{name}")
    for name in changed:
        (PACKAGE / name).parent.mkdir(parents=True, exist_ok=True)
        (PACKAGE / name).write_text(wanted[name], encoding="utf-8")
        print(f"wrote siglip_lib/{name}")
    if not changed and not stale:
        print("siglip_lib is up to date with the notebooks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
