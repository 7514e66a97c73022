"""Figures for intuition 1, drawn from the saved result (the `result` part of result.json),
so the report can re-render them without scoring anything again."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from intuitions import plots


def _colors(tasks: list[str]) -> dict[str, tuple]:
    import matplotlib

    cmap = matplotlib.colormaps["tab10" if len(tasks) <= 10 else "tab20"]
    return {t: cmap(i % cmap.N) for i, t in enumerate(tasks)}


def _err(ests: list[dict]) -> np.ndarray:
    """Asymmetric error bars; a missing interval draws none."""
    v = np.array([e["value"] for e in ests], float)
    lo = np.array([e["ci_low"] if e.get("ci_low") is not None else e["value"] for e in ests], float)
    hi = np.array([e["ci_high"] if e.get("ci_high") is not None else e["value"] for e in ests], float)
    return np.vstack([np.maximum(v - lo, 0), np.maximum(hi - v, 0)])


def _short(name: str) -> str:
    return name.split("/")[-1] if name.startswith("family:") else name


def contributions(res: dict, out: Path) -> Path | None:
    decs = [d for d in res.get("decompositions") or [] if d["final"]]
    if not decs:
        return None
    tasks = res["tasks"]
    col = _colors(tasks)
    fig, ax = plots.new(w=max(4.0, 1.1 * len(decs) + 2.5))
    ax = ax[0, 0]
    x = np.arange(len(decs))
    bottom = np.zeros(len(decs))
    for t in tasks:
        h = np.array([next((r["contribution"]["value"] for r in d["tasks"] if r["task"] == t), 0.0) for d in decs])
        ax.bar(x, h, bottom=bottom, color=col[t], label=t, width=0.7)
        bottom += h
    ax.set_xticks(x, [_short(d["model"]) for d in decs], rotation=30, ha="right")
    ax.set_ylabel("mean loss (nats/token)")
    ax.set_title("Loss = sum over tasks of share × task loss")
    ax.legend(fontsize=7, bbox_to_anchor=(1.01, 1), loc="upper left")
    return plots.save(fig, out, "contributions")


def loss_vs_size(res: dict, out: Path) -> Path | None:
    decs = [d for d in res.get("decompositions") or [] if d["final"] and d.get("member")]
    if len(decs) < 2:
        return None
    decs.sort(key=lambda d: d.get("non_embedding_params") or d.get("n_params") or 0)
    xs = [d.get("non_embedding_params") or d.get("n_params") for d in decs]
    if not all(xs):
        xs = list(range(1, len(decs) + 1))
    col = _colors(res["tasks"])
    fig, ax = plots.new()
    ax = ax[0, 0]
    for t in res["tasks"]:
        pts = [(x, r["mean_loss"]) for x, d in zip(xs, decs) for r in d["tasks"] if r["task"] == t]
        if pts:
            ax.errorbar([p[0] for p in pts], [p[1]["value"] for p in pts], yerr=_err([p[1] for p in pts]),
                        marker="o", ms=3, capsize=2, color=col[t], label=t)
    ax.set_xscale("log")
    ax.set_xlabel("non-embedding parameters")
    ax.set_ylabel("mean loss on the task's tokens (nats)")
    ax.set_title("Per-task loss vs model size")
    ax.legend(fontsize=7, bbox_to_anchor=(1.01, 1), loc="upper left")
    return plots.save(fig, out, "task_loss_vs_size")


def loss_vs_step(res: dict, out: Path) -> Path | None:
    curves = [r for r in res.get("learning") or [] if r["axis"].startswith("steps:")]
    members = list(dict.fromkeys(r["axis"] for r in curves))
    if not members:
        return None
    col = _colors(res["tasks"])
    ncols = min(3, len(members))
    nrows = math.ceil(len(members) / ncols)
    fig, axes = plots.new(nrows, ncols, w=4.2, h=3.0)
    for k, axis in enumerate(members):
        ax = axes[k // ncols, k % ncols]
        for r in (r for r in curves if r["axis"] == axis):
            style = ":" if r["label"] == "not learned" else "-"
            ax.plot(r["xs"], r["losses"], style, marker="o", ms=2, color=col[r["task"]],
                    label=f"{r['task']} ({r['label']})")
        ax.set_xscale("log")
        ax.set_title(axis.removeprefix("steps:"), fontsize=8)
        ax.set_xlabel("training step")
        ax.set_ylabel("task loss (nats)")
        ax.legend(fontsize=6)
    for k in range(len(members), nrows * ncols):
        axes[k // ncols, k % ncols].axis("off")
    fig.suptitle("Who learns what when (dotted: not learned)", fontsize=9)
    return plots.save(fig, out, "task_loss_vs_step")


def probe_accuracy(res: dict, out: Path) -> Path | None:
    runs = res.get("probes") or []
    if not runs:
        return None
    cats = list(dict.fromkeys(c["category"] for r in runs for c in r["categories"]))
    fig, ax = plots.new(w=max(5.0, 0.9 * len(cats) * max(1, len(runs)) ** 0.5 + 2))
    ax = ax[0, 0]
    width = 0.8 / len(runs)
    x = np.arange(len(cats))
    for k, r in enumerate(runs):
        by = {c["category"]: c for c in r["categories"]}
        ests = [by[c]["accuracy"] if c in by else {"value": np.nan} for c in cats]
        ax.bar(x + (k - (len(runs) - 1) / 2) * width, [e["value"] for e in ests], width,
               yerr=_err(ests), capsize=2, label=_short(r["model"]))
    chance = {c["category"]: c["chance"] for r in runs for c in r["categories"]}
    ax.scatter(x, [chance[c] for c in cats], marker="_", s=300, color="black", zorder=3, label="chance")
    ax.set_xticks(x, [c.replace("_", " ") for c in cats], rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("accuracy (95% bootstrap CI)")
    ax.set_title("Minimal-pair probes by category")
    ax.legend(fontsize=7, bbox_to_anchor=(1.01, 1), loc="upper left")
    return plots.save(fig, out, "probe_accuracy")


def render(res: dict, out: Path) -> list[Path]:
    made = [f(res, out) for f in (contributions, loss_vs_size, loss_vs_step, probe_accuracy)]
    return [p for p in made if p is not None]


def draw(saved: dict, out: Path) -> list[Path]:
    """The experiment's figures, from its saved result.json."""
    return render(saved["result"], out)
