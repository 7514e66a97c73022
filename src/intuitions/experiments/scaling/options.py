"""`[options.scaling]` in run.toml: what the scaling step reads (light: no heavy imports)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScalingOptions:
    bootstrap: int = 1000  # bootstrap refits for the intervals
    delta: float = 1e-3  # Huber delta (log space)
    refine: int = 64  # multi-start grid points refined by L-BFGS
    holdout: int = 1  # ladder members held out (the largest)
    params_col: str = "non_embedding_params"  # the ladder's size column
    kinds: tuple[str, ...] = ("final", "branch")  # which ladder runs are points
    table: str | None = None  # an external table to fit too (e.g. Epoch's Chinchilla points)
    exclude_col: str | None = None  # a truthy column of rows to leave out of the table
    params_col_table: str | None = None  # the table's columns (default: guessed by name)
    tokens_col: str | None = None
    loss_col: str | None = None
    flops_col: str | None = None
    table_holdout: int = 0  # table runs held out (the largest by table_holdout_by)
    table_holdout_by: str = "compute"
    table_holdout_frac: float = 0.1  # or this share of the table's runs, the largest by compute
    published: bool = True  # also fit Epoch's Chinchilla points (a `published` verdict) when no table is given
    published_bootstrap: int = 200  # their refits (240 points: each cold refit ~0.15 s on one core)
    published_holdout_frac: float = 0.1  # the top 10% of compute predicted, not fitted


OPTIONS = ScalingOptions
