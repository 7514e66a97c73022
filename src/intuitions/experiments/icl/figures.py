"""Figures for the in-context learning experiment, drawn from a saved result.json alone, so a
report re-renders them without recomputing: accuracy vs share of flipped labels, k-shot
curves, and gold / random / unrelated label bars."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from intuitions import plots

BARS = ("zero-shot", "gold", "random", "unrelated", "flip 100%")
HATCH = ("", "", "//", "..", "xx")


def _colours(models: list[dict]) -> dict[str, tuple]:
    """Ladder members coloured by size (dark = small); other models from a qualitative map."""
    import matplotlib

    ladder = sorted((m for m in models if m["model"].startswith("family:")),
                    key=lambda m: m["n_params"] or 0)
    seq, qual = matplotlib.colormaps["viridis"], matplotlib.colormaps["tab10"]
    out = {m["model"]: seq(0.1 + 0.75 * i / max(len(ladder) - 1, 1)) for i, m in enumerate(ladder)}
    others = [m for m in models if m["model"] not in out]
    out.update({m["model"]: qual(3 + i) for i, m in enumerate(others)})
    return out


def _rows(m: dict, scoring: str, kind: str | None = None) -> list[dict]:
    return [r for r in m["rows"] if r["scoring"] == scoring and (kind is None or r["kind"] == kind)]


def _err(rows: list[dict]) -> np.ndarray:
    acc = np.array([r["accuracy"] for r in rows], float)
    lo = np.array([r["ci_low"] if r["ci_low"] is not None else np.nan for r in rows], float)
    hi = np.array([r["ci_high"] if r["ci_high"] is not None else np.nan for r in rows], float)
    # clip: at 0 or 1 a Wilson bound can miss the estimate by a rounding error
    return np.clip(np.nan_to_num(np.vstack([acc - lo, hi - acc])), 0, None)


def _label(m: dict) -> str:
    if not m.get("n_params"):
        return m["model"]
    mil = m["n_params"] / 1e6
    return f"{m['model']} ({mil:.0f}M)" if mil >= 10 else f"{m['model']} ({mil:.2g}M)"


def _chance(ax, models, top: float = 1.02):
    for i, c in enumerate(sorted({m["chance"] for m in models})):
        ax.axhline(c, color="grey", ls=":", lw=1, label="chance" if i == 0 else None)
    ax.set_ylim(-0.02, top)


def flip_figure(res: dict, out: Path) -> Path:
    models, col = res["models"], _colours(res["models"])
    fig, axes = plots.new(1, 2, w=4.6)
    for ax, scoring in zip(axes[0], ("sum", "calibrated")):
        for m in models:
            rows = sorted(_rows(m, scoring, "flip"), key=lambda r: r["flip_pct"])
            if rows:
                ax.errorbar([r["flip_pct"] for r in rows], [r["accuracy"] for r in rows], yerr=_err(rows),
                            marker="o", ms=3, capsize=2, color=col[m["model"]], label=_label(m))
        _chance(ax, models)
        ax.set_xticks(sorted(res["flips"]))
        ax.set(xlabel="% of demonstration labels flipped", ylabel="accuracy (true labels)",
               title=f"k={res['k_main']} per class, {scoring} scoring")
    axes[0][0].legend(fontsize=7)
    return plots.save(fig, out, "icl_flip")


def kshot_figure(res: dict, out: Path) -> Path:
    models, col = res["models"], _colours(res["models"])
    fig, axes = plots.new(1, 3, w=3.6)
    for ax, scoring in zip(axes[0], ("sum", "mean", "calibrated")):
        for m in models:
            rows = [r for r in _rows(m, scoring) if r["kind"] in ("zero-shot", "gold")]
            rows.sort(key=lambda r: r["k"])
            ax.errorbar([r["k"] for r in rows], [r["accuracy"] for r in rows], yerr=_err(rows), marker="o",
                        ms=3, capsize=2, color=col[m["model"]], label=_label(m))
        _chance(ax, models)
        ax.set_xticks(sorted({0, *res["k_sweep"]}))
        ax.set(xlabel="demonstrations per class (k)", ylabel="accuracy", title=f"gold labels, {scoring}")
    axes[0][0].legend(fontsize=7)
    return plots.save(fig, out, "icl_kshot")


def bars_figure(res: dict, out: Path) -> Path:
    models, col = res["models"], _colours(res["models"])
    fig, axes = plots.new(1, 1, w=max(5.0, 1.2 * len(models) + 2))
    ax = axes[0][0]
    width = 0.8 / len(BARS)
    for j, kind in enumerate(BARS):
        for i, m in enumerate(models):
            rows = [r for r in _rows(m, "sum")
                    if r["condition"] == kind or (r["kind"] == kind and r["k"] == res["k_main"])]
            if rows:
                ax.bar(i + (j - len(BARS) / 2 + 0.5) * width, rows[0]["accuracy"], width, yerr=_err(rows[:1]),
                       capsize=2, color=col[m["model"]], alpha=0.3 + 0.7 * j / (len(BARS) - 1), hatch=HATCH[j],
                       edgecolor="black", lw=0.4, label=kind if i == 0 else None)
    _chance(ax, models, top=1.25)
    ax.set_xticks(range(len(models)), [_label(m) for m in models], rotation=20, ha="right", fontsize=7)
    ax.set(ylabel="accuracy (sum scoring)", title=f"labels shown in k={res['k_main']}-shot demonstrations")
    ax.legend(fontsize=7, ncol=3, loc="upper center")
    return plots.save(fig, out, "icl_labels")


def render(saved: dict, out: Path) -> list[Path]:
    res = saved["result"]
    if not res["models"]:
        return []
    return [flip_figure(res, out), kshot_figure(res, out), bars_figure(res, out)]


def draw(saved: dict, out: Path) -> list[Path]:
    """The experiment's figures, from its saved result.json."""
    return render(saved, out)
