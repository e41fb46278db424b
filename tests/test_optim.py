"""The numpy optimisers (rnnbook.optim): their update equations, their state and their checks."""

import numpy as np
import pytest

from rnnbook import optim

OPTIMIZERS = {"sgd": optim.SGD, "adagrad": optim.Adagrad, "adam": optim.Adam}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimisers_update_in_place_leave_grads_alone_and_descend(name):
    start = np.array([3.0, -2.0])
    params = {"w": start.copy()}
    w = params["w"]
    opt = OPTIMIZERS[name](params, lr=0.1)
    for _ in range(50):
        grads = {"w": 2 * params["w"]}  # gradient of |w|²
        keep = grads["w"].copy()
        opt.step(grads)
        assert np.array_equal(grads["w"], keep)  # the gradient is not modified
    assert params["w"] is w  # updated in place, as torch.optim does
    assert np.linalg.norm(params["w"]) < np.linalg.norm(start), name
    assert opt.steps == 50


def test_adam_first_step_is_plus_or_minus_lr():
    params = {"w": np.zeros(2)}
    optim.Adam(params, lr=0.1).step({"w": np.array([1e-3, -5.0])})
    assert np.allclose(params["w"], [-0.1, 0.1], atol=1e-4)  # bias-corrected first step is ±lr


def test_each_update_is_its_documented_equation():
    rng = np.random.default_rng(0)
    p0, g1, g2 = rng.normal(size=(3, 4))
    lr, eps, b1, b2 = 0.05, 1e-8, 0.9, 0.999
    sgd = {"p": p0.copy()}
    optim.SGD(sgd, lr=lr).step({"p": g1})
    assert np.allclose(sgd["p"], p0 - lr * g1)
    ada = {"p": p0.copy()}
    opt = optim.Adagrad(ada, lr=lr, eps=eps)
    opt.step({"p": g1})
    opt.step({"p": g2})
    G = g1**2 + g2**2
    expect = p0 - lr * g1 / (np.sqrt(g1**2) + eps) - lr * g2 / (np.sqrt(G) + eps)
    assert np.allclose(ada["p"], expect)
    adam = {"p": p0.copy()}
    opt = optim.Adam(adam, lr=lr, beta1=b1, beta2=b2, eps=eps)
    p, m, v = p0.copy(), 0.0, 0.0
    for k, g in enumerate((g1, g2), start=1):
        opt.step({"p": g})
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g**2
        p = p - lr * (m / (1 - b1**k)) / (np.sqrt(v / (1 - b2**k)) + eps)
    assert np.allclose(adam["p"], p)


def test_a_refused_step_changes_no_parameter():
    params = {"a": np.ones(2), "b": np.ones(3)}
    opt = optim.Adam(params, lr=0.1)
    with pytest.raises(ValueError, match=r"grads\['b'\]: expected finite gradients, got nan"):
        opt.step({"a": np.ones(2), "b": np.array([0.0, np.nan, 1.0])})
    assert np.array_equal(params["a"], np.ones(2)) and opt.steps == 0
