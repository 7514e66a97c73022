"""Reading the saved result by source and size, for the verdicts: models grouped by source and
data set (never mixing the ladder with real models), smallest first, and the trend of an
estimate over log10 parameters."""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from intuitions.stats import Estimate


def _est(d: dict | None) -> Estimate | None:
    return None if d is None else Estimate(d["value"], d["ci_low"], d["ci_high"], d["n"])


def _by_size(saved: dict) -> list[dict]:
    models = saved["result"]["models"]
    return sorted(models, key=lambda m: m["n_params"] if m["n_params"] is not None else -1)


def source_of(model: dict) -> str:
    """ladder for the run's own trained family (family:<ladder>/<member>), real otherwise."""
    return "ladder" if str(model["model"]).startswith("family:") else "real"


def groups(saved: dict) -> list[tuple[str, str, list[dict]]]:
    """(source, data set, models smallest first): one comparison each, never mixing sources."""
    out: dict[tuple[str, str], list[dict]] = {}
    for m in _by_size(saved):
        out.setdefault((source_of(m), m["task"]), []).append(m)
    order = {s: i for i, s in enumerate(("ladder", "real", "published"))}
    return [(s, t, ms) for (s, t), ms in sorted(out.items(), key=lambda kv: (order.get(kv[0][0], 9), kv[0][1]))]


def size_slope(models: list[dict], value: Callable[[dict], Estimate | None]) -> Estimate | None:
    """Weighted least-squares slope of an estimate over log10 parameters (weights from each
    95% interval's width), with a normal 95% CI; None with fewer than two sized models."""
    pts = [(math.log10(m["n_params"]), e) for m in models if m.get("n_params") and (e := value(m)) is not None
           and np.isfinite([e.value, e.ci_low, e.ci_high]).all()]
    if len({x for x, _ in pts}) < 2:
        return None
    x = np.array([p[0] for p in pts])
    y = np.array([p[1].value for p in pts])
    se = np.array([max((p[1].ci_high - p[1].ci_low) / 3.92, 1e-3) for p in pts])
    w = 1 / se**2
    xm = (w * x).sum() / w.sum()
    sxx = (w * (x - xm) ** 2).sum()
    slope = float((w * (x - xm) * (y - (w * y).sum() / w.sum())).sum() / sxx)
    half = 1.96 / math.sqrt(sxx)
    return Estimate(slope, slope - half, slope + half, len(pts))


def _gap(m: dict) -> Estimate | None:
    return _est(m["contrasts"].get("gold-random"))


def _flip(m: dict) -> Estimate | None:
    return _est(m.get("flip100"))


def _params(m: dict) -> str:
    return f"{m['n_params']:.3g} params" if m.get("n_params") else "size unknown"
