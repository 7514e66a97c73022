"""Intuition 5: abilities emerge suddenly with scale. For every task in a per-size results
table: (1) does it jump? (2) could the smaller models have predicted the jump — directly, or
in two steps through the task loss? (3) does the jump survive a change of metric (the
"mirage" test of Schaeffer et al. 2023)?

The measures and the rule live in `intuitions.experiments.emergence.measures`; readers in
`intuitions.experiments.emergence.readers`; figures in `intuitions.experiments.emergence.figures`."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from intuitions.errors import UserError
from intuitions.experiments.emergence.measures import (
    PRIMARY_ORDER,
    MetricMeasures,
    Options,
    Rule,
    make_series,
    measure,
    metric_kind,
)
from intuitions.experiments.emergence.readers import OVERALL_TASKS, Loaded
from intuitions.fit import sigmoid as sf
from intuitions.verdict import INCONCLUSIVE, NOT_SUPPORTED, SUPPORTED, Verdict

INTUITIONS = (5,)
MIN_SIZES = 3  # a trend over fewer sizes says nothing about its shape
MIN_SIZES_VERDICT = 4


@dataclass(frozen=True)
class MirageCheck:
    """Does the jump of the discontinuous metric persist under the continuous ones?"""

    discontinuous: str
    discontinuous_jumps: bool
    continuous: dict  # metric -> {"jumps", "linearity", "sharpness", "surprise"}
    jump_persists: bool | None  # None when the discontinuous metric does not jump at all
    summary: str


@dataclass(frozen=True)
class TwoStepPoint:
    scale: float
    actual: float
    two_step: float  # loss extrapolated by the power law, then mapped by the sigmoid
    two_step_known_loss: float  # the sigmoid applied to the actual loss: the link alone
    direct: float  # the extrapolation test's own prediction
    actual_loss: float
    predicted_loss: float


@dataclass(frozen=True)
class TwoStep:
    loss_metric: str
    accuracy_metric: str
    cutoff: float
    n_fit: int
    power_law: dict  # loss = a · scale^(-b)
    link: dict  # accuracy = floor + (ceiling - floor) · logistic(k · (-loss - x0))
    points: tuple[TwoStepPoint, ...]
    identified: bool  # the fitted sizes' accuracy varies beyond its noise; else the link is a guess
    two_step_mae: float
    known_loss_mae: float
    direct_mae: float
    better: str  # two-step | direct | tie | n/a (link not identified)


@dataclass(frozen=True)
class TaskRecord:
    task: str
    family: str
    metric: str  # the primary metric the call is made on
    kind: str
    n_sizes: int
    improvement: float
    linearity: float
    breakthroughness: float
    sharpness: float
    chance: float | None
    emergence_scale: float | None
    extrapolation_surprise: float | None
    extrapolation_surprise_ci: list | None
    extrapolation_cutoff: float | None
    criteria: dict
    emergent: bool
    metrics: list[MetricMeasures]
    mirage: MirageCheck | None
    two_step: TwoStep | None


@dataclass(frozen=True)
class OverallLoss:
    source: str
    scales: list[float]
    values: list[float]
    linearity: float
    breakthroughness: float
    sharpness: float
    improves: bool
    jumps: bool  # by the same test a task is held to: concentrated and unpredicted
    smooth: bool  # improves and does not jump


@dataclass(frozen=True)
class Analysis:
    source: str
    kind: str
    n_models: int
    n_sizes: int
    rule: dict
    rule_text: str
    tasks: list[TaskRecord]
    ranking: list[str]
    emergent_tasks: list[str]
    overall_loss: OverallLoss | None
    notes: list[str]
    dropped_rows: int
    external: list = field(default_factory=list)  # further Analysis, in the main job


def _loss_transform(metric: str):
    """How a metric becomes a positive loss for the power law (None: it is no loss)."""
    low = metric.lower()
    if "logprob" in low or "log_likelihood" in low:
        return lambda v: -v
    if low in ("loss", "nll", "log_ppl", "log_perplexity") or low.endswith(("_loss", "_nll")):
        return lambda v: v
    return None


def _is_perplexity(metric: str) -> bool:
    low = metric.lower()
    return low in ("ppl", "perplexity") or low.endswith(("_ppl", "_perplexity"))


def log_perplexities(df: pd.DataFrame) -> pd.DataFrame:
    """Perplexities are analysed as their logarithm, i.e. as the loss: exp() alone makes any
    smooth loss curve look like a cliff at small scale and would fake a jump."""
    mask = df["metric"].map(_is_perplexity) & (df["value"] > 0)
    if not mask.any():
        return df
    df = df.copy()
    v = df.loc[mask, "value"]
    df.loc[mask, "stderr"] = df.loc[mask, "stderr"] / v
    df.loc[mask, "value"] = np.log(v)
    df.loc[mask, "metric"] = "log_" + df.loc[mask, "metric"]
    return df


def _pick_primary(metrics: dict[str, pd.DataFrame], opts: Options) -> str:
    if opts.primary_metric:
        if opts.primary_metric in metrics:
            return opts.primary_metric
    pref = [m for m, g in metrics.items() if g["preferred"].any()]
    if pref:
        return pref[0]
    disc = sorted(m for m in metrics if metric_kind(m, opts) == "discontinuous")
    for name in PRIMARY_ORDER:
        if name in disc:
            return name
    return disc[0] if disc else sorted(metrics)[0]


def analyze(loaded: Loaded, opts: Options | None = None, allow_empty: bool = False) -> Analysis:
    """Every task with at least MIN_SIZES sizes; with none, a UserError (or, for the main
    job, an empty analysis whose verdict says why)."""
    opts = opts or Options()
    df = log_perplexities(loaded.frame)
    have = set(df["metric"])
    for flag, name in (("--primary-metric", opts.primary_metric), ("--loss-metric", opts.loss_metric)):
        if name and name not in have:
            raise UserError(f"{flag} {name!r} is not a metric of {loaded.source} (metrics: {', '.join(sorted(have))})")
    notes = list(loaded.notes)
    is_overall = df["task"].str.lower().isin(OVERALL_TASKS)
    tasks_df = df[~is_overall]
    records = []
    for (family, task), g in tasks_df.groupby(["family", "task"], sort=True):
        metrics = {m: mg for m, mg in g.groupby("metric", sort=True)}
        series = {m: make_series(mg, family, task, m, opts) for m, mg in metrics.items()}
        notes += [f"{_label(family, task)}: {m} values go up to {s.percent_rescaled:g} while chance is "
                  f"{s.chance:g} ({s.chance_source}): read as percent and divided by 100"
                  for m, s in series.items() if s.percent_rescaled is not None]
        short = [m for m, s in series.items() if len(s.scale) < MIN_SIZES]
        if short:
            notes.append(f"{_label(family, task)}: skipped {', '.join(short)} (fewer than {MIN_SIZES} sizes)")
        series = {m: s for m, s in series.items() if len(s.scale) >= MIN_SIZES}
        if not series:
            continue
        primary = _pick_primary({m: metrics[m] for m in series}, opts)
        measured = {m: measure(s, opts.rule) for m, s in series.items()}
        records.append(_record(family, task, primary, measured, series, opts))
    if not records and not allow_empty:
        raise UserError(f"{loaded.source}: no task has at least {MIN_SIZES} sizes "
                        f"(found {df['scale'].nunique()} distinct scales)")
    ranked = sorted(records, key=_rank_key, reverse=True)
    sizes = len(np.unique(df["scale"])) if not opts.bins or not records else max(r.n_sizes for r in records)
    return Analysis(loaded.source, loaded.kind, int(df["model"].nunique()), int(sizes), asdict(opts.rule),
                    opts.rule.text(), ranked, [_label(r.family, r.task) for r in ranked],
                    [_label(r.family, r.task) for r in ranked if r.emergent],
                    overall_loss(df, opts), notes, loaded.dropped)


def _label(family: str, task: str) -> str:
    return f"{family}/{task}" if family else task


def _rank_key(r: TaskRecord):
    met = sum(bool(v) for v in r.criteria.values())
    frac = (r.extrapolation_surprise or 0.0) / abs(r.improvement) if r.improvement else 0.0
    return (r.emergent, met, round(frac, 6), min(r.sharpness, 1e9))


def _record(family, task, primary, measured: dict[str, MetricMeasures], series, opts) -> TaskRecord:
    p = measured[primary]
    ex = p.extrapolation
    return TaskRecord(
        task, family, primary, p.kind, len(p.scales), p.improvement, p.linearity, p.breakthroughness, p.sharpness,
        p.chance, p.emergence_scale, ex.best.surprise if ex else None,
        [ex.best.ci_low, ex.best.ci_high] if ex else None, ex.cutoff if ex else None, p.criteria, p.emergent,
        list(measured.values()), _mirage(p, measured), _two_step(p, measured, series, opts))


def _mirage(p: MetricMeasures, measured: dict[str, MetricMeasures]) -> MirageCheck | None:
    cont = {m: v for m, v in measured.items() if v.kind == "continuous"}
    if p.kind != "discontinuous" or not cont:
        return None
    detail = {m: {"jumps": v.jump, "linearity": v.linearity, "sharpness": v.sharpness,
                  "surprise": v.extrapolation.best.surprise if v.extrapolation else None} for m, v in cont.items()}
    if not p.jump:
        persists, text = None, f"{p.metric} does not jump, so there is no jump to test"
    else:
        jumping = [m for m, v in cont.items() if v.jump]
        persists = bool(jumping)
        text = (f"the jump in {p.metric} persists in {', '.join(jumping)}" if jumping else
                f"{p.metric} jumps but {', '.join(cont)} improve(s) without a jump: the metric makes the jump")
    return MirageCheck(p.metric, p.jump, detail, persists, text)


def _two_step(p: MetricMeasures, measured, series, opts: Options) -> TwoStep | None:
    """Fit loss vs scale (power law) and accuracy vs loss (sigmoid) on the same small models
    the extrapolation test used, then predict the held-out larger ones through the loss."""
    ex = p.extrapolation
    if ex is None or p.kind != "discontinuous":
        return None
    names = [opts.loss_metric] if opts.loss_metric else sorted(measured)
    loss_name = next((m for m in names if m in series and _loss_transform(m) is not None), None)
    if loss_name is None:
        return None
    ls, acc = series[loss_name], series[p.metric]
    common = np.intersect1d(ls.scale, acc.scale)
    loss = _loss_transform(loss_name)(ls.value[np.searchsorted(ls.scale, common)])
    y = acc.sign * acc.value[np.searchsorted(acc.scale, common)]
    fit_mask, test_mask = common < ex.cutoff, common >= ex.cutoff
    if fit_mask.sum() < 2 or not test_mask.any() or np.any(loss <= 0):
        return None
    try:
        pl = sf.fit_power_law(common[fit_mask], loss[fit_mask])
        floor = acc.sign * p.chance if p.chance is not None else None
        ceil = acc.sign * acc.ceiling if math.isfinite(acc.ceiling) else None
        link = sf.fit_sigmoid(-loss[fit_mask], y[fit_mask], floor=floor, ceiling=ceil)
    except ValueError:
        return None
    pred_loss = pl.predict(common[test_mask]).mean
    two = link.predict(-pred_loss).mean
    known = link.predict(-loss[test_mask]).mean
    direct = {pt.scale: acc.sign * pt.predicted for pt in ex.points}
    pts = tuple(TwoStepPoint(float(sc), float(acc.sign * a), float(acc.sign * t), float(acc.sign * k),
                             float(acc.sign * direct.get(float(sc), np.nan)), float(lo), float(pl_))
                for sc, a, t, k, lo, pl_ in zip(common[test_mask], y[test_mask], two, known, loss[test_mask], pred_loss))
    mae = lambda pred: float(np.nanmean([abs(pt.actual - getattr(pt, pred)) for pt in pts]))  # noqa: E731
    two_mae, direct_mae = mae("two_step"), mae("direct")
    # With every fitted size at the same score, any sigmoid whose rise lies beyond them fits
    # equally well, so its prediction is arbitrary: report it, but do not rank it.
    noise = np.asarray(p.stderr, float)[np.searchsorted(acc.scale, common)][fit_mask]
    identified = bool(np.ptp(y[fit_mask]) > 2 * np.nanmax(np.append(noise, 0.0)))
    better = ("n/a" if not identified else "tie" if abs(two_mae - direct_mae) < 1e-12 else
              "two-step" if two_mae < direct_mae else "direct")
    return TwoStep(loss_name, p.metric, ex.cutoff, int(fit_mask.sum()), {"a": pl.a, "b": pl.b}, link.params(),
                   pts, identified, two_mae, mae("two_step_known_loss"), direct_mae, better)


def overall_loss(df: pd.DataFrame, opts: Options) -> OverallLoss | None:
    """The total loss per size: an overall row when the table has one, else the mean of the
    per-task losses over the tasks every size was scored on."""
    lossy = df[df["metric"].map(lambda m: _loss_transform(m) is not None and metric_kind(m, opts) == "continuous")]
    if lossy.empty:
        return None
    over = lossy[lossy["task"].str.lower().isin(OVERALL_TASKS)]
    if not over.empty:
        metric = sorted(over["metric"].unique())[0]
        g, source = over[over["metric"] == metric], f"overall {metric} row"
    else:
        metric = "loss" if "loss" in set(lossy["metric"]) else sorted(lossy["metric"].unique())[0]
        per = lossy[lossy["metric"] == metric]
        n_models = per["model"].nunique()
        full = per.groupby("task")["model"].nunique()
        keep = full[full == n_models].index
        per = per[per["task"].isin(keep)]
        if per.empty:
            return None
        g = per.groupby(["family", "model"], as_index=False).agg(scale=("scale", "first"), value=("value", "mean"))
        g = g.assign(stderr=np.nan, n=np.nan, chance=np.nan, ceiling=np.nan, preferred=False)
        source = f"mean {metric} over {len(keep)} tasks"
    s = make_series(g, "", "overall", metric, opts)
    if len(s.scale) < MIN_SIZES:
        return None
    m = measure(s, opts.rule)
    # A loss that falls fast and then flattens is smooth but "concentrated"; what would make it
    # a jump is that the smaller sizes could not foretell it, so both criteria are required.
    return OverallLoss(source, m.scales, m.values, m.linearity, m.breakthroughness, m.sharpness,
                       m.improvement > 0, m.jump, bool(m.improvement > 0 and not m.jump))


# -- the main job -------------------------------------------------------------------------

ANALYSIS_KEYS = {"chance", "bins", "primary_metric", "loss_metric"}
RULE_KEYS = {"min_sharpness", "min_surprise_frac", "min_below", "min_rise", "margin_z", "min_margin", "fit", "cutoff",
             "min_fit"}


def options_from(d: dict, rule: Rule | None = None) -> Options:
    chance = d.get("chance") or {}
    if isinstance(chance, (int, float)):
        chance = {"*": float(chance)}
    return Options(rule=rule or Rule(), chance=dict(chance), bins=d.get("bins"),
                   primary_metric=d.get("primary_metric"), loss_metric=d.get("loss_metric"))


def report_step(ctx) -> None:
    from intuitions.experiments.contract import save
    from intuitions.experiments.emergence.figures import draw
    from intuitions.experiments.emergence.options import EmergenceOptions
    from intuitions.experiments.emergence.readers import TableSpec, load, load_ladder
    from intuitions.experiments.optionspec import parse

    if not ctx.ladder.startswith("family:"):
        raise UserError(f"emergence needs a ladder like family:quick, got {ctx.ladder!r}")
    preset = ctx.ladder.split(":", 1)[1].split("/")[0]
    opts = parse(EmergenceOptions, ctx.options, "[options.emergence]")
    rule = Rule(**{k: getattr(opts, k) for k in RULE_KEYS})
    main = analyze(load_ladder(preset), options_from(ctx.options, rule), allow_empty=True)
    external = []
    for t in ctx.options.get("tables", []):
        spec = TableSpec.from_options({k: v for k, v in t.items() if k not in ANALYSIS_KEYS | {"name"}})
        a = analyze(load(spec), options_from(t, rule))
        external.append(a if "name" not in t else _renamed(a, str(t["name"])))
    result = Analysis(**{**main.__dict__, "external": external})
    save(ctx.out, "emergence", {"ladder": ctx.ladder, "options": ctx.options}, result, {}, draw)


def _renamed(a: Analysis, name: str) -> Analysis:
    return Analysis(**{**a.__dict__, "source": name})


def _task_evidence(t: dict) -> str:
    ci = t.get("extrapolation_surprise_ci") or [None, None]
    sur = t.get("extrapolation_surprise")
    sharp = t.get("sharpness")
    return (f"{_label(t.get('family', ''), t['task'])} ({t['metric']}): sharpness "
            f"{'inf' if sharp is None else f'{sharp:.2f}'}, emergence scale {_g(t.get('emergence_scale'))}, "
            f"surprise {_g(sur)} [{_g(ci[0])}, {_g(ci[1])}]")


def _g(v) -> str:
    return "n/a" if v is None else f"{v:.3g}"


def verdicts(saved: dict) -> list[Verdict]:
    r = saved.get("result", saved)
    rule = ("Supported when at least one task is called emergent while the overall loss falls smoothly (it "
            "improves and does not jump: criteria 3 and 4 below do not both hold for it); not supported at this scale when no task is "
            f"emergent; inconclusive with fewer than {MIN_SIZES_VERDICT} sizes, or when tasks jump but the overall "
            f"loss is missing or jumps too. Emergent means: " + r["rule_text"])
    emergent = [t for t in r["tasks"] if t["emergent"]]
    ol = r.get("overall_loss")
    loss_txt = ("no overall loss in the table" if ol is None else
                f"overall loss ({ol['source']}) linearity {ol['linearity']:.2f}, sharpness "
                f"{'inf' if ol['sharpness'] is None else format(ol['sharpness'], '.2f')}, "
                f"{'smooth' if ol['smooth'] else 'not smooth'}")
    ev = [f"{r['source']}: {r['n_sizes']} sizes, {len(emergent)} of {len(r['tasks'])} tasks emergent", loss_txt]
    ev += [_task_evidence(t) for t in emergent[:5]]
    for ext in r.get("external") or []:
        em = [t for t in ext["tasks"] if t["emergent"]]
        ev.append(f"{ext['source']}: {len(em)} of {len(ext['tasks'])} tasks emergent"
                  + (": " + "; ".join(_task_evidence(t) for t in em[:5]) if em else ""))
    if r["n_sizes"] < MIN_SIZES_VERDICT:
        label = INCONCLUSIVE
    elif not emergent:
        label = NOT_SUPPORTED
    elif ol is not None and ol["smooth"]:
        label = SUPPORTED
    else:
        label = INCONCLUSIVE
    return [Verdict(5, label, rule, "; ".join(ev), rule_id='emergence.task_jumps')]
