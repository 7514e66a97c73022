"""Intuition 1: predicting the next token is secretly many tasks.

The mean loss over a corpus splits exactly into per-task parts: with n_t of N tokens
tagged task t and mean loss L_t on them,  L = sum_t (n_t / N) * L_t.  We report each
task's share, mean loss, contribution (share x loss) and fraction of the total, check the
identity numerically, and follow the per-task losses across a ladder of model sizes and
training checkpoints ("who learns what when"). The probe suite (`probes.py`) asks the
same question of real models one small task at a time.

Intervals: tokens of one document are not independent, so every interval resamples whole
documents (or, for one plain text, lines) and recomputes the ratios (cluster bootstrap);
the world's documents, drawn as n per task, are resampled within their task. Differences
between models use the same resamples for every model (paired)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from intuitions.errors import UserError
from intuitions.experiments.multitask.ladder import ModelRef, _axes, _x, ladder_refs
from intuitions.experiments.multitask.stats import ALPHA, _se, heterogeneity, holm  # noqa: F401
from intuitions.experiments.multitask.tags import (  # noqa: F401  (re-exported)
    OTHER,
    Corpus,
    TaggedText,
    TaskSpan,
    file_corpus,
    heuristic_spans,
    read_spans_file,
    world_corpus,
)
from intuitions.models.base import Scorer, score_texts
from intuitions.stats import Estimate, est
from intuitions.verdict import INCONCLUSIVE, NOT_SUPPORTED, SUPPORTED, Verdict

INTUITIONS = (1,)
N_BOOT = 1000
MAX_LINE_CLUSTERS = 500
IDENTITY_TOL = 1e-6
MIN_DROP = 0.02  # a drop under 2% of a task's first loss counts as flat


@dataclass(frozen=True)
class TaskSums:
    """Per (cluster, task): summed loss in nats and token count. Everything derives from these."""
    tasks: tuple[str, ...]
    loss: np.ndarray  # float64 [clusters, tasks]
    count: np.ndarray  # int64 [clusters, tasks]
    floor: np.ndarray | None = None  # float64 [clusters, tasks]: the known loss floor in nats (world only)


@dataclass(frozen=True)
class TaskLoss:
    task: str
    n_tokens: int
    share: Estimate
    mean_loss: Estimate  # nats per token of this task
    contribution: Estimate  # share x mean loss: this task's part of the overall mean
    fraction: float  # contribution / overall mean loss
    floor: float | None = None  # the world's known floor, nats per token of this task (None: unknown)
    excess: Estimate | None = None  # mean loss - floor, documents resampled


@dataclass(frozen=True)
class Decomposition:
    model: str
    fingerprint: str
    member: str | None  # ladder member name, None for other models
    step: int | None  # training step, where known
    final: bool  # a finished model (False: an intermediate checkpoint)
    n_params: int | None
    non_embedding_params: int | None
    n_tokens: int
    n_clusters: int
    ci_unit: str
    overall_loss: Estimate
    sum_of_contributions: float
    identity_error: float  # |overall - sum_t share_t * loss_t|
    tasks: list[TaskLoss]


@dataclass(frozen=True)
class Learning:
    """One task along one axis (model size, or one member's training steps)."""
    task: str
    axis: str  # "size" or "steps:<member>"
    xs: list[float]
    losses: list[float]
    drop: Estimate  # loss at the first point minus loss at the last, paired over documents
    reached_at: float | None  # first x by which half of the drop is done
    label: str  # early | late | not learned
    excess: list[float] | None = None  # loss - known floor at each point (None: no floor)
    learned_share: Estimate | None = None  # 1 - last excess / first excess, paired over documents


# -- decomposition -------------------------------------------------------------------------
def token_tasks(text: TaggedText, offsets: Sequence[tuple[int, int]], index: dict[str, int]) -> np.ndarray:
    """Task index per token: the task covering most of its characters (ties: the first in
    task order); tokens no span touches get the text's default; added tokens (BOS) get -1."""
    lab = np.full(len(text.text), -1, np.int64)
    for s in text.spans:
        lab[s.start:s.end] = index[s.task]
    out = np.full(len(offsets), -1, np.int64)
    for i, (a, b) in enumerate(offsets):
        if a == b:
            continue
        seg = lab[a:b]
        seg = seg[seg >= 0]  # a leading space is nobody's: it must not outvote the word
        out[i] = np.bincount(seg).argmax() if len(seg) else index[text.default]
    return out


def clusters_of(corpus: Corpus, ti: int, starts: np.ndarray) -> tuple[np.ndarray, int]:
    """Bootstrap unit of each token: its document, or for one long text its line (blank
    lines join the line before; very many lines are merged into contiguous blocks)."""
    n_texts = len(corpus.texts)
    if n_texts > 1:
        return np.full(len(starts), ti), n_texts
    lines = corpus.texts[0].text.split("\n")
    ends = np.cumsum([len(x) + 1 for x in lines])  # char just past each line's newline
    solid = np.cumsum([bool(x.strip()) for x in lines])  # non-blank lines so far
    n = max(int(solid[-1]), 1)
    line = np.minimum(np.searchsorted(ends, starts, side="right"), len(lines) - 1)
    idx = np.maximum(solid[line] - 1, 0)
    k = min(n, MAX_LINE_CLUSTERS)
    return idx * k // n, k


def accumulate(losses: np.ndarray, task_idx: np.ndarray, cluster_idx: np.ndarray,
               tasks: Sequence[str], n_clusters: int) -> TaskSums:
    """Token-level losses (nats) with a task and a cluster each -> per (cluster, task) sums."""
    loss = np.zeros((n_clusters, len(tasks)))
    count = np.zeros((n_clusters, len(tasks)), np.int64)
    np.add.at(loss, (cluster_idx, task_idx), losses)
    np.add.at(count, (cluster_idx, task_idx), 1)
    return TaskSums(tuple(tasks), loss, count)


def task_sums(scorer: Scorer, corpus: Corpus) -> TaskSums:
    """With known floors (the world), each text is scored with its end token, tagged with the
    text's task, as the floor counts it; otherwise the text alone."""
    tasks = corpus.tasks
    index = {t: i for i, t in enumerate(tasks)}
    eos = scorer.eos_id if corpus.floors is not None else None
    if eos is None:
        scores = score_texts(scorer, [t.text for t in corpus.texts])
    else:
        import dataclasses

        encs = scorer.encode([t.text for t in corpus.texts])
        got = scorer.score([list(e.ids) + [eos] for e in encs])
        scores = [dataclasses.replace(s, offsets=list(e.offsets) + [(len(t.text), len(t.text))])
                  for s, e, t in zip(got, encs, corpus.texts)]
    parts = []
    n_clusters = 0
    for ti, (text, s) in enumerate(zip(corpus.texts, scores)):
        if s.offsets is None:
            raise UserError(f"model {scorer.name!r} gives no character offsets: it cannot be tagged by span")
        lab = token_tasks(text, s.offsets, index)
        if eos is not None:
            lab[-1] = index[text.default]  # the end token: the document's own decision
        ok = np.isfinite(s.logprobs) & (lab >= 0)
        cl, n_clusters = clusters_of(corpus, ti, np.array([a for a, _ in s.offsets], np.int64))
        parts.append((-s.logprobs[ok], lab[ok], cl[ok]))
    cat = [np.concatenate(x) if x else np.zeros(0) for x in zip(*parts)]
    sums = accumulate(cat[0], cat[1].astype(np.int64), cat[2].astype(np.int64), tasks, n_clusters)
    if eos is None or corpus.floors is None or len(corpus.texts) != n_clusters:
        return sums
    floor = np.zeros_like(sums.loss)
    for ti, (text, f) in enumerate(zip(corpus.texts, corpus.floors)):
        floor[ti, index[text.default]] += f  # every token of a world document is its task's
    return TaskSums(sums.tasks, sums.loss, sums.count, floor)


def boot_weights(n_clusters: int, n_boot: int = N_BOOT, seed: int = 0,
                 strata: Sequence | None = None) -> np.ndarray:
    """[n_boot, clusters] multiplicities of a cluster bootstrap; share them to pair models.
    With strata (one label per cluster), each stratum is resampled to its own size."""
    rng = np.random.default_rng(seed)
    labels = np.zeros(n_clusters, np.int64) if strata is None else np.unique(np.asarray(strata), return_inverse=True)[1]
    w = np.zeros((n_boot, n_clusters))
    rows = np.arange(n_boot)[:, None]
    for g in np.unique(labels):
        members = np.flatnonzero(labels == g)
        np.add.at(w, (rows, members[rng.integers(0, len(members), size=(n_boot, len(members)))]), 1)
    return w


def _est(value: float, boots: np.ndarray, n: int) -> Estimate:
    b = boots[np.isfinite(boots)]
    if len(b) == 0:
        return Estimate(float(value), float("nan"), float("nan"), n)
    lo, hi = np.quantile(b, [0.025, 0.975])
    return Estimate(float(value), float(lo), float(hi), n)


def _ratio(a, b):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1), np.nan)


