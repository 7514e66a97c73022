"""Intuitions 2 and 6: in-context learning reads input->label relations off the prompt, and
only large models let the demonstrations override what they already believe.

One prompt per (seed, test item, condition): k demonstrations per class, drawn fresh with a
seeded generator, classes balanced, order shuffled, then the query. Each candidate label is
scored as a continuation (sum of its tokens' logprobs), also length-normalised and also
calibrated by the same prompt with a content-free input ("N/A") in place of the query.

Conditions share their draws: for one (seed, item, k) the demonstrations are the same in
gold, random, flipped and unrelated prompts, so conditions differ only in the labels shown
and their contrasts are paired."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from intuitions.datasets import LabelledSet
from intuitions.errors import UserError
from intuitions.experiments.icl.data import UNRELATED_WORDS, WorldEpisodes, load_data, unrelated_words
from intuitions.experiments.icl.design import (  # noqa: F401 - re-exported: callers know them as core.*
    CONTENT_FREE,
    DEFAULT_SEP,
    DEFAULT_TEMPLATE,
    Condition,
    Design,
    Prompt,
    Template,
    flip_labels,
    n_flipped,
)
from intuitions.experiments.icl.sizes import _by_size, _est, _flip, _gap, _params, groups, size_slope, source_of  # noqa: F401
from intuitions.models.base import Scorer, score_continuations
from intuitions.stats import Estimate, cluster_bootstrap_ci, clustered_proportion_ci, est
from intuitions.verdict import INCONCLUSIVE, NOT_SUPPORTED, NOT_TESTED, SUPPORTED, Verdict

INTUITIONS = (2, 6)
WORLD_TEMPLATE_TEXT, WORLD_SEP = "{x} {label}", "\n"  # the world's own episode format
REPORTED_ONLY = "world-new"  # ladder verdicts decide on repeated queries (docs/organism.md); new are reported
SCORINGS = ("sum", "mean", "calibrated")
MIN_GAIN = 0.05  # intuition 2: a gain whose CI stays below this is ruled out as meaningful


def unrelated_map(names: Sequence[str], seed: int, words: Sequence[str] = UNRELATED_WORDS) -> dict[str, str]:
    if len(names) > len(words):
        raise UserError(f"unrelated labels cover at most {len(words)} classes, the data has {len(names)}")
    perm = np.random.default_rng([seed, 7]).permutation(len(names))
    return {name: words[int(j)] for name, j in zip(names, perm)}


def draw_demos(data: LabelledSet, query: int, k: int, rng: np.random.Generator) -> list[int]:
    """k per class from everything but the query, in a shuffled order."""
    labels = np.asarray(data.labels)
    picks = []
    for name in data.label_names:
        pool = np.flatnonzero(labels == name)
        pool = pool[pool != query]
        if len(pool) < k:
            raise UserError(f"class {name!r} has {len(pool)} items to demonstrate, k={k} needs {k}")
        picks += rng.choice(pool, size=k, replace=False).tolist()
    return [picks[i] for i in rng.permutation(len(picks))]


def test_items(data: LabelledSet, seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng([seed, 0])
    return rng.choice(len(data), size=min(n, len(data)), replace=False)


def build_prompts(data: LabelledSet, design: Design, run_seed: int,
                  words: Sequence[str] = UNRELATED_WORDS) -> list[Prompt]:
    t, names = design.template, list(data.label_names)
    unrel = unrelated_map(names, run_seed, words)
    out = []
    for seed in design.seeds:
        for item in test_items(data, seed, design.n):
            x, answer = data.texts[item], names.index(data.labels[item])
            for c in design.conditions():
                cands = tuple(unrel[a] for a in names) if c.kind == "unrelated" else tuple(names)
                if c.kind == "prior":
                    ctx = cf = t.query(CONTENT_FREE)
                else:
                    demos = _demo_block(data, design, c, seed, int(item), unrel)
                    ctx, cf = demos + t.query(x), demos + t.query(CONTENT_FREE)
                out.append(Prompt(seed, int(item), c.key, ctx, cf, cands, answer))
    return out


def _demo_block(data, design, c: Condition, seed: int, item: int, unrel) -> str:
    if c.k == 0:
        return ""
    idx = draw_demos(data, item, c.k, np.random.default_rng([seed, item, c.k, 1]))
    labels = [data.labels[i] for i in idx]
    if c.kind == "flip":
        pct = c.flip_pct
        if pct is None:
            raise ValueError(f"flip condition {c.key} has no flip_pct")
        labels = flip_labels(labels, data.label_names, pct, np.random.default_rng([seed, item, c.k, 2, pct]))
    elif c.kind == "random":
        rng = np.random.default_rng([seed, item, c.k, 3])
        labels = [data.label_names[j] for j in rng.integers(0, len(data.label_names), size=len(idx))]
    elif c.kind == "unrelated":
        labels = [unrel[a] for a in labels]
    t = design.template
    return "".join(t.demo(data.texts[i], a) + t.sep for i, a in zip(idx, labels))


# -- scoring --------------------------------------------------------------------------------
@dataclass(frozen=True)
class PromptScores:
    logprob: np.ndarray  # [C] summed over each candidate's tokens
    n_tokens: np.ndarray  # [C]
    cf_logprob: np.ndarray  # [C] after the content-free input


def score_prompts(scorer: Scorer, prompts: Sequence[Prompt], template: Template,
                  chunk: int = 32, progress: Callable[[int], None] | None = None) -> list[PromptScores]:
    """Every distinct context is scored once with each of its candidates; chunks of contexts
    go to `score_continuations`, which runs each context once for all its candidates."""
    wanted: dict[str, dict[str, None]] = {}
    for p in prompts:
        for ctx in (p.context, p.cf_context):
            wanted.setdefault(ctx, {}).update(dict.fromkeys(p.candidates))
    ctxs = list(wanted)
    table: dict[tuple[str, str], tuple[float, int]] = {}
    for s in range(0, len(ctxs), chunk):
        pairs = [(c, w) for c in ctxs[s : s + chunk] for w in wanted[c]]
        res = score_continuations(scorer, [c for c, _ in pairs], [template.label(w) for _, w in pairs])
        table.update({pair: (r.logprob, r.n_tokens) for pair, r in zip(pairs, res)})
        if progress:
            progress(len(ctxs[s : s + chunk]))
    return [
        PromptScores(
            np.array([table[(p.context, w)][0] for w in p.candidates]),
            np.array([table[(p.context, w)][1] for w in p.candidates]),
            np.array([table[(p.cf_context, w)][0] for w in p.candidates]),
        )
        for p in prompts
    ]


def credit(scores: np.ndarray, answer: int) -> float:
    """1 when the answer alone scores highest; a tie shares the credit (the expected
    accuracy of breaking it at random)."""
    best = scores == scores.max()
    return float(best[answer]) / float(best.sum())


def variant_scores(s: PromptScores, scoring: str) -> np.ndarray:
    if scoring == "sum":
        return s.logprob
    if scoring == "mean":
        return s.logprob / np.maximum(s.n_tokens, 1)
    return s.logprob - s.cf_logprob


# -- results ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    condition: str
    kind: str
    k: int
    flip_pct: int | None
    scoring: str
    accuracy: float
    ci_low: float
    ci_high: float
    n: int
    seeds: int


@dataclass(frozen=True)
class ModelResult:
    model: str
    fingerprint: str
    n_params: int | None
    task: str
    n_per_seed: int  # test items per seed (capped by the data's size)
    label_names: tuple[str, ...]
    chance: float
    rows: list[Row]
    contrasts: dict[str, Estimate]  # paired accuracy differences (sum scoring), bootstrap CI
    flip100: Estimate | None  # accuracy with every demonstration label flipped
    follows_demonstrations: bool | None  # flip100's CI lies wholly below chance


@dataclass(frozen=True)
class IclResult:
    k_sweep: list[int]
    k_main: int
    flips: list[int]
    seeds: list[int]
    template: str
    sep: str
    models: list[ModelResult]


def aggregate(model: str, fingerprint: str, n_params: int | None, data: LabelledSet | WorldEpisodes, design: Design,
              prompts: Sequence[Prompt], scores: Sequence[PromptScores]) -> ModelResult:
    conds = {c.key: c for c in design.conditions()}
    chance = 1.0 / len(data.label_names)
    credits: dict[tuple[str, str], np.ndarray] = {}
    items: dict[str, np.ndarray] = {}  # the cluster of each credit: seeds re-test the same items
    for key in conds:
        sel = [i for i, p in enumerate(prompts) if p.condition == key]
        items[key] = np.array([prompts[i].item for i in sel])
        for scoring in SCORINGS:
            credits[key, scoring] = np.array([credit(variant_scores(scores[i], scoring), prompts[i].answer)
                                              for i in sel])
    rows = []
    for (key, scoring), c in credits.items():
        e = clustered_proportion_ci(c, items[key])
        cond = conds[key]
        rows.append(Row(key, cond.kind, cond.k, cond.flip_pct, scoring, e.value, e.ci_low, e.ci_high, len(c),
                        len(design.seeds)))
    gold_key = Condition("gold", design.k_main).key
    gold = credits[gold_key, "sum"]
    contrasts = {  # conditions list the same (seed, item) pairs in the same order: paired
        "gold-zero-shot": cluster_bootstrap_ci(gold - credits["zero-shot", "sum"], items[gold_key]),
        "gold-random": cluster_bootstrap_ci(gold - credits[Condition("random", design.k_main).key, "sum"],
                                            items[gold_key]),
    }
    f100 = credits.get(("flip 100%", "sum"))
    flip100 = clustered_proportion_ci(f100, items["flip 100%"]) if f100 is not None else None
    follows = None if flip100 is None else bool(flip100.ci_high < chance)
    n_item = len({(p.seed, p.item) for p in prompts}) // len(design.seeds)
    return ModelResult(model, fingerprint, n_params, data.name, n_item, tuple(data.label_names), chance,
                       rows, contrasts, flip100, follows)


def run_model(scorer: Scorer, data: LabelledSet, design: Design, run_seed: int,
              words: Sequence[str] = UNRELATED_WORDS, progress=None) -> ModelResult:
    prompts = build_prompts(data, design, run_seed, words)
    scores = score_prompts(scorer, prompts, design.template, progress=progress)
    return aggregate(scorer.name, scorer.fingerprint, scorer.n_params, data, design, prompts, scores)


# -- verdicts (pure, from the saved result) ----------------------------------------------------
# Never mixing subjects: ladder members and real models are separate sources, and within a
# source only models run on the same data are compared, ordered by size.
MIN_N = 20  # intuition 2: fewer paired answers than this decide nothing (a bootstrap of 8 can be [0, 0])
LARGE_PARAMS = 1e10  # intuition 6 is about models of this size and up (Wei et al. 2023 saw it at ~1e11)

RULE_GOLD_RANDOM = (
    "Ladder members on the world's in-context items, ordered by size; the largest decides (sum scoring, "
    "largest k): supported if gold-label accuracy beats random-label accuracy (paired bootstrap 95% CI of "
    f"the difference above 0); not supported if the CI upper bound is below {MIN_GAIN}; inconclusive "
    f"otherwise, and always with fewer than {MIN_N} paired answers. The slope of the gold - random gap over log10 "
    "parameters (weighted least squares, 95% CI) is reported, not decided on."
)
RULE_GOLD_CONTROLS = (
    "Real models on one data set, ordered by size; the largest decides (sum scoring, largest k): supported "
    "if gold-label accuracy beats both zero-shot and random-label accuracy (paired bootstrap 95% CI of each "
    f"difference above 0); not supported if either difference's CI upper bound is below {MIN_GAIN}; "
    f"inconclusive otherwise, and always with fewer than {MIN_N} paired answers. The slope of the gold - random gap "
    "over log10 parameters (weighted least squares, 95% CI) is reported, not decided on."
)
RULE_FLIP = (
    "Accuracy with 100% of demonstration labels flipped, per model of one source and data set, ordered by "
    "size (sum scoring); a model follows the demonstrations when its 95% CI upper bound is below chance. "
    "Supported if the largest follows, the smallest does not and the accuracy falls with size (weighted "
    "least-squares slope over log10 parameters, 95% CI below 0); not supported at this scale if no model "
    "follows, or if every model does (small ones too); inconclusive otherwise. On the ladder the 1-layer member "
    "is a control (induction needs two layers): the rule is applied to the deeper members, and if only depth "
    "separates followers (the control keeps its prior, every deeper member follows) it is not supported at "
    "this scale: depth, not scale. Real models: not tested when none has at least 1e10 parameters and none "
    "follows; inconclusive when a smaller one follows."
)


def verdicts(saved: dict) -> list[Verdict]:
    gs = [g for g in groups(saved) if g[1] != REPORTED_ONLY]
    if not gs:
        return [Verdict(2, INCONCLUSIVE, RULE_GOLD_CONTROLS, "no models were run", "icl.gold_vs_controls", "real"),
                Verdict(6, INCONCLUSIVE, RULE_FLIP, "no models were run", "icl.flip_following", "real")]
    return [v for source, task, ms in gs for v in (_verdict2(source, task, ms), _verdict6(source, task, ms))]


def _verdict2(source: str, task: str, models: list[dict]) -> Verdict:
    ladder = source == "ladder"
    rule, rule_id = (RULE_GOLD_RANDOM, "icl.gold_vs_random") if ladder else (RULE_GOLD_CONTROLS, "icl.gold_vs_controls")
    m = models[-1]
    z, r = _est(m["contrasts"]["gold-zero-shot"]), _gap(m)
    assert r is not None and z is not None
    per = "; ".join(f"{x['model']} ({_params(x)}) {est(g)}" for x in models if (g := _gap(x)) is not None)
    slope = size_slope(models, _gap)
    evidence = (f"{task}, largest {m['model']}: gold - random {est(r)}; gold - zero-shot {est(z)}. "
                f"gold - random by size: {per}; slope per decade of parameters "
                + (est(slope) if slope else "not estimable (fewer than two sized models)"))
    if ladder and task == "world-repeat":
        ctrl = [x for x in models if _layers(x) == 1 and _gap(x) is not None]
        evidence += ("; each query repeats a demonstrated item, so its label is in the context"
                     + "".join(f"; 1-layer control {x['model']}: {est(_gap(x))}" for x in ctrl))
    tests = [r] if ladder else [z, r]
    if min(e.n for e in tests) < MIN_N:
        label = INCONCLUSIVE
        evidence += f"; only {min(e.n for e in tests)} paired answers"
    elif all(e.ci_low > 0 for e in tests):
        label = SUPPORTED
    elif any(e.ci_high < MIN_GAIN for e in tests):
        label = NOT_SUPPORTED
    else:
        label = INCONCLUSIVE
    return Verdict(2, label, rule, evidence, rule_id, source)


def _verdict6(source: str, task: str, models: list[dict]) -> Verdict:
    ran = [m for m in models if m.get("flip100")]
    if not ran:
        return Verdict(6, INCONCLUSIVE, RULE_FLIP, f"{task}: no model was run with 100% flipped labels",
                       "icl.flip_following", source)
    flips = [Estimate(m["flip100"]["value"], m["flip100"]["ci_low"], m["flip100"]["ci_high"], m["flip100"]["n"])
             for m in ran]
    follows = [e.ci_high < m["chance"] for e, m in zip(flips, ran)]
    slope = size_slope(ran, _flip)
    evidence = (f"{task}, smallest to largest: "
                + "; ".join(f"{m['model']} ({_params(m)}): {est(e)} vs chance {m['chance']:.2f}"
                            f"{' (follows)' if f else ''}" for m, e, f in zip(ran, flips, follows))
                + "; slope per decade of parameters " + (est(slope) if slope else "not estimable"))
    if source == "real" and max((m.get("n_params") or 0) for m in ran) < LARGE_PARAMS:
        if not any(follows):
            return Verdict(6, NOT_TESTED, RULE_FLIP, evidence + "; small models keep their priors, as the claim "
                           "predicts; no large model was tested", "icl.flip_following", source)
        return Verdict(6, INCONCLUSIVE, RULE_FLIP, evidence + "; a small model follows flipped labels; no large "
                       "model was tested", "icl.flip_following", source)
    controls = [m for m in ran if source == "ladder" and _layers(m) == 1]
    if controls and len(controls) < len(ran):  # induction needs 2 layers: the 1-layer member is a control
        return _verdict6_deep(task, ran, follows, evidence)
    if _grows_with_size(follows, slope):
        label = SUPPORTED
    elif not any(follows) or (len(ran) >= 2 and all(follows)):
        label = NOT_SUPPORTED
    else:
        label = INCONCLUSIVE
    return Verdict(6, label, RULE_FLIP, evidence, "icl.flip_following", source)


def _grows_with_size(follows: list[bool], slope: Estimate | None) -> bool:
    """Following grows with size: the largest follows, the smallest does not, and flipped
    accuracy falls over log10 parameters (slope interval below 0)."""
    return len(follows) >= 2 and follows[-1] and not follows[0] and slope is not None and slope.ci_high < 0


def _layers(m: dict) -> int | None:
    """Layers of a ladder member from its name (family:<ladder>/L<layers>W<width>)."""
    import re

    found = re.search(r"/L(\d+)W\d+$", str(m["model"]))
    return int(found.group(1)) if found else None


def _verdict6_deep(task: str, ran: list[dict], follows: list[bool], evidence: str) -> Verdict:
    """The ladder with its 1-layer control: the size trend is judged among the deeper
    members only; following that only separates 1 layer from more is depth, not scale."""
    deep = [(m, f) for m, f in zip(ran, follows) if _layers(m) != 1]
    ctrl = [f for m, f in zip(ran, follows) if _layers(m) == 1]
    slope = size_slope([m for m, _ in deep], _flip)
    evidence += ("; among members with 2+ layers, slope " + (est(slope) if slope else "not estimable")
                 + "; flipped episodes are part of the world's training, so following them is a trained behaviour")
    fd = [f for _, f in deep]
    if _grows_with_size(fd, slope):
        label = SUPPORTED
    elif all(fd) and not any(ctrl):
        label = NOT_SUPPORTED
        evidence += "; depth, not scale: the 1-layer control keeps its prior and every deeper member follows"
    elif not any(fd):
        label = NOT_SUPPORTED
    else:
        label = INCONCLUSIVE
    return Verdict(6, label, RULE_FLIP, evidence, "icl.flip_following", "ladder")


# -- running several models, and the main job's step ------------------------------------------
@dataclass(frozen=True)
class ModelJob:
    spec: str
    data: LabelledSet | WorldEpisodes
    n: int  # test items per seed
    k: tuple[int, ...] | None = None  # this job's k-shot sweep (default: the design's)


def ladder_jobs(spec: str, n: int, k: tuple[int, ...] | None = None) -> list[ModelJob]:
    """A ladder member on its own world's episodes, queries repeated and new."""
    from intuitions.models.zoo import ladder_world_seed

    seed = ladder_world_seed(spec)
    return [ModelJob(spec, WorldEpisodes(seed, repeat), n, k) for repeat in (True, False)]


