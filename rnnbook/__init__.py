"""rnnbook: the support library of a course on recurrent neural networks.

Modules (one topic each):

Recurrent core (numpy, hand-written backward; never imports torch):
- ``cells``: Elman, Jordan, LSTM and GRU cells, output layer, softmax cross-entropy, embedding
- ``bptt``: sequence loss and BPTT (Goodfellow eqs. 10.22-10.28), truncation, gradient clipping
- ``gradcheck``: central finite differences in float64

PyTorch and graphs:
- ``torch_cells``: the same cells as ``nn.Module``s, layers, stacks, weight copying to ``nn.RNN``/``nn.LSTM``/``nn.GRU``
- ``graph`` / ``drawing``: computational graphs, unrolled and folded, and their drawings

Language models:
- ``data``: the course's corpora, downloaded once, verified and cached
- ``text``: tokens, vocabularies, one-hot, batching, the d2l Time Machine split
- ``lm`` / ``training`` / ``sampling`` / ``checkpoint`` / ``devices`` / ``ngram`` / ``liveplot``

Topics of single notebooks: ``dynamics`` (01), ``tagging`` (03), ``tasks`` and ``cliff`` (05),
``info`` and ``np_lm`` (06), ``inspect_units`` (07), ``ddp`` and ``throughput`` (08),
``hopfield`` and ``neuro`` (09).

Course machinery:
- ``exercises`` / ``grading``: the exercise pipeline (nbgrader format) and the grader
- ``checks``: exercise checkers that say precisely what is wrong
- ``plotting``: general figures and widgets
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
