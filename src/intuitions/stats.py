"""Intervals used throughout: every estimate in a result carries one."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as st


@dataclass(frozen=True)
class Estimate:
    value: float
    ci_low: float
    ci_high: float
    n: int

    def excludes(self, x: float) -> bool:
        return not (self.ci_low <= x <= self.ci_high)


def mean_ci(x, level: float = 0.95) -> Estimate:
    """Mean with a t interval."""
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    m = float(x.mean())
    if n == 1:
        return Estimate(m, float("nan"), float("nan"), 1)
    half = st.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / np.sqrt(n)
    return Estimate(m, m - half, m + half, n)


def proportion_ci(k: int, n: int, level: float = 0.95) -> Estimate:
    """Wilson score interval: sane at 0 and 1, where the normal interval collapses."""
    if n == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    z = st.norm.ppf(0.5 + level / 2)
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return Estimate(p, float(centre - half), float(centre + half), n)


def bootstrap_ci(x, stat=np.mean, n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> Estimate:
    """Percentile bootstrap over items (vectorised: one index matrix, one reduction)."""
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_boot, n))
    boots = stat(x[idx], axis=1)
    lo, hi = np.quantile(boots, [(1 - level) / 2, (1 + level) / 2])
    return Estimate(float(stat(x)), float(lo), float(hi), n)