def decompose(sums: TaskSums, weights: np.ndarray, model: str = "", fingerprint: str = "",
              ci_unit: str = "document", **meta) -> Decomposition:
    S, N = sums.loss.sum(0), sums.count.sum(0)  # per task
    total_n = int(N.sum())
    if total_n == 0:
        raise UserError("no scored tokens to decompose")
    overall = float(S.sum() / total_n)
    share, mean = N / total_n, _ratio(S, N)
    contrib = np.where(N > 0, share * np.nan_to_num(mean), 0.0)
    Sb, Nb = weights @ sums.loss, weights @ sums.count  # [boot, task]
    Nb_tot = Nb.sum(1, keepdims=True)
    overall_b = _ratio(Sb.sum(1), Nb_tot[:, 0])
    F = Fb = None
    if sums.floor is not None:
        F, Fb = sums.floor.sum(0), weights @ sums.floor
    tasks = [
        TaskLoss(t, int(N[i]), _est(share[i], _ratio(Nb[:, i], Nb_tot[:, 0]), int(N[i])),
                 _est(mean[i], _ratio(Sb[:, i], Nb[:, i]), int(N[i])),
                 _est(contrib[i], _ratio(Sb[:, i], Nb_tot[:, 0]), int(N[i])),
                 float(contrib[i] / overall) if overall else math.nan,
                 None if F is None else float(F[i] / N[i]),
                 None if F is None or Fb is None else _est(float((S[i] - F[i]) / N[i]),
                                                          _ratio(Sb[:, i] - Fb[:, i], Nb[:, i]), int(N[i])))
        for i, t in enumerate(sums.tasks) if N[i] > 0
    ]
    total_contrib = float(sum(t.contribution.value for t in tasks))
    return Decomposition(
        model=model, fingerprint=fingerprint, member=meta.get("member"), step=meta.get("step"),
        final=meta.get("final", True),
        n_params=meta.get("n_params"), non_embedding_params=meta.get("non_embedding_params"),
        n_tokens=total_n, n_clusters=int(sums.loss.shape[0]), ci_unit=ci_unit,
        overall_loss=_est(overall, overall_b, total_n), sum_of_contributions=total_contrib,
        identity_error=abs(overall - total_contrib), tasks=tasks,
    )


