"""Calibration audit of intuition 5's rule (`emergence.wei_definition`): simulated per-size
tables analysed by the same code the run uses (`analyze`), judged by `verdicts`.

- ladder: the quick ladder's shape (five sizes over 27x parameters), 8 tasks, exact match on
  n = 100 items per task (binomial noise), answer log-prob with stderr 0.1 nats, an overall
  loss row falling smoothly. No effect: every task improves smoothly in log size (from chance
  by up to 0.25) or stays at chance. Planted: one task at 0 for three sizes, then 0.35 and
  0.6, its log-prob jumping with it.
- published: 8 sizes, 10 tasks, accuracy with no stderr and no n (the fixed noise floor
  applies), 0.01 scatter per model. Same null; planted: one task at chance for four sizes,
  then 0.2, 0.4, 0.55, 0.7 above it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from intuitions.experiments.audit import AuditCase
from intuitions.experiments.emergence.core import RULE_ID, analyze, verdicts
from intuitions.experiments.emergence.measures import Options
from intuitions.experiments.emergence.readers import COLUMNS, Loaded
from intuitions.results import to_jsonable


def _frame(rows: list[dict]) -> pd.DataFrame:
    base = {"family": "", "stderr": np.nan, "chance": np.nan, "n": np.nan, "ceiling": np.nan, "preferred": False}
    return pd.DataFrame([{**base, **r} for r in rows])[COLUMNS]  # pyright: ignore[reportReturnType]  # pandas: a list key gives a frame


def _smooth(rng, k: int, chance: float) -> np.ndarray:
    rise = rng.uniform(0, 0.25) if rng.random() < 0.7 else 0.0
    return chance + rise * np.arange(k) / (k - 1)


def ladder_doc(rng: np.random.Generator, planted: bool) -> dict:
    scales = 9.2e3 * np.array([1, 3.56, 8, 16.3, 27])
    n_items, rows = 100, []
    for j in range(8):
        p = _smooth(rng, len(scales), 0.0)
        lp = -4.0 + 1.5 * np.arange(len(scales)) / 4
        if planted and j == 0:
            p = np.array([0.0, 0.0, 0.0, 0.35, 0.6])
            lp = np.log(np.maximum(p, 0.01)) + np.array([0, 0, 0, 0.3, 0.4])
        for i, s in enumerate(scales):
            em = rng.binomial(n_items, min(max(p[i], 0.0), 1.0)) / n_items
            common = {"model": f"m{i}", "scale": s, "task": f"task{j}"}
            rows.append({**common, "metric": "exact_match", "value": em, "chance": 0.0, "n": n_items,
                         "stderr": np.sqrt(em * (1 - em) / n_items)})
            rows.append({**common, "metric": "answer_logprob", "value": lp[i] + rng.normal(0, 0.1), "stderr": 0.1})
    for i, s in enumerate(scales):
        rows.append({"model": f"m{i}", "scale": s, "task": "all", "metric": "loss",
                     "value": 0.69 + 0.3 * (s / scales[0]) ** -0.35 + rng.normal(0, 0.003), "stderr": 0.003})
    a = analyze(Loaded(_frame(rows), "simulated ladder", "ladder", 0, ()), Options())
    return {"experiment": "emergence", "config": {}, "result": to_jsonable(a)}


def published_doc(rng: np.random.Generator, planted: bool) -> dict:
    scales = np.geomspace(1e8, 7e10, 8)
    rows = []
    for j in range(10):
        p = _smooth(rng, len(scales), 0.25)
        if planted and j == 0:
            p = 0.25 + np.array([0, 0, 0, 0, 0.2, 0.4, 0.55, 0.7])
        for i, s in enumerate(scales):
            rows.append({"model": f"m{i}", "scale": s, "task": f"task{j}", "metric": "acc",
                         "value": float(np.clip(p[i] + rng.normal(0, 0.01), 0, 1))})
    a = analyze(Loaded(_frame(rows), "simulated table", "table", 0, ()), Options(chance={"*": 0.25}))
    return {"experiment": "emergence", "config": {}, "result": to_jsonable(a)}


AUDIT: list[AuditCase] = [
    AuditCase(RULE_ID, 5, "ladder", lambda rng: ladder_doc(rng, False), lambda rng: ladder_doc(rng, True), verdicts,
              "quick-ladder shape: 5 sizes, 8 tasks, exact match on 100 items; null: smooth or flat tasks; "
              "planted: one task 0,0,0,0.35,0.6 with its log-prob jumping too"),
    AuditCase(RULE_ID, 5, "published", lambda rng: published_doc(rng, False), lambda rng: published_doc(rng, True),
              verdicts, "8 sizes, 10 tasks, no stderr or n (fixed noise floor), 0.01 scatter; null: smooth or flat; "
              "planted: one task at chance for 4 sizes, then +0.2, +0.4, +0.55, +0.7"),
]
