"""environment.yml (conda) carries the same pins as pyproject.toml (pip)."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"pytorch": "torch"}  # conda-forge name -> PyPI name


def _pip_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs += extra
    pins = {}
    for req in reqs:
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([0-9][A-Za-z0-9.]*)", req.strip())
        assert m, f"pyproject.toml: {req!r} is not pinned exactly (name==version)"
        pins[m[1].lower()] = m[2]
    return pins


def _conda_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict) or dep in ("pip",) or dep.startswith("python="):
            continue
        name, _, version = dep.partition("=")
        pins[CONDA_NAMES.get(name, name).lower()] = version
    return pins


def test_conda_and_pip_pins_agree():
    assert _conda_pins() == _pip_pins()


def test_torch_is_pinned_to_the_cpu_installable_release():
    assert _pip_pins()["torch"] == "2.13.0"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make lab" in readme
    assert re.search(r"^make test$", ci, re.M), ".ci/run must call the README's `make test`"