# -- who learns what when ------------------------------------------------------------------------
def learning_curve(task_i: int, task: str, axis: str, xs: Sequence[float], series: Sequence[TaskSums],
                   weights: np.ndarray) -> Learning | None:
    """Label one task along an ordered axis.

    not learned: the paired 95% CI of (first - last loss) does not lie above 0, or the drop
    is under MIN_DROP of the first loss (too small to matter);
    early / late: the first x by which half of the drop is done lies in the first / second
    half of the axis on a log scale. Half, not most: a learning-rate decay at the end of
    training lowers every task a little, which would push a 90% point late for all."""
    losses = np.array([_ratio(s.loss[:, task_i].sum(), s.count[:, task_i].sum()) for s in series], float)
    if len(series) < 2 or not np.all(np.isfinite(losses)):
        return None
    first, last = series[0], series[-1]
    boots = _ratio(weights @ first.loss[:, task_i], weights @ first.count[:, task_i]) - \
        _ratio(weights @ last.loss[:, task_i], weights @ last.count[:, task_i])
    drop = _est(losses[0] - losses[-1], boots, int(last.count[:, task_i].sum()))
    if not (drop.ci_low > 0 and drop.value >= MIN_DROP * losses[0]):
        return Learning(task, axis, list(map(float, xs)), losses.tolist(), drop, None, "not learned")
    target = losses[0] - 0.5 * (losses[0] - losses[-1])
    k = int(np.argmax(losses <= target + 1e-12))
    lx = np.log(np.maximum(np.asarray(xs, float), 1e-9))
    frac = (lx[k] - lx[0]) / (lx[-1] - lx[0]) if lx[-1] > lx[0] else 0.0
    return Learning(task, axis, list(map(float, xs)), losses.tolist(), drop, float(xs[k]),
                    "early" if frac <= 0.5 else "late")


