"""Calibration cases for the density rule (see intuitions.experiments.audit).

No effect: every token of a text carries the same information up to ±15% jitter (what a
model that finds every token equally hard would show). Planted: a quarter of the tokens
carry most of it, as the smallest ladder member shows (top-10% share about 0.2). Both:
30 texts of 100 tokens, one ladder subject."""

from __future__ import annotations

import math

import numpy as np

from intuitions.experiments.audit import AuditCase
from intuitions.experiments.density.step import RULE_ID, verdicts
from intuitions.results import to_jsonable
from intuitions.stats import bootstrap_ci

N_TEXTS, N_TOKENS = 30, 100


def _share(s: np.ndarray) -> float:
    k = math.ceil(0.1 * len(s))
    return float(np.sort(s)[::-1][:k].sum() / s.sum())


def _doc(shares: list[float], seed: int) -> dict:
    subject = {"model": "sim", "fingerprint": "sim", "source": "ladder", "n_params": None, "n_texts": len(shares),
               "top10_share": bootstrap_ci(shares, n_boot=400, seed=seed), "shares": shares, "blanks": []}
    return {"experiment": "density", "config": {}, "result": to_jsonable({"subjects": [subject]})}


def null(rng: np.random.Generator) -> dict:
    shares = [_share(2.0 * (1 + rng.uniform(-0.15, 0.15, N_TOKENS))) for _ in range(N_TEXTS)]
    return _doc(shares, int(rng.integers(1 << 30)))


def planted(rng: np.random.Generator) -> dict:
    # gamma with shape 5: per-token surprisal varies by ±45% (sd/mean), a milder spread than any model
    # measured here (the smallest smoke-ladder member: top-10% share 0.21; SmolLM2: 0.29)
    shares = [_share(rng.gamma(5.0, 0.4, N_TOKENS)) for _ in range(N_TEXTS)]
    return _doc(shares, int(rng.integers(1 << 30)))


AUDIT = [AuditCase(RULE_ID, 3, "ladder", null, planted, verdicts,
                   "null: equal information per token (±15% jitter); planted: per-token surprisal gamma-distributed, "
                   "shape 5 (top-10% share ≈ 0.19); 30 texts × 100 tokens")]
