"""Figures for `cot`, drawn from the saved result (a `to_jsonable(CotResult)` dict), so they
re-render without recomputing."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from intuitions import plots

COLORS = {"direct": "#4c72b0", "filler": "#8c8c8c", "given": "#55a868", "cot": "#c44e52",
          "mc_direct": "#8172b2", "mc_given": "#ccb974"}
ROLE_COLORS = {"result": "#c44e52", "operand": "#4c72b0", "format": "#8c8c8c", "answer": "#55a868"}


def _cells(run: dict, metric: str, condition: str, table: str = "cells") -> dict:
    return {c["steps"]: c["estimate"] for c in run[table] if c["metric"] == metric and c["condition"] == condition}


def _v(e: dict | None, k: str = "value") -> float:
    return float("nan") if e is None or e.get(k) is None else float(e[k])


def _err(e: dict | None) -> tuple[float, float]:
    v = _v(e)
    return v - _v(e, "ci_low"), _v(e, "ci_high") - v


def render(result: dict, out: Path) -> list[Path]:
    runs = result.get("runs", [])
    if not runs:
        return []
    paths = [surprisal_by_condition(runs, out), accuracy_vs_steps(runs, out)]
    ladder = [r for r in runs if r["kind"] == "ladder"]
    if ladder:
        paths.append(ladder_by_size(ladder, out))
    if any(r.get("density") for r in runs):
        paths.append(density_roles(runs, out))
    return paths


def surprisal_by_condition(runs: list[dict], out: Path) -> Path:
    fig, ax = plots.new(w=max(5.0, 1.6 * len(runs)))
    ax = ax[0, 0]
    conds = ("direct", "filler", "given")
    width = 0.8 / len(conds)
    for j, c in enumerate(conds):
        es = [_cells(r, "surprisal", c).get(None) for r in runs]
        x = np.arange(len(runs)) + (j - 1) * width
        ax.bar(x, [_v(e) for e in es], width, color=COLORS[c], label=c,
               yerr=np.array([_err(e) for e in es]).T, capsize=3)
    ax.set_xticks(np.arange(len(runs)), [r["model"].replace("family:", "") for r in runs], rotation=20, ha="right")
    ax.set_ylabel("answer surprisal (nats, 95% CI)")
    ax.set_title("Answer-token surprisal by condition")
    ax.legend(frameon=False)
    return plots.save(fig, out, "surprisal_by_condition")


def accuracy_vs_steps(runs: list[dict], out: Path) -> Path:
    fig, axes = plots.new(1, len(runs), w=4.0)
    for ax, r in zip(axes[0], runs):
        for c in COLORS:
            cells = {k: e for k, e in _cells(r, "accuracy", c).items() if k is not None and e.get("n")}
            if not cells:
                continue
            s = sorted(cells)
            v = np.array([_v(cells[k]) for k in s])
            ax.plot(s, v, "o-", color=COLORS[c], label=c)
            ax.fill_between(s, [_v(cells[k], "ci_low") for k in s], [_v(cells[k], "ci_high") for k in s],
                            color=COLORS[c], alpha=0.12)
        ax.set_title(r["model"].replace("family:", ""), fontsize=8)
        ax.set_xlabel("steps")
        ax.set_xticks(sorted({c["steps"] for c in r["cells"] if c["steps"] is not None}))
        ax.set_ylim(-0.02, 1.02)
    axes[0, 0].set_ylabel("accuracy (exact match, 95% CI)")
    axes[0, -1].legend(frameon=False, fontsize=7)
    return plots.save(fig, out, "accuracy_vs_steps")


def ladder_by_size(ladder: list[dict], out: Path) -> Path:
    fig, axes = plots.new(1, 2, w=4.6)
    cmap = [plots.plt.cm.viridis(x) for x in np.linspace(0.1, 0.9, len(ladder))]
    for color, r in zip(cmap, ladder):
        name = r["model"].rsplit("/", 1)[-1]
        for c, style in (("direct", "--"), ("cot", "-")):
            cells = {k: e for k, e in _cells(r, "accuracy", c).items() if k is not None}
            s = sorted(cells)
            axes[0, 0].plot(s, [_v(cells[k]) for k in s], style, marker="o", color=color,
                            label=name if c == "cot" else None)
        for c, style in (("direct", "--"), ("given", "-")):
            cells = {k: e for k, e in _cells(r, "surprisal", c).items() if k is not None}
            s = sorted(cells)
            axes[0, 1].plot(s, [_v(cells[k]) for k in s], style, marker="o", color=color)
    axes[0, 0].set(title="Held-out accuracy: direct (--) vs worked (-)", xlabel="steps", ylabel="accuracy")
    axes[0, 1].set(title="Answer surprisal: direct (--) vs given work (-)", xlabel="steps", ylabel="nats")
    fig.legend(frameon=False, fontsize=7, loc="outside right center")
    ticks = sorted({c["steps"] for r in ladder for c in r["cells"] if c["steps"] is not None})
    for ax in axes[0]:
        ax.set_xticks(ticks)
    return plots.save(fig, out, "ladder_by_size")


def density_roles(runs: list[dict], out: Path) -> Path:
    with_d = [r for r in runs if r.get("density")]
    fig, axes = plots.new(1, 2, w=5.0)
    roles = list(ROLE_COLORS)
    width = 0.8 / len(roles)
    for j, role in enumerate(roles):
        es = [next((x["nats"] for x in r["density"]["roles"] if x["role"] == role), None) for r in with_d]
        x = np.arange(len(with_d)) + (j - 1.5) * width
        axes[0, 0].bar(x, [_v(e) for e in es], width, color=ROLE_COLORS[role], label=role,
                       yerr=np.array([_err(e) if e else (0, 0) for e in es]).T, capsize=2)
    axes[0, 0].set_xticks(np.arange(len(with_d)), [r["model"].replace("family:", "") for r in with_d],
                          rotation=20, ha="right")
    axes[0, 0].set(title="Where the information is: surprisal per token role", ylabel="nats per token (95% CI)")
    axes[0, 0].legend(frameon=False, fontsize=7)
    ex = with_d[-1]["density"]["example"]
    axes[0, 1].bar(range(len(ex)), [t[2] for t in ex], color=[ROLE_COLORS.get(t[1], "#cccccc") for t in ex])
    axes[0, 1].set_xticks(range(len(ex)), [t[0].replace("\n", "\\n") for t in ex], rotation=90, fontsize=6)
    axes[0, 1].set(title=f"One worked solution ({with_d[-1]['model'].replace('family:', '')})", ylabel="nats")
    return plots.save(fig, out, "density_roles")


def draw(saved: dict, out: Path) -> list[Path]:
    """The experiment's figures, from its saved result.json."""
    return render(saved["result"], out)
