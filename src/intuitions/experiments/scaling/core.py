"""Intuition 4: loss follows a power law in size and data, so a bigger model's loss can be
predicted before it is trained.

Reads a table of runs (any CSV/Parquet of params, tokens, loss; or the ladder's own
runs.csv), fits a Chinchilla-style law with bootstrap intervals (`intuitions.fit.powerlaw`),
holds out the largest runs and predicts them, and derives the compute-optimal allocation.
Figures re-render from the saved result alone (`figures(saved_result, out)`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from intuitions.errors import UserError
from intuitions.experiments.audit import UNDERPOWERED
from intuitions.experiments.scaling.readers import (  # noqa: F401  (re-exported: the experiment's vocabulary)
    HOLDOUT_BY,
    LADDER_KINDS,
    LADDER_PARAMS,
    Columns,
    Points,
    family_table,
    needed,
    read_table,
)
from intuitions.fit import powerlaw as pl
from intuitions.verdict import INCONCLUSIVE, NOT_SUPPORTED, NOT_TESTED, SUPPORTED, Verdict

INTUITIONS = (4,)

# ---------------------------------------------------------------- the experiment


@dataclass(frozen=True)
class ScalingRequest:
    form: str = "chinchilla"
    holdout: int = 0  # how many of the largest runs (or members) to predict instead of fit
    holdout_by: str = "auto"  # auto: by member for a ladder, else by compute
    budgets: tuple[float, ...] = ()  # compute budgets for N*, D*; default max C ×1, ×10, ×100
    fit: pl.FitOptions = field(default_factory=pl.FitOptions)
    holdout_frac: float = 0.0  # when holdout is 0: hold out this share of the runs (the largest by holdout_by)
    floor: float | None = None  # the known irreducible loss (the ladder's entropy floor); None: the fitted E
    floor_source: str = ""
    bootstrap_by: str = "auto"  # auto: by member when the table has members, else by point


@dataclass(frozen=True)
class PointPrediction:
    member: str | None
    params: float
    tokens: float
    compute: float
    actual: float
    predicted: float
    ci_low: float  # the law's 95% bootstrap interval
    ci_high: float
    pi_low: float  # prediction interval: law + the fit's own scatter
    pi_high: float
    abs_error: float
    rel_error: float  # |predicted - actual| / actual
    inside_pi: bool
    previous: float = float("nan")  # baseline: the previous size's loss (nearest tokens)
    no_floor: float = float("nan")  # baseline: the same power law with E = 0
    reducible: float = float("nan")  # actual - floor


@dataclass(frozen=True)
class HoldoutCheck:
    """The held-out runs scored on the reducible loss against two naive baselines."""
    floor: float
    floor_source: str  # the known entropy floor, or the fitted E
    law_error: float  # mean |predicted - actual| / (actual - floor) over the held-out runs
    previous_error: float  # the same for "as the previous size"
    no_floor_error: float  # the same for the power law without E
    n: int
    n_outside: int  # held-out runs outside the law's 95% prediction interval
    allowed_outside: int  # the most that chance allows (binomial 95th percentile at 5% per run)


@dataclass(frozen=True)
class FitStats:
    objective: float
    r2_log: float
    rmse_log: float
    converged: bool
    n_starts: int
    n_refined: int
    bootstrap_ok: int  # refits that converged to finite values, of settings.bootstrap
    residuals_log: list[float]
    scatter_kind: str  # which residuals widen the prediction intervals


@dataclass(frozen=True)
class ScalingResult:
    source: str
    form: str
    formula: str
    n_points: int
    n_fit: int
    n_holdout: int
    params: dict[str, pl.Interval]
    fit: FitStats
    predictions: list[PointPrediction]
    compute_optimal: list[pl.Optimum]
    settings: dict
    warnings: list[str]  # e.g. an axis with too few distinct values to identify its exponent
    points: dict  # every row, with held_out flags: figures re-render from this
    bootstrap_theta: list[list[float]]  # [e=log E, log A, alpha, ...] per refit
    check: HoldoutCheck | None = None  # None when nothing was held out


@dataclass(frozen=True)
class Skipped:
    status: str  # "skipped"
    reason: str  # why the law was not fitted (too few points or members): a finding, not a crash


@dataclass(frozen=True)
class ScalingReport:
    """The run step's result: one fit per source (the ladder, and a table when given)."""
    sources: dict[str, ScalingResult | Skipped]


