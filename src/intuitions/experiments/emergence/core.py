"""Intuition 5: abilities emerge suddenly with scale. For every task in a per-size results
table: (1) does it jump? (2) could the smaller models have predicted the jump — directly, or
in two steps through the task loss? (3) does the jump survive a change of metric (the
"mirage" test of Schaeffer et al. 2023)?

The measures and the rule live in `intuitions.experiments.emergence.measures`; readers in
`intuitions.experiments.emergence.readers`; figures in `intuitions.experiments.emergence.figures`."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from intuitions.errors import UserError
from intuitions.experiments.audit import UNDERPOWERED
from intuitions.experiments.emergence.measures import (
    PRIMARY_ORDER,
    MetricMeasures,
    Options,
    Rule,
    make_series,
    measure,
    metric_kind,
)
from intuitions.experiments.emergence.options import ANALYSIS_KEYS, PUBLISHED_TABLES, RULE_KEYS  # noqa: F401
from intuitions.experiments.emergence.readers import OVERALL_TASKS, Loaded
from intuitions.experiments.emergence.text import _g, _label, _task_evidence  # noqa: F401
from intuitions.fit import sigmoid as sf
from intuitions.verdict import INCONCLUSIVE, NOT_SUPPORTED, NOT_TESTED, SUPPORTED, Verdict

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
    emergent: bool  # the three criteria hold and the surprise survives Holm's correction over the tasks
    metrics: list[MetricMeasures]
    mirage: MirageCheck | None
    two_step: TwoStep | None
    p_unpredicted: float = 1.0  # the surprise's p-value (Bonferroni over the predicted sizes)
    p_holm: float = 1.0  # ... Holm-adjusted over every task of this table
    metric_only: bool | None = None  # emergent in the discontinuous metric only; None: no continuous metric


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
    emergent_tasks: list[str]  # emergent, and not in exact match only
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
    if not bool(mask.any()):
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
    pref = [m for m, g in metrics.items() if bool(g["preferred"].any())]
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
    binary = []
    for (family, task), g in tasks_df.groupby(["family", "task"], sort=True):  # pyright: ignore[reportGeneralTypeIssues]  # pandas types a group key as Hashable
        metrics = {m: mg for m, mg in g.groupby("metric", sort=True)}
        metrics, fixed = _binary_choice_chance(metrics, task, opts)
        binary += [_label(family, task)] if fixed else []
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
    if binary:
        notes.append(f"exact-match chance set to 0.5 for binary-choice tasks (a model that has learned the "
                     f"answer format but not the task picks one of two labels): {', '.join(binary)}")
    records = holm(records, opts.rule.alpha)
    if not records and not allow_empty:
        raise UserError(f"{loaded.source}: no task has at least {MIN_SIZES} sizes "
                        f"(found {df['scale'].nunique()} distinct scales)")
    ranked = sorted(records, key=_rank_key, reverse=True)
    sizes = len(np.unique(df["scale"])) if not opts.bins or not records else max(r.n_sizes for r in records)
    n_models = int(df["model"].nunique())  # pyright: ignore[reportArgumentType]  # pandas: a Series' nunique is an int
    return Analysis(loaded.source, loaded.kind, n_models, int(sizes), asdict(opts.rule),
                    opts.rule.text(), ranked, [_label(r.family, r.task) for r in ranked],
                    [_label(r.family, r.task) for r in ranked if r.emergent and not r.metric_only],
                    overall_loss(df, opts), notes, loaded.dropped)


def _rank_key(r: TaskRecord):
    met = sum(bool(v) for v in r.criteria.values())
    frac = (r.extrapolation_surprise or 0.0) / abs(r.improvement) if r.improvement else 0.0
    return (r.emergent, met, round(frac, 6), min(r.sharpness, 1e9))


def _binary_choice_chance(metrics: dict, task: str, opts: Options) -> tuple[dict, bool]:
    """Exact match on a task whose answer is one of two labels (choice accuracy at chance 0.5)
    is at chance at 0.5, not 0: a model that has learned the format writes one of the labels.
    The ladder's evals record 0 (free generation); a chance given by option wins."""
    ch = metrics.get("choice_accuracy")
    if ch is None or task in opts.chance or not np.isclose(ch["chance"].median(), 0.5):
        return metrics, False
    fixed = False
    out = dict(metrics)
    for m, mg in metrics.items():
        low = m.lower()
        if m != "choice_accuracy" and metric_kind(m, opts) == "discontinuous" and "exact" in low \
                and not (mg["chance"] > 0).any():
            out[m] = mg.assign(chance=0.5)
            fixed = True
    return out, fixed


