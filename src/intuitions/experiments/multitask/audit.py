"""Calibration audit of the multitask rules (intuition 1): simulated saved results, one with
no effect and one with a planted effect of realistic size, at the main job's n.

Ladder: 7 world tasks x 40 held-out documents (the quick preset), 5 sizes. A document has
20-100 tokens, a known floor (0.59-1.50 nats per token by task, the world's range, with
document-to-document spread) and an excess over it that shrinks with size; its difficulty
is shared by every size (paired) and each size adds its own noise. The saved document is
built by the experiment's own decompose / learning_table, bootstrap included.
Probes: 8 categories x 40 items (the quick preset's probe_items), chance 0.5."""

from __future__ import annotations

import math

import numpy as np

from intuitions.experiments.audit import AuditCase
from intuitions.experiments.multitask.core import (
    MultitaskResult,
    TaskSums,
    boot_weights,
    decompose,
    learning_table,
    verdicts,
)
from intuitions.results import to_jsonable

TASKS = ("arithmetic", "facts", "grammar", "icl", "sentiment", "spatial", "translation")
FLOORS = (1.50, 0.59, 0.80, 0.95, 0.70, 1.10, 1.25)  # nats per token
SIZES = (9e3, 2.5e4, 6e4, 1.2e5, 2.5e5)  # the quick ladder's non-embedding parameters
DOCS = 40
N_BOOT = 400  # the experiment uses 1000; percentile intervals settle well before
SHARE_NULL = 0.6  # every task loses 60% of its excess from the smallest to the largest member
SHARES_PLANTED = (0.5, 0.55, 0.58, 0.6, 0.62, 0.65, 0.7)  # per task: learned at moderately different rates
DOC_SD, NOISE = 0.3, 0.25  # log-scale document difficulty; per-size noise, nats per sqrt(token)


def _ladder(rng: np.random.Generator, shares) -> dict:
    T, n = len(TASKS), DOCS * len(TASKS)
    task = np.repeat(np.arange(T), DOCS)
    toks = rng.integers(20, 101, size=n)
    floor = toks * np.asarray(FLOORS)[task] * np.exp(rng.normal(0, 0.1, size=n))
    e0 = rng.uniform(0.3, 0.8, size=T)[task]  # excess per token at the smallest member
    hard = np.exp(rng.normal(0, DOC_SD, size=n))
    frac = np.log(np.asarray(SIZES) / SIZES[0]) / math.log(SIZES[-1] / SIZES[0])
    series = []
    for f in frac:
        excess = e0 * (1 - np.asarray(shares)[task]) ** f * hard
        loss = floor + toks * excess + NOISE * np.sqrt(toks) * rng.normal(size=n)
        cell = np.zeros((n, T))
        series.append(TaskSums(TASKS, _put(cell, task, loss), _put(cell, task, toks).astype(np.int64),
                               _put(cell, task, floor)))
    weights = boot_weights(n, N_BOOT, seed=0, strata=task.tolist())
    decs = [decompose(s, weights, f"family:sim/m{i}", "sim", member=f"m{i}", step=1000, final=True,
                      n_params=int(x) + 9600, non_embedding_params=int(x))
            for i, (s, x) in enumerate(zip(series, SIZES))]
    learning = learning_table("size", list(SIZES), series, weights)
    res = MultitaskResult("world", list(TASKS), decs, learning, [], max(d.identity_error for d in decs))
    return {"experiment": "multitask", "config": {}, "result": to_jsonable(res)}


def _put(cell: np.ndarray, task: np.ndarray, values: np.ndarray) -> np.ndarray:
    out = np.zeros_like(cell, dtype=float)
    out[np.arange(len(task)), task] = values
    return out


def ladder_null(rng):
    return _ladder(rng, [SHARE_NULL] * len(TASKS))


def ladder_planted(rng):
    return _ladder(rng, SHARES_PLANTED)


CATEGORIES = ("grammar", "lexical_semantics", "world_knowledge", "sentiment", "translation", "arithmetic",
              "spatial", "factual_recall")
PROBE_N = 40
PLANTED_ACC = (0.85, 0.75, 0.70, 0.80, 0.55, 0.50, 0.55, 0.65)  # a small real model: some skills, unevenly


def _probes(rng: np.random.Generator, accs) -> dict:
    cats = []
    for c, a in zip(CATEGORIES, accs):
        right = rng.random(PROBE_N) < a
        p = float(right.mean())
        half = 1.96 * math.sqrt(max(p * (1 - p), 1e-9) / PROBE_N)
        cats.append({"category": c, "n_items": PROBE_N, "chance": 0.5,
                     "accuracy": {"value": p, "ci_low": p - half, "ci_high": p + half, "n": PROBE_N},
                     "items": [{"right": bool(r)} for r in right]})
    return {"experiment": "multitask", "config": {}, "result": {
        "source": None, "tasks": [], "decompositions": [], "learning": [], "identity_max_error": None,
        "probes": [{"model": "sim-real", "fingerprint": "sim", "seed": 0, "categories": cats}]}}


def probes_null(rng):
    return _probes(rng, [0.5] * len(CATEGORIES))


def probes_planted(rng):
    return _probes(rng, PLANTED_ACC)


AUDIT: list[AuditCase] = [
    AuditCase("multitask.excess_rates", 1, "ladder", ladder_null, ladder_planted, verdicts,
              f"7 tasks x {DOCS} documents, 5 sizes (9e3-2.5e5), floors 0.59-1.50 nats/token; null: every task "
              f"loses {SHARE_NULL:.0%} of its excess from smallest to largest; planted: shares "
              f"{', '.join(f'{x:.2f}' for x in SHARES_PLANTED)} by task"),
    AuditCase("multitask.probes", 1, "real", probes_null, probes_planted, verdicts,
              f"8 categories x {PROBE_N} items, chance 0.5; null: every category at chance; planted: accuracies "
              f"{', '.join(f'{x:.2f}' for x in PLANTED_ACC)}"),
]
