"""Slides for the lecture hall: every lecture notebook carries slide metadata, and exports to a
reveal.js deck that needs no network, with a sensible number of slides and none of them empty."""

import copy
import re
from html.parser import HTMLParser

import nbformat
import pytest

from rnnbook.course import slides

LECTURES = slides.lecture_notebooks()


def _read(path):
    return nbformat.read(path, as_version=4)


@pytest.mark.parametrize("path", LECTURES, ids=[p.stem for p in LECTURES])
def test_every_cell_of_every_lecture_carries_the_slide_metadata(path):
    nb = _read(path)
    for i, cell in enumerate(nb.cells):
        kind = cell.metadata.get("slideshow", {}).get("slide_type")
        assert kind in slides.SLIDE_TYPES, (
            f"{path.name} cell {i}: no slide metadata; run `python -m rnnbook.course.slides --annotate`"
        )
    # the metadata is what the script writes today: annotating again changes nothing
    assert slides.annotate(copy.deepcopy(nb)) == 0, (
        f"{path.name}: slide metadata is stale; run `python -m rnnbook.course.slides --annotate`"
    )


@pytest.mark.parametrize("path", LECTURES, ids=[p.stem for p in LECTURES])
def test_each_lecture_flows_title_ideas_derivations_fragments_exercises(path):
    nb = _read(path)
    kinds = [c.metadata["slideshow"]["slide_type"] for c in nb.cells]
    assert kinds[0] == "slide" and nb.cells[0].source.startswith("# "), "a title slide first"
    for cell, kind in zip(nb.cells, kinds, strict=True):
        if cell.cell_type == "markdown" and cell.source.startswith("## "):
            assert kind == "slide", f"a `## ` heading opens a slide: {cell.source[:60]!r}"
        if cell.cell_type == "markdown" and cell.source.startswith("### "):
            assert kind == "subslide", f"a `### ` heading opens a sub-slide: {cell.source[:60]!r}"
    code_kinds = {k for c, k in zip(nb.cells, kinds, strict=True) if c.cell_type == "code"}
    assert "fragment" in code_kinds, "demonstrations appear as fragments"
    assert code_kinds <= {"fragment", "skip"}
    last_slide = max(i for i, k in enumerate(kinds) if k == "slide")
    pointers = [i for i, c in enumerate(nb.cells) if f"exercises/{path.name}" in c.source]
    assert all(i >= last_slide for i in pointers), "the exercises are pointed to on the last slide"


def test_annotation_is_deterministic_and_leaves_sources_alone():
    nb = _read(LECTURES[0])
    stripped = copy.deepcopy(nb)
    for cell in stripped.cells:
        cell.metadata.pop("slideshow", None)
    before = [c.source for c in stripped.cells]
    assert slides.annotate(stripped) == len(stripped.cells)
    assert [c.source for c in stripped.cells] == before
    assert [c.metadata for c in stripped.cells] == [c.metadata for c in nb.cells]
    assert slides.annotate(stripped) == 0


def test_a_bad_slide_type_is_named():
    nb = _read(LECTURES[0])
    nb.cells[1].metadata["slideshow"] = {"slide_type": "sliide"}
    with pytest.raises(ValueError, match=r"cell 1: slide_type 'sliide' is not one of"):
        slides.slides_of(nb)


class _Sections(HTMLParser):
    """The innermost <section> elements of a reveal.js deck, with the text and images in each."""

    def __init__(self):
        super().__init__()
        self.stack, self.done = [], []

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self.stack.append({"text": "", "img": 0, "children": 0})
        elif self.stack and tag in ("img", "svg"):
            self.stack[-1]["img"] += 1

    def handle_endtag(self, tag):
        if tag == "section" and self.stack:
            s = self.stack.pop()
            if self.stack:
                self.stack[-1]["children"] += 1
            if not s["children"]:
                self.done.append(s)

    def handle_data(self, data):
        if self.stack:
            self.stack[-1]["text"] += data


@pytest.fixture(scope="module")
def deck(tmp_path_factory):
    out = tmp_path_factory.mktemp("slides")
    return out, slides.export(LECTURES, out, execute=False)


def test_export_writes_one_offline_deck_per_lecture(deck):
    out, files = deck
    assert [f.name for f in files] == [f"{p.stem}.slides.html" for p in LECTURES]
    assert (out / "_static" / "reveal.js" / "dist" / "reveal.js").is_file()
    assert (out / "_static" / "mathjax" / "MathJax.js").is_file()
    for f in files:
        html = f.read_text()
        remote = re.findall(r"""(?:src|href)=["'](https?://[^"']+)""", html)
        assert not remote, f"{f.name} loads {remote}: the slides must work without a network"
        assert "_static/reveal.js/dist/reveal.js" in html and "Reveal.initialize" in html
        sheets = re.findall(r'<link href="(_static/[^"]+\.css)"', html)
        assert any("/theme/" in css for css in sheets), f"{f.name}: no reveal.js theme"
        for css in sheets:
            imports = re.findall(r"@import url\(([^)]*)\)", (out / css).read_text())
            assert not [u for u in imports if "//" in u], f"{css} imports {imports} from the web"


@pytest.mark.parametrize("i", range(len(LECTURES)), ids=[p.stem for p in LECTURES])
def test_each_deck_has_a_sensible_number_of_slides_and_none_empty(deck, i):
    _, files = deck
    nb = _read(LECTURES[i])
    parser = _Sections()
    parser.feed(files[i].read_text())
    sections = parser.done
    n_slides = sum(c.metadata["slideshow"]["slide_type"] == "slide" for c in nb.cells)
    assert 4 <= n_slides <= 40, f"{files[i].name}: {n_slides} slides"
    slides.exercises_slide(nb, LECTURES[i])
    assert len(sections) == len(slides.slides_of(nb)), files[i].name
    assert f"exercises/{LECTURES[i].name}" in sections[-1]["text"], (
        "the last slide names the exercises"
    )
    assert len(sections) >= n_slides
    for k, s in enumerate(sections):
        assert s["text"].strip() or s["img"], f"{files[i].name}: slide {k + 1} is empty"
