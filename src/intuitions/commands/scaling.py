from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from intuitions.commands import common
from intuitions.console import console
from intuitions.errors import UserError

scaling_app = typer.Typer(help="Scaling laws: fit, bootstrap, extrapolate (intuition 4).",
                          no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(scaling_app, name="scaling")


def _floats(name: str, text: Optional[str]) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        vals = tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise UserError(f"{name} must be a comma-separated list of numbers, got {text!r}") from None
    if not vals:
        raise UserError(f"{name} is empty")
    return vals


def _kinds(text: Optional[str], default: tuple[str, ...] | None) -> tuple[str, ...] | None:
    if text is None:
        return default
    if text.strip().lower() == "all":
        return None
    vals = tuple(k.strip() for k in text.split(",") if k.strip())
    if not vals:
        raise UserError("--kinds is empty")
    return vals


@scaling_app.command(help="Fit a scaling law to a table of runs (CSV/Parquet) or to a trained ladder.")
def fit(
    table: Annotated[Optional[Path], typer.Argument(
        help="CSV/Parquet of runs: params, tokens, loss (flops optional).")] = None,
    family: Annotated[Optional[str], typer.Option(
        "--family", help="Fit a trained ladder preset's runs.csv instead (e.g. quick).")] = None,
    form: Annotated[str, typer.Option(
        "--form", help="params: L(N); tokens: L(D); chinchilla: L(N,D); compute: L(C).")] = "chinchilla",
    params_col: Annotated[Optional[str], typer.Option(
        "--params-col", help="Column of N: total or non-embedding (default for --family: "
                             "non_embedding_params).")] = None,
    tokens_col: Annotated[Optional[str], typer.Option("--tokens-col", help="Column of D.")] = None,
    loss_col: Annotated[Optional[str], typer.Option("--loss-col", help="Column of the loss (nats).")] = None,
    flops_col: Annotated[Optional[str], typer.Option("--flops-col", help="Column of C; default 6·N·D.")] = None,
    kinds: Annotated[Optional[str], typer.Option(
        "--kinds", help="Keep rows whose 'kind' is one of these (comma-separated); 'all' keeps every row. Default for "
                        "--family: final,branch.")] = None,
    exclude_col: Annotated[Optional[str], typer.Option(
        "--exclude-col", help="Drop rows where this column is true/non-zero (e.g. epoch_excluded_outlier).")] = None,
    holdout: Annotated[int, typer.Option(
        "--holdout", help="Predict the k largest runs (or ladder members) instead of fitting them.")] = 0,
    holdout_by: Annotated[str, typer.Option(
        "--holdout-by", help="auto (member for a ladder, else compute) | compute | params | member.")] = "auto",
    holdout_frac: Annotated[float, typer.Option(
        "--holdout-frac", help="With --holdout 0: predict this share of the runs (the largest), e.g. 0.1.")] = 0.0,
    floor: Annotated[Optional[float], typer.Option(
        "--floor", help="Known irreducible loss (default: the entropy floor in irreducible.json beside the "
                        "table, else the fitted E).")] = None,
    bootstrap_by: Annotated[str, typer.Option(
        "--bootstrap-by", help="auto (member when the table has members, else point) | member | point.")] = "auto",
    delta: Annotated[float, typer.Option("--delta", help="Huber threshold on log-loss residuals.")] = 1e-3,
    bootstrap: Annotated[int, typer.Option(
        "--bootstrap", help="Bootstrap refits for the 95% intervals (0: none).")] = 1000,
    refine: Annotated[int, typer.Option("--refine", help="Best grid starts refined with L-BFGS.")] = 64,
    grid_e: Annotated[Optional[str], typer.Option(
        "--grid-e", help="Starting values of log E, comma-separated.")] = None,
    grid_coef: Annotated[Optional[str], typer.Option("--grid-coef", help="Starting values of log A, log B.")] = None,
    grid_exponent: Annotated[Optional[str], typer.Option(
        "--grid-exponent", help="Starting values of the exponents.")] = None,
    budgets: Annotated[Optional[str], typer.Option(
        "--budgets", help="Compute budgets (FLOPs) for N*(C), D*(C); default max C ×1, ×10, ×100.")] = None,
    out: common.Out = None,
    seed: common.Seed = 0,
) -> None:
    from intuitions.experiments.scaling import core as exp
    from intuitions.fit import powerlaw as pl

    the_form = pl.get_form(form)
    if (table is None) == (family is None):
        raise UserError("give either a table of runs or --family PRESET (not both)")
    if holdout < 0:
        raise UserError(f"--holdout must be 0 or more, got {holdout}")
    if holdout_by not in exp.HOLDOUT_BY:
        raise UserError(f"--holdout-by must be one of {', '.join(exp.HOLDOUT_BY)}, got {holdout_by!r}")
    if not 0 <= holdout_frac < 1:
        raise UserError(f"--holdout-frac must be in [0, 1), got {holdout_frac}")
    if bootstrap_by not in ("auto", "member", "point"):
        raise UserError(f"--bootstrap-by must be auto, member or point, got {bootstrap_by!r}")
    if floor is not None and not floor >= 0:
        raise UserError(f"--floor must be 0 or more, got {floor}")
    if not delta > 0:
        raise UserError(f"--delta must be positive, got {delta}")
    if bootstrap < 0:
        raise UserError(f"--bootstrap must be 0 or more, got {bootstrap}")
    common.positive("--refine", refine)
    base = pl.Grid()
    grid = pl.Grid(_floats("--grid-e", grid_e) or base.e, _floats("--grid-coef", grid_coef) or base.coef,
                   _floats("--grid-exponent", grid_exponent) or base.exponent)
    budget_vals = _floats("--budgets", budgets) or ()
    if any(not b > 0 for b in budget_vals):
        raise UserError("--budgets must be positive FLOP counts")
    if out is not None:
        from intuitions.results import ensure_out_dir

        ensure_out_dir(out)
    path = exp.family_table(family) if family is not None else table
    if path is None:  # unreachable: exactly one of the two was checked above
        raise UserError("give either a table of runs or --family PRESET")
    if family and params_col is None:
        params_col = exp.LADDER_PARAMS
    kind_list = _kinds(kinds, exp.LADDER_KINDS if family else None)
    cols = exp.Columns(params_col, tokens_col, loss_col, flops_col)
    pts = exp.read_table(path, the_form, cols, exclude_col, drop_untrained=family is not None, kinds=kind_list)
    known = floor if floor is not None else exp.known_floor(path)
    floor_source = "given" if floor is not None else "known entropy floor" if known is not None else ""
    req = exp.ScalingRequest(the_form.name, holdout, holdout_by, budget_vals,
                             pl.FitOptions(delta=delta, grid=grid, refine=refine, bootstrap=bootstrap, seed=seed),
                             holdout_frac, known, floor_source, bootstrap_by)
    res = _run_with_progress(exp, pts, req, pl.n_refits(len(pts), req.fit) if bootstrap else 0)
    _print(res)
    if out is not None:
        from intuitions.experiments.contract import save
        from intuitions.experiments.scaling.figures import draw

        config = {"table": str(path), "family": family, "form": the_form.name, "columns": pts.columns,
                  "exclude_col": exclude_col, "kinds": kind_list, "holdout": holdout, "holdout_by": holdout_by,
                  "delta": delta,
                  "bootstrap": bootstrap, "refine": refine, "budgets": list(budget_vals), "seed": seed,
                  "holdout_frac": holdout_frac, "floor": known, "bootstrap_by": bootstrap_by}
        figs = save(out, "scaling", config, res, {}, draw, exp.verdicts)
        console().print(f"wrote {out / 'result.json'} and {', '.join(p.name for p in figs)}")


def _run_with_progress(exp, pts, req, n_boot: int):
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                  TextColumn("{task.completed}/{task.total}"),
                  TimeRemainingColumn(), transient=True, console=console(stderr=True)) as bar:
        task = bar.add_task("bootstrap refits", total=n_boot)
        return exp.run(pts, req, progress=lambda i: bar.update(task, completed=i + 1))


