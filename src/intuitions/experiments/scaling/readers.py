"""Reading tables of runs for the scaling fit: any CSV/Parquet (or DataFrame) of params,
tokens and loss, or the ladder's own runs.csv; one-line errors naming the row as the user
counts it."""

# pandas annotates df[col] as a union of scalars, arrays and frames; these readers index DataFrames
# by column name only, so the union's other members are false alarms here (and only here):
# pyright: reportAttributeAccessIssue=false, reportCallIssue=false, reportArgumentType=false
# pyright: reportIndexIssue=false, reportOperatorIssue=false, reportReturnType=false
# pyright: reportAssignmentType=false, reportGeneralTypeIssues=false

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from intuitions import paths
from intuitions.errors import BadData, UserError
from intuitions.fit import powerlaw as pl

if TYPE_CHECKING:
    import pandas as pd

# Spellings we accept when the user names no column (the ladder's, Epoch's, the usual ones).
ALIASES = {
    "params": ("params", "N", "N_params", "n_params", "parameters", "num_params"),
    "tokens": ("tokens", "D", "D_tokens", "n_tokens", "num_tokens"),
    "loss": ("loss", "L", "final_loss", "eval_loss"),
    "flops": ("flops", "C", "C_flop", "compute", "FLOPs"),
}
HOLDOUT_BY = ("auto", "compute", "params", "member")


@dataclass(frozen=True)
class Columns:
    params: str | None = None  # None: the first alias present
    tokens: str | None = None
    loss: str | None = None
    flops: str | None = None


@dataclass(frozen=True)
class Points:
    source: str
    params: np.ndarray  # nan where the table has no such column
    tokens: np.ndarray
    compute: np.ndarray  # the table's FLOPs if given, else 6·N·D
    loss: np.ndarray
    member: tuple[str, ...] | None = None  # ladder member of each row
    columns: dict = field(default_factory=dict)  # the column each quantity came from

    def __len__(self) -> int:
        return len(self.loss)

    def subset(self, mask: np.ndarray) -> "Points":
        mem = None if self.member is None else tuple(np.asarray(self.member, object)[mask])
        return Points(self.source, self.params[mask], self.tokens[mask], self.compute[mask],
                      self.loss[mask], mem, self.columns)

    def values(self) -> dict[str, np.ndarray]:
        return {"params": self.params, "tokens": self.tokens, "compute": self.compute}


# ---------------------------------------------------------------- reading tables


def _load_frame(path: Path):
    import pandas as pd

    if not path.exists():
        raise UserError(f"no such table: {path}")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if path.suffix.lower() in (".csv", ".txt", ""):
            return pd.read_csv(path)
    except Exception as e:  # pandas raises a zoo of parser errors; all mean "unreadable"
        raise UserError(f"cannot read table {path}: {' '.join(str(e).split())[:200]}") from None
    raise UserError(f"{path}: tables must be .csv or .parquet")


def _column(df, qty: str, name: str | None, required: bool, where: str) -> str | None:
    if name is not None:
        if name not in df.columns:
            raise BadData(f"{where} has no column {name!r} (columns: {', '.join(map(str, df.columns))})")
        return name
    found = next((a for a in ALIASES[qty] if a in df.columns), None)
    if found is None and required:
        raise BadData(f"{where} has no {qty} column (looked for {', '.join(ALIASES[qty])}; "
                      f"columns: {', '.join(map(str, df.columns))}); name it with --{qty}-col")
    return found


def _row(df, i: int) -> int:
    """The row number the user sees in the file (data rows from 1) of the i-th row left in
    `df`: filters keep the file's index, so a row dropped before it still counts."""
    return int(df.index[i]) + 1


def _numeric(df, col: str, where: str) -> np.ndarray:
    import pandas as pd

    raw = df[col]
    num = pd.to_numeric(raw, errors="coerce")
    bad = num.isna() & raw.notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise BadData(f"{where}: column {col!r} has a non-numeric value {raw.iloc[i]!r} in row {_row(df, i)}")
    x = num.to_numpy(float)
    for test, what in ((np.isnan, "a missing (NaN) value"), (np.isinf, "an infinite value"),
                       (lambda v: v <= 0, "a non-positive value")):
        hit = np.flatnonzero(test(x))
        if len(hit):
            i = int(hit[0])
            extra = f" {x[i]:g}" if what == "a non-positive value" else ""
            raise BadData(f"{where}: column {col!r} has {what}{extra} in row {_row(df, i)}"
                          + (" (power laws need positive values)" if extra else ""))
    return x


