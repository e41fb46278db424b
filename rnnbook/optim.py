"""Optimisers for the numpy half: SGD, Adagrad and Adam, one interface, no torch.

They work as ``torch.optim`` does: an optimiser is built on a dict of parameter arrays and
``step(grads)`` updates those arrays **in place**, with ``grads`` a dict of the same keys and
shapes (what ``rnnbook.bptt.sequence_loss_and_grads`` returns)::

    theta = {**cell.init_params(rng), **cells.init_output_params(n_h, n_y, rng)}
    opt = optim.Adam(theta, lr=1e-2)
    for xs, ys in batches:
        result = bptt.sequence_loss_and_grads(cell, theta, xs, ys, state0)
        opt.step(result.grads)

With θ one parameter, g = ∇θ L its gradient at step k = 1, 2, … and η the learning rate:

* **SGD**:      θ ← θ − η g
* **Adagrad**:  G ← G + g²,  θ ← θ − η g / (√G + ε)  (Duchi et al., 2011): every element gets
  its own step, which shrinks as its squared gradients pile up
* **Adam**:     m ← β₁ m + (1 − β₁) g,  v ← β₂ v + (1 − β₂) g²,
  m̂ = m / (1 − β₁ᵏ),  v̂ = v / (1 − β₂ᵏ),  θ ← θ − η m̂ / (√v̂ + ε)  (Kingma & Ba, 2015):
  running means of the gradient and of its square, corrected for their start at zero

All products and squares are element-wise.  A gradient with a NaN or an infinity, a missing or
extra key, or a shape that differs from its parameter raises before any array is changed.
"""

from __future__ import annotations

import numbers

import numpy as np

from rnnbook._validate import check_array, check_positive

__all__ = ["Optimizer", "SGD", "Adagrad", "Adam"]


class Optimizer:
    """What the three share: the parameters they update, the learning rate and the checks."""

    def __init__(self, params: dict, lr: float):
        if not isinstance(params, dict):
            raise TypeError(
                f"params: expected a dict of parameter arrays (name -> array), "
                f"got {type(params).__name__}"
            )
        if not params:
            raise ValueError("params: expected a non-empty dict of parameter arrays, got {}")
        for k, p in params.items():
            check_array(f"params['{k}']", p)
            if not p.flags.writeable:
                raise ValueError(f"params['{k}']: expected a writeable array (updated in place)")
        self.params = params
        self.lr = check_positive("lr", lr)
        self.steps = 0  # k, the number of steps taken

    def _check_grads(self, grads: dict) -> None:
        if not isinstance(grads, dict):
            raise TypeError(f"grads: expected a dict of arrays, got {type(grads).__name__}")
        if set(grads) != set(self.params):
            raise ValueError(
                f"grads: expected the keys of the parameters {sorted(self.params)}, "
                f"got {sorted(grads)}"
            )
        for k, g in grads.items():
            g = check_array(f"grads['{k}']", g, self.params[k].shape, allow_nan=True)
            if not np.all(np.isfinite(g)):
                bad = tuple(np.argwhere(~np.isfinite(g))[0].tolist())
                raise ValueError(
                    f"grads['{k}']: expected finite gradients, got {g[bad]} at index {bad}; "
                    f"no parameter was changed"
                )

    def step(self, grads: dict) -> None:
        """Update every parameter in place from its gradient ``grads[name]``."""
        self._check_grads(grads)
        self.steps += 1
        for k, p in self.params.items():
            p -= self._update(k, grads[k])

    def _update(self, key: str, g: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr}, {len(self.params)} parameters)"


def _check_beta(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a number in [0, 1), got {type(value).__name__}")
    if not 0 <= value < 1:
        raise ValueError(f"{name}: expected a number in [0, 1), got {value!r}")
    return float(value)


class SGD(Optimizer):
    """Stochastic gradient descent: θ ← θ − η g."""

    def __init__(self, params: dict, lr: float = 0.1):
        super().__init__(params, lr)

    def _update(self, key, g):
        return self.lr * g


class Adagrad(Optimizer):
    """Adagrad: G ← G + g²,  θ ← θ − η g / (√G + ε); each element's step shrinks over time."""

    def __init__(self, params: dict, lr: float = 0.1, eps: float = 1e-8):
        super().__init__(params, lr)
        self.eps = check_positive("eps", eps)
        self.G = {k: np.zeros_like(p) for k, p in params.items()}  # running sum of g²

    def _update(self, key, g):
        self.G[key] += g**2
        return self.lr * g / (np.sqrt(self.G[key]) + self.eps)


class Adam(Optimizer):
    """Adam: bias-corrected running means of g (m) and of g² (v); θ ← θ − η m̂ / (√v̂ + ε).

    m ← β₁ m + (1 − β₁) g,  v ← β₂ v + (1 − β₂) g²,  m̂ = m / (1 − β₁ᵏ),  v̂ = v / (1 − β₂ᵏ)
    at step k.  The defaults β₁ = 0.9, β₂ = 0.999, ε = 1e-8 are the paper's and PyTorch's.
    """

    def __init__(
        self,
        params: dict,
        lr: float = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ):
        super().__init__(params, lr)
        self.beta1 = _check_beta("beta1", beta1)
        self.beta2 = _check_beta("beta2", beta2)
        self.eps = check_positive("eps", eps)
        self.m = {k: np.zeros_like(p) for k, p in params.items()}  # running mean of g
        self.v = {k: np.zeros_like(p) for k, p in params.items()}  # running mean of g²

    def _update(self, key, g):
        b1, b2, k = self.beta1, self.beta2, self.steps
        self.m[key] = b1 * self.m[key] + (1 - b1) * g
        self.v[key] = b2 * self.v[key] + (1 - b2) * g**2
        m_hat = self.m[key] / (1 - b1**k)
        v_hat = self.v[key] / (1 - b2**k)
        return self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