def holdout_mask(pts: Points, k: int, by: str) -> np.ndarray:
    """True for held-out rows: the k largest by compute / params, or the k largest members."""
    held = np.zeros(len(pts), bool)
    if k <= 0:
        return held
    if by not in HOLDOUT_BY:
        raise UserError(f"--holdout-by must be one of {', '.join(HOLDOUT_BY)}, got {by!r}")
    if by == "auto":
        by = "member" if pts.member is not None else "compute" if np.isfinite(pts.compute).all() else "params"
    if by == "member":
        if pts.member is None or not np.isfinite(pts.params).all():
            raise UserError("--holdout-by member needs a 'member' column and parameter counts")
        mem = np.asarray(pts.member, object)
        names = sorted(set(mem), key=lambda m: pts.params[mem == m].max())
        if k >= len(names):
            raise UserError(f"--holdout {k} leaves no member to fit (the table has {len(names)})")
        return np.isin(mem, names[-k:])
    key = pts.compute if by == "compute" else pts.params
    if not np.isfinite(key).all():
        raise UserError(f"--holdout-by {by} needs {'tokens or flops' if by == 'compute' else 'params'} in the table")
    if k >= len(pts):
        raise UserError(f"--holdout {k} leaves no point to fit (the table has {len(pts)})")
    held[np.argsort(key, kind="stable")[-k:]] = True
    return held


def run(pts: Points, req: ScalingRequest, progress=None) -> ScalingResult:
    form = pl.get_form(req.form)
    k = req.holdout
    if k == 0 and req.holdout_frac > 0:
        k = max(1, int(round(req.holdout_frac * len(pts))))
    held = holdout_mask(pts, k, req.holdout_by)
    train, test = pts.subset(~held), pts.subset(held)
    by_member = req.bootstrap_by == "member" or (req.bootstrap_by == "auto" and train.member is not None)
    if by_member and train.member is None:
        raise UserError("--bootstrap-by member needs a 'member' column")
    groups = np.asarray(train.member, object) if by_member else None
    f = pl.fit(form, train.values(), train.loss, req.fit, progress, groups)
    floor = float(req.floor) if req.floor is not None else float(np.exp(f.theta[0]))
    floor_source = req.floor_source or ("known" if req.floor is not None else "fitted E")
    preds = []
    if len(test):
        no_floor = np.exp(pl.log_predict(pl.fit_no_floor(form, train.values(), train.loss, req.fit),
                                         pl.features(form, test.values())))
        previous = previous_size(train, test)
        for i, p in enumerate(pl.predict(f, test.values())):
            actual = float(test.loss[i])
            preds.append(PointPrediction(
                None if test.member is None else test.member[i], float(test.params[i]), float(test.tokens[i]),
                float(test.compute[i]), actual, p.loss.value, p.loss.ci_low, p.loss.ci_high, p.pi_low, p.pi_high,
                abs(p.loss.value - actual), abs(p.loss.value - actual) / actual,
                bool(p.pi_low <= actual <= p.pi_high), float(previous[i]), float(no_floor[i]), actual - floor))
    # The closed-form optimum assumes C = 6ND, so default budgets are in those units too.
    budgets = req.budgets or tuple(float(np.nanmax(6 * pts.params * pts.tokens)) * m for m in (1, 10, 100))
    budgets = tuple(b for b in budgets if np.isfinite(b))
    stats = FitStats(f.objective, f.r2_log, float(np.sqrt(np.mean(f.residuals ** 2))), f.converged,
                     f.n_starts, f.n_refined, len(f.boot_thetas), f.residuals.tolist(), f.scatter_kind)
    o = req.fit
    settings = {"delta": o.delta, "n_starts": f.n_starts, "refine": o.refine, "bootstrap": o.bootstrap,
                "bootstrap_start": "cold, from the best coarse-grid start on each resample" if o.cold
                else "warm, from the best fit",
                "bootstrap_by": "member" if by_member else "point",
                "seed": o.seed, "level": o.level, "holdout": k, "holdout_by": req.holdout_by,
                "holdout_frac": req.holdout_frac,
                "grid": {"e": o.grid.e, "coef": o.grid.coef, "exponent": o.grid.exponent},
                "columns": pts.columns, "optimizer": "L-BFGS-B", "ftol": o.ftol, "gtol": o.gtol}
    if len(train) > o.subsample:  # only large tables: small ones keep their settings as they were
        settings["large_table"] = (f"grid scored and refined on {o.subsample} of {len(train)} points (seeded), "
                                   f"best {o.polish} distinct solutions refined on all")
    if o.bootstrap and pl.n_refits(len(train), o) < o.bootstrap:
        settings["bootstrap_capped"] = (f"{pl.n_refits(len(train), o)} refits instead of {o.bootstrap}: "
                                        f"{len(train)} points x refits capped at {o.max_boot_work:.0e}")
    points = {"params": pts.params, "tokens": pts.tokens, "compute": pts.compute, "loss": pts.loss,
              "member": pts.member, "held_out": held}
    return ScalingResult(pts.source, form.name, form.formula, len(pts), len(train), len(test),
                         pl.parameters(f), stats, preds, pl.compute_optimal(f, budgets), settings,
                         identification(form, train), points, f.boot_thetas.tolist(),
                         holdout_check(preds, floor, floor_source, o.level))


