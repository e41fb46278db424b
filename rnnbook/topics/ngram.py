"""Count-based n-gram language models: the baseline a recurrent model has to beat.

An n-gram model predicts token w^(t) from the previous n - 1 tokens only, its context h:
P(w | h) is estimated from counts c(h, w) in a training corpus.  Raw relative frequencies
c(h, w) / c(h) give probability 0 to every pair not seen in training (and so infinite
perplexity), so the counts are smoothed:

* **add-k** (Laplace for k = 1): ``P(w | h) = (c(h, w) + k) / (c(h) + k |V|)``.
* **interpolated Kneser-Ney** with discount d in (0, 1]:
  ``P(w | h) = max(c(h, w) - d, 0) / c(h)  +  d N(h) / c(h) * P(w | h')``
  where h' drops the oldest token of h and N(h) is the number of distinct tokens seen after h.
  Below the top order, c is replaced by the continuation count: the number of distinct tokens
  seen just before ``h' w``, which asks "how many contexts does w complete?" rather than "how
  often does w occur?".  The recursion ends in the uniform distribution 1 / |V|.  A context
  never seen (c(h) = 0) hands its whole mass to the lower order.

The vocabulary V is the set of training tokens plus ``<unk>``; tokens outside it are read as
``<unk>``.  The start of a text is padded with n - 1 copies of ``<s>``, which can appear in a
context but is never predicted.  For every context, the probabilities over V sum to 1.
"""

from __future__ import annotations

import collections
import math
from collections.abc import Sequence

import numpy as np

from rnnbook._validate import check_choice, check_positive
from rnnbook.text import UNK

__all__ = ["BOS", "NGramLM"]

BOS = "<s>"


