"""Intuition 3: give the model time to think. Chain of thought versus direct answers.

On multi-step arithmetic (`intuitions.experiments.cot.problems` for real models, the world's arithmetic for
the ladder), each problem is put to a model under these conditions:

    direct    question -> answer
    given     question -> the gold worked solution (teacher-forced) -> answer (it states the answer:
              an upper bound for copying, not evidence of thought)
    partial   question -> the worked solution without its final result -> answer (leak-free)
    filler    question -> as many neutral filler tokens (" .") as the solution has -> answer
    cot       question -> the model's own greedy chain of thought -> answer (extracted)
    mc_*      multiple choice by option log-likelihood, without / with the worked solution

Answer surprisal (nats, summed over the answer's tokens) is measured for direct, given and
filler; accuracy (greedy decoding, exact match) for every condition: for those three from
the same teacher-forced pass (generating only where it cannot tell), for cot by generating
and extracting the answer. Filler is the control that separates thought
from mere length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np

from intuitions.experiments.cot import problems as pb
from intuitions.experiments.cot.config import CotConfig
from intuitions.experiments.cot.prompts import (  # noqa: F401  (re-exported: the experiment's vocabulary)
    REAL,
    WORLD,
    PromptFormat,
    Worked,
    _from_world,
    _solved,
    contexts,
    filler_text,
    from_problem,
    real_items,
    without_result,
    world_items,
)
from intuitions.models.base import Scorer, continuation_ids, score_continuations, tokenize
from intuitions.stats import Estimate, bootstrap_ci, est, mean_ci, proportion_ci
from intuitions.verdict import INCONCLUSIVE, NOT_SUPPORTED, SUPPORTED, Verdict

INTUITIONS = (3,)
SURPRISAL_CONDITIONS = ("direct", "filler", "given", "partial")
ACCURACY_CONDITIONS = ("direct", "filler", "given", "partial", "cot", "mc_direct", "mc_given")
SURPRISAL_CONTRASTS = (("given", "direct"), ("given", "filler"), ("filler", "direct"), ("partial", "direct"))
STAGES = len(SURPRISAL_CONDITIONS) + 3  # run_model's progress notes per model: conditions, choice, chains, density
ACCURACY_CONTRASTS = (("cot", "direct"), ("partial", "direct"), ("filler", "direct"), ("mc_given", "mc_direct"))




@dataclass(frozen=True)
class ItemRecord:
    steps: int
    expression: str
    answer: int
    surprisal: dict[str, float]  # condition -> nats over the answer tokens
    correct: dict[str, bool | None]  # condition -> exact match; None where not run
    answer_tokens: int
    rationale_tokens: int  # header + worked solution
    filler_tokens: int
    cot_text: str | None


@dataclass(frozen=True)
class Cell:
    metric: str  # surprisal (nats) | accuracy | tokens; in contrasts, the paired difference of one
    condition: str  # a condition, or "a-b" for a paired contrast
    steps: int | None  # None: all step counts pooled
    estimate: Estimate


@dataclass(frozen=True)
class RoleDensity:
    role: str  # result | operand | format | answer
    nats: Estimate  # per-token surprisal: the mean of per-solution means, CI over solutions


@dataclass(frozen=True)
class DensityView:
    n_texts: int
    roles: list[RoleDensity]
    example: list[tuple[str, str, float]]  # (token, role, nats) across one worked solution


@dataclass(frozen=True)
class ModelRun:
    model: str
    fingerprint: str
    kind: str  # real | ladder
    n_params: int | None
    format: str
    demos: list[str]
    cells: list[Cell]
    contrasts: list[Cell]
    density: DensityView | None
    items: list[ItemRecord]


@dataclass(frozen=True)
class CotResult:
    config: CotConfig | None  # None where runs used different configs (the main job: see result.json)
    runs: list[ModelRun]


# -- running ----------------------------------------------------------------------------------
def _generate(scorer: Scorer, prompts: list[str], max_new_tokens: int, stop: tuple[str, ...]) -> list[str]:
    """Greedy texts, each up to and including its first stop string (the Scorer contract)."""
    return scorer.generate(prompts, max_new_tokens, stop=stop) if prompts else []


def run_model(scorer: Scorer, items: Sequence[Worked], demos: Sequence[Worked], fmt: PromptFormat,
              cfg: CotConfig, kind: str, progress: Callable[[str], None] = lambda s: None) -> ModelRun:
    everyone = [*items, *demos]
    lens = tokenize(scorer, [fmt.header + w.rationale for w in everyone], add_prefix=False)
    worked_len = {w: len(x) for w, x in zip(everyone, lens)}
    fill_cache: dict[int, str] = {}

    def filler(w: Worked) -> str:  # as many tokens as the header + worked solution it replaces
        n = worked_len[w]
        if n not in fill_cache:
            fill_cache[n] = filler_text(scorer, n)
        return fill_cache[n]

    ctx = [contexts(w, demos, fmt, filler) for w in items]
    answers = [f" {w.answer}" for w in items]
    sur: dict[str, list[float]] = {}
    correct: dict[str, dict[int, bool | None]] = {}
    ans_len = [len(x) for x in tokenize(scorer, answers, add_prefix=False)]
    for c in SURPRISAL_CONDITIONS:
        progress(f"answer surprisal ({c})")
        sur[c], greedy = answer_scores(scorer, [x[c] for x in ctx], answers, fmt.answer_end)
        undecided = [i for i, g in enumerate(greedy) if g is None]
        texts = _generate(scorer, [ctx[i][c] for i in undecided], max(ans_len) + 4, (fmt.answer_end, "\n"))
        for i, t in zip(undecided, texts):
            greedy[i] = pb.extract_answer(fmt.marker + t, fmt.marker) == items[i].answer
        correct[c] = dict(enumerate(greedy))
    progress("multiple choice")
    mc = {c: _choose(scorer, [x[c] for x in ctx], items) for c in ("mc_direct", "mc_given")}
    gen_idx = [i for i, w in enumerate(items) if _rank_in_step(items, i) < (cfg.gen_n or cfg.n)]
    progress(f"chains of thought ({len(gen_idx)})")
    cots = dict(zip(gen_idx, _generate(scorer, [ctx[i]["cot"] for i in gen_idx], cfg.max_new_tokens, fmt.cot_stop)))
    correct["cot"] = {i: pb.extract_answer(t, fmt.marker) == items[i].answer for i, t in cots.items()}
    fill_len = [len(x) for x in tokenize(scorer, [filler(w) for w in items], add_prefix=False)]
    records = [
        ItemRecord(w.steps, w.expression, w.answer, {c: sur[c][i] for c in SURPRISAL_CONDITIONS},
                   {**{c: correct[c].get(i) for c in correct}, **{c: mc[c][i] for c in mc}},
                   ans_len[i], worked_len[w], fill_len[i], cots.get(i))
        for i, w in enumerate(items)
    ]
    progress("where the information is")
    dens = density_view(scorer, _spread(items, cfg.density_n), demos, fmt) if cfg.density_n else None
    cells, contrasts = summarize(records)
    return ModelRun(scorer.name, scorer.fingerprint, kind, scorer.n_params, fmt.name,
                    [_solved(d, fmt, fmt.header + d.rationale) for d in demos], cells, contrasts, dens, records)


def answer_scores(scorer: Scorer, ctxs: list[str], answers: list[str],
                  end: str) -> tuple[list[float], list[bool | None]]:
    """Per item, from one teacher-forced pass: the answer tokens' surprisal (nats), and what
    greedy decoding would do: True if it writes exactly the answer and then `end` (every
    token the argmax), False if it leaves the answer's tokens, None if it writes the answer
    and then something else (only a generation tells whether "197." still reads as 197).
    Context and answer are tokenized apart, as in `score_continuations`, so the answer's
    tokens are the same in every condition."""
    pairs = continuation_ids(scorer, ctxs, answers)
    end_ids = tokenize(scorer, [end], add_prefix=False)[0]
    scores = scorer.score([c + a + end_ids for c, a in pairs])
    sur = [-s.total(len(c), len(c) + len(a)) for s, (c, a) in zip(scores, pairs)]
    greedy: list[bool | None] = []
    for s, (c, a) in zip(scores, pairs):
        if s.ranks is None:
            greedy.append(None)
        elif not np.all(s.ranks[len(c) : len(c) + len(a)] == 1):
            greedy.append(False)
        else:
            greedy.append(True if np.all(s.ranks[len(c) + len(a) :] == 1) else None)
    return sur, greedy


def _spread(items: Sequence[Worked], k: int) -> list[Worked]:
    """k items taking turns across step counts, the longest solutions first."""
    by = {s: [w for w in items if w.steps == s] for s in sorted({w.steps for w in items}, reverse=True)}
    order = [w for i in range(max(map(len, by.values()), default=0))
             for ws in by.values() if i < len(ws) for w in [ws[i]]]
    return order[:k]


def _rank_in_step(items: Sequence[Worked], i: int) -> int:
    return sum(1 for w in items[:i] if w.steps == items[i].steps)


def _choose(scorer: Scorer, ctxs: list[str], items: Sequence[Worked]) -> list[bool]:
    """Pick the option with the highest log-likelihood (summed over its tokens)."""
    pairs = [(c, f" {o}") for c, w in zip(ctxs, items) for o in w.options]
    lp = [s.logprob for s in score_continuations(scorer, [p[0] for p in pairs], [p[1] for p in pairs])]
    out, at = [], 0
    for w in items:
        out.append(int(np.argmax(lp[at : at + len(w.options)])) == w.correct)
        at += len(w.options)
    return out


# -- where the information is -----------------------------------------------------------------
def density_view(scorer: Scorer, items: Sequence[Worked], demos: Sequence[Worked], fmt: PromptFormat) -> DensityView:
    """Per-token surprisal of worked solutions (via `density`), by the role of each token:
    a result of an operation, an operand copied from the question or a line above, the
    format around them, or the final answer."""
    from intuitions.experiments.density import core as density

    prefix = "".join(_solved(d, fmt, fmt.header + d.rationale) for d in demos)
    texts, roles = [], []
    for w in items:
        text = prefix + _solved(w, fmt, fmt.header + w.rationale)
        texts.append(text)
        roles.append(_char_roles(text, len(prefix) + len(w.question) + len(fmt.header), w, fmt))
    res = density.run(scorer, texts)
    per_text: dict[str, list[float]] = {r: [] for r in ("result", "operand", "format", "answer")}
    example: list[tuple[str, str, float]] = []
    for ti, r in enumerate(roles):
        rows = [(x, s) for x in res.rows if x.text_index == ti and (s := x.surprisal_nats) is not None]
        by_role: dict[str, list[float]] = {}
        for x, s in rows:
            role = _token_role(r[x.start : x.end])
            if role:
                by_role.setdefault(role, []).append(s)
                if ti == 0:
                    example.append((x.token, role, s))
        for role, v in by_role.items():
            per_text[role].append(float(np.mean(v)))
    return DensityView(len(texts), [RoleDensity(k, mean_ci(v)) for k, v in per_text.items()], example)


def _char_roles(text: str, start: int, w: Worked, fmt: PromptFormat) -> list[str]:
    """Each character's role: the solution's digits are operands or results (`_digit_roles`),
    the rest of it is format, and the answer after the marker is the answer."""
    roles = [""] * len(text)
    end = start + len(w.rationale)
    for j in range(start, end):
        roles[j] = "format"
    for j, role in _digit_roles(text[start:end], fmt):
        roles[start + j] = role
    for j in range(end, end + len(fmt.marker) + 1 + len(str(w.answer))):
        roles[j] = "answer" if text[j].isdigit() else "format"
    return roles


def _digit_roles(solution: str, fmt: PromptFormat) -> list[tuple[int, str]]:
    """(position, operand | result) of each digit. Ours: steps split by newlines, digits
    after a step's "=" are its result, digits before are operands. The world's " 3+5 8*2 6":
    a digit in an operator token (or the first number) is an operand, a lone one a result."""
    digits = [j for j, ch in enumerate(solution) if ch.isdigit()]
    if fmt.name == "world":
        return [(j, "operand" if i == 0 or solution[j - 1] in "+-*" else "result") for i, j in enumerate(digits)]
    out = []
    for m in re.finditer(r"[^\n,]+", solution):
        eq = m.group().rfind("=")
        out += [(m.start() + j, "result" if j > eq >= 0 else "operand")
                for j, ch in enumerate(m.group()) if ch.isdigit()]
    return out


def _token_role(chars: Sequence[str]) -> str:
    present = set(chars)
    return next((r for r in ("answer", "result", "operand", "format") if r in present), "")


# -- summaries --------------------------------------------------------------------------------
def summarize(records: Sequence[ItemRecord]) -> tuple[list[Cell], list[Cell]]:
    """Per condition and step count (None: pooled): mean answer surprisal (t interval) and
    accuracy (Wilson); paired contrasts item by item (t interval on the differences)."""
    cells, contrasts = [], []
    groups = [(None, list(records))] + [(s, [r for r in records if r.steps == s])
                                        for s in sorted({r.steps for r in records})]
    for steps, rs in groups:
        for c in SURPRISAL_CONDITIONS:
            cells.append(Cell("surprisal", c, steps, mean_ci([r.surprisal[c] for r in rs])))
        for c in ACCURACY_CONDITIONS:
            got = [g for r in rs if (g := r.correct[c]) is not None]
            cells.append(Cell("accuracy", c, steps, proportion_ci(sum(got), len(got))))
        for a, b in SURPRISAL_CONTRASTS:
            d = [r.surprisal[a] - r.surprisal[b] for r in rs]
            contrasts.append(Cell("surprisal", f"{a}-{b}", steps, mean_ci(d)))
        for a, b in ACCURACY_CONTRASTS:
            d = [float(ga) - float(gb) for r in rs
                 if (ga := r.correct[a]) is not None and (gb := r.correct[b]) is not None]
            contrasts.append(Cell("accuracy", f"{a}-{b}", steps, mean_ci(d)))
    # The filler control is only fair if it is as long as the solution it replaces.
    cells.append(Cell("tokens", "filler-given", None, mean_ci([r.filler_tokens - r.rationale_tokens for r in records])))
    return cells, contrasts


def run(specs: Sequence[str], cfg: CotConfig, load: Callable[[str], Scorer],
        progress: Callable[[str], None] = lambda s: None) -> CotResult:
    """Every model in `specs`; `family:` members get the world's problems and format."""
    runs = []
    for spec in specs:
        if spec.startswith("family:"):
            demos, items, fmt, kind = [], world_items(cfg), WORLD, "ladder"
        else:
            (demos, items), fmt, kind = real_items(cfg), REAL, "real"
        scorer = load(spec)
        runs.append(run_model(scorer, items, demos, fmt, cfg, kind, lambda s, m=spec: progress(f"{m}: {s}")))
    return CotResult(cfg, runs)


