"""A rate-based excitatory-inhibitory RNN that obeys Dale's law (notebook 09).

After Song, Yang & Wang (2016), "Training excitatory-inhibitory recurrent neural networks for
cognitive tasks: a simple and flexible framework".  torch shapes follow PyTorch, time first:
``x (T, B, n_x)``, rates ``r (T, B, n_h)``, outputs ``o (T, B, n_y)``.  Weight matrices are
stored as in the course, ``W[i, j]`` = connection *from* neuron j *to* neuron i, so a column
belongs to the presynaptic (sending) neuron.

The model, the Euler discretisation of ``T_c dh/dt = -h + W r + U x + b`` (T_c the time
constant) with ``alpha = dt / T_c``::

    h^(t) = (1 - alpha) h^(t-1) + alpha (W r^(t-1) + U x^(t) + b) + sqrt(2 alpha) sigma xi^(t)   (N1)
    r^(t) = relu(h^(t))                                          (N2: firing rates are >= 0)
    o^(t) = V r_E^(t) + c                                        (N3: read out from E units only)

Dale's law: a neuron is either excitatory (all its outgoing weights >= 0) or inhibitory (all
<= 0).  It is enforced by parametrisation, so that plain gradient descent cannot break it::

    W = |W_raw| D,   D = diag(d),   d_j = +1 for the first n_E units, -1 for the rest   (N4)

Inputs and readout weights are kept non-negative the same way (``U = |U_raw|``,
``V = |V_raw|``): inputs arrive on excitatory fibres, and the readout is a downstream area
that only excitatory neurons project to.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from rnnbook._validate import check_array, check_positive

__all__ = [
    "EIRNN",
    "accuracy_by_strength",
    "choose",
    "dale_signs",
    "dale_weights",
    "decision_batch",
    "train_decision",
]


def _check_n_last(n_last, T: int | None = None) -> int:
    """``n_last`` steps to average: an integer in [1, T]; 0 would mean all steps in numpy slicing."""
    check_positive("n_last", n_last, integer=True)
    if T is not None and n_last > T:
        raise ValueError(
            f"n_last: expected at most T = {T} steps (the trial's length), got {n_last}"
        )
    return n_last


def dale_signs(n_h: int, frac_exc: float = 0.8) -> torch.Tensor:
    """The diagonal d of D in (N4): +1 for the first round(frac_exc n_h) units, -1 after. (n_h,)"""
    check_positive("n_h", n_h, integer=True)
    check_positive("frac_exc", frac_exc)
    if frac_exc >= 1:
        raise ValueError(f"frac_exc: expected a fraction in (0, 1), got {frac_exc!r}")
    n_exc = int(round(frac_exc * n_h))
    if not 0 < n_exc < n_h:
        raise ValueError(
            f"n_h: expected enough units for both populations, got {n_h} units, which with "
            f"frac_exc = {frac_exc} leave {n_exc} excitatory and {n_h - n_exc} inhibitory"
        )
    signs = torch.ones(n_h)
    signs[n_exc:] = -1.0
    return signs


def dale_weights(W_raw, signs):
    """(N4) ``W = |W_raw| D``: column j takes the sign of presynaptic unit j.

    W_raw: (n_h, n_h) tensor or array; signs: (n_h,) of ±1.  Same as ``abs(W_raw) @ diag(signs)``.
    """
    if getattr(W_raw, "ndim", None) != 2 or W_raw.shape[0] != W_raw.shape[1]:
        raise ValueError(
            f"W_raw: expected a square (n_h, n_h) array or tensor, "
            f"got {type(W_raw).__name__} of shape {tuple(getattr(W_raw, 'shape', ()))}"
        )
    if getattr(signs, "ndim", None) != 1:
        raise ValueError(
            f"signs: expected shape (n_h,) = ({W_raw.shape[-1]},), "
            f"got {type(signs).__name__} of shape {tuple(getattr(signs, 'shape', ()))}"
        )
    if W_raw.shape[-1] != signs.shape[0]:
        raise ValueError(
            f"signs: expected shape (n_h,) = ({W_raw.shape[-1]},) to match W_raw's columns, "
            f"got {tuple(signs.shape)}"
        )
    values = set(np.unique(np.asarray(signs)).tolist())
    if not values <= {-1.0, 1.0}:
        raise ValueError(f"signs: expected entries +1 or -1, got values {sorted(values)}")
    return abs(W_raw) * signs


class EIRNN(nn.Module):
    """Rate RNN with n_E = round(frac_exc n_h) excitatory and n_h - n_E inhibitory units.

    ``forward(x)`` takes x (T, B, n_x) and returns (o, r): outputs (T, B, n_y) and firing rates
    (T, B, n_h), units 0..n_E-1 excitatory.  The effective weights are the properties W, U, V.
    """

    def __init__(
        self,
        n_x: int,
        n_h: int,
        n_y: int,
        *,
        frac_exc: float = 0.8,
        alpha: float = 0.2,
        noise_std: float = 0.05,
    ) -> None:
        super().__init__()
        for name, value in (("n_x", n_x), ("n_h", n_h), ("n_y", n_y)):
            check_positive(name, value, integer=True)
        check_positive("alpha", alpha)
        check_positive("noise_std", noise_std, allow_zero=True)
        self.register_buffer("signs", dale_signs(n_h, frac_exc))
        self.n_x, self.n_h, self.n_y = n_x, n_h, n_y
        self.n_exc = int((self.signs > 0).sum())
        self.alpha, self.noise_std = alpha, noise_std
        # Balanced start: inhibitory columns are scaled up by n_E / n_I, so that on average each
        # unit receives as much inhibition as excitation.
        scale = torch.where(self.signs > 0, 1.0, self.n_exc / (n_h - self.n_exc))
        self.W_raw = nn.Parameter(torch.rand(n_h, n_h) * scale * 1.5 / n_h)
        self.U_raw = nn.Parameter(torch.rand(n_h, n_x) / math.sqrt(n_x))
        self.b = nn.Parameter(torch.zeros(n_h))
        self.V_raw = nn.Parameter(torch.rand(n_y, self.n_exc) / math.sqrt(self.n_exc))
        self.c = nn.Parameter(torch.zeros(n_y))

    @property
    def W(self) -> torch.Tensor:
        """Recurrent weights (n_h, n_h) with Dale's sign structure (N4)."""
        return dale_weights(self.W_raw, self.signs)

    @property
    def U(self) -> torch.Tensor:
        """Input weights (n_h, n_x), non-negative."""
        return self.U_raw.abs()

    @property
    def V(self) -> torch.Tensor:
        """Readout weights (n_y, n_E), non-negative, from the excitatory units only."""
        return self.V_raw.abs()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Run (N1)-(N3) from h^(0) = 0.  x (T, B, n_x) -> o (T, B, n_y), r (T, B, n_h).

        ``x`` is a floating tensor; float64 (or any other float) is cast to the model's dtype
        (float32 unless the model was converted with ``.double()``).
        """
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x: expected a torch.Tensor (T, B, n_x), got {type(x).__name__}")
        if not x.is_floating_point():
            raise TypeError(f"x: expected a floating tensor, got dtype {x.dtype}")
        x = x.to(self.W_raw.dtype)
        if x.ndim != 3 or x.shape[2] != self.n_x:
            raise ValueError(
                f"x: expected shape (T, B, n_x) = (?, ?, {self.n_x}), got {tuple(x.shape)}"
            )
        T, B, _ = x.shape
        W, U, V = self.W, self.U, self.V
        h = x.new_zeros(B, self.n_h)
        r = torch.relu(h)
        noise = math.sqrt(2 * self.alpha) * self.noise_std
        rates = []
        for t in range(T):
            drive = r @ W.T + x[t] @ U.T + self.b
            h = (1 - self.alpha) * h + self.alpha * drive
            if noise > 0:
                h = h + noise * torch.randn_like(h)
            r = torch.relu(h)
            rates.append(r)
        r_all = torch.stack(rates)
        o = r_all[:, :, : self.n_exc] @ V.T + self.c
        return o, r_all


def decision_batch(
    batch_size: int,
    T: int = 30,
    *,
    coherences=(0.05, 0.1, 0.2, 0.4, 0.8),
    input_noise: float = 1.0,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of the perceptual decision task: which of two noisy inputs is larger on average?

    Trial k draws a signed coherence ``coh_k = ±c`` (c from ``coherences``, sign at random).
    Its inputs are ``x_1^(t) = (1 + coh_k)/2 + noise``, ``x_2^(t) = (1 - coh_k)/2 + noise``
    (Gaussian, std ``input_noise``), so the answer is the sign of the mean of x_1 - x_2.
    Returns x (T, B, 2) and the signed coherences (B,); the correct choice is sign(coh).
    """
    check_positive("batch_size", batch_size, integer=True)
    check_positive("T", T, integer=True)
    check_positive("input_noise", input_noise, allow_zero=True)
    try:
        levels = torch.as_tensor(coherences, dtype=torch.float32)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"coherences: expected a sequence of numbers in (0, 1], got {coherences!r}"
        ) from err
    if levels.ndim != 1 or len(levels) == 0 or torch.any(levels <= 0) or torch.any(levels > 1):
        raise ValueError(
            f"coherences: expected a non-empty sequence of strengths in (0, 1], got {coherences!r}"
        )
    pick = torch.randint(len(levels), (batch_size,), generator=generator)
    sign = torch.randint(2, (batch_size,), generator=generator) * 2.0 - 1.0
    coh = levels[pick] * sign
    mean = torch.stack([(1 + coh) / 2, (1 - coh) / 2], dim=-1)  # (B, 2)
    noise = input_noise * torch.randn(T, batch_size, 2, generator=generator)
    return mean + noise, coh


