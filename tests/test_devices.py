"""Tests of rnnbook.devices: choosing a device and mixed precision."""

import pytest
import torch

from rnnbook.devices import autocast, pick_device


def test_default_is_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.delenv("RNNBOOK_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else None
    if expected is None:
        mps = getattr(torch.backends, "mps", None)
        expected = "mps" if mps is not None and mps.is_available() else "cpu"
    assert pick_device().type == expected
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert pick_device() == torch.device("cpu")


def test_override_argument_and_environment_variable(monkeypatch):
    monkeypatch.setenv("RNNBOOK_DEVICE", "cpu")
    assert pick_device() == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("RNNBOOK_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match=r"RNNBOOK_DEVICE: requested 'cuda', but torch.cuda"):
        pick_device()
    assert pick_device("cpu") == torch.device("cpu")  # the argument wins over the variable
    with pytest.raises(RuntimeError, match=r"override: requested 'cuda:0'"):
        pick_device("cuda:0")
    with pytest.raises(ValueError, match=r"override: expected a device .* got 'gpu'"):
        pick_device("gpu")


def test_mps_unavailable_is_an_error(monkeypatch):
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="MPS is not available"):
        pick_device("mps")


def test_autocast_is_a_no_op_on_cpu_unless_asked():
    a, b = torch.randn(4, 4), torch.randn(4, 4)
    with autocast("cpu"):
        assert (a @ b).dtype == torch.float32
    with autocast("cpu", enabled=True):
        assert (a @ b).dtype == torch.bfloat16
    with autocast("cuda", enabled=False):
        assert (a @ b).dtype == torch.float32
