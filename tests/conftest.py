"""Fixtures shared by several test files."""

import contextlib

import pytest


@pytest.fixture
def library_gradients_allowed(monkeypatch):
    """Switch off the derive exercises' gradient guard (``checks.own_gradients``).

    For tests that build their right and wrong answers from the library's own gradient routines,
    which the guard refuses inside a student's call (tests/test_own_gradients.py tests that
    refusal): there the checks' messages about each mistake are under test.
    """
    import rnnbook.course.checks as shared_checks

    monkeypatch.setattr(shared_checks, "own_gradients", lambda label="": contextlib.nullcontext())
