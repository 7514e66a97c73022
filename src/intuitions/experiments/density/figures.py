"""The density step's figure: the share of surprisal in the densest 10% of tokens, per
subject, against the 0.10 an even spread would give."""

from __future__ import annotations

from pathlib import Path

from intuitions import plots


def draw(saved: dict, out: Path) -> list[Path]:
    subjects = saved["result"]["subjects"]
    if not subjects:
        return []
    fig, ax = plots.new(w=max(4.0, 1.3 * len(subjects) + 1.5))
    ax = ax[0, 0]
    for i, s in enumerate(subjects):
        e = s["top10_share"]
        v, lo, hi = e["value"], e.get("ci_low"), e.get("ci_high")
        err = [[v - lo], [hi - v]] if lo is not None and hi is not None else None
        ax.bar(i, v, yerr=err, capsize=4, color="#4c72b0" if s["source"] == "real" else "#55a868")
    ax.axhline(0.10, color="#8c8c8c", ls="--", lw=1, label="even spread (0.10)")
    ax.set_xticks(range(len(subjects)), [s["model"].rsplit("/", 1)[-1] for s in subjects], rotation=20, ha="right")
    ax.set_ylabel("share of surprisal in top 10% of tokens")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7)
    return [plots.save(fig, out, "i3_density_top10")]
