"""Calibration cases for the chain-of-thought rule (see intuitions.experiments.audit).

The quick ladder's design: 100 problems at each of 2 and 3 steps (200 multi-step problems)
for the largest member. No effect: direct answers and chains of thought are each right 30%
of the time, independently. Planted: direct 20%, chain of thought 35% (15 points)."""

from __future__ import annotations

import numpy as np

from intuitions.experiments.audit import AuditCase
from intuitions.experiments.cot.core import RULE_ID, verdicts

N_PER_STEP, STEPS = 100, (2, 3)


def _doc(rng: np.random.Generator, p_direct: float, p_cot: float) -> dict:
    items = [{"steps": s, "correct": {"direct": bool(rng.random() < p_direct), "cot": bool(rng.random() < p_cot),
                                      "partial": bool(rng.random() < p_direct),
                                      "filler": bool(rng.random() < p_direct)}}
             for s in STEPS for _ in range(N_PER_STEP)]
    run = {"model": "family:sim/L3", "kind": "ladder", "n_params": 1, "items": items}
    return {"experiment": "cot", "config": {}, "result": {"runs": [run]}}


AUDIT = [AuditCase(RULE_ID, 3, "ladder", lambda rng: _doc(rng, 0.3, 0.3), lambda rng: _doc(rng, 0.2, 0.35), verdicts,
                   "null: direct and chain of thought both 30% right; planted: 20% vs 35%; 200 problems of 2-3 steps")]
