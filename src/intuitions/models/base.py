"""The narrow waist: every experiment asks a `Scorer` for `TokenScores` and derives its
numbers (sequence loss, label log-likelihood, accuracy, bits per byte) from them.

A scorer scores exactly the token ids it is given. Whether a sequence starts with a BOS
(or other prefix) token is decided once, in `tokenize`, by the scorer's BOS policy, and the
policy is part of its fingerprint, so cached scores never mix policies.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence, runtime_checkable

import numpy as np

Span = tuple[int, int]
TokensDone = Callable[[int], None]  # progress: k more tokens scored


@dataclass(frozen=True)
class TokenScores:
    token_ids: np.ndarray  # int64 [T]
    logprobs: np.ndarray  # float64 [T]; nan where nothing conditions the token (position 0)
    ranks: np.ndarray | None = None  # int64 [T]; 1 = the model's argmax; 0 where unscored
    entropies: np.ndarray | None = None  # float64 [T], nats, of the predictive distribution
    offsets: list[Span] | None = None  # char span of each token in the source text

    def __len__(self) -> int:
        return len(self.token_ids)

    @property
    def surprisal(self) -> np.ndarray:
        """Nats; -logprob."""
        return -self.logprobs

    def total(self, start: int = 0, stop: int | None = None) -> float:
        """Sum of logprobs over [start, stop), ignoring unscored (nan) positions."""
        return float(np.nansum(self.logprobs[start:stop]))

    def mean_loss(self) -> float:
        return float(-np.nanmean(self.logprobs))


@dataclass(frozen=True)
class Encoding:
    ids: list[int]
    offsets: list[Span]  # (0, 0) for tokens the scorer added (BOS)


@runtime_checkable
class Scorer(Protocol):
    """What every backend offers, and all an experiment may ask of a model.

    `n_params` is the model's total parameter count, embeddings included and tied weights
    counted once: what HF's `model.num_parameters()` returns. `None` where the backend cannot
    tell (a remote server).

    `generate` is greedy. A row ends at EOS, after `max_new_tokens`, or once its new text
    contains one of the `stop` strings; the text is returned up to and including the first
    stop string (`cut_at_stop`). A backend that cannot stop natively generates on and cuts
    the text itself, so every backend returns the same text for the same model."""

    name: str
    fingerprint: str  # weights/revision + dtype + tokenizer + BOS policy + window

    @property
    def n_params(self) -> int | None: ...

    @property
    def eos_id(self) -> int | None: ...  # the end-of-text token, for scoring a document's end

    def encode(self, texts: Sequence[str], add_prefix: bool = True) -> list[Encoding]: ...

    def score(self, seqs: Sequence[Sequence[int]], progress: TokensDone | None = None) -> list[TokenScores]: ...

    def generate(self, prompts: Sequence[str], max_new_tokens: int, stop: Sequence[str] = ()) -> list[str]: ...


def cut_at_stop(text: str, stop: Sequence[str]) -> str:
    """`text` up to and including the earliest-ending stop string it contains (all of it if none)."""
    ends = [text.index(s) + len(s) for s in stop if s in text]
    return text[: min(ends)] if ends else text


def tokenize(scorer: Scorer, texts: Sequence[str], add_prefix: bool = True) -> list[list[int]]:
    return [e.ids for e in scorer.encode(texts, add_prefix=add_prefix)]


def report_done(progress: TokensDone | None, seqs: Sequence[Sequence[int]]) -> None:
    """For a backend that scores a request at once: every token but each first, in one call."""
    if progress is not None:
        progress(sum(max(len(s) - 1, 0) for s in seqs))


def score_texts(scorer: Scorer, texts: Sequence[str], progress: TokensDone | None = None) -> list[TokenScores]:
    """Score whole texts, with each token's character span attached. `progress(k)`: k more
    tokens scored (batch by batch where the backend can say so, else at once at the end)."""
    encs = scorer.encode(texts)
    ids = [e.ids for e in encs]
    scores = scorer.score(ids, progress=progress)
    return [dataclasses.replace(s, offsets=e.offsets) for s, e in zip(scores, encs)]


@dataclass(frozen=True)
class ContinuationScore:
    logprob: float  # summed over the continuation's tokens
    n_tokens: int
    n_chars: int

    @property
    def per_token(self) -> float:
        return self.logprob / max(self.n_tokens, 1)


def continuation_ids(
    scorer: Scorer, contexts: Sequence[str], continuations: Sequence[str]
) -> list[tuple[list[int], list[int]]]:
    """Tokenize context and continuation separately so the split point is exact (the
    continuation's tokens are scored whatever the tokenizer would merge across it)."""
    ctx = scorer.encode(list(dict.fromkeys(contexts)))
    ctx_ids = dict(zip(dict.fromkeys(contexts), (e.ids for e in ctx)))
    cont = scorer.encode(list(dict.fromkeys(continuations)), add_prefix=False)
    cont_ids = dict(zip(dict.fromkeys(continuations), (e.ids for e in cont)))
    return [(ctx_ids[c], cont_ids[k]) for c, k in zip(contexts, continuations)]


def score_continuations(
    scorer: Scorer, contexts: Sequence[str], continuations: Sequence[str]
) -> list[ContinuationScore]:
    """log P(continuation | context) for each pair, e.g. a label after a few-shot prompt.

    Uses the scorer's shared-prefix path when it has one (many candidates after one long
    context cost one context pass), else plain `score` on the concatenations."""
    pairs = continuation_ids(scorer, contexts, continuations)
    score_suffixes = getattr(scorer, "score_suffixes", None)
    if score_suffixes is not None:
        sums = score_suffixes(pairs)
    else:
        full = scorer.score([c + k for c, k in pairs])
        sums = [s.total(len(c)) for s, (c, _) in zip(full, pairs)]
    return [
        ContinuationScore(float(s), len(k), len(cont))
        for s, (_, k), cont in zip(sums, pairs, continuations)
    ]
