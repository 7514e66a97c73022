from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from intuitions.commands import common
from intuitions.console import console
from intuitions.errors import UserError

Str = Optional[str]


def register(app: typer.Typer) -> None:
    app.command(help="Emergent abilities: which tasks jump with scale, could smaller models have predicted it, "
                     "and does the jump survive a continuous metric (intuition 5).")(emergence)


def _opt(flag: str, text: str):
    return typer.Option(flag, help=text)


def emergence(
    table: Annotated[Optional[Path], typer.Argument(
        help="Results: CSV/TSV/Parquet table, BIG-bench scores_*.json, lm-eval results_*.json, or a folder of"
             " them.")] = None,
    family: Annotated[Str, _opt(
        "--family", "Read the self-trained ladder <preset> (its evals.csv) instead of a table.")] = None,
    scale_col: Annotated[Str, _opt(
        "--scale-col", "Scale column (params or FLOPs); default: the first of params…, flops….")] = None,
    task_col: Annotated[str, _opt("--task-col", "Task column (long tables).")] = "task",
    metric_col: Annotated[str, _opt(
        "--metric-col", "Value column; a comma list makes each column one metric.")] = "value",
    metric_name_col: Annotated[Str, _opt(
        "--metric-name-col", "Column naming the metric (default: `metric` if present).")] = None,
    model_col: Annotated[Str, _opt("--model-col", "Model column (default: model, member, name).")] = None,
    family_col: Annotated[Str, _opt("--family-col", "Group models by this column (one trend per family).")] = None,
    stderr_col: Annotated[Str, _opt("--stderr-col", "Standard-error column (default: `stderr` if present).")] = None,
    chance_col: Annotated[Str, _opt("--chance-col", "Chance-level column (default: `chance` if present).")] = None,
    n_col: Annotated[Str, _opt(
        "--n-col", "Items-per-score column, for binomial stderr (default: `n` if present).")] = None,
    wide: Annotated[bool, _opt(
        "--wide", "One column per task (<task>_<metric> names are split on the metric).")] = False,
    tasks: Annotated[Str, _opt(
        "--tasks", "Wide tables: comma list of task columns (default: every numeric one).")] = None,
    where: Annotated[Optional[list[str]], _opt(
        "--where", "Keep rows with COL=VALUE (or COL!=VALUE); repeatable.")] = None,
    all_checkpoints: Annotated[bool, _opt(
        "--all-checkpoints", "Keep every training step as a point (default: each model's last).")] = False,
    scales: Annotated[Str, _opt("--scales", "JSON results: MODEL=SIZE,… for models whose size is not stated.")] = None,
    shots: Annotated[Optional[int], _opt(
        "--shots", "JSON results: number of shots to keep (default: the fewest).")] = None,
    chance: Annotated[Str, _opt("--chance", "Chance level: a number for every task, or TASK=NUMBER,….")] = None,
    primary_metric: Annotated[Str, _opt(
        "--primary-metric", "Metric the emergence call is made on (default: exact match/accuracy).")] = None,
    continuous: Annotated[Str, _opt("--continuous", "Comma list: metrics to treat as continuous.")] = None,
    discontinuous: Annotated[Str, _opt("--discontinuous", "Comma list: metrics to treat as discontinuous.")] = None,
    lower_better: Annotated[Str, _opt("--lower-better", "Comma list: metrics where lower is better.")] = None,
    loss_metric: Annotated[Str, _opt(
        "--loss-metric", "Metric used as the task loss in the two-step prediction.")] = None,
    bins: Annotated[Optional[int], _opt(
        "--bins", "Pool models into this many log-scale bins (for many-family tables).")] = None,
    fit: Annotated[str, _opt(
        "--fit", "Trend for the extrapolation test: linear (in log scale) or sigmoid.")] = "linear",
    cutoff: Annotated[Optional[float], _opt("--cutoff", "Fit on sizes below this scale (default: automatic).")] = None,
    min_sharpness: Annotated[float, _opt("--min-sharpness", "Rule: breakthroughness/linearity at least this.")] = 2.0,
    min_surprise_frac: Annotated[float, _opt(
        "--min-surprise-frac", "Rule: surprise at least this share of the total rise.")] = 0.25,
    min_below: Annotated[int, _opt("--min-below", "Rule: smaller sizes at chance before the emergence scale.")] = 2,
    min_rise: Annotated[float, _opt(
        "--min-rise", "Rule: a bounded score rises at least this share of its full range.")] = 0.1,
    margin_z: Annotated[Optional[float], _opt(
        "--margin-z", "Rule: above chance means above chance + this × stderr (default: Bonferroni over the "
                      "sizes).")] = None,
    min_margin: Annotated[float, _opt("--min-margin", "Rule: and above chance + this (metric units).")] = 0.0,
    min_fit: Annotated[int, _opt("--min-fit", "Fewest sizes a trend is fitted to.")] = 2,
    out: common.Out = None,
) -> None:
    from intuitions.experiments.emergence import core as exp
    from intuitions.experiments.emergence import readers as eio
    from intuitions.experiments.emergence.measures import Options, Rule

    if (table is None) == (family is None):
        raise UserError("give a results table or --family PRESET (exactly one)")
    if bins is not None and bins < 3:
        raise UserError(f"--bins must be at least 3, got {bins}")
    rule = Rule(min_sharpness=min_sharpness, min_surprise_frac=min_surprise_frac, min_below=min_below,
                min_rise=min_rise, margin_z=margin_z, min_margin=min_margin, fit=fit, cutoff=cutoff, min_fit=min_fit)
    opts = Options(rule=rule, chance=_chance(chance), primary_metric=primary_metric, continuous=_list(continuous),
                   discontinuous=_list(discontinuous), lower_better=_list(lower_better), loss_metric=loss_metric,
                   bins=bins)
    if out is not None:
        from intuitions.results import ensure_out_dir
        ensure_out_dir(out)
    if family is not None:
        loaded = eio.load_ladder(family, scale_col, all_checkpoints)
    else:
        spec = eio.TableSpec(path=str(table), scale_col=scale_col, task_col=task_col, metric_col=metric_col,
                             metric_name_col=metric_name_col, model_col=model_col, family_col=family_col,
                             stderr_col=stderr_col, chance_col=chance_col, n_col=n_col, wide=wide,
                             tasks=_list(tasks), where=tuple(where or ()), all_checkpoints=all_checkpoints,
                             scales=_list(scales), shots=shots)
        loaded = eio.load(spec)
    analysis = exp.analyze(loaded, opts)
    _print(analysis)
    if out is not None:
        from intuitions.experiments.contract import save
        from intuitions.experiments.emergence.figures import draw

        config = {"input": str(table) if table else f"family:{family}", "opts": opts,
                  "reader": {k: v for k, v in locals().items() if k in _READER_KEYS}}
        save(out, "emergence", config, analysis, {}, draw, exp.verdicts)
        console().print(f"wrote {out / 'result.json'} and figures")