def choose(o: torch.Tensor, n_last: int = 5) -> torch.Tensor:
    """The network's choice, +1 or -1, from outputs o (T, B, 2): the larger output, averaged over
    the last ``n_last`` steps (+1 when output 0, "x_1 is larger", wins).  Returns (B,).

    ``n_last`` is an integer in [1, T]: asking for the last 0 steps is an error (it would
    average over all of them).
    """
    if not isinstance(o, torch.Tensor):
        raise TypeError(f"o: expected a torch.Tensor (T, B, 2), got {type(o).__name__}")
    if o.ndim != 3 or o.shape[2] != 2:
        raise ValueError(f"o: expected shape (T, B, 2), got {tuple(o.shape)}")
    _check_n_last(n_last, o.shape[0])
    score = o[-n_last:].mean(dim=0)
    return torch.where(score[:, 0] >= score[:, 1], 1.0, -1.0)


def train_decision(
    model: EIRNN,
    *,
    n_steps: int = 300,
    batch_size: int = 64,
    T: int = 30,
    lr: float = 0.01,
    n_last: int = 5,
    generator: torch.Generator | None = None,
    callback: Callable[[int, float], None] | None = None,
) -> list[float]:
    """Train ``model`` (n_x = 2, n_y = 2) on :func:`decision_batch` with Adam.

    Loss: cross-entropy between the outputs, averaged over the last ``n_last`` steps, and the
    correct choice (class 0 for coh > 0).  Returns the loss of every step; ``callback(step,
    loss)`` is called after each step.
    """
    if not isinstance(model, EIRNN) or model.n_x != 2 or model.n_y != 2:
        got = (
            f"an EIRNN with n_x = {model.n_x}, n_y = {model.n_y}"
            if isinstance(model, EIRNN)
            else type(model).__name__
        )
        raise ValueError(f"model: expected an EIRNN with n_x = 2 and n_y = 2, got {got}")
    check_positive("n_steps", n_steps, integer=True)
    check_positive("batch_size", batch_size, integer=True)
    check_positive("T", T, integer=True)
    check_positive("lr", lr)
    _check_n_last(n_last, T)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for step in range(n_steps):
        x, coh = decision_batch(batch_size, T, generator=generator)
        o, _ = model(x)
        target = (coh < 0).long()
        loss = nn.functional.cross_entropy(o[-n_last:].mean(dim=0), target)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        history.append(loss.item())
        if callback is not None:
            callback(step, history[-1])
    return history


