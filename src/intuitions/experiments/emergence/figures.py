"""Figures for intuition 5, drawn from a saved emergence analysis (the `result` dict of
result.json), so the report can re-render them without recomputing anything."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable

import numpy as np
from matplotlib import ticker

from intuitions import plots

MAX_PANELS = 24
MAX_MIRAGE_ROWS = 10
EMERGENT_COLOUR = "#c0392b"
PLAIN_COLOUR = "#2c3e50"


def _source(a: dict) -> str:
    return Path(a["source"]).name if "/" in a["source"] else a["source"]


def _label(t: dict) -> str:
    return f"{t['family']}/{t['task']}" if t.get("family") else t["task"]


def _metric(t: dict, name: str) -> dict:
    return next(m for m in t["metrics"] if m["metric"] == name)


def _num(v, default=float("nan")) -> float:
    return default if v is None else float(v)


def _log_x(ax) -> None:
    ax.set_xscale("log")
    # Minor ticks on log axes cost most of the drawing time of a many-panel grid; majors suffice.
    ax.xaxis.set_major_locator(ticker.LogLocator(numticks=5))
    ax.xaxis.set_minor_locator(ticker.NullLocator())
    ax.tick_params(labelsize=7)


# Beyond this a log axis overflows inside matplotlib (its padded limits are exp'd back to
# floats: inf, then an OverflowError while placing ticks); such scales are drawn as log10.
HUGE = 1e200


def _x_axis(ax, scales) -> Callable[[Any], np.ndarray]:
    """Set up the x axis for `scales`; returns the map from a scale to its x coordinate."""
    xs = np.asarray(scales, float)
    if xs.size == 0 or (np.all(np.isfinite(xs)) and xs.max() < HUGE and xs.min() > 1 / HUGE):
        _log_x(ax)
        return lambda v: np.asarray(v, float)
    ax.set_xlabel("log10 scale", fontsize=7)
    ax.tick_params(labelsize=7)

    def tx(v) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log10(np.asarray(v, float))
    return tx


def _draw_series(ax, m: dict, colour: str, show_fit: bool = True) -> None:
    tx = _x_axis(ax, m["scales"])
    x, y = tx(m["scales"]), np.asarray(m["values"], float)
    se = np.asarray([_num(v) for v in m["stderr"]], float)
    ax.errorbar(x, y, yerr=np.where(np.isfinite(se), 1.96 * se, 0), fmt="o-", ms=3.5, lw=1.2, color=colour,
                ecolor="#999999", capsize=2)
    if m.get("chance") is not None and m["kind"] == "discontinuous":
        ax.axhline(m["chance"], color="#7f8c8d", ls="--", lw=0.8, label="chance")
    if m.get("emergence_scale") is not None:
        ax.axvline(float(tx(m["emergence_scale"])), color=EMERGENT_COLOUR, ls=":", lw=0.9, label="emergence scale")
    # Keep the axis on the data: an interval reaching 175% accuracy would flatten every point.
    ref = [v for v in list(y) + [m.get("chance")] if v is not None and math.isfinite(v)]
    pad = 0.15 * (max(ref) - min(ref) or 1.0)
    ax.set_ylim(min(ref) - pad, max(ref) + pad)
    ex = m.get("extrapolation")
    if show_fit and ex:
        sign = 1.0 if m["higher_is_better"] else -1.0
        px = tx([p["scale"] for p in ex["points"]])
        py = [p["predicted"] for p in ex["points"]]
        # interval of the prediction = actual minus the surprise interval (oriented back to raw)
        lo = [p["actual"] - sign * _num(p["ci_high"]) for p in ex["points"]]
        hi = [p["actual"] - sign * _num(p["ci_low"]) for p in ex["points"]]
        ax.plot(px, py, "x--", color="#2980b9", ms=5, lw=0.9, label=f"{ex['fit']} fit < {ex['cutoff']:.3g}")
        if all(math.isfinite(v) for v in lo + hi):
            ax.fill_between(px, np.minimum(lo, hi), np.maximum(lo, hi), color="#2980b9", alpha=0.12, lw=0)


def grid(a: dict, out: Path, name: str = "emergence_grid") -> Path | None:
    tasks = a["tasks"][:MAX_PANELS]
    ol = a.get("overall_loss")
    n = len(tasks) + (1 if ol else 0)
    if n == 0:
        return None
    ncols = min(4, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plots.new(nrows, ncols, w=3.3, h=2.5)
    flat = list(axes.ravel())
    if ol:
        ax = flat.pop(0)
        tx = _x_axis(ax, ol["scales"])
        ax.plot(tx(ol["scales"]), ol["values"], "o-", color="#16a085", ms=3.5)
        ax.set_title(f"{ol['source']} ({'smooth' if ol['smooth'] else 'not smooth'})", fontsize=8)
    for ax, t in zip(flat, tasks):
        colour = EMERGENT_COLOUR if t["emergent"] else PLAIN_COLOUR
        _draw_series(ax, _metric(t, t["metric"]), colour)
        ax.set_title(f"{_label(t)}{'  EMERGENT' if t['emergent'] else ''}", fontsize=8, color=colour)
        ax.set_ylabel(t["metric"], fontsize=7)
    for ax in flat[len(tasks):]:
        ax.axis("off")
    fig.suptitle(f"{_source(a)}: metric vs scale (log x)", fontsize=9)
    return plots.save(fig, out, name)


def _finite(v, cap: float) -> float:
    return cap if v is None or not math.isfinite(v) else float(v)


def scatter(a: dict, out: Path, name: str = "emergence_scatter") -> Path | None:
    if not a["tasks"]:
        return None
    fig, axes = plots.new(1, 1, w=5.5, h=4.2)
    ax = axes[0, 0]
    finite = [t["breakthroughness"] for t in a["tasks"] if t["breakthroughness"] is not None
              and math.isfinite(t["breakthroughness"])]
    cap = 1.5 * max([abs(v) for v in finite] + [1.0])
    for t in a["tasks"]:
        x, y = t["linearity"], _finite(t["breakthroughness"], cap)
        colour = EMERGENT_COLOUR if t["emergent"] else PLAIN_COLOUR
        ax.scatter([x], [y], color=colour, s=18, marker="^" if t["breakthroughness"] is None else "o")
        if t["emergent"] or len(a["tasks"]) <= 15:
            ax.annotate(_label(t), (x, y), fontsize=6, xytext=(3, 2), textcoords="offset points")
    lim = max(cap, max((abs(t["linearity"]) for t in a["tasks"]), default=1.0))
    ax.plot([-lim, lim], [-lim, lim], color="#bbbbbb", lw=0.8, ls="--", label="straight line (sharpness 1)")
    ax.set_xscale("symlog")
    ax.set_yscale("symlog")
    ax.set_xlabel("linearity  I / sqrt(mean z²)")
    ax.set_ylabel("breakthroughness  I / sqrt(median z²)  (▲ = infinite)")
    ax.set_title(f"{_source(a)}: red = called emergent", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    return plots.save(fig, out, name)


def mirage(a: dict, out: Path, name: str = "emergence_metrics") -> Path | None:
    rows = [t for t in a["tasks"] if t.get("mirage")][:MAX_MIRAGE_ROWS]
    if not rows:
        return None
    ncont = min(3, max(len(t["mirage"]["continuous"]) for t in rows))
    fig, axes = plots.new(len(rows), 1 + ncont, w=3.0, h=2.3)
    for r, t in enumerate(rows):
        mg = t["mirage"]
        d = _metric(t, mg["discontinuous"])
        _draw_series(axes[r, 0], d, EMERGENT_COLOUR if mg["discontinuous_jumps"] else PLAIN_COLOUR, show_fit=False)
        axes[r, 0].set_title(f"{_label(t)}: {d['metric']}", fontsize=8)
        conts = list(mg["continuous"])[:ncont]
        for c in range(ncont):
            ax = axes[r, 1 + c]
            if c >= len(conts):
                ax.axis("off")
                continue
            m = _metric(t, conts[c])
            _draw_series(ax, m, EMERGENT_COLOUR if m["jump"] else "#16a085", show_fit=False)
            ax.set_title(f"{m['metric']} ({'jumps' if m['jump'] else 'no jump'})", fontsize=8)
    fig.suptitle(f"{_source(a)}: discontinuous (left) vs continuous", fontsize=9)
    return plots.save(fig, out, name)


def render_all(a: dict, out: Path, prefix: str = "") -> list[Path]:
    made = [grid(a, out, f"{prefix}emergence_grid"), scatter(a, out, f"{prefix}emergence_scatter"),
            mirage(a, out, f"{prefix}emergence_metrics")]
    return [p for p in made if p is not None]


def draw(saved: dict, out: Path) -> list[Path]:
    """The ladder's (or the first table's) figures, then each external table's, prefixed."""
    r = saved["result"]
    made = render_all(r, out)
    for i, ext in enumerate(r.get("external") or []):
        made += render_all(ext, out, prefix=f"external{i + 1}_")
    return made
