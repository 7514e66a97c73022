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
    max_rel_error: float = 0.05  # verdict: a held-out prediction this close supports the intuition
    max_pi_halfwidth: float = 0.10  # verdict: ... or inside a prediction interval at most this wide


OPTIONS = ScalingOptions
