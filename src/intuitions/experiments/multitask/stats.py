"""The two tests behind intuition 1's verdicts: heterogeneity of estimates (Cochran's Q) and
Holm's step-down correction."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

ALPHA = 0.05


def heterogeneity(values: Sequence[float], ses: Sequence[float], dof2: int | None = None) -> tuple[float, int, float]:
    """Cochran's Q of independent estimates around their inverse-variance mean: (Q, df, p),
    p from chi-square(df), or with `dof2` (the units behind each standard error, minus 1)
    from F(df, dof2) on Q / df: standard errors estimated from a few dozen documents make Q
    run about 8% above its chi-square mean (measured in the audit), and F allows for that."""
    from scipy.stats import chi2, f

    v, se = np.asarray(values, float), np.maximum(np.asarray(ses, float), 1e-6)
    w = 1 / se**2
    q = float((w * (v - (w * v).sum() / w.sum()) ** 2).sum())
    df = len(v) - 1
    if df <= 0:
        return q, df, 1.0
    return q, df, float(chi2.sf(q, df) if dof2 is None else f.sf(q / df, df, dof2))


def holm(pvalues: Sequence[float], alpha: float = ALPHA) -> list[bool]:
    order = np.argsort(pvalues)
    out = [False] * len(pvalues)
    for rank, i in enumerate(order):
        if pvalues[i] > alpha / (len(pvalues) - rank):
            break
        out[i] = True
    return out


def _se(e: dict) -> float | None:
    """The standard error behind a saved 95% interval (its width / 3.92), None without one."""
    lo, hi = e.get("ci_low"), e.get("ci_high")
    if lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)):
        return None
    return (hi - lo) / 3.92
