"""Information theory for language models: entropy, KL divergence, cross-entropy, perplexity.

Distributions are 1-D numpy arrays of probabilities that sum to 1 (``p`` the true one, ``q``
the model's).  Every quantity takes ``base``: ``"bits"`` (log base 2, the lecture notes' unit)
or ``"nats"`` (natural log, what ``torch.nn.functional.cross_entropy`` returns).  One bit is
ln 2 ≈ 0.693 nats.

    H(p)           = Σ_i p_i log(1 / p_i)                 entropy
    D_KL(p ‖ q)    = Σ_i p_i log(p_i / q_i)               Kullback-Leibler divergence (≥ 0)
    CE(p, q)       = −Σ_i p_i log q_i = H(p) + D_KL(p ‖ q)

Terms with p_i = 0 contribute 0 (the limit of x log x as x → 0).  Because H(p) does not depend
on q, minimising the cross-entropy over q is the same as minimising the KL divergence.

Perplexity.  With L the mean negative log-likelihood per token, PP = 2^L when L is in bits and
PP = e^L when L is in nats: the same number, since e^L = 2^(L / ln 2).
"""

from __future__ import annotations

import numbers

import numpy as np

from rnnbook._validate import check_array, check_choice
from rnnbook.history import perplexity

__all__ = ["entropy", "kl_divergence", "cross_entropy", "perplexity", "nats_to_bits", "BASES"]

BASES = ("bits", "nats")


def _log(x: np.ndarray, base: str) -> np.ndarray:
    return np.log2(x) if base == "bits" else np.log(x)


def _check_dist(name: str, p) -> np.ndarray:
    arr = np.asarray(p)
    if isinstance(p, (str, bytes)) or arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name}: expected a 1-D array of probabilities, got {type(p).__name__} {p!r}"
        )
    p = check_array(name, arr.astype(float), ndim=1)
    if np.any(p < 0) or not np.isclose(p.sum(), 1.0, atol=1e-8):
        raise ValueError(
            f"{name}: expected non-negative probabilities that sum to 1, got sum {p.sum():.6g} "
            f"and minimum {p.min():.6g}"
        )
    return p


def _check_pair(p, q) -> tuple[np.ndarray, np.ndarray]:
    p, q = _check_dist("p", p), _check_dist("q", q)
    if p.shape != q.shape:
        raise ValueError(f"q: expected shape {p.shape} (the shape of p), got {q.shape}")
    return p, q


def entropy(p, base: str = "bits") -> float:
    """H(p) = Σ_i p_i log(1 / p_i): the average surprise of a draw from ``p``."""
    check_choice("base", base, BASES)
    p = _check_dist("p", p)
    nz = p > 0
    return float(-np.sum(p[nz] * _log(p[nz], base)))


def kl_divergence(p, q, base: str = "bits") -> float:
    """D_KL(p ‖ q) = Σ_i p_i log(p_i / q_i); infinite when q_i = 0 where p_i > 0."""
    check_choice("base", base, BASES)
    p, q = _check_pair(p, q)
    nz = p > 0
    if np.any(q[nz] == 0):
        return float("inf")
    return float(np.sum(p[nz] * (_log(p[nz], base) - _log(q[nz], base))))


def cross_entropy(p, q, base: str = "bits") -> float:
    """CE(p, q) = −Σ_i p_i log q_i = H(p) + D_KL(p ‖ q)."""
    check_choice("base", base, BASES)
    p, q = _check_pair(p, q)
    nz = p > 0
    if np.any(q[nz] == 0):
        return float("inf")
    return float(-np.sum(p[nz] * _log(q[nz], base)))


def nats_to_bits(nats: float) -> float:
    """Convert a loss in nats to bits: divide by ln 2."""
    if isinstance(nats, bool) or not isinstance(nats, numbers.Real) or not np.isfinite(nats):
        raise TypeError(f"nats: expected a finite real number, got {type(nats).__name__} {nats!r}")
    return float(nats) / float(np.log(2.0))