def excess_curve(task_i: int, series: Sequence[TaskSums], weights: np.ndarray, n: int
                 ) -> tuple[list[float] | None, Estimate | None]:
    """Excess loss (loss - known floor) at each point, and the share of the first point's
    excess gone by the last, 1 - E_last / E_first, paired over documents."""
    if any(s.floor is None for s in series):
        return None, None
    ex = [float(_ratio(s.loss[:, task_i].sum() - s.floor[:, task_i].sum(), s.count[:, task_i].sum()))  # type: ignore[index]
          for s in series]
    first, last = series[0], series[-1]
    assert first.floor is not None and last.floor is not None

    def boot(s: TaskSums, fl: np.ndarray) -> np.ndarray:
        return _ratio(weights @ s.loss[:, task_i] - weights @ fl[:, task_i], weights @ s.count[:, task_i])

    if not (np.isfinite(ex[0]) and ex[0] > 0):
        return ex, None
    e0 = boot(first, first.floor)
    with np.errstate(invalid="ignore", divide="ignore"):
        b = np.where(e0 > 0, 1 - boot(last, last.floor) / np.where(e0 > 0, e0, 1), np.nan)
    return ex, _est(1 - ex[-1] / ex[0], b, n)


def learning_table(axis: str, xs: Sequence[float], series: Sequence[TaskSums], weights: np.ndarray) -> list[Learning]:
    import dataclasses

    tasks = series[0].tasks
    rows = []
    for i, t in enumerate(tasks):
        r = learning_curve(i, t, axis, xs, series, weights)
        if r is not None:
            ex, share = excess_curve(i, series, weights, r.drop.n)
            rows.append(dataclasses.replace(r, excess=ex, learned_share=share))
    return rows


@dataclass(frozen=True)
class MultitaskResult:
    source: str | None  # world | file | spans, None when only probes ran
    tasks: list[str]
    decompositions: list[Decomposition]
    learning: list[Learning]
    probes: list  # list[probes.ProbeResult]
    identity_max_error: float | None


def decompose_models(refs: Sequence[ModelRef], corpus: Corpus, load: Callable[[str], Scorer], seed: int = 0,
                     on_model: Callable[[ModelRef], None] | None = None) -> tuple[list[Decomposition], list[Learning]]:
    sums, decs, weights = [], [], None
    for ref in refs:
        if on_model:
            on_model(ref)
        scorer = load(ref.spec)
        s = task_sums(scorer, corpus)
        if weights is None:
            strata = corpus.strata if corpus.strata and len(corpus.strata) == s.loss.shape[0] else None
            weights = boot_weights(s.loss.shape[0], seed=seed, strata=strata)
        sums.append(s)
        decs.append(decompose(s, weights, ref.name, scorer.fingerprint, corpus.ci_unit, member=ref.member,
                              step=ref.step, final=ref.final, n_params=ref.n_params,
                              non_embedding_params=ref.non_embedding_params))
    learning = []
    if weights is None:  # no models
        return decs, learning
    for axis, idx in _axes(refs):
        xs = [_x(refs[i], axis, k) for k, i in enumerate(idx)]
        learning += learning_table(axis, xs, [sums[i] for i in idx], weights)
    return decs, learning


def run(refs: Sequence[ModelRef], load: Callable[[str], Scorer], corpus: Corpus | None = None,
        probe_suite: dict | None = None, seed: int = 0, probe_n: int | None = None,
        on_model: Callable[[ModelRef], None] | None = None) -> MultitaskResult:
    from intuitions.experiments.multitask import probes

    decs, learning = decompose_models(refs, corpus, load, seed, on_model) if corpus else ([], [])
    probe_results = []
    if probe_suite:
        for ref in refs:
            if ref.final:
                scorer = load(ref.spec)
                probe_results.append(_renamed(probes.run(scorer, probe_suite, seed, probe_n), ref.name))
    err = max((d.identity_error for d in decs), default=None)
    return MultitaskResult(corpus.source if corpus else None, list(corpus.tasks) if corpus else [],
                           decs, learning, probe_results, err)