def fingerprints(res: CotResult) -> dict[str, str]:
    return {r.model: r.fingerprint for r in res.runs}


# -- the main job -----------------------------------------------------------------------------
STEP_DEFAULTS = {  # problems per step count; gen_n None: every problem also gets a generated chain
    "smoke": {"steps": [1, 2], "n_real": 3, "n_ladder": 6, "gen_n": None, "shots": 1, "max_new_tokens": 40,
              "density_n": 2},
    # the verdict rests on generated chains of thought: every problem gets one (n per step count)
    "quick": {"steps": [1, 2, 3], "n_real": 40, "n_ladder": 100, "gen_n": None, "shots": 1, "max_new_tokens": 48,
              "density_n": 3},
    "full": {"steps": [1, 2, 3, 4], "n_real": 40, "n_ladder": 150, "gen_n": None, "shots": 2, "max_new_tokens": 64,
             "density_n": 8},
}


def report_step(ctx) -> None:
    from intuitions.experiments.contract import save
    from intuitions.experiments.cot.figures import draw
    from intuitions.experiments.cot.options import CotOptions
    from intuitions.experiments.optionspec import parse
    from intuitions.models import zoo
    from intuitions.models.zoo import load_scorer
    from intuitions.world.arithmetic import MAX_STEPS

    opts = parse(CotOptions, ctx.options, "[options.cot]")
    o = {**STEP_DEFAULTS.get(ctx.preset, STEP_DEFAULTS["quick"]), **opts.given()}
    base = CotConfig(tuple(o["steps"]), 1, o["gen_n"], ctx.seed, o["max_new_tokens"], o["shots"],
                     density_n=o["density_n"])
    load = lambda s: load_scorer(s, o.get("dtype", "float32"))
    configs = {
        "ladder": (zoo.expand(ctx.ladder) if ctx.ladder else [],
                   replace(base, n=o["n_ladder"], steps=tuple(s for s in base.steps if s <= MAX_STEPS))),
        "real": (list(ctx.real_models), replace(base, n=o["n_real"])),
    }
    n_models = sum(len(specs) for specs, _ in configs.values())
    started = [0]  # stages started, over every model: each model runs STAGES of them

    def tell(note: str) -> None:
        ctx.report(started[0], n_models * STAGES, note)
        started[0] += 1

    runs = [r for specs, cfg in configs.values() if specs for r in run(specs, cfg, load, tell).runs]
    res = CotResult(None, runs)
    config = {"preset": ctx.preset, "ladder": ctx.ladder, "real_models": list(ctx.real_models),
              "seed": ctx.seed, "options": {**STEP_DEFAULTS.get(ctx.preset, STEP_DEFAULTS["quick"]), **ctx.options},
              **{k: cfg for k, (_, cfg) in configs.items()}}
    save(ctx.out, "cot", config, res, fingerprints(res), draw, verdicts)


