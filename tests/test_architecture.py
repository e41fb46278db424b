"""The library's layout keeps its promises: the README's architecture tables match the code,
the numpy half never imports torch, no module reaches into another's private names, and what
the notebooks print for students is public."""

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "rnnbook"
README = (ROOT / "README.md").read_text(encoding="utf-8")

# Modules of the numpy half: they must run where torch is not installed.
NUMPY_HALF = [
    "cells",
    "bptt",
    "gradcheck",
    "optim",
    "history",
    "text",
    "data",
    "_validate",
    "fileio",
]


def modules():
    """Every module file of the package, as (dotted name, path)."""
    for path in sorted(PACKAGE.rglob("*.py")):
        dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        yield dotted, path


def readme_rows():
    """The rows of the README's architecture tables: path -> stated line count."""
    section = README.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(rnnbook/[\w/]+\.py)` \| (\d+) \|", section, flags=re.M)
    return {path: int(lines) for path, lines in rows}


def test_readme_lists_every_module_with_an_honest_line_count():
    rows = readme_rows()
    assert rows, "README.md: no architecture table rows found under '## Architecture'"
    listed = set(rows)
    on_disk = {  # the checkers and references (one module per notebook) are described as groups
        path.relative_to(ROOT).as_posix()
        for _, path in modules()
        if not (path.name == "__init__.py" and path.parent != PACKAGE)
        and "checks" not in path.parts
        and "references" not in path.parts
    }
    assert on_disk - listed == set(), f"modules missing from the README: {on_disk - listed}"
    assert listed - on_disk == set(), f"README rows without a module: {listed - on_disk}"
    for path, stated in rows.items():
        actual = sum(1 for _ in open(ROOT / path, encoding="utf-8"))
        assert abs(actual - stated) <= max(30, 0.2 * actual), (
            f"{path}: the README says {stated} lines, the file has {actual}"
        )


@pytest.mark.parametrize("name", NUMPY_HALF)
def test_the_numpy_half_never_imports_torch(name):
    path = PACKAGE / f"{name}.py"
    if not path.exists():
        pytest.fail(f"{path} is listed as part of the numpy half but does not exist")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = set()
    for node in _module_level(tree.body):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
            if node.module.startswith("rnnbook"):
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}".split(".")[1]
                    assert sub in NUMPY_HALF or sub in {"topics", "course"}, (
                        f"rnnbook.{name} imports rnnbook.{sub}, which is not numpy-only"
                    )
    assert "torch" not in imported, f"rnnbook.{name} imports torch"
    assert "matplotlib" not in imported, f"rnnbook.{name} imports matplotlib"


def _module_level(body):
    """The statements run on import: the module's own, and those inside top-level if/try blocks
    (an import inside a function runs only when that function is called)."""
    for node in body:
        yield node
        for field in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(node, field, None)
            if isinstance(node, ast.If | ast.Try | ast.ExceptHandler) and inner:
                yield from _module_level(inner)


def _private_uses(tree: ast.AST) -> list[str]:
    """Private names of other rnnbook modules that ``tree`` imports or reaches into."""
    found, module_aliases = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rnnbook"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"from {node.module} import {alias.name}")
                else:
                    module_aliases.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("rnnbook"):
                    module_aliases.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in module_aliases:
                found.append(ast.unparse(node))
    return found


@pytest.mark.parametrize("dotted,path", list(modules()), ids=[d for d, _ in modules()])
def test_no_module_imports_another_modules_private_names(dotted, path):
    uses = _private_uses(ast.parse(path.read_text(encoding="utf-8")))
    assert uses == [], f"{dotted} uses private names of other modules: {uses}"


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_what_a_notebook_prints_for_students_is_public(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    shown = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        shown += re.findall(r"(?:getsource|show_source)\(([^()]*(?:\([^()]*\))?[^()]*)\)", source)
    private = [s for s in shown if re.search(r"(^|\.)_[a-zA-Z]", s)]
    assert private == [], f"{path.name} prints private functions: {private}"