def _renamed(res, name: str):
    import dataclasses
    return dataclasses.replace(res, model=name)


# -- the main job ---------------------------------------------------------------------------------
def report_step(ctx) -> None:
    """Per-task decomposition of the world's held-out documents on every ladder member and
    checkpoint, plus the probe suite on each installed real model."""
    import dataclasses

    from intuitions.experiments.contract import save
    from intuitions.experiments.multitask import probes
    from intuitions.experiments.multitask.figures import draw
    from intuitions.experiments.multitask.options import MultitaskOptions
    from intuitions.experiments.optionspec import parse
    from intuitions.models import zoo

    opts = parse(MultitaskOptions, ctx.options, "[options.multitask]")
    big = ctx.preset == "full"  # quick stays within about two minutes on two cores
    n_docs = opts.docs_per_task if opts.docs_per_task is not None else min(ctx.n, 100 if big else 40)
    probe_n = opts.probe_items if opts.probe_items is not None else min(ctx.n, 50 if big else 40)
    with_ck = opts.checkpoints
    preset = ctx.ladder.split(":", 1)[1]
    refs = ladder_refs(preset, with_ck)
    seen = [0]  # models decomposed so far; a real model's probes count as one more

    def tell(ref: ModelRef) -> None:
        ctx.report(seen[0], len(refs) + len(ctx.real_models), f"decomposing {ref.name}")
        seen[0] += 1

    res = run(refs, zoo.load, world_corpus(ctx.seed, n_docs), seed=ctx.seed, on_model=tell)
    if ctx.real_models:
        ctx.report(len(refs), len(refs) + len(ctx.real_models), "probes on the real models")
        real = run([ModelRef(m, m) for m in ctx.real_models], zoo.load, None, probes.load_suite(),
                   ctx.seed, probe_n)
        res = dataclasses.replace(res, probes=real.probes)
    config = {"ladder": ctx.ladder, "real_models": list(ctx.real_models), "seed": ctx.seed,
              "docs_per_task": n_docs, "probe_items": probe_n, "checkpoints": with_ck}
    save(ctx.out, "multitask", config, res, fingerprints(res), draw, verdicts)


def fingerprints(res: MultitaskResult) -> dict[str, str]:
    fp = {d.model: d.fingerprint for d in res.decompositions}
    fp.update({p.model: p.fingerprint for p in res.probes})
    return fp



RULE_EXCESS = (
    "Per task, excess loss = mean loss minus the world's known floor (the generator's own -log P of the same "
    "documents, end token included), in nats per token. Along model size, and along the largest member's "
    "training steps, each task's learned share = 1 - last excess / first excess, with a 95% CI (documents "
    "resampled, paired). Supported when the shares differ across tasks beyond their intervals on at least "
    "one axis: the heterogeneity statistic Q (squared distances of the shares from their inverse-variance "
    "mean, each over its variance from the CI width times m / (m - 1), m documents per task), divided by tasks - 1, "
    "exceeds the F quantile with tasks - 1 "
    f"and m - 1 degrees of freedom at {ALPHA} divided by the number of axes. Not supported at "
    "this scale when no axis rejects; "
    "inconclusive when there is no ladder of at least two members, no known floor, or the per-task "
    f"contributions do not add up to the overall loss within {IDENTITY_TOL:g} nats (a check, not the claim)."
)
RULE_PROBES = (
    "Per real model, minimal-pair probe accuracy per category against its chance level (a uniform guess among "
    "the options): a category is above chance when a one-sided binomial test rejects after Holm's correction "
    f"across categories at {ALPHA}; categories are not all alike when the heterogeneity statistic Q of "
    "accuracy minus chance (binomial standard errors) exceeds the chi-square quantile with categories - 1 "
    f"degrees of freedom at {ALPHA}. Supported when at least 2 categories are above chance and they are not "
    "all alike; not supported at this scale when none is above chance; inconclusive otherwise."
)


def _size(d: dict) -> float:
    return d.get("non_embedding_params") or d.get("n_params") or 0