def previous_size(train: Points, test: Points) -> np.ndarray:
    """The naive "as the previous size" prediction for each held-out run: the loss of the
    largest smaller member (a ladder) or of the nearest smaller run in log N (a table), at the
    token count nearest the held-out run's."""
    out = np.full(len(test), np.nan)
    ln, ld = np.log(train.params), np.log(train.tokens)
    for i in range(len(test)):
        below = train.params < test.params[i]
        if not below.any():
            below = np.ones(len(train), bool)
        if train.member is not None:
            mem = np.asarray(train.member, object)
            sizes = {m: train.params[mem == m].max() for m in set(mem[below])}
            cand = below & (mem == max(sizes, key=lambda m: sizes[m]))
        else:
            cand = below
        if train.member is not None:  # within the previous member, only the token count matters
            dist = np.where(cand, np.abs(ld - np.log(test.tokens[i])), np.inf)
        else:
            dist = np.where(cand, (ln - np.log(test.params[i])) ** 2 + (ld - np.log(test.tokens[i])) ** 2, np.inf)
        out[i] = train.loss[int(np.argmin(dist))]
    return out


def allowed_outside(n: int, level: float = 0.95) -> int:
    """The most held-out runs that may fall outside a `level` prediction interval by chance:
    the 95th percentile of Binomial(n, 1 - level) (0 for one run, 3 for 24)."""
    from scipy.stats import binom

    return int(binom.ppf(0.95, n, 1 - level)) if n else 0


def holdout_check(preds: list[PointPrediction], floor: float, floor_source: str, level: float) -> HoldoutCheck | None:
    if not preds:
        return None
    red = np.array([max(p.actual - floor, 1e-12) for p in preds])
    act = np.array([p.actual for p in preds])

    def err(pred) -> float:
        return float(np.mean(np.abs(np.asarray(pred, float) - act) / red))

    return HoldoutCheck(floor, floor_source, err([p.predicted for p in preds]), err([p.previous for p in preds]),
                        err([p.no_floor for p in preds]), len(preds), sum(not p.inside_pi for p in preds),
                        allowed_outside(len(preds), level))