def _est(d: dict | None) -> Estimate:
    nan = float("nan")
    d = d or {}
    f = lambda k: nan if d.get(k) is None else float(d[k])
    return Estimate(f("value"), f("ci_low"), f("ci_high"), int(d.get("n") or 0))


def lookup(run_doc: dict, key: str, metric: str = "surprisal", steps: int | None = None,
           table: str = "contrasts") -> Estimate:
    for c in run_doc.get(table, []):
        if c["metric"] == metric and c["condition"] == key and c["steps"] == steps:
            return _est(c["estimate"])
    return _est(None)


MIN_GAIN = 0.05  # a gain whose interval stays below five points is no gain worth the name
MIN_STEPS = 2  # one-step problems need no intermediate result: the claim is about multi-step ones
RULE_ID = "cot.generated_vs_direct"


def rule_text() -> str:
    return (f"Per source (the largest ladder member; each real model): accuracy with the model's own greedy chain "
            f"of thought minus direct accuracy, paired by problem, on problems of {MIN_STEPS} or more steps (95% "
            f"bootstrap interval over problems). Supported when the interval lies above 0 for every model of the "
            f"source; not supported at this scale when it lies below {MIN_GAIN:.2f} for any; inconclusive "
            f"otherwise. The leak-free worked solution (final result removed) and matched-length filler are "
            f"reported beside it as controls.")


