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


def copy_mathjax() -> None:
    try:
        import jupyter_server_mathjax
    except ImportError as exc:
        raise SystemExit("the site needs jupyter-server-mathjax: pip install -e '.[site]'") from exc
    dest = BOOK / "_static" / "mathjax"
    if not (dest / "MathJax.js").exists():
        shutil.copytree(Path(jupyter_server_mathjax.__file__).parent / "static", dest)


def build(out: Path = BOOK, extra_args: list[str] | None = None) -> Path:
    """Build the site under `out` (book/ by default); returns the folder of its HTML.

    Raises CalledProcessError when Jupyter Book fails (a notebook that raises fails the build).
    """
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
    subprocess.run(cmd, cwd=ROOT, check=True, env=env)
    return Path(out) / "_build" / "html"


def main() -> int:
    t0 = time.monotonic()
    html = build(extra_args=sys.argv[1:])
    print(f"site built in {time.monotonic() - t0:.1f} s: {html / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