class NGramLM:
    """Unigram (n=1), bigram (n=2) or trigram (n=3) model with add-k or Kneser-Ney smoothing.

    ``fit(tokens)`` counts; ``prob(token, context)`` is P(token | last n - 1 tokens of context);
    ``probs(context)`` the whole distribution over ``self.vocab``; ``perplexity(tokens)``
    exp of the mean negative log-probability per token.
    """

    def __init__(
        self, n: int = 2, smoothing: str = "add_k", k: float = 1.0, discount: float = 0.75
    ):
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"n: expected the integer 1, 2 or 3, got {type(n).__name__} {n!r}")
        check_choice("n", n, (1, 2, 3))
        check_choice("smoothing", smoothing, ("add_k", "kneser_ney"))
        check_positive("k", k)
        check_positive("discount", discount)
        if discount > 1:
            raise ValueError(f"discount: expected a number in (0, 1], got {discount!r}")
        self.n, self.smoothing, self.k, self.discount = n, smoothing, float(k), float(discount)
        self.vocab: list[str] = []
        self._index: dict[str, int] = {}

    # ------------------------------------------------------------------ counting

    @property
    def kind(self) -> str:
        """``"char"`` when every token seen in ``fit`` is one character, else ``"word"``."""
        return "char" if all(len(t) == 1 for t in self.vocab if t != UNK) else "word"

    def _tokens(self, name: str, tokens) -> list[str]:
        """A list of str tokens; a str is split by :attr:`kind` (characters or words)."""
        if isinstance(tokens, str):
            if tokens in self._index:
                return [tokens]
            return list(tokens) if self.kind == "char" else tokens.split()
        tokens = list(tokens)
        for position, token in enumerate(tokens):
            if not isinstance(token, str):
                raise TypeError(
                    f"{name}: expected str tokens, got {type(token).__name__} {token!r} "
                    f"at position {position}"
                )
        return tokens

    def fit(self, tokens: Sequence[str]) -> NGramLM:
        """Count the m-grams (m = 1 .. n) of ``tokens`` (str tokens; a str is read as its
        characters); return ``self``."""
        if isinstance(tokens, str):
            tokens = list(tokens)
        tokens = self._tokens("tokens", tokens)
        if not tokens:
            raise ValueError("tokens: expected a non-empty sequence of tokens, got none")
        if BOS in tokens:
            raise ValueError(f"tokens: {BOS!r} is reserved for the start padding")
        self.vocab = sorted(set(tokens) - {UNK}) + [UNK]
        self._index = {t: i for i, t in enumerate(self.vocab)}
        n = self.n
        padded = [BOS] * (n - 1) + tokens
        # counts[m][g]: how often the m-gram g ends at a real token of the corpus
        self.counts = {m: collections.Counter() for m in range(1, n + 1)}
        for i in range(n - 1, len(padded)):
            for m in range(1, n + 1):
                self.counts[m][tuple(padded[i - m + 1 : i + 1])] += 1
        # continuation counts for the lower orders: distinct tokens seen just before g
        self.cont = {m: collections.Counter() for m in range(1, n)}
        for m in range(1, n):
            for gram in self.counts[m + 1]:
                self.cont[m][gram[1:]] += 1
        # per table and context h: total count after h and number of distinct followers
        self._totals = {}
        for name, table in [("raw", self.counts), ("cont", self.cont)]:
            for m, counter in table.items():
                total, types = collections.Counter(), collections.Counter()
                for gram, c in counter.items():
                    total[gram[:-1]] += c
                    types[gram[:-1]] += 1
                self._totals[name, m] = (total, types)
        return self

    def _check_fitted(self):
        if not self._index:
            raise RuntimeError("NGramLM: call fit(tokens) before asking for probabilities")

    def _context(self, context) -> tuple:
        context = self._tokens("context", context)
        context = [t if t in self._index or t == BOS else UNK for t in context]
        context = [BOS] * (self.n - 1) + context
        return tuple(context[len(context) - (self.n - 1) :]) if self.n > 1 else ()

    # ------------------------------------------------------------------ probabilities

    def prob(self, token: str, context: Sequence[str] = ()) -> float:
        """P(token | context): the last n - 1 tokens of ``context`` count (padded with <s>).

        ``token`` is one str; ``context`` a list of str tokens, or a str split by :attr:`kind`
        (``"th"`` is two characters in a character model, never one unknown token).
        """
        self._check_fitted()
        if not isinstance(token, str):
            raise TypeError(f"token: expected a str, got {type(token).__name__} {token!r}")
        token = token if token in self._index else UNK
        h = self._context(context)
        if self.smoothing == "add_k":
            total, _ = self._totals["raw", self.n]
            c = self.counts[self.n][h + (token,)]
            return (c + self.k) / (total[h] + self.k * len(self.vocab))
        return self._kneser_ney(token, h, top=True)

    def _kneser_ney(self, w: str, h: tuple, top: bool) -> float:
        m = len(h) + 1
        name = "raw" if top else "cont"
        counter = self.counts[m] if top else self.cont[m]
        total, types = self._totals[name, m]
        lower = self._kneser_ney(w, h[1:], top=False) if m > 1 else 1.0 / len(self.vocab)
        if total[h] == 0:
            return lower  # unseen context: all of its mass goes to the shorter context
        d = self.discount
        return max(counter[h + (w,)] - d, 0.0) / total[h] + d * types[h] / total[h] * lower

    def probs(self, context: Sequence[str] = ()) -> np.ndarray:
        """P(w | context) for every w in ``self.vocab``, as an array that sums to 1."""
        self._check_fitted()
        return np.array([self.prob(w, context) for w in self.vocab])

    def perplexity(self, tokens: Sequence[str], context: Sequence[str] = ()) -> float:
        """exp(-(1/T) sum_t log P(w^(t) | previous n - 1 tokens)), the text padded with <s>.

        ``tokens``: a list of str tokens, or a str split by :attr:`kind`.  ``context``: tokens
        that come before ``tokens`` and condition the first predictions without being scored
        (so that a model that reads the first token and predicts the rest is compared on the
        same targets).
        """
        self._check_fitted()
        tokens = self._tokens("tokens", tokens)
        if not tokens:
            raise ValueError("tokens: expected a non-empty sequence of tokens, got none")
        k = self.n - 1  # tokens of context that count
        history = ([BOS] * k + self._tokens("context", context))[-k:] if k else []
        nll = 0.0
        for t, w in enumerate(tokens):
            window = (history + tokens[max(0, t - k) : t])[-k:] if k else []
            nll -= math.log(self.prob(w, window))
        return math.exp(nll / len(tokens))
