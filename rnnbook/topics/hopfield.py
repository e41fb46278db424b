"""Hopfield networks: Hebbian storage, updates, energy, recall and capacity (notebook 09).

Shapes follow the numpy half of the course: **columns are examples**. ``N`` binary neurons with
states in {-1, +1}; ``P`` stored patterns; ``B`` states updated side by side.

- ``patterns (N, P)``: pattern ``mu`` is the column ``xi^mu = patterns[:, mu]``.
- ``s (N, B)``: ``B`` network states, each a column (a single state may be ``(N,)``).
- ``W (N, N)``: symmetric weights with a zero diagonal.

Equations (Hopfield 1982; Hertz, Krogh & Palmer ch. 2):

- Hebb's rule:  ``W = (1/N) sum_mu xi^mu xi^mu^T``, then ``W_ii = 0``                  (H1)
- local field:  ``h_i = sum_j W_ij s_j``                                                (H2)
- update:       ``s_i <- sign(h_i)``, keeping ``s_i`` when ``h_i = 0``                   (H3)
- energy:       ``E(s) = -1/2 s^T W s``                                                 (H4)
- overlap:      ``m^mu = (1/N) xi^mu . s``  (1 = perfect recall, 0 = unrelated)          (H5)

Asynchronous updates (one neuron at a time) never increase E when W is symmetric with a zero
diagonal, so they always settle in a fixed point; synchronous updates (all neurons at once) may
instead fall into a 2-cycle.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnnbook._validate import check_array, check_choice, check_positive

__all__ = [
    "RecallResult",
    "async_sweep",
    "capacity_curve",
    "corrupt",
    "energy",
    "hebbian_weights",
    "overlap",
    "random_patterns",
    "recall",
    "sync_step",
    "update_neuron",
]


def _as_states(name: str, s, n: int | None = None, match: str = "W") -> tuple[np.ndarray, bool]:
    """Return ``s`` as an (N, B) float array and whether it came in as a vector."""
    arr = check_array(name, s, dtype_kind="fiub")
    if arr.ndim not in (1, 2):
        raise ValueError(f"{name}: expected shape (N,) or (N, B), got {arr.shape}")
    vector = arr.ndim == 1
    arr = arr.reshape(arr.shape[0], -1).astype(float)
    if n is not None and arr.shape[0] != n:
        raise ValueError(
            f"{name}: expected {n} neurons (rows) to match {match}, got shape {s.shape}"
        )
    if not np.all(np.abs(arr) == 1):
        raise ValueError(f"{name}: expected entries in {{-1, +1}}, got values {np.unique(arr)[:5]}")
    return arr, vector


def _check_rng(rng, name: str = "rng") -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{name}: expected a numpy Generator (np.random.default_rng(seed)), "
            f"got {type(rng).__name__}"
        )
    return rng


def _check_weights(W) -> np.ndarray:
    W = check_array("W", W)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"W: expected a square array of shape (N, N), got {W.shape}")
    return W


def random_patterns(n: int, p: int, rng: np.random.Generator) -> np.ndarray:
    """``p`` random patterns of ``n`` neurons, each entry ±1 with probability 1/2: shape (n, p)."""
    check_positive("n", n, integer=True)
    check_positive("p", p, integer=True)
    _check_rng(rng)
    return rng.choice(np.array([-1.0, 1.0]), size=(n, p))


def hebbian_weights(patterns) -> np.ndarray:
    """Hebb's rule (H1): ``W = (1/N) patterns @ patterns.T`` with the diagonal set to zero.

    patterns: (N, P) array of ±1, one pattern per column.  Returns W (N, N), symmetric.
    """
    xi, _ = _as_states("patterns", patterns)
    n = xi.shape[0]
    W = xi @ xi.T / n
    np.fill_diagonal(W, 0.0)
    return W


def energy(W, s) -> np.ndarray | float:
    """Energy (H4) ``E(s) = -1/2 s^T W s`` of each column of ``s``.

    W: (N, N); s: (N, B) or (N,).  Returns (B,), or a float when ``s`` is a vector.
    """
    W = _check_weights(W)
    S, vector = _as_states("s", s, W.shape[0])
    E = -0.5 * np.sum(S * (W @ S), axis=0)
    return float(E[0]) if vector else E


def _update_neuron(W: np.ndarray, S: np.ndarray, i: int) -> int:
    """Update neuron ``i`` of every column in place (H2, H3); return how many flipped."""
    h_i = W[i] @ S
    new = np.where(h_i > 0, 1.0, np.where(h_i < 0, -1.0, S[i]))
    flipped = int(np.count_nonzero(new != S[i]))
    S[i] = new
    return flipped


def update_neuron(W, s, i: int) -> np.ndarray:
    """One asynchronous step: neuron ``i`` alone takes ``sign(h_i)`` (H2, H3), in every column.

    W: (N, N); s: (N, B) or (N,); i: the neuron.  Returns the new states; ``s`` is not changed.
    """
    W = _check_weights(W)
    S, vector = _as_states("s", s, W.shape[0])
    n = W.shape[0]
    if isinstance(i, bool) or not isinstance(i, int | np.integer) or not 0 <= i < n:
        raise ValueError(f"i: expected a neuron index in [0, {n}), got {i!r}")
    _update_neuron(W, S, int(i))
    return S[:, 0] if vector else S


def async_sweep(W, s, order=None, rng: np.random.Generator | None = None) -> np.ndarray:
    """One asynchronous sweep: update each neuron once, one at a time, each seeing the others'
    newest states (H2, H3).

    W: (N, N); s: (N, B) or (N,); order: a permutation of range(N) (default: drawn from ``rng``,
    or 0..N-1 without one).  Returns the new states, same shape as ``s``; ``s`` is not changed.
    """
    W = _check_weights(W)
    S, vector = _as_states("s", s, W.shape[0])
    n = W.shape[0]
    if order is None:
        order = _check_rng(rng).permutation(n) if rng is not None else np.arange(n)
    order = np.asarray(order)
    if order.ndim != 1 or order.dtype.kind not in "iu" or sorted(order.tolist()) != list(range(n)):
        raise ValueError(f"order: expected a permutation of range({n}), got {order[:10]}...")
    for i in order:
        _update_neuron(W, S, int(i))
    return S[:, 0] if vector else S


def sync_step(W, s) -> np.ndarray:
    """One synchronous step: every neuron updates at once from the old states (H2, H3).

    W: (N, N); s: (N, B) or (N,).  Returns the new states, same shape as ``s``.
    """
    W = _check_weights(W)
    S, vector = _as_states("s", s, W.shape[0])
    H = W @ S
    new = np.where(H > 0, 1.0, np.where(H < 0, -1.0, S))
    return new[:, 0] if vector else new


class RecallResult(NamedTuple):
    """What :func:`recall` returns."""

    s: np.ndarray  # final states, same shape as the cue
    energies: np.ndarray  # (n_sweeps + 1, B): energy after each sweep (row 0: the cue)
    converged: bool  # True when the last sweep changed no neuron (a fixed point)


def recall(
    W,
    cue,
    rng: np.random.Generator,
    *,
    mode: str = "async",
    max_sweeps: int = 50,
) -> RecallResult:
    """Run the network from ``cue`` until no neuron changes (or ``max_sweeps`` sweeps).

    W: (N, N); cue: (N, B) or (N,); mode: "async" (random order each sweep) or "sync".
    A sync "sweep" is one synchronous step.  Returns a :class:`RecallResult`.
    """
    W = _check_weights(W)
    S, vector = _as_states("cue", cue, W.shape[0])
    check_choice("mode", mode, ["async", "sync"])
    check_positive("max_sweeps", max_sweeps, integer=True)
    if mode == "async":
        _check_rng(rng)
    energies = [energy(W, S)]
    converged = False
    for _ in range(max_sweeps):
        new = async_sweep(W, S, rng=rng) if mode == "async" else sync_step(W, S)
        changed = bool(np.any(new != S))
        S = new
        energies.append(energy(W, S))
        if not changed:
            converged = True
            break
    return RecallResult(S[:, 0] if vector else S, np.array(energies), converged)


def corrupt(pattern, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Flip a ``fraction`` of the neurons of each column (exactly round(fraction N), chosen at
    random).  pattern: (N, B) or (N,); returns a new array of the same shape."""
    S, vector = _as_states("pattern", pattern)
    check_positive("fraction", fraction, allow_zero=True)
    if fraction > 1:
        raise ValueError(f"fraction: expected a number in [0, 1], got {fraction!r}")
    _check_rng(rng)
    n, b = S.shape
    k = int(round(fraction * n))
    out = S.copy()
    for col in range(b):
        idx = rng.choice(n, size=k, replace=False)
        out[idx, col] *= -1
    return out[:, 0] if vector else out