def holm(records: list[TaskRecord], alpha: float) -> list[TaskRecord]:
    """Holm's step-down adjustment of every task's p-value; a task is emergent only when its
    three criteria hold and its adjusted p-value is below alpha."""
    p = np.array([r.p_unpredicted for r in records], float)
    adj = holm_adjust(p)
    return [dataclasses.replace(r, p_holm=float(a), emergent=bool(r.emergent and a < alpha))
            for r, a in zip(records, adj)]


def holm_adjust(p) -> np.ndarray:
    p = np.asarray(p, float)
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adj
    return out


def _record(family, task, primary, measured: dict[str, MetricMeasures], series, opts) -> TaskRecord:
    p = measured[primary]
    ex = p.extrapolation
    if ex is not None:  # the continuous metrics are tested on the same split as the primary one
        same = dataclasses.replace(opts.rule, cutoff=ex.cutoff)
        measured = {m: (v if m == primary or v.kind != "continuous" else measure(series[m], same))
                    for m, v in measured.items()}
    mirage = _mirage(p, measured)
    metric_only = None
    if mirage is not None and p.emergent:
        metric_only = not mirage.jump_persists
    return TaskRecord(
        task, family, primary, p.kind, len(p.scales), p.improvement, p.linearity, p.breakthroughness, p.sharpness,
        p.chance, p.emergence_scale, ex.best.surprise if ex else None,
        [ex.best.ci_low, ex.best.ci_high] if ex else None, ex.cutoff if ex else None, p.criteria, p.emergent,
        list(measured.values()), mirage, _two_step(p, measured, series, opts),
        ex.p_value if ex else 1.0, 1.0, metric_only)


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
    found = next(((m, f) for m in names if m in series and (f := _loss_transform(m)) is not None), None)
    if found is None:
        return None
    loss_name, transform = found
    ls, acc = series[loss_name], series[p.metric]
    common = np.intersect1d(ls.scale, acc.scale)
    loss = transform(ls.value[np.searchsorted(ls.scale, common)])
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
                for sc, a, t, k, lo, pl_ in zip(common[test_mask], y[test_mask], two, known, loss[test_mask],
                                                pred_loss))
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
    # .loc: the same boolean selection as df[mask], typed as a frame by pandas
    lossy = df.loc[df["metric"].map(lambda m: _loss_transform(m) is not None
                                    and metric_kind(m, opts) == "continuous")]
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

def options_from(d: dict, rule: Rule | None = None) -> Options:
    chance = d.get("chance") or {}
    if isinstance(chance, (int, float)):
        chance = {"*": float(chance)}
    return Options(rule=rule or Rule(), chance=dict(chance), bins=d.get("bins"),
                   primary_metric=d.get("primary_metric"), loss_metric=d.get("loss_metric"))