def _fmt(x, digits: int = 4) -> str:
    from intuitions.stats import num

    return num(x)  # one number format everywhere (stats.num); `digits` is kept for the call sites


def _ci(lo, hi, digits: int = 4) -> str:
    return f"{_fmt(lo, digits)}–{_fmt(hi, digits)}"


def _print(res) -> None:
    con = console()
    con.print(Text.assemble((res.formula, "bold"), f" on {res.source}: {res.n_fit} points fitted"
                            + (f", {res.n_holdout} held out" if res.n_holdout else "")))
    t = Table("parameter", "value", "95% CI")
    for k, p in res.params.items():
        t.add_row(k, _fmt(p.value), _ci(p.ci_low, p.ci_high))
    con.print(t)
    f, s = res.fit, res.settings
    con.print(f"objective {f.objective:.6g} · R²(log) {f.r2_log:.4f} · RMSE(log) {f.rmse_log:.4f} · "
              f"{f.n_starts} starts, best {f.n_refined} refined · {f.bootstrap_ok}/{s['bootstrap']} bootstrap refits · "
              f"δ={s['delta']:g} seed={s['seed']}")
    for k in ("large_table", "bootstrap_capped"):
        if k in s:
            con.print(f"note: {s[k]}", markup=False, highlight=False)
    for w in res.warnings:
        con.print(Text.assemble(("warning:", "yellow"), f" {w}"))
    if res.predictions:
        members = any(p.member for p in res.predictions)
        t = Table(*(["member"] if members else []), "N", "D", "actual", "predicted (95% PI)", "error")
        for p in sorted(res.predictions, key=lambda q: q.compute)[-20:]:  # the largest 20
            t.add_row(*([p.member or ""] if members else []), _fmt(p.params, 3), _fmt(p.tokens, 3),
                      f"{p.actual:.4f}", f"{p.predicted:.4f} ({_ci(p.pi_low, p.pi_high)})",
                      f"{p.rel_error:.2%}" + ("" if p.inside_pi else " out"))
        con.print(t)
        inside = sum(p.inside_pi for p in res.predictions)
        mean_rel = sum(p.rel_error for p in res.predictions) / len(res.predictions)
        con.print(f"held out: mean relative error {mean_rel:.2%}; {inside}/{len(res.predictions)} inside the 95% PI")
    if res.check is not None:
        c = res.check
        con.print(f"mean error on the reducible loss (floor {c.floor:.4g}, {c.floor_source}): law {c.law_error:.1%} · "
                  f"previous size {c.previous_error:.1%} · power law without E {c.no_floor_error:.1%}; "
                  f"{c.n_outside} outside the PI (chance allows {c.allowed_outside})")
        from intuitions.experiments.scaling.core import verdicts
        from intuitions.results import to_jsonable

        for v in verdicts({"config": {}, "result": to_jsonable(res)}):
            con.print(f"intuition 4 ({v.source}): {v.label}")
    if res.compute_optimal:
        t = Table("compute C", "N*(C)", "D*(C)", "tokens per parameter")
        for o in res.compute_optimal:
            t.add_row(_fmt(o.compute, 3), *(f"{_fmt(v.value, 3)} ({_ci(v.ci_low, v.ci_high, 3)})"
                                            for v in (o.params, o.tokens, o.tokens_per_param)))
        con.print(t)