def accuracy_by_strength(choice, coherence) -> tuple[np.ndarray, np.ndarray]:
    """Psychometric accuracy: the fraction of correct choices at each evidence strength.

    choice: (n,) of ±1, as :func:`choose` codes them (choices coded 0/1 are refused: a 0 never
    equals a sign); coherence: (n,) signed, non-zero (the correct choice is its sign).
    Returns (levels, accuracy): the sorted distinct strengths |coherence| and, for each, the
    fraction of trials at that strength where ``choice == sign(coherence)``.
    """
    choice = check_array("choice", np.asarray(choice), ndim=1, dtype_kind="fiu")
    codes = np.unique(choice)
    if not np.all(np.isin(codes, (-1, 1))):
        raise ValueError(
            f"choice: expected choices coded +1 / -1 (as choose() returns them), got values "
            f"{codes[:5].tolist()}; recode 0/1 choices to +1 / -1 first"
        )
    coherence = check_array("coherence", np.asarray(coherence, dtype=float), (choice.shape[0],))
    if np.any(coherence == 0):
        raise ValueError("coherence: expected non-zero values (the correct choice is its sign)")
    strength = np.abs(coherence)
    correct = choice == np.sign(coherence)
    levels = np.unique(strength)
    accuracy = np.array([correct[strength == s].mean() for s in levels])
    return levels, accuracy