def overlap(s, patterns) -> np.ndarray:
    """Overlap (H5) ``m = (1/N) patterns^T s``.

    s: (N, B) or (N,); patterns: (N, P) or (N,).  Returns (P, B), squeezed where an input was a
    vector (a float when both are).
    """
    S, s_vec = _as_states("s", s)
    X, x_vec = _as_states("patterns", patterns, S.shape[0], match="s")
    m = X.T @ S / S.shape[0]
    if s_vec and x_vec:
        return float(m[0, 0])
    if s_vec:
        return m[:, 0]
    if x_vec:
        return m[0]
    return m


def capacity_curve(
    n: int,
    loads,
    rng: np.random.Generator,
    *,
    n_trials: int = 3,
    flip_fraction: float = 0.05,
    max_sweeps: int = 30,
) -> np.ndarray:
    """Measured recall quality against the load ``alpha = P / N``.

    For each load, store ``P = round(alpha n)`` random patterns (at least 1), cue the network with
    every stored pattern with ``flip_fraction`` of its bits flipped, run asynchronous recall, and
    record the mean final overlap with the pattern that was cued.  Averaged over ``n_trials``
    fresh sets of patterns.  Returns an array of shape (len(loads),), values in [-1, 1].
    """
    check_positive("n", n, integer=True)
    check_positive("n_trials", n_trials, integer=True)
    check_positive("max_sweeps", max_sweeps, integer=True)
    _check_rng(rng)
    check_positive("flip_fraction", flip_fraction, allow_zero=True)
    if flip_fraction > 1:
        raise ValueError(f"flip_fraction: expected a number in [0, 1], got {flip_fraction!r}")
    if isinstance(loads, (str, bytes)) or np.asarray(loads).dtype.kind not in "iuf":
        raise TypeError(f"loads: expected a 1-D array of positive numbers, got {loads!r}")
    loads = np.asarray(loads, dtype=float)
    if loads.ndim != 1 or np.any(loads <= 0):
        raise ValueError(f"loads: expected a 1-D array of positive numbers, got {loads}")
    quality = np.zeros(len(loads))
    for k, alpha in enumerate(loads):
        p = max(1, int(round(alpha * n)))
        scores = []
        for _ in range(n_trials):
            xi = random_patterns(n, p, rng)
            W = hebbian_weights(xi)
            final = recall(W, corrupt(xi, flip_fraction, rng), rng, max_sweeps=max_sweeps).s
            scores.append(np.mean(np.sum(final * xi, axis=0) / n))
        quality[k] = np.mean(scores)
    return quality
