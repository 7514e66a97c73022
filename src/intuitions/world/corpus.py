"""The mixture: which task each document comes from, and the three document streams
(training, held-out documents, held-out eval items), each from its own seeded generator
so that asking for more eval items never changes the training corpus."""

from __future__ import annotations

import math
from typing import Iterator

import numpy as np

from intuitions.world import arithmetic, composite, facts, grammar, icl, sentiment, spatial, translation
from intuitions.world.core import Doc, Draw, EvalItem
from intuitions.world.lexicon import world

TASKS: tuple[str, ...] = ("grammar", "facts", "sentiment", "translation", "arithmetic", "icl", "spatial",
                          "composite")
MODULES = {"grammar": grammar, "facts": facts, "sentiment": sentiment, "translation": translation,
           "arithmetic": arithmetic, "icl": icl, "spatial": spatial, "composite": composite}
# In-context episodes and arithmetic get the largest shares: they are the skills that need
# many optimizer steps (the design notes' pilot); the rest keep a long tail of shares.
TASK_WEIGHTS = {"arithmetic": 0.30, "icl": 0.25, "facts": 0.15, "grammar": 0.07, "composite": 0.07,
                "sentiment": 0.06, "spatial": 0.05, "translation": 0.05}
_P = np.array([TASK_WEIGHTS[t] for t in TASKS])
_CUM = np.cumsum(_P)
STREAM_TRAIN, STREAM_HELDOUT, STREAM_EVAL = 1, 2, 3


def mixture_entropy() -> float:
    return float(-(_P * np.log(_P)).sum())


def training_docs(seed: int, n: int) -> Iterator[Doc]:
    w = world(seed)
    rng = np.random.default_rng([seed, STREAM_TRAIN])
    for _ in range(n):
        task = TASKS[Draw(rng).weighted(_CUM, _P)]
        yield MODULES[task].doc(w, Draw(rng), False)


def heldout_docs(seed: int = 0, n_per_task: int = 50) -> list[Doc]:
    """Documents built only from held-out item keys (facts: fresh combinations of known
    facts), n per task, in TASKS order. Doc.nats excludes the task choice (-log weight)."""
    w = world(seed)
    out: list[Doc] = []
    for i, task in enumerate(TASKS):
        rng = np.random.default_rng([seed, STREAM_HELDOUT, i])
        out.extend(MODULES[task].doc(w, Draw(rng), True) for _ in range(n_per_task))
    return out


def eval_items(seed: int = 0, n_per_task: int = 100) -> dict[str, list[EvalItem]]:
    w = world(seed)
    out: dict[str, list[EvalItem]] = {}
    for i, task in enumerate(TASKS):
        rng = np.random.default_rng([seed, STREAM_EVAL, i])
        out[task] = [MODULES[task].item(w, Draw(rng), j) for j in range(n_per_task)]
    return out


def task_nats(task: str) -> float:
    """-log of the task's share: what a model pays to learn which task a document is."""
    return -math.log(TASK_WEIGHTS[task])
