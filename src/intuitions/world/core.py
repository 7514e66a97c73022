"""Shared pieces of the world: the public record types, a random source that keeps score
of how improbable its own choices were, and the held-out split.

Why `Draw` counts nats: every generator is a known program, so the probability of the
text it writes is the product of the probabilities of its choices (each format is built
so different choices give different text). Summing -log p over the choices gives the
generator's own -log P(doc); its average over documents is the entropy, the loss floor
no model can beat. A rejected attempt (see `sample_split`) must not count, hence `fork`.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Callable, Sequence, TypeVar

import numpy as np

T = TypeVar("T")

HELDOUT_SHARE = 10  # one item key in ten belongs to held-out evaluation only


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    task: str


@dataclass(frozen=True)
class Doc:
    text: str
    task: str
    spans: tuple[Span, ...]
    nats: float = 0.0  # the generator's -log P(text): its contribution to the entropy floor


@dataclass(frozen=True)
class EvalItem:
    task: str
    prompt: str
    answer: str  # exact continuation of prompt, leading space included
    choices: tuple[str, ...] | None  # answer plus wrong alternatives, or None
    meta: dict = field(default_factory=dict, hash=False)
    # meta["stop"]: the text that always follows the answer in training ("" if nothing
    # fixed does); greedy exact match means the model writes answer + stop.


class Draw:
    """A seeded numpy Generator that adds -log p of every choice to `nats`."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.nats = 0.0

    def fork(self) -> "Draw":
        return Draw(self.rng)

    def pick(self, options: Sequence[T]) -> T:
        n = len(options)
        self.nats += math.log(n)
        return options[int(self.rng.integers(n))]

    def integer(self, lo: int, hi: int) -> int:
        """Uniform on lo..hi inclusive."""
        self.nats += math.log(hi - lo + 1)
        return int(self.rng.integers(lo, hi + 1))

    def coin(self, p: float) -> bool:
        yes = bool(self.rng.random() < p)
        self.nats -= math.log(p if yes else 1.0 - p)
        return yes

    def weighted(self, cum: np.ndarray, probs: np.ndarray) -> int:
        """Index drawn with probabilities `probs` (cum = their cumulative sum)."""
        i = min(int(np.searchsorted(cum, self.rng.random(), side="right")), len(probs) - 1)
        self.nats -= math.log(probs[i])
        return i

    def ordered_subset(self, options: Sequence[T], k: int) -> list[T]:
        """k distinct options in drawn order (the order shows in the text, so it counts)."""
        pool, out = list(options), []
        for _ in range(k):
            out.append(pool.pop(self.pick(range(len(pool)))))
        return out


def is_heldout(task: str, key: str) -> bool:
    h = int(hashlib.sha256(f"{task}|{key}".encode()).hexdigest()[:12], 16)
    return h % HELDOUT_SHARE == 0


def sample_split(draw: Draw, task: str, make: Callable[[Draw], tuple[str, T]], heldout: bool) -> T:
    """Draw items until one falls on the wanted side of the split; only the accepted
    attempt's nats count. The floor refers to the unrestricted generator: a model that
    generalises has no way to know which one-in-ten keys were held out."""
    while True:
        sub = draw.fork()
        key, item = make(sub)
        if is_heldout(task, key) == heldout:
            draw.nats += sub.nats
            return item


class DocBuilder:
    """Joins item texts with a separator and remembers each item's span."""

    def __init__(self, task: str, sep: str):
        self.task, self.sep = task, sep
        self.parts: list[str] = []
        self.spans: list[Span] = []
        self.length = 0

    def add(self, text: str) -> None:
        if self.parts:
            self.parts.append(self.sep)
            self.length += len(self.sep)
        self.spans.append(Span(self.length, self.length + len(text), self.task))
        self.parts.append(text)
        self.length += len(text)

    def doc(self, nats: float) -> Doc:
        return Doc("".join(self.parts), self.task, tuple(self.spans), nats)