def report_step(ctx) -> None:
    """The ladder's evals, and the published tables (PUBLISHED_TABLES unless `tables` is set;
    `published = false` drops them), each analysed alone; verdicts per source."""
    from intuitions import published
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
    tables = list(ctx.options.get("tables", []))
    if "tables" not in ctx.options and ctx.options.get("published", True):
        tables = [{**{k: v for k, v in t.items() if k != "file"}, "path": str(published.path(t["file"])),
                   "published": True} for t in PUBLISHED_TABLES]
    external = []
    for t in tables:
        spec = TableSpec.from_options({k: v for k, v in t.items() if k not in ANALYSIS_KEYS | {"name", "published"}})
        a = analyze(load(spec), options_from(t, rule))
        external.append(a if "name" not in t else _renamed(a, str(t["name"])))
    result = Analysis(**{**main.__dict__, "external": external})
    save(ctx.out, "emergence", {"ladder": ctx.ladder, "options": ctx.options}, result, {}, draw, verdicts)


def _renamed(a: Analysis, name: str) -> Analysis:
    return Analysis(**{**a.__dict__, "source": name})


RULE_ID = "emergence.wei_definition"


def rule_text(rule: Rule | None = None) -> str:
    return (f"Per source (the ladder; the published tables together): supported when at least one task is "
            f"emergent and not in exact match only, and the overall loss, where the table has one, does not "
            f"jump itself (improves and is under-predicted by the same test); not supported at this scale when "
            f"no task is emergent, or only in exact match; inconclusive when the overall loss jumps too; not "
            f"tested when no table of the source has at least {MIN_SIZES_VERDICT} sizes. "
            + (rule or Rule()).text())


def _source(a: dict) -> str:
    return "ladder" if a.get("kind") == "ladder" else "published"


def verdicts(saved: dict) -> list[Verdict]:
    """One verdict per source present (the ladder; the published tables together). Holm's
    correction is redone over every task of the source, so more tables cannot mean more luck."""
    r = saved.get("result", saved)
    analyses = [r] + list(r.get("external") or [])
    rule = Rule(**{k: v for k, v in (r.get("rule") or {}).items() if k in Rule.__dataclass_fields__})
    text = rule_text(rule)
    out = []
    for source in ("ladder", "published"):
        mine = [a for a in analyses if _source(a) == source]
        if not mine:
            continue
        usable = [a for a in mine if a["n_sizes"] >= MIN_SIZES_VERDICT and a["tasks"]]
        ev = [f"{a['source']}: {a['n_sizes']} sizes, {len(a['tasks'])} tasks" for a in mine]
        if not usable:
            out.append(Verdict(5, NOT_TESTED, text, "; ".join(ev) + f" (fewer than {MIN_SIZES_VERDICT} sizes)",
                               RULE_ID, source))
            continue
        tasks = [(a, t) for a in usable for t in a["tasks"]]
        adj = holm_adjust([t.get("p_unpredicted", 1.0) for _, t in tasks])
        called = [(a, {**t, "p_holm": float(p)}) for (a, t), p in zip(tasks, adj)
                  if p < rule.alpha and all(t["criteria"].get(k) for k in ("improves", "absent_when_small",
                                                                          "unpredicted"))]
        full = [(a, t) for a, t in called if t.get("metric_only") is not True]
        only = [(a, t) for a, t in called if t.get("metric_only") is True]
        jumping = [a["source"] for a in usable if (a.get("overall_loss") or {}).get("jumps")]
        ev = [f"{a['source']}: {a['n_sizes']} sizes, {sum(1 for b, _ in full if b is a)} of {len(a['tasks'])} "
              f"tasks emergent, {sum(1 for b, _ in only if b is a)} in exact match only"
              + ("" if not a.get("overall_loss") else
                 f", overall loss {'jumps' if a['overall_loss']['jumps'] else 'smooth'}") for a in usable]
        ev += [f"{a['source']} {_task_evidence(t)}" for a, t in (full + only)[:6]]
        if full:
            label = INCONCLUSIVE if any(a["source"] in jumping for a, _ in full) else SUPPORTED
        else:
            label = NOT_SUPPORTED
        if source == "ladder" and label == NOT_SUPPORTED:  # only a miss is weakened by low power
            ev.append(UNDERPOWERED)
        out.append(Verdict(5, label, text, "; ".join(ev), RULE_ID, source))
    return out
