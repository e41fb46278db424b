"""rnnbook: the support library of a course on recurrent neural networks.

Modules (one topic each):

- ``dynamics``: dynamical systems and Euler's method (notebook 01)
- ``data``: the course's corpora, downloaded once, verified and cached
- ``grading`` / ``exercises``: the exercise pipeline (nbgrader format)
- ``checks``: exercise checkers that say precisely what is wrong
- ``plotting`` / ``drawing``: figures and widgets (the only modules that import matplotlib)
"""

from __future__ import annotations

import os
import random

import numpy as np

__version__ = "0.1.0"


def seed_everything(seed: int = 0) -> np.random.Generator:
    """Seed Python's, numpy's and (when it is imported) torch's generators; return a numpy Generator.

    Notebooks call this first so that two runs on a CPU print the same numbers.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed: expected a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    os.environ.setdefault("PYTHONHASHSEED", str(seed))
    try:
        import torch
    except ImportError:  # the numpy-only parts of the course still work
        return np.random.default_rng(seed)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)
