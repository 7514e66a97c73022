"""Intervals used throughout: every estimate in a result carries one."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as st

Table = dict  # {"title": str, "columns": [str], "rows": [[Any]], optional "intuition": k}


@dataclass(frozen=True)
class Estimate:
    value: float
    ci_low: float
    ci_high: float
    n: int
    method: str = ""  # how the interval was made (t, wilson, bootstrap, ...); "" when unstated

    def excludes(self, x: float) -> bool:
        return not (self.ci_low <= x <= self.ci_high)

    def __str__(self) -> str:
        return est(self)


def num(v: Any) -> str:
    """One number as a reader wants it: 3 significant digits, thousands grouped, and float
    dust (|v| < 1e-12, e.g. 6.94e-18 from a difference of equal sums) shown as 0."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        return str(v)
    x = float(v)
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if abs(x) < 1e-12:
        return "0"
    if 1e4 <= abs(x) < 1e15:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def est(e: Any, scale: float = 1.0) -> str:
    """The one formatter of an estimate: `value [low, high]` (an Estimate, or its saved dict);
    plain numbers as `num` shows them. `scale=100` shows a proportion in percent."""
    if isinstance(e, Estimate):
        e = {"value": e.value, "ci_low": e.ci_low, "ci_high": e.ci_high}
    if isinstance(e, dict) and "value" in e:
        v, lo, hi = e.get("value"), e.get("ci_low", e.get("low")), e.get("ci_high", e.get("high"))
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return "—"
        if lo is None or hi is None or (isinstance(lo, float) and math.isnan(lo)):
            return num(scale * v)
        return f"{num(scale * v)} [{num(scale * lo)}, {num(scale * hi)}]"
    if isinstance(e, (int, float)) and not isinstance(e, bool):
        return num(scale * e)
    return num(e)


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
    lo, hi = _wilson(k / n, n, level)
    return Estimate(k / n, lo, hi, n)


def _wilson(p: float, n: float, level: float) -> tuple[float, float]:
    z = st.norm.ppf(0.5 + level / 2)
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return float(centre - half), float(centre + half)


def _clusters(x, clusters) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(observations, per-cluster sums, per-cluster counts)."""
    x = np.asarray(x, float)
    _, inv = np.unique(np.asarray(clusters), return_inverse=True)
    return x, np.bincount(inv, x), np.bincount(inv).astype(float)


def clustered_proportion_ci(credit, clusters, level: float = 0.95) -> Estimate:
    """Wilson interval for a mean credit whose observations come in correlated clusters (the
    same test item under several seeds is one item, not several): n shrinks to the effective
    n = n / design effect, the design effect being the cluster-robust variance of the mean
    over its independent-observations variance (at least 1: clustering never adds
    information). With no variance to compare, every cluster counts once. One observation
    per cluster is plain Wilson."""
    x, S, m = _clusters(credit, clusters)
    n, G = len(x), len(S)
    if n == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    p = float(x.mean())
    if G == n:
        lo, hi = _wilson(p, n, level)
        return Estimate(p, lo, hi, n)
    v_iid = x.var() / n
    v_cluster = G / (G - 1) * float(((S - p * m) ** 2).sum()) / n**2 if G > 1 else 0.0
    n_eff = n / max(1.0, v_cluster / v_iid) if v_iid > 0 and v_cluster > 0 else float(G)
    lo, hi = _wilson(p, n_eff, level)
    return Estimate(p, lo, hi, n)


def cluster_bootstrap_ci(x, clusters, n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> Estimate:
    """Percentile bootstrap of a mean that resamples whole clusters (an item with all its
    seeds), so correlated observations are not counted as independent evidence."""
    x, S, m = _clusters(x, clusters)
    if len(x) == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    idx = np.random.default_rng(seed).integers(0, len(S), size=(n_boot, len(S)))
    return _percentile(float(x.mean()), S[idx].sum(1) / m[idx].sum(1), len(x), level)


def bootstrap_ci(x, stat=np.mean, n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> Estimate:
    """Percentile bootstrap over items (vectorised: one index matrix, one reduction)."""
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_boot, n))
    return _percentile(float(stat(x)), stat(x[idx], axis=1), n, level)


def _percentile(point: float, boots: np.ndarray, n: int, level: float) -> Estimate:
    lo, hi = np.quantile(boots, [(1 - level) / 2, (1 + level) / 2])
    return Estimate(point, float(lo), float(hi), n)
