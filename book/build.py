"""Build the course site: every lecture notebook executed, the index, the exercises, the notation.

    python book/build.py            # from the repository root; or `make site`

The site lands in book/_build/html (open book/_build/html/index.html). It builds offline: Jupyter
Book 1.x with its theme from installed packages, and MathJax copied from the
jupyter-server-mathjax package into the site, so pages show their equations without a network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

BOOK = Path(__file__).resolve().parent
ROOT = BOOK.parent
HTML = BOOK / "_build" / "html"
# a whole build takes 2 to 4 minutes on an idle 2-core machine and took 23 minutes under heavy
# load; past this it is stopped and built again
BUILD_TIMEOUT_S = 2400


def copy_mathjax() -> None:
    try:
        import jupyter_server_mathjax
    except ImportError as exc:
        raise SystemExit("the site needs jupyter-server-mathjax: pip install -e '.[site]'") from exc
    dest = BOOK / "_static" / "mathjax"
    if not (dest / "MathJax.js").exists():
        shutil.copytree(Path(jupyter_server_mathjax.__file__).parent / "static", dest)


def build(out: Path = BOOK, extra_args: list[str] | None = None, attempts: int = 2) -> Path:
    """Build the site under `out` (book/ by default); returns the folder of its HTML.

    Raises CalledProcessError when Jupyter Book fails. A notebook whose execution fails (an
    error, or a cell past the configured timeout) leaves a log under the HTML's `reports/`; the
    build then runs once more from scratch, since a kernel can, rarely, stop answering its client
    (seen once in CI: a notebook that runs in 4 s waited 10 minutes with its kernel idle). A
    notebook that fails again stays reported, and the site's tests show its log.
    """
    for attempt in range(1, attempts + 1):
        try:
            html = _build_once(out, extra_args)
        except subprocess.TimeoutExpired:
            if attempt == attempts:
                raise
            print(f"site build {attempt}: no end after {BUILD_TIMEOUT_S} s; building again")
            shutil.rmtree(Path(out) / "_build", ignore_errors=True)
            continue
        reports = sorted((html / "reports").glob("**/*.log")) if (html / "reports").exists() else []
        if not reports or attempt == attempts:
            return html
        names = ", ".join(r.stem for r in reports)
        print(f"site build {attempt}: execution failed in {names}; building again", flush=True)
        shutil.rmtree(Path(out) / "_build", ignore_errors=True)
    return html


def _build_once(out: Path, extra_args: list[str] | None) -> Path:
    copy_mathjax()
    jb = shutil.which("jupyter-book", path=str(Path(sys.executable).parent)) or "jupyter-book"
    cmd = [
        jb,
        "build",
        str(ROOT),
        "--config",
        str(BOOK / "_config.yml"),
        "--toc",
        str(BOOK / "_toc.yml"),
        "--path-output",
        str(out),
        *(extra_args or []),
    ]
    # the kernels draw inline, as JupyterLab's do: a headless MPLBACKEND=Agg (as in CI) would
    # leave every figure of a notebook without `%matplotlib inline` off the site
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    subprocess.run(cmd, cwd=ROOT, check=True, env=env, timeout=BUILD_TIMEOUT_S)
    return Path(out) / "_build" / "html"


def main() -> int:
    t0 = time.monotonic()
    html = build(extra_args=sys.argv[1:])
    print(f"site built in {time.monotonic() - t0:.1f} s: {html / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