def known_floor(runs_csv: Path) -> float | None:
    """The ladder's irreducible loss: the world's held-out entropy floor (irreducible.json
    beside runs.csv, in the same nats per token as its loss column); None when absent."""
    import json

    path = runs_csv.parent / "irreducible.json"
    try:
        v = json.loads(path.read_text())["heldout_floor_per_token"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return float(v) if isinstance(v, (int, float)) and np.isfinite(v) else None


def identification(form: pl.Form, train: Points) -> list[str]:
    """What the data cannot pin down. E + A·N^-alpha needs N at three or more values at least;
    the bootstrap cannot flag this itself (its warm-started refits sit still)."""
    out = []
    for var, exp_name in zip(form.variables, form.exponents):
        k = len(np.unique(getattr(train, var)))
        if k < 3:
            out.append(f"{var} takes only {k} distinct value(s) in the fitted points: {exp_name} is not identified")
    return out


# ---------------------------------------------------------------- main-job step


def report_step(ctx) -> None:
    """Fit L(N,D) on the ladder, predicting its largest member, and on the published
    Chinchilla points (Epoch's replication, outliers excluded), predicting the top 10% of
    compute; `options.table` replaces the published points with another table.

    Options (run.toml): bootstrap (1000), delta (1e-3), refine (64), holdout (1 member),
    params_col ("non_embedding_params"), kinds (["final", "branch"]); published (true),
    published_bootstrap (200), published_holdout_frac (0.1); for a table: table, exclude_col,
    params_col_table, tokens_col, loss_col, flops_col, table_holdout (0), table_holdout_frac
    (0.1), table_holdout_by ("compute")."""
    from intuitions import published
    from intuitions.experiments.contract import save
    from intuitions.experiments.optionspec import parse
    from intuitions.experiments.scaling.figures import draw
    from intuitions.experiments.scaling.options import ScalingOptions

    o = parse(ScalingOptions, ctx.options, "[options.scaling]")
    fit_opts = pl.FitOptions(seed=ctx.seed, bootstrap=o.bootstrap, delta=o.delta, refine=o.refine)
    jobs = {}
    preset = ctx.ladder.split(":", 1)[-1]
    kinds = o.kinds or None

    def ladder_job():
        path = family_table(preset)
        pts = read_table(path, pl.FORMS["chinchilla"], Columns(params=o.params_col), drop_untrained=True, kinds=kinds)
        floor = known_floor(path)
        req = ScalingRequest("chinchilla", o.holdout, "member", fit=fit_opts, floor=floor,
                             floor_source="known entropy floor" if floor is not None else "")
        return pts, req

    jobs["ladder"] = ladder_job
    if o.table:
        table = o.table
        cols = Columns(o.params_col_table, o.tokens_col, o.loss_col, o.flops_col)
        jobs["table"] = lambda: (
            read_table(Path(table), pl.FORMS["chinchilla"], cols, o.exclude_col),
            ScalingRequest("chinchilla", o.table_holdout, o.table_holdout_by, fit=fit_opts,
                           holdout_frac=o.table_holdout_frac))
    elif o.published:
        pub_opts = pl.FitOptions(seed=ctx.seed, bootstrap=o.published_bootstrap, delta=o.delta, refine=o.refine)
        jobs["published"] = lambda: (
            read_table(published.path(published.CHINCHILLA), pl.FORMS["chinchilla"],
                       exclude_col="epoch_excluded_outlier"),
            ScalingRequest("chinchilla", 0, "compute", fit=pub_opts, holdout_frac=o.published_holdout_frac))
    sources = {}
    for name, load in jobs.items():
        pts, req = load()  # a missing or malformed table is the user's to fix: let it raise
        try:
            sources[name] = run(pts, req)
        except UserError as e:  # too few points (or members) for the law: a finding, not a crash
            sources[name] = Skipped("skipped", str(e))
    config = {"ladder": ctx.ladder, "seed": ctx.seed, "options": dict(ctx.options)}
    save(ctx.out, "scaling", config, ScalingReport(sources), {}, draw, verdicts)


PUBLISHED_HOLDOUT_FRAC = 0.1  # Epoch's points: the top 10% of compute are predicted, not fitted
PUBLISHED_BOOTSTRAP = 200  # 240 points: each cold refit costs ~0.15 s on one core
RULE_ID = "scaling.beats_baselines"


def source_of(name: str, saved: dict) -> str:
    """Whose data a fitted table is: the run's ladder, or a table (published points)."""
    if name == "ladder":
        return "ladder"
    return "published"


def verdicts(saved: dict) -> list[Verdict]:
    """One verdict per fitted source. Reads the run's report ({sources: {...}}) and a single
    `scaling fit` result alike."""
    r = saved.get("result", {})
    cfg = saved.get("config", {})
    if "sources" in r:
        fits = dict(r["sources"])
    elif r:
        fits = {"ladder" if cfg.get("family") else "table": r}
    else:
        fits = {}
    out = [_verdict(name, res, source_of(name, saved)) for name, res in fits.items()]
    if not out:
        out.append(Verdict(4, NOT_TESTED, rule_text(), "no table was fitted", RULE_ID, "ladder"))
    return out


def rule_text(level: float = 0.95) -> str:
    return (f"Fit the law on all but the held-out runs (the largest ladder member; for a table, the top "
            f"{PUBLISHED_HOLDOUT_FRAC:.0%} of compute), with {level:.0%} prediction intervals from a bootstrap "
            f"that resamples members (a member's decay branches share its errors) and starts each refit cold. "
            f"Score the held-out runs on the reducible loss, loss minus the floor (the world's known entropy "
            f"floor when the table has one, else the fitted E), against two naive predictions on the same runs: "
            f"the previous size's loss, and the same power law with no floor (E = 0). Supported when the law's "
            f"mean error on the reducible loss is below both baselines' and no more held-out runs fall outside "
            f"its interval than chance allows (binomial, {1 - level:.0%} per run); not supported at this scale "
            f"when a baseline does as well or better or too many runs fall outside; inconclusive when there is "
            f"no interval or an axis has fewer than 3 distinct values; not tested when the source has too few "
            f"runs to fit or none held out.")


def _verdict(name: str, res: dict, source: str) -> Verdict:
    rule = rule_text(float((res.get("settings") or {}).get("level", 0.95)))

    def v(label, ev):  # only a miss on the ladder is weakened by its low power
        tail = f"; {UNDERPOWERED}" if source == "ladder" and label == NOT_SUPPORTED else ""
        return Verdict(4, label, rule, f"{name}: {ev}{tail}", RULE_ID, source)

    if res.get("status") == "skipped":
        return v(NOT_TESTED, f"not fitted ({res.get('reason')})")
    preds = res.get("predictions") or []
    chk = res.get("check")
    if not preds or not chk:
        return v(NOT_TESTED, "no run was held out")
    p = max(preds, key=lambda q: q["compute"] if q["compute"] is not None else -1)
    f = {k: (float("nan") if x is None else float(x)) for k, x in chk.items() if k != "floor_source"}
    who = f"{p.get('member') or 'largest run'} (N={p['params']:.3g}, D={p['tokens']:.3g})"
    pe = {k: (float("nan") if p.get(k) is None else float(p[k])) for k in ("predicted", "actual", "pi_low", "pi_high")}
    ev = (f"{int(f['n'])} held out; largest {who}: predicted {pe['predicted']:.4f} [95% PI {pe['pi_low']:.4f}, "
          f"{pe['pi_high']:.4f}] vs actual {pe['actual']:.4f}; mean error on the reducible loss (floor "
          f"{f['floor']:.4f}, {chk.get('floor_source')}): law {f['law_error']:.1%}, previous size "
          f"{f['previous_error']:.1%}, no floor {f['no_floor_error']:.1%}; {int(f['n_outside'])} outside the "
          f"interval (chance allows {int(f['allowed_outside'])}); fitted on {res['n_fit']} runs")
    if res.get("warnings"):
        return v(INCONCLUSIVE, ev + "; " + "; ".join(res["warnings"]))
    bounds = [q.get(b) for q in preds for b in ("pi_low", "pi_high")]
    if any(b is None or not np.isfinite(b) for b in bounds):
        return v(INCONCLUSIVE, ev + "; no bootstrap interval")
    beats = f["law_error"] < f["previous_error"] and f["law_error"] < f["no_floor_error"]
    covered = f["n_outside"] <= f["allowed_outside"]
    return v(SUPPORTED if beats and covered else NOT_SUPPORTED, ev)


# ---------------------------------------------------------------- figures
