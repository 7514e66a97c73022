"""Calibration audit of intuition 4's rule (`scaling.beats_baselines`): simulated tables fitted
by the same code the run uses (`run`), then judged by `verdicts`.

- ladder: the quick ladder's shape (five members over 27x non-embedding parameters, 3.3M
  tokens, decay branches at 1/4 and 1/2 of the run on the first and third member), a law with
  the world's floor E = 0.69 and 0.82 nats at the largest member, multiplicative noise 0.2% per
  member (one training run) and 0.2% per point (evaluation). Planted: every run on the law.
  No effect: the largest member merely repeats the previous member's loss (a plateau).
- published: an Epoch-like isoFLOP table (8 budgets × 6 sizes, Chinchilla's fitted law, 1%
  log noise), the top 10% of compute held out. No effect: the held-out runs only match the
  nearest smaller run (no gain from scale)."""

from __future__ import annotations

import numpy as np

from intuitions.experiments.audit import AuditCase
from intuitions.experiments.scaling.core import (
    RULE_ID,
    Points,
    ScalingReport,
    ScalingRequest,
    previous_size,
    run,
    verdicts,
)
from intuitions.fit import powerlaw as pl
from intuitions.results import to_jsonable

# The audit refits thousands of tables: fewer grid starts refined and fewer bootstrap resamples
# than the run's defaults (ladder resamples of 4 members repeat, so 200 covers them all).
LADDER_FIT = pl.FitOptions(refine=8, bootstrap=200)
TABLE_FIT = pl.FitOptions(refine=8, bootstrap=100)

FLOOR = 0.69
LADDER_LAW = {"E": FLOOR, "A": 5.43, "alpha": 0.35, "B": 5.4, "beta": 0.3}
CHINCHILLA = {"E": 1.82, "A": 482.0, "alpha": 0.35, "B": 2085.0, "beta": 0.37}  # Epoch's fit


def _law(n, d, p):
    return p["E"] + p["A"] * np.asarray(n, float) ** -p["alpha"] + p["B"] * np.asarray(d, float) ** -p["beta"]


def ladder_points(rng: np.random.Generator, plateau: bool) -> Points:
    sizes = 9.2e3 * np.array([1, 3.56, 8, 16.3, 27])
    final = 1600 * 16 * 128
    rows = []
    for i, n in enumerate(sizes):
        member_noise = rng.normal(0, 0.002)
        toks = [final / 4, final / 2, final] if i in (0, 2) else [final]
        for d in toks:
            rows.append((f"m{i}", n, d, _law(n, d, LADDER_LAW) * np.exp(member_noise + rng.normal(0, 0.002))))
    mem, n, d, loss = (np.array(c) for c in zip(*rows))
    if plateau:
        big = mem == "m4"
        loss[big] = loss[mem == "m3"][-1] * np.exp(rng.normal(0, 0.002, big.sum()))
    return Points("simulated ladder", n.astype(float), d.astype(float), 6 * n * d, loss.astype(float),
                  tuple(mem), {"params": "non_embedding_params", "tokens": "tokens", "loss": "loss"})


def table_points(rng: np.random.Generator, plateau: bool) -> Points:
    rows = []
    for c in np.geomspace(6e18, 3e21, 8):
        for n in np.geomspace(4e7, 4e9, 12)[::2] * (c / 6e18) ** 0.35:
            d = c / (6 * n)
            rows.append((n, d, _law(n, d, CHINCHILLA) * np.exp(rng.normal(0, 0.01))))
    n, d, loss = (np.array(c, float) for c in zip(*rows))
    pts = Points("simulated published", n, d, 6 * n * d, loss, None, {"params": "N", "tokens": "D", "loss": "L"})
    if plateau:
        k = max(1, int(round(0.1 * len(pts))))
        held = np.zeros(len(pts), bool)
        held[np.argsort(pts.compute, kind="stable")[-k:]] = True
        prev = previous_size(pts.subset(~held), pts.subset(held))
        loss = loss.copy()
        loss[held] = prev * np.exp(rng.normal(0, 0.01, held.sum()))
        pts = Points(pts.source, n, d, pts.compute, loss, None, pts.columns)
    return pts


def _saved(name: str, pts: Points, req: ScalingRequest) -> dict:
    return {"experiment": "scaling", "config": {},
            "result": to_jsonable(ScalingReport({name: run(pts, req)}))}


def _ladder(plateau: bool):
    def sim(rng: np.random.Generator) -> dict:
        req = ScalingRequest("chinchilla", 1, "member", fit=LADDER_FIT, floor=FLOOR, floor_source="known")
        return _saved("ladder", ladder_points(rng, plateau), req)
    return sim


def _table(plateau: bool):
    def sim(rng: np.random.Generator) -> dict:
        req = ScalingRequest("chinchilla", 0, "compute", fit=TABLE_FIT, holdout_frac=0.1)
        return _saved("published", table_points(rng, plateau), req)
    return sim


AUDIT: list[AuditCase] = [
    AuditCase(RULE_ID, 4, "ladder", _ladder(True), _ladder(False), verdicts,
              "quick-ladder shape (5 members, 27x N, branches on 2), floor 0.69, 0.82 at the largest, noise 0.2% "
              "per member + 0.2% per run; null: the largest member repeats the previous member's loss"),
    AuditCase(RULE_ID, 4, "published", _table(True), _table(False), verdicts,
              "Epoch-like isoFLOP table, 48 runs, Chinchilla's law, 1% noise, top 10% of compute held out; "
              "null: the held-out runs only match the nearest smaller run"),
]