def paired_gain(run_doc: dict, a: str, b: str, min_steps: int = MIN_STEPS, seed: int = 0) -> Estimate:
    """Mean of (correct under a) - (correct under b) over problems with both, bootstrap CI."""
    d = [float(it["correct"][a]) - float(it["correct"][b]) for it in run_doc.get("items", [])
         if it["steps"] >= min_steps and it["correct"].get(a) is not None and it["correct"].get(b) is not None]
    return bootstrap_ci(d, seed=seed)


def _call(e: Estimate) -> str:
    if e.n == 0:
        return INCONCLUSIVE
    return SUPPORTED if e.ci_low > 0 else NOT_SUPPORTED if e.ci_high < MIN_GAIN else INCONCLUSIVE


def verdicts(saved: dict) -> list[Verdict]:
    runs = saved.get("result", {}).get("runs", [])
    ladder = [r for r in runs if r["kind"] == "ladder"]
    by_source = {"ladder": [max(ladder, key=lambda r: r.get("n_params") or 0)] if ladder else [],
                 "real": [r for r in runs if r["kind"] == "real"]}
    out = []
    for source, subjects in by_source.items():
        if not subjects:
            continue
        labels, evidence = [], []
        for r in subjects:
            gain = paired_gain(r, "cot", "direct")
            labels.append(_call(gain))
            steps = sorted({it["steps"] for it in r.get("items", []) if it["steps"] >= MIN_STEPS})
            per = ", ".join(f"{s} steps {est(paired_gain(r, 'cot', 'direct', s))}" for s in steps)
            evidence.append(f"{r['model']}: chain of thought - direct {est(gain)} (n={gain.n}; {per}); "
                            f"leak-free worked solution - direct {est(paired_gain(r, 'partial', 'direct'))}; "
                            f"filler - direct {est(paired_gain(r, 'filler', 'direct'))}")
        label = (NOT_SUPPORTED if NOT_SUPPORTED in labels else SUPPORTED if all(x == SUPPORTED for x in labels)
                 else INCONCLUSIVE)
        out.append(Verdict(3, label, rule_text(), "; ".join(evidence), RULE_ID, source))
    return out