def needed(form: pl.Form, flops_given: bool) -> set[str]:
    need = {"params": {"params"}, "tokens": {"tokens"}, "chinchilla": {"params", "tokens"},
            "compute": set() if flops_given else {"params", "tokens"}}[form.name]
    return need | {"loss"}


def read_table(path: str | Path | pd.DataFrame, form: pl.Form, cols: Columns = Columns(),
               exclude_col: str | None = None, drop_untrained: bool = False,
               kinds: tuple[str, ...] | None = None) -> Points:
    """Validated points from a CSV/Parquet file or a DataFrame (the Python API).
    `drop_untrained` drops rows with zero tokens (a ladder's step 0); `kinds` keeps only
    rows whose `kind` column is one of them (a ladder's final/branch)."""
    if isinstance(path, (str, Path)):
        path = Path(path)
        df, where, source = _load_frame(path), path.name, str(path)
    else:
        df, where, source = path, "the table", "DataFrame"
    if exclude_col is not None:
        if exclude_col not in df.columns:
            raise BadData(f"{where} has no column {exclude_col!r} to exclude rows by")
        df = df[~df[exclude_col].fillna(0).astype(bool)]
    if kinds:
        if "kind" not in df.columns:
            raise BadData(f"{where} has no 'kind' column to select {', '.join(kinds)} rows by")
        df = df[df["kind"].astype(str).isin(kinds)]
    if drop_untrained and "tokens" in df.columns:
        import pandas as pd

        df = df[pd.to_numeric(df["tokens"], errors="coerce").fillna(1) > 0]
    if len(df) == 0:
        raise BadData(f"{where} has no rows")
    flops_col = _column(df, "flops", cols.flops, False, where)
    need = needed(form, flops_col is not None)
    names = {q: _column(df, q, getattr(cols, q), q in need, where) for q in ("params", "tokens", "loss")}
    names["flops"] = flops_col
    used = [c for c in names.values() if c is not None]
    vals = {}
    for q, c in names.items():
        if c is None:
            vals[q] = np.full(len(df), np.nan)
        elif q in need or q == "flops":
            vals[q] = _numeric(df, c, where)
        else:  # only for colouring plots: keep it if clean, ignore it if not
            try:
                vals[q] = _numeric(df, c, where)
            except BadData:
                vals[q] = np.full(len(df), np.nan)
    dup = df.duplicated(subset=used, keep="first").to_numpy()
    if dup.any():  # name the first repeat and the row it repeats (not merely the first two flagged)
        j = int(np.flatnonzero(dup)[0])
        earlier, row = df[used].iloc[:j], df[used].iloc[j]
        same = ((earlier == row) | (earlier.isna() & row.isna())).all(axis=1).to_numpy()
        i = int(np.flatnonzero(same)[0]) if same.any() else j
        raise BadData(f"{where}: rows {_row(df, i)} and {_row(df, j)} are duplicates (same {', '.join(used)})")
    compute = vals["flops"] if flops_col else 6.0 * vals["params"] * vals["tokens"]
    member = tuple(df["member"].astype(str)) if "member" in df.columns else None
    return Points(source, vals["params"], vals["tokens"], compute, vals["loss"], member,
                  {q: c for q, c in names.items() if c is not None})


# A ladder's intermediate checkpoints are taken at the stable learning rate, mid-run: only the
# decayed runs (final models and decay branches) sit on an L(N, D) surface.
LADDER_KINDS = ("final", "branch")
# Non-embedding N for ladders: at this size the embedding is most of the parameters and bends
# the curve (Kaplan et al. 2020).
LADDER_PARAMS = "non_embedding_params"


def family_table(preset: str) -> Path:
    path = paths.family_root() / preset / "runs.csv"
    if not path.exists():
        raise UserError(f"no ladder runs at {path}; train it first: intuitions train --preset {preset}")
    return path