_READER_KEYS = {"scale_col", "task_col", "metric_col", "metric_name_col", "model_col", "family_col", "stderr_col",
                "chance_col", "n_col", "wide", "tasks", "where", "all_checkpoints", "scales", "shots"}


def _list(text: str | None) -> tuple[str, ...]:
    return tuple(x.strip() for x in (text or "").split(",") if x.strip())


def _chance(text: str | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in _list(text):
        task, sep, val = item.rpartition("=")
        try:
            out[task if sep else "*"] = float(val)
        except ValueError:
            raise UserError(f"--chance wants a number or TASK=NUMBER, got {item!r}") from None
    return out


def _fmt(v, spec=".3g") -> str:
    from intuitions.stats import num

    if v is None:
        return "–"
    return "∞" if isinstance(v, float) and math.isinf(v) else num(v)  # one number format (stats.num)


def _print(a) -> None:
    con = console()
    con.print(Text.assemble((a.source, "bold"), f"  {a.n_models} models · {a.n_sizes} sizes · {len(a.tasks)} tasks"))
    for note in a.notes:
        con.print(f"  note: {note}")
    tab = Table(show_lines=False)
    for col in ("task", "metric", "lin.", "break.", "sharp.", "emerges at", "surprise [95% CI]", "crit.", "emergent"):
        tab.add_column(col)
    for t in a.tasks:
        ci = t.extrapolation_surprise_ci
        sur = ("–" if t.extrapolation_surprise is None
               else f"{_fmt(t.extrapolation_surprise)} [{_fmt(ci[0])}, {_fmt(ci[1])}]")
        crit = "".join({True: "✓", False: "·", None: "-"}[v] for v in t.criteria.values())
        tab.add_row(f"{t.family + '/' if t.family else ''}{t.task}", t.metric, _fmt(t.linearity, ".2f"),
                    _fmt(t.breakthroughness, ".2f"), _fmt(t.sharpness, ".2f"), _fmt(t.emergence_scale), sur, crit,
                    "[bold red]yes[/bold red]" if t.emergent else "no")
    con.print(tab)
    con.print("criteria: improves · absent when small · concentrated · unpredicted (✓ holds, · fails, - n/a)")
    if a.overall_loss:
        ol = a.overall_loss
        con.print(f"overall loss ({ol.source}): linearity {_fmt(ol.linearity, '.2f')}, sharpness "
                  f"{_fmt(ol.sharpness, '.2f')}, {'jumps' if ol.jumps else 'no jump'} → "
                  f"{'smooth' if ol.smooth else 'not smooth'}")
    for t in a.tasks:
        if t.mirage:
            con.print(f"metric test {t.task}: {t.mirage.summary}")
        if t.two_step:
            ts = t.two_step
            con.print(f"two-step {t.task}: MAE two-step {_fmt(ts.two_step_mae)} (loss known {_fmt(ts.known_loss_mae)}) "
                      f"vs direct {_fmt(ts.direct_mae)} on {len(ts.points)} held-out sizes → {ts.better}"
                      + ("" if ts.identified
                         else " (the small models' accuracy is flat: the loss→accuracy link is not identified)"))
    con.print(f"emergent: {', '.join(a.emergent_tasks) or 'none'}")
    only = [t.task for t in a.tasks if t.emergent and t.metric_only]
    if only:
        con.print(f"emergent in exact match only: {', '.join(only)}")