def verdicts(saved: dict) -> list[Verdict]:
    res = saved.get("result", saved)
    out = [_verdict_ladder(res)] if res.get("decompositions") else []
    out += [_verdict_probes(p) for p in res.get("probes") or [] if not str(p["model"]).startswith("family:")]
    return out or [_verdict_ladder(res)]


def _verdict_ladder(res: dict) -> Verdict:
    def say(label: str, evidence: str) -> Verdict:
        return Verdict(1, label, RULE_EXCESS, evidence, "multitask.excess_rates", "ladder")

    decs = res.get("decompositions") or []
    finals = [d for d in decs if d.get("final") and d.get("member")]
    if len(finals) < 2:
        return say(INCONCLUSIVE, "no ladder of at least two members was decomposed")
    max_err = max((e if (e := d.get("identity_error")) is not None else math.inf) for d in decs)
    if not max_err <= IDENTITY_TOL:
        return say(INCONCLUSIVE, f"decomposition identity failed: max error {max_err:.3g} nats")
    largest = max(finals, key=lambda d: (_size(d), finals.index(d)))
    axes = ["size", f"steps:{largest['member']}"]
    rows = {a: [r for r in res.get("learning") or [] if r["axis"] == a and r.get("learned_share")
                and _se(r["learned_share"]) is not None] for a in axes}
    docs = int(largest.get("n_clusters") or 0) // max(1, len(largest["tasks"]))  # per task
    k = math.sqrt(docs / (docs - 1)) if docs >= 2 else 1.0  # a bootstrap variance is (m - 1) / m of the unbiased one
    tested = {a: heterogeneity([r["learned_share"]["value"] for r in rs],
                               [k * (_se(r["learned_share"]) or 0) for r in rs],
                               docs - 1 if docs >= 2 else None) for a, rs in rows.items() if len(rs) >= 2}
    excess = [(t["task"], t["excess"]) for t in largest["tasks"] if t.get("excess")]
    evidence = (f"identity max error {max_err:.2g} nats over {len(decs)} models (a check); largest member "
                f"{largest['model']} excess loss over the floor: "
                + (", ".join(f"{t} {est(e)}" for t, e in excess) or "no floors (not the world's corpus)"))
    for a in axes:
        if a in tested:
            q, df, p = tested[a]
            evidence += (f"; {a}: learned share "
                         + ", ".join(f"{r['task']} {est(r['learned_share'])}" for r in rows[a])
                         + f"; Q = {q:.1f}, df = {df}, {docs} documents per task, p = {p:.2g}")
        else:
            evidence += f"; {a}: no excess curve"
    if not tested:
        return say(INCONCLUSIVE, evidence)
    level = ALPHA / len(tested)
    return say(SUPPORTED if any(p < level for _, _, p in tested.values()) else NOT_SUPPORTED, evidence)


def _verdict_probes(p: dict) -> Verdict:
    from scipy.stats import binom

    cats = [c for c in p["categories"] if c["n_items"] > 0]
    k = [sum(bool(it["right"]) for it in c["items"]) if c.get("items") else round(c["accuracy"]["value"] * c["n_items"])
         for c in cats]
    n = [c["n_items"] for c in cats]
    pv = [float(binom.sf(kk - 1, nn, c["chance"])) for kk, nn, c in zip(k, n, cats)]
    above = holm(pv)
    acc = [kk / nn for kk, nn in zip(k, n)]
    se = [math.sqrt(min(max(a, 0.5 / nn), 1 - 0.5 / nn) * (1 - min(max(a, 0.5 / nn), 1 - 0.5 / nn)) / nn)
          for a, nn in zip(acc, n)]
    q, df, ph = heterogeneity([a - c["chance"] for a, c in zip(acc, cats)], se)
    evidence = (f"{p['model']}: " + ", ".join(f"{c['category']} {est(c['accuracy'])} vs chance {c['chance']:.2f}"
                                            f"{' (above)' if a else ''}" for c, a in zip(cats, above))
                + f"; {sum(above)} of {len(cats)} above chance (Holm); alike? Q = {q:.1f}, df = {df}, p = {ph:.2g}")
    if sum(above) >= 2 and ph < ALPHA:
        label = SUPPORTED
    elif not any(above):
        label = NOT_SUPPORTED
    else:
        label = INCONCLUSIVE
    return Verdict(1, label, RULE_PROBES, evidence, "multitask.probes", "real")
