"""Every wrong answer of tests/wrong_answers/05_vanishing_gradients.py loses its points with a message naming the
mistake; every correct alternative scores (see tests/answer_harness.py)."""

import pytest
from answer_harness import cases, check_counts, check_right, check_wrong

STEM = "05_vanishing_gradients"


def test_enough_answers():
    check_counts(STEM)


@pytest.mark.parametrize("gid, i", cases(STEM, "wrong"))
def test_wrong_answer_loses_its_points(gid, i):
    check_wrong(STEM, gid, i)


@pytest.mark.parametrize("gid, i", cases(STEM, "right"))
def test_correct_answer_scores(gid, i):
    check_right(STEM, gid, i)
