"""The Python API, for notebooks: the CLI's commands as functions, results as objects.

    import intuitions
    lm = intuitions.load("smollm2-135m")                    # a Scorer, as --model takes it
    intuitions.density(lm, ["some text"]).to_frame()        # one row per token
    intuitions.scaling_fit("runs.csv", form="chinchilla")   # a fitted law, with intervals
    intuitions.emergence("table.csv", scale_col="params")   # which tasks jump with scale

Each function calls the code its command calls (`intuitions density`, `intuitions scaling
fit`, `intuitions emergence`); it prints nothing and writes nothing. `docs/python.md` walks
through a session."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    import pandas as pd

    from intuitions.experiments.density.core import DensityResult
    from intuitions.experiments.emergence.core import Analysis
    from intuitions.experiments.scaling.core import ScalingResult
    from intuitions.models.base import Scorer


def load(model: str, *, cache: bool = True, **options: Any) -> Scorer:
    """A scorer for `model`, spelled as `--model` takes it: a zoo name (`smollm2-135m`), a
    local folder, a Hub id, a `.gguf` file, `family:<preset>/<member>`, or a scale-out spec
    (`openai:…`, `vllm:…`, `llamacpp:…`).

    `options` are the hf backend's (`dtype="bfloat16"`, `bos="none"`, `window`, `stride`,
    `token_budget`, `threads`); `cache=False` bypasses the on-disk score cache."""
    from intuitions.models import zoo
    from intuitions.models.hf import HFOptions

    known = [f.name for f in dataclasses.fields(HFOptions)]
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise TypeError(f"load() got unknown option(s) {', '.join(unknown)} (known: cache, {', '.join(known)})")
    return zoo.load(model, HFOptions(**options), cache=cache)


def density(model: str | Scorer, texts: str | Sequence[str]) -> DensityResult:
    """Per-token surprisal of each text (`intuitions density`). `model` is a scorer or a
    model spec for `load`. The result's `to_frame()` is the long table `--out table.csv`
    writes; `.texts[i].summary` holds each text's summary."""
    from intuitions.experiments.density.core import run

    scorer = load(model) if isinstance(model, str) else model
    return run(scorer, [texts] if isinstance(texts, str) else list(texts))


def scaling_fit(table: str | Path | pd.DataFrame, form: str = "chinchilla", *,
                params_col: str | None = None, tokens_col: str | None = None, loss_col: str | None = None,
                flops_col: str | None = None, exclude_col: str | None = None, kinds: Sequence[str] | None = None,
                holdout: int = 0, holdout_by: str = "auto", budgets: Sequence[float] = (),
                bootstrap: int = 1000, seed: int = 0, delta: float = 1e-3, refine: int = 64) -> ScalingResult:
    """Fit a scaling law to a table of runs (`intuitions scaling fit`): a CSV/Parquet path or
    a DataFrame with columns for N (params), D (tokens) and the loss; `form` is `params`
    L(N), `tokens` L(D), `chinchilla` L(N,D) or `compute` L(C). Column names are found by
    their usual spellings unless given. `holdout=k` predicts the k largest runs instead of
    fitting them. The result's `params` are the law's constants with bootstrap intervals."""
    from intuitions.experiments.scaling import core as exp
    from intuitions.fit import powerlaw as pl

    the_form = pl.get_form(form)
    pts = exp.read_table(table, the_form, exp.Columns(params_col, tokens_col, loss_col, flops_col), exclude_col,
                         kinds=tuple(kinds) if kinds else None)
    req = exp.ScalingRequest(the_form.name, holdout, holdout_by, tuple(budgets),
                             pl.FitOptions(delta=delta, refine=refine, bootstrap=bootstrap, seed=seed))
    return exp.run(pts, req)


def emergence(table: str | Path | pd.DataFrame, *, chance: float | dict[str, float] | None = None,
              **options: Any) -> Analysis:
    """Which tasks emerge with scale (`intuitions emergence`), from a results table (a path:
    CSV/TSV/Parquet, BIG-bench or lm-eval JSON, a folder of them; or a DataFrame).

    `options` are the command's, with underscores: how to read the table (`scale_col`,
    `task_col="task"`, `metric_col="value"`, `model_col`, `wide`, `where`, …), what the
    metrics are (`primary_metric`, `continuous`, `lower_better`, `bins`, …) and the rule's
    thresholds (`min_sharpness`, `min_below`, `fit="sigmoid"`, …). `chance` is one level for
    every task or a {task: level} map."""
    from intuitions.experiments.emergence import core as exp
    from intuitions.experiments.emergence import readers
    from intuitions.experiments.emergence.measures import Options, Rule

    groups = {cls: {f.name for f in dataclasses.fields(cls)} - {"path", "rule", "chance"}
              for cls in (readers.TableSpec, Options, Rule)}
    unknown = sorted(set(options) - set().union(*groups.values()))
    if unknown:
        raise TypeError(f"emergence() got unknown option(s) {', '.join(unknown)}")
    kw = {cls: {k: _as_field(cls, k, v) for k, v in options.items() if k in names} for cls, names in groups.items()}
    levels = {} if chance is None else {"*": float(chance)} if isinstance(chance, (int, float)) else dict(chance)
    opts = Options(rule=Rule(**kw[Rule]), chance=levels, **kw[Options])
    if isinstance(table, (str, Path)):
        loaded = readers.load(readers.TableSpec(path=str(table), **kw[readers.TableSpec]))
    else:
        loaded = readers.load_frame(table, readers.TableSpec(path="DataFrame", **kw[readers.TableSpec]))
    return exp.analyze(loaded, opts)


def _as_field(cls, name: str, value: Any) -> Any:
    """A list, or one string, where the dataclass keeps a tuple (`where="split=test"`)."""
    default = next(f for f in dataclasses.fields(cls) if f.name == name).default
    if isinstance(default, tuple):
        return (value,) if isinstance(value, str) else tuple(value)
    return value
