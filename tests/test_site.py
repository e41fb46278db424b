"""The course site (Jupyter Book 1.x, book/): it builds offline, every lecture notebook executed
with its figures, no page with an error, the exercises listed and the solutions left out."""

import importlib.util
import json
import re
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LECTURES = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))
# a code cell that draws: it shows a figure or calls one of the course's drawing helpers
DRAWS = re.compile(r"plt\.show\(|\bdrawing\.draw_|\bplotting\.\w+\(")
# a widget's figure lives in the widget, which needs a kernel: the site shows no image for it
MAKES_WIDGET = re.compile(r"widgets\.interact|interactive_output|_widget\(")


def _build_module():
    spec = importlib.util.spec_from_file_location("book_build", ROOT / "book" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    t0 = time.monotonic()
    html = _build_module().build(out)
    print(f"site built in {time.monotonic() - t0:.1f} s")
    return html


def _page(html: Path, rel: str) -> str:
    page = html / rel
    assert page.is_file(), f"no page {rel}"
    return page.read_text()


def test_every_lecture_notebook_has_a_page_with_its_outputs(site):
    for nb in LECTURES:
        text = _page(site, f"notebooks/{nb.stem}.html")
        assert 'class="cell_output' in text, f"{nb.name}: the page shows no output: not executed?"


def test_no_page_shows_an_error(site):
    reports = sorted((site / "reports").glob("**/*.log")) if (site / "reports").exists() else []
    assert not reports, "notebooks failed to execute:\n" + "\n".join(
        f"{r.name}:\n{r.read_text()[-1500:]}" for r in reports
    )
    for page in site.rglob("*.html"):
        text = page.read_text()
        assert "Traceback (most recent call last)" not in text, page
        assert 'class="output traceback' not in text, page


def test_every_page_that_should_have_figures_has_them(site):
    for nb in LECTURES:
        cells = json.loads(nb.read_text())["cells"]
        sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
        drawing = sum(bool(DRAWS.search(s)) and not MAKES_WIDGET.search(s) for s in sources)
        if not drawing:
            continue
        text = _page(site, f"notebooks/{nb.stem}.html")
        images = re.findall(r'<img [^>]*src="([^"]+)"', text)
        figures = [src for src in images if "_images/" in src or src.startswith("data:image")]
        assert len(figures) >= drawing, f"{nb.name}: {drawing} cells draw, {len(figures)} figures"
        for src in figures:
            if not src.startswith("data:"):
                assert (site / "notebooks" / src).resolve().is_file(), f"{nb.name}: {src} missing"


def test_the_index_maps_the_course_and_lists_exercises_not_solutions(site):
    index = _page(site, "book/index.html")
    assert "The course map" in index and "Getting started" in index
    for nb in LECTURES:
        assert f"notebooks/{nb.stem}.html" in index, f"the index does not link {nb.name}"
    assert "notation.html" in index and _page(site, "book/notation.html")
    for ex in EXERCISES:
        assert _page(site, f"exercises/{ex.stem}.html")
        assert f"exercises/{ex.stem}.html" in index, f"the index does not list {ex.name}"
    assert not (site / "solutions").exists(), "the solutions must not be published"
    assert "YOUR CODE HERE" in _page(site, f"exercises/{EXERCISES[0].stem}.html")


def test_the_site_needs_no_network(site):
    """Scripts and styles come from the site itself (MathJax is copied in)."""
    assert (site / "_static" / "mathjax" / "MathJax.js").is_file()
    for page in [site / "book" / "index.html", site / "notebooks" / f"{LECTURES[0].stem}.html"]:
        text = page.read_text()
        remote = re.findall(r"""<(?:script|link)[^>]+(?:src|href)=["'](https?://[^"']+)""", text)
        assert not remote, f"{page.name} loads {remote}"


def test_a_failed_execution_is_built_once_more(tmp_path, monkeypatch):
    """A notebook whose execution failed (a report under reports/) gets one more build."""
    module = _build_module()
    calls = []

    def once(out, extra_args):
        calls.append(out)
        html = Path(out) / "_build" / "html"
        html.mkdir(parents=True, exist_ok=True)
        if len(calls) == 1:  # the first build: one notebook's kernel stopped answering
            (html / "reports").mkdir()
            (html / "reports" / "02_computational_graphs.log").write_text("CellTimeoutError")
        return html

    monkeypatch.setattr(module, "_build_once", once)
    html = module.build(tmp_path)
    assert len(calls) == 2 and not (html / "reports").exists()
    calls.clear()

    def always_fails(out, extra_args):
        calls.append(out)
        html = Path(out) / "_build" / "html"
        (html / "reports").mkdir(parents=True, exist_ok=True)
        (html / "reports" / "06_language_models.log").write_text("NameError")
        return html

    monkeypatch.setattr(module, "_build_once", always_fails)
    html = module.build(tmp_path)  # two builds, then the report stays for the tests to show
    assert len(calls) == 2 and (html / "reports" / "06_language_models.log").exists()
