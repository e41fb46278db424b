"""rnnbook: the support library of a course on recurrent neural networks.

Three rooms:

The recurrent core, imported as ``from rnnbook import cells, bptt``:
- ``cells``: Elman, Jordan, LSTM and GRU cells in numpy, forward and backward side by side
- ``bptt``: sequence loss and BPTT (Goodfellow eqs. 10.22-10.28), truncation, gradient clipping
- ``gradcheck``: central finite differences in float64
- ``optim``: numpy optimisers (SGD, Adagrad, Adam) over a parameter dict
- ``torch_cells``: the same cells as ``nn.Module``s, layers, stacks, weight copying to
  ``nn.RNN``/``nn.LSTM``/``nn.GRU``
- ``graph`` / ``cell_diagrams`` / ``drawing``: the RNN's unrolled and folded graphs, the LSTM, GRU,
  deep and bidirectional diagrams, and their matplotlib drawings
- ``data`` / ``text``: the corpora (downloaded once, verified, cached) and the text pipeline
- ``lm`` / ``training`` / ``sampling`` / ``checkpoint`` / ``devices``: the language model, the
  training loop, generation, saving and resuming, where tensors live
- ``history``: the one ``History`` of a training run (both halves) and the one ``perplexity``
- ``fileio``: the one atomic write, shared by corpora and checkpoints
- ``_validate``: the one validation layer (numpy arrays and torch tensors)
- ``plotting`` / ``liveplot``: figures and widgets (the only modules that import matplotlib)

``rnnbook.topics``: one module per lecture topic (Euler's method, expression graphs and reverse
mode, the tagger, long-lag tasks, the gradient cliff, information theory, n-grams, the numpy
language model, unit inspection, throughput, data parallelism, Hopfield networks, the
excitatory-inhibitory network).

``rnnbook.course``: the instructor's machinery (exercise checkers, exercise generation, slides,
the confined grader and its plain-data wire).
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