def _job_design(job: ModelJob, design: Design) -> Design:
    from dataclasses import replace

    d = replace(design, n=job.n, k_sweep=job.k or design.k_sweep)
    world = Template(WORLD_TEMPLATE_TEXT, WORLD_SEP)
    return replace(d, template=world) if isinstance(job.data, WorldEpisodes) else d


def _prompts(job: ModelJob, design: Design, run_seed: int) -> list[Prompt]:
    d = _job_design(job, design)
    if isinstance(job.data, WorldEpisodes):
        from intuitions.experiments.icl.world import world_prompts
        from intuitions.world.icl import ARBITRARY_LABELS

        pick = np.random.default_rng([run_seed, 7]).choice(len(ARBITRARY_LABELS), size=2, replace=False)
        return world_prompts(job.data, d, (ARBITRARY_LABELS[pick[0]], ARBITRARY_LABELS[pick[1]]))
    return build_prompts(job.data, d, run_seed, unrelated_words(job.data))


def run_jobs(jobs: Sequence[ModelJob], design: Design, run_seed: int, load: Callable[[str], Scorer],
             show_progress: bool = True, report: Callable[[float, str], None] | None = None) -> IclResult:
    """Every job's model on its data. `report(fraction, note)`: prompts scored over prompts
    planned (a real model's prompt counts as much as a ladder member's: it is a rough share)."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeRemainingColumn

    from intuitions.console import text_column

    models = []
    columns = (text_column("{task.description}"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn())
    # Every job's prompts first: a data set the design cannot use (too many classes for the
    # unrelated labels, too few items per class for k) fails before a model loads.
    planned = [_prompts(job, design, run_seed) for job in jobs]
    sizes = [len({c for p in prompts for c in (p.context, p.cf_context)}) for prompts in planned]
    done = [0]

    def advance(k: int, task, spec: str) -> None:
        bar.advance(task, k)
        done[0] += k
        if report is not None:
            report(done[0] / max(sum(sizes), 1), f"{spec}: {done[0]}/{sum(sizes)} prompts")

    with Progress(*columns, transient=True, disable=not show_progress) as bar:
        for job, prompts, total in zip(jobs, planned, sizes):
            scorer = load(job.spec)
            d = _job_design(job, design)
            task = bar.add_task(f"icl {job.spec}", total=total)
            scores = score_prompts(scorer, prompts, d.template,
                                   progress=lambda k, t=task, s=job.spec: advance(k, t, s))
            models.append(aggregate(scorer.name, scorer.fingerprint, scorer.n_params, job.data, d, prompts, scores))
            bar.remove_task(task)
            del scorer
    return IclResult(list(design.k_sweep), design.k_main, list(design.flips), list(design.seeds),
                     design.template.text, design.template.sep, models)


# Per preset: what fits the main job's time (2 shared cores). A real model costs ~100x a
# ladder member per token, so it gets fewer items and bf16 matmuls (measured, quick ladder of
# 5 + smollm2-135m, 3 seeds, load 4-5: 8 real items/seed in fp32 took 413 s, 6 in bf16 42 s).
# A step's options table (run.toml) overrides any of these keys.
STEP_DEFAULTS = {
    "smoke": {"k": [0, 1], "k_ladder": [0, 3], "flips": [0, 100], "n_ladder": 16, "n_real": 4, "max_seeds": 2,
              "data": "sentiment", "dtype": "float32", "real_dtype": "bfloat16"},
    "quick": {"k": [0, 1, 2], "k_ladder": [0, 3, 4], "flips": [0, 50, 100], "n_ladder": 60, "n_real": 12,
              "max_seeds": 3, "data": "sentiment", "dtype": "float32", "real_dtype": "bfloat16"},
    # full: 100 real items x 5 seeds in fp32 had not finished after 12 minutes (7 members and smollm2-135m,
    # 2026-12-01), so the real model keeps quick's bf16 and a few more items
    "full": {"k": [0, 1, 2, 4], "k_ladder": [0, 2, 3, 4], "flips": [0, 25, 50, 75, 100], "n_ladder": 100,
             "n_real": 24, "max_seeds": 3, "data": "sentiment", "dtype": "float32", "real_dtype": "bfloat16"},
}


def report_step(ctx) -> None:
    from intuitions.experiments.contract import save
    from intuitions.experiments.icl.figures import draw
    from intuitions.experiments.icl.options import IclOptions
    from intuitions.experiments.optionspec import parse
    from intuitions.models import zoo
    from intuitions.models.zoo import load_scorer

    opts = parse(IclOptions, ctx.options, "[options.icl]")
    o = {**STEP_DEFAULTS.get(ctx.preset, STEP_DEFAULTS["quick"]), **opts.given()}
    seeds = tuple(range(ctx.seed, ctx.seed + max(1, min(ctx.seeds, o["max_seeds"]))))
    design = Design(tuple(o["k"]), tuple(o["flips"]), seeds, ctx.n)
    ladder = zoo.expand(ctx.ladder) if ctx.ladder else []
    jobs = [j for s in ladder for j in ladder_jobs(s, min(ctx.n, o["n_ladder"]), tuple(o["k_ladder"]))]
    jobs += [ModelJob(s, load_data(o["data"]), min(ctx.n, o["n_real"])) for s in ctx.real_models]
    dtype = {s: o["real_dtype"] if s in ctx.real_models else o["dtype"] for s in ladder + list(ctx.real_models)}
    res = run_jobs(jobs, design, ctx.seed, lambda s: load_scorer(s, dtype[s]), show_progress=False,
                   report=ctx.progress)
    config = {"preset": ctx.preset, "ladder": ctx.ladder, "real_models": list(ctx.real_models), "seed": ctx.seed,
              "seeds": list(seeds), "n": ctx.n,
              "options": {**STEP_DEFAULTS.get(ctx.preset, STEP_DEFAULTS["quick"]), **ctx.options}}
    save(ctx.out, "icl", config, res, {m.model: m.fingerprint for m in res.models}, draw, verdicts)
