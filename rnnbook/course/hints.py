"""Hints on request: one at a time, and recorded in the notebook for the grader to report.

Each exercise has one to three hints, kept in its notebook's checks module
(``HINTS = {"ex2": ["…", "…"]}``). In the exercise notebook a student asks for the next one::

    checks.hint("ex2")        # hint 1 of 2 for exercise 2; call again for hint 2

Each hint is shown as Markdown, and its output also carries a small record
(``application/vnd.rnnbook.hint+json``: the notebook, the exercise and the hint's number).
Outputs are saved with the notebook, so the grader finds the records in the submission and
reports how many hints each exercise used (:func:`hints_used`). Whether hints cost points is the
instructor's choice (``--hint-penalty``, off by default).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

HINT_MIME = "application/vnd.rnnbook.hint+json"


class Hints:
    """The hints of one notebook's exercises, revealed one at a time."""

    def __init__(self, notebook: str, table: Mapping[str, Sequence[str]]):
        for exercise, hints in table.items():
            if not isinstance(hints, (list, tuple)) or not 1 <= len(hints) <= 3:
                raise ValueError(
                    f"table[{exercise!r}]: expected a list of one to three hints, got {hints!r}"
                )
        self.notebook = notebook
        self.table = {k: list(v) for k, v in table.items()}
        self.shown: dict[str, int] = {}

    def __call__(self, exercise: str, number: int | None = None) -> str:
        """Show the next hint for ``exercise`` (or hint ``number``, once the ones before it are
        shown) and return its text."""
        if exercise not in self.table:
            known = ", ".join(sorted(self.table))
            raise KeyError(f"exercise: no hints for {exercise!r}; this notebook has {known}")
        hints = self.table[exercise]
        seen = self.shown.get(exercise, 0)
        if number is None:
            number = min(seen + 1, len(hints))
        if not isinstance(number, int) or not 1 <= number <= len(hints):
            raise ValueError(f"number: expected 1 to {len(hints)} for {exercise!r}, got {number!r}")
        if number > seen + 1:
            raise ValueError(
                f"number: hints come one at a time; ask for hint {seen + 1} of {exercise!r} first"
            )
        self.shown[exercise] = max(seen, number)
        text = hints[number - 1]
        title = f"Hint {number} of {len(hints)} for {exercise}"
        _display(
            {
                "text/markdown": f"**{title}.** {text}",
                "text/plain": f"{title}. {text}",
                HINT_MIME: {"notebook": self.notebook, "exercise": exercise, "hint": number},
            }
        )
        return text


def _display(bundle: dict) -> None:
    try:
        from IPython.display import display

        display(bundle, raw=True)
    except ImportError:  # plain Python: print the text
        print(bundle["text/plain"])


def hints_used(nb) -> dict[str, int]:
    """Per exercise, how many distinct hints the outputs saved in ``nb`` show were revealed."""
    seen: dict[str, set[int]] = {}
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) or []:
            record = (out.get("data") or {}).get(HINT_MIME) if isinstance(out, dict) else None
            if not isinstance(record, dict):
                continue
            exercise, number = record.get("exercise"), record.get("hint")
            if isinstance(exercise, str) and isinstance(number, int):
                seen.setdefault(exercise, set()).add(number)
    return {k: len(v) for k, v in sorted(seen.items())}
