"""Slides for the lecture hall: slide metadata for the lecture notebooks, and a reveal.js export.

``python -m rnnbook.course.slides --annotate`` writes each lecture notebook's slide metadata
(``cell.metadata.slideshow.slide_type``), derived from the cells alone, so running it again after
any edit gives the same result for the same sources and changes nothing else in the files:

- the opening title cell (``# ...``) is the title slide;
- a ``## `` heading opens a new slide: one idea per slide;
- a ``### `` heading, or a markdown cell with a displayed equation (``$$``), opens a sub-slide:
  derivations go downwards, under the idea they belong to;
- a code cell is a fragment: the demonstration, and the check that follows it, appear one at a
  time under the text that announces them;
- the closing cell that points to the exercises is a slide of its own (the export adds one that
  names ``exercises/NN_topic.ipynb`` to a lecture whose text does not).

In JupyterLab (``make lab``), the RISE extension (``jupyterlab-rise``) presents the open notebook
with these slides (View > Render as slideshow, or Alt+R). ``python -m rnnbook.course.slides
--export`` writes one reveal.js HTML file per lecture into ``slides/`` with reveal.js and MathJax
copied next to them from installed packages (``sphinx-revealjs``, ``jupyter-server-mathjax``),
so the slides work without a network.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
SLIDES_DIR = ROOT / "slides"
SLIDE_TYPES = ("slide", "subslide", "fragment", "-", "skip", "notes")
_TEMPLATE_DIR = Path(__file__).with_name("slides_template")


def lecture_notebooks(folder: Path = NOTEBOOKS) -> list[Path]:
    """The lecture notebooks, in course order."""
    found = sorted(Path(folder).glob("*.ipynb"))
    if not found:
        raise FileNotFoundError(f"no lecture notebooks (*.ipynb) in {folder}")
    return found


def slide_type(cell, index: int, in_preamble: bool = False) -> str:
    """The slide type of one cell, from its kind, its source and its position alone.

    `in_preamble`: the cell comes before the first ``## `` heading (the set-up code there, imports
    and seeds, runs but is not shown).
    """
    src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
    src = src.lstrip()
    if cell["cell_type"] == "code":
        return "skip" if in_preamble else "fragment"
    if index == 0 or src.startswith("# ") or src.startswith("## "):
        return "slide"
    if re.search(r"\bexercises/\S*\.ipynb|^#+\s*Exercises\b", src, re.M) and index > 0:
        return "slide"
    if src.startswith("###") or "$$" in src:
        return "subslide"
    return "-"


def annotate(nb) -> int:
    """Write the slide type of every cell of `nb` in place; returns how many cells changed."""
    changed = 0
    in_preamble = True
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and "".join(cell.source).lstrip().startswith("## "):
            in_preamble = False
        want = {"slide_type": slide_type(cell, i, in_preamble)}
        if cell.metadata.get("slideshow") != want:
            cell.metadata["slideshow"] = want
            changed += 1
    return changed


def slides_of(nb) -> list[list[int]]:
    """The cells of each slide and sub-slide, as lists of cell indices (skipped cells left out)."""
    slides: list[list[int]] = []
    for i, cell in enumerate(nb.cells):
        kind = cell.metadata.get("slideshow", {}).get("slide_type", "-")
        if kind not in SLIDE_TYPES:
            raise ValueError(f"cell {i}: slide_type {kind!r} is not one of {SLIDE_TYPES}")
        if kind == "skip":
            continue
        if kind in ("slide", "subslide") or not slides:
            slides.append([])
        slides[-1].append(i)
    return slides


def annotate_all(folder: Path = NOTEBOOKS) -> dict[str, int]:
    """Annotate every lecture notebook in `folder`; a file is rewritten only if a cell changed."""
    report = {}
    for path in lecture_notebooks(folder):
        nb = nbformat.read(path, as_version=4)
        changed = annotate(nb)
        if changed:
            nbformat.write(nb, path)
        report[path.name] = changed
    return report


def _static_assets(out: Path) -> None:
    """Copy reveal.js and MathJax from their packages next to the slides (no network needed)."""
    try:
        import jupyter_server_mathjax
        import sphinx_revealjs
    except ImportError as exc:
        raise SystemExit(
            f"the slide export needs {exc.name}: pip install -e '.[site]' (or '.[test]')"
        ) from exc
    reveal = Path(sphinx_revealjs.__file__).parent / "_static" / "revealjs"
    mathjax = Path(jupyter_server_mathjax.__file__).parent / "static"
    for src, name in ((reveal, "reveal.js"), (mathjax, "mathjax")):
        dest = out / "_static" / name
        if not dest.exists():
            shutil.copytree(src, dest)


def exercises_slide(nb, path: Path):
    """Append a closing slide that points to the lecture's exercise notebook, if none does.

    Only the exported copy gets it; the lecture file is not touched.
    """
    exercise = Path(path).parent.parent / "exercises" / Path(path).name
    named = f"exercises/{Path(path).name}"
    if not exercise.exists() or any(named in "".join(c.source) for c in nb.cells):
        return False
    cell = nbformat.v4.new_markdown_cell(
        f"## Exercises\n\nThe exercises for this lecture are in `{named}`: open it in JupyterLab, "
        "fill in each cell marked `# YOUR CODE HERE` and run the check below it."
    )
    cell.metadata["slideshow"] = {"slide_type": "slide"}
    nb.cells.append(cell)
    return True


def export(
    notebooks: list[Path] | None = None, out: Path = SLIDES_DIR, execute: bool = True
) -> list[Path]:
    """Write `NN_topic.slides.html` for each notebook into `out`; returns the files written.

    With `execute`, each notebook runs first in a fresh kernel (from its own folder), so the
    slides show the figures and printed results.
    """
    from nbconvert import SlidesExporter
    from nbconvert.preprocessors import ExecutePreprocessor

    notebooks = lecture_notebooks() if notebooks is None else [Path(p) for p in notebooks]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _static_assets(out)
    exporter = SlidesExporter(
        extra_template_basedirs=[str(_TEMPLATE_DIR.parent)],
        template_name=_TEMPLATE_DIR.name,
        reveal_url_prefix="_static/reveal.js",
        reveal_theme="white",  # its fonts ship with reveal.js ("simple" fetches Google's)
    )
    written = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        annotate(nb)  # the slides follow the rules even if the file was edited since
        exercises_slide(nb, path)
        if execute:
            # the kernel draws inline, as JupyterLab's does, even where MPLBACKEND=Agg is set
            backend = os.environ.pop("MPLBACKEND", None)
            try:
                ExecutePreprocessor(timeout=1200, kernel_name="python3").preprocess(
                    nb, {"metadata": {"path": str(Path(path).parent)}}
                )
            finally:
                if backend is not None:
                    os.environ["MPLBACKEND"] = backend
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
        target = out / f"{path.stem}.slides.html"
        tmp = target.with_suffix(".tmp")
        tmp.write_text(body, encoding="utf-8")
        tmp.replace(target)
        written.append(target)
    return written


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m rnnbook.course.slides", description=__doc__.split("\n\n")[0]
    )
    ap.add_argument("--annotate", action="store_true", help="write slide metadata into notebooks/")
    ap.add_argument("--export", action="store_true", help="write reveal.js slides into --out")
    ap.add_argument("--out", type=Path, default=SLIDES_DIR, help="folder for the slides (slides/)")
    ap.add_argument(
        "--no-execute", action="store_true", help="export without running the notebooks"
    )
    ap.add_argument("notebooks", nargs="*", type=Path, help="notebooks to export (default: all)")
    args = ap.parse_args(argv)
    if not (args.annotate or args.export):
        ap.error("say --annotate, --export or both")
    if args.annotate:
        for name, changed in annotate_all().items():
            print(f"{name}: {changed} cells' slide metadata written")
    if args.export:
        t0 = time.monotonic()
        files = export(args.notebooks or None, args.out, execute=not args.no_execute)
        for f in files:
            print(f)
        print(f"{len(files)} slide decks in {time.monotonic() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
