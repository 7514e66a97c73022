"""What one in-context prompt is: its template, its condition (which labels the
demonstrations show), the prompt itself, and the design of a run (k-shot sweep, flip shares,
seeds, items). Shared by the labelled-set prompts (core) and the world's episodes (world)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from intuitions.errors import UserError

DEFAULT_TEMPLATE = "Input: {x}\nOutput: {label}"
DEFAULT_SEP = "\n\n"
CONTENT_FREE = "N/A"


# -- prompts ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Template:
    """`text` holds {x} once and ends with {label}; the query is the text up to the label,
    and the label is scored with whatever whitespace stood before {label}."""
    text: str = DEFAULT_TEMPLATE
    sep: str = DEFAULT_SEP

    def __post_init__(self):
        if self.text.count("{label}") != 1 or not self.text.endswith("{label}"):
            raise UserError("the template must end with {label} and hold it once")
        if self.text.count("{x}") != 1 or self.text.index("{x}") > self.text.index("{label}"):
            raise UserError("the template must hold {x} once, before {label}")

    @property
    def _head(self) -> str:
        return self.text[: -len("{label}")]

    def query(self, x: str) -> str:
        return self._head.rstrip(" ").replace("{x}", x)  # replace, not format: x may hold braces

    def label(self, word: str) -> str:
        head = self._head
        return head[len(head.rstrip(" ")):] + word

    def demo(self, x: str, word: str) -> str:
        return self.query(x) + self.label(word)


@dataclass(frozen=True)
class Condition:
    kind: str  # prior | zero-shot | gold | random | flip | unrelated
    k: int  # demonstrations per class
    flip_pct: int | None = None

    @property
    def key(self) -> str:
        if self.kind == "flip":
            return f"flip {self.flip_pct}%"
        return f"{self.kind} k={self.k}" if self.kind in ("gold", "random", "unrelated") else self.kind


@dataclass(frozen=True)
class Prompt:
    seed: int
    item: int
    condition: str
    context: str  # demonstrations + query, ending where the label starts
    cf_context: str  # the same with the content-free input as query
    candidates: tuple[str, ...]  # label words offered, in label_names order
    answer: int  # index of the true label


@dataclass(frozen=True)
class Design:
    k_sweep: tuple[int, ...] = (0, 1, 2, 4)
    flips: tuple[int, ...] = (0, 25, 50, 75, 100)
    seeds: tuple[int, ...] = (0, 1, 2)
    n: int = 100  # test items per seed
    template: Template = field(default_factory=Template)

    def __post_init__(self):
        if not self.k_sweep or min(self.k_sweep) < 0 or max(self.k_sweep) == 0:
            raise UserError("--k needs non-negative values and at least one above 0")
        if not self.flips or not all(0 <= p <= 100 for p in self.flips):
            raise UserError("--flip values must be percentages between 0 and 100")
        if not self.seeds or self.n <= 0:
            raise UserError("--seeds and --n must be positive")

    @property
    def k_main(self) -> int:
        return max(self.k_sweep)

    def conditions(self) -> list[Condition]:
        k = self.k_main
        out = [Condition("prior", 0), Condition("zero-shot", 0)]
        out += [Condition("gold", kk) for kk in sorted(set(self.k_sweep)) if kk > 0]
        out += [Condition("random", k)] + [Condition("flip", k, p) for p in self.flips]
        return out + [Condition("unrelated", k)]


def n_flipped(pct: int, n: int) -> int:
    """Demonstrations flipped at pct%: round(pct*n/100), halves rounded up."""
    return int(math.floor(pct * n / 100 + 0.5))


def flip_labels(labels: Sequence[str], names: Sequence[str], pct: int, rng: np.random.Generator) -> list[str]:
    """Exactly n_flipped(pct, n) labels replaced by the next class (a cyclic derangement, so
    every flipped label is wrong and a binary task swaps)."""
    nxt = {a: names[(i + 1) % len(names)] for i, a in enumerate(names)}
    out = list(labels)
    for i in rng.choice(len(out), size=n_flipped(pct, len(out)), replace=False):
        out[i] = nxt[out[i]]
    return out
