"""Instructor-only references for the hidden tests: answers, reference implementations, fresh data.

Nothing here is in the students' copy (``python -m rnnbook.course.release`` leaves this package
out, and a test checks that). The hidden tests of ``solutions/NN_*.ipynb`` import
``rnnbook.course.references.nbNN``: reference implementations the student's answer is compared
with, the answers to the multiple-choice and numeric questions, and inputs drawn afresh each
time the grader runs (:func:`fresh_rng`), so that an answer which hard-codes the visible case
scores nothing.
"""

from __future__ import annotations

import secrets

import numpy as np


def fresh_seed() -> int:
    """A seed from the operating system's entropy: new inputs at every grading."""
    return secrets.randbits(63)


def fresh_rng() -> np.random.Generator:
    """A generator seeded by :func:`fresh_seed` (``rng.bit_generator.seed_seq.entropy`` is the
    seed, should a failure need replaying with ``np.random.default_rng(seed)``)."""
    return np.random.default_rng(fresh_seed())
