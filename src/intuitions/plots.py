"""Shared figure plumbing: headless matplotlib, one style, PNG files beside result.json."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: CI and servers have no display
import matplotlib.pyplot as plt  # noqa: E402

plt.rcParams.update({"figure.dpi": 110, "axes.spines.top": False, "axes.spines.right": False,
                     "axes.grid": True, "grid.alpha": 0.3, "font.size": 9,
                     "svg.hashsalt": "intuitions", "path.simplify": True})


def new(nrows: int = 1, ncols: int = 1, w: float = 5.0, h: float = 3.4):
    return plt.subplots(nrows, ncols, figsize=(w * ncols, h * nrows), squeeze=False)


def save(fig, out: Path, name: str) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.png"
    fig.tight_layout()
    # Fixed metadata so re-rendering the same results gives byte-identical files.
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return path
