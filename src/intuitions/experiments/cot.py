"""Intuition 3: give the model time to think. Chain of thought versus direct answers.

On multi-step arithmetic (`intuitions.problems` for real models, the world's arithmetic for
the ladder), each problem is put to a model under these conditions:

    direct    question -> answer
    given     question -> the gold worked solution (teacher-forced) -> answer
    filler    question -> as many neutral filler tokens (" .") as the solution has -> answer
    cot       question -> the model's own greedy chain of thought -> answer (extracted)
    mc_*      multiple choice by option log-likelihood, without / with the worked solution

Answer surprisal (nats, summed over the answer's tokens, `score_continuations`) is measured
for direct, given and filler; accuracy (exact match) for every condition, the first three by
short greedy generation. Filler is the control that separates thought from mere length.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np

from intuitions import problems as pb
from intuitions.models.base import Scorer, score_continuations, tokenize
from intuitions.stats import Estimate, mean_ci, proportion_ci
from intuitions.verdict import INCONCLUSIVE, NOT_SUPPORTED, SUPPORTED, Verdict

INTUITIONS = (3,)
SURPRISAL_CONDITIONS = ("direct", "filler", "given")
ACCURACY_CONDITIONS = ("direct", "filler", "given", "cot", "mc_direct", "mc_given")
SURPRISAL_CONTRASTS = (("given", "direct"), ("given", "filler"), ("filler", "direct"))
ACCURACY_CONTRASTS = (("cot", "direct"), ("mc_given", "mc_direct"))
FILLER_UNIT = " ."


@dataclass(frozen=True)
class PromptFormat:
    name: str
    header: str  # opens the worked solution (and the generated chain of thought)
    marker: str  # the answer follows it as " <answer>"
    end: str  # after an answer, before the next demonstration
    answer_stop: tuple[str, ...]  # ends a short answer generation
    cot_stop: tuple[str, ...]  # ends a chain-of-thought generation


REAL = PromptFormat("qa", "Let's think step by step.\n", "Answer:", "\n\n", ("\n",), ("\n\n", "\nQuestion:"))
# The world's own format (intuitions.world.arithmetic): what the ladder was trained on.
WORLD = PromptFormat("world", "work:", "answer:", ".\n", (".", "\n"), (".", "\n\n"))


@dataclass(frozen=True)
class Worked:
    """One problem as the conditions need it."""
    steps: int
    expression: str
    answer: int
    question: str  # the question line(s), ending in a newline
    mc_question: str  # the same with the options listed (== question where none are listed)
    rationale: str  # the worked solution, after the header, ending in a newline
    options: tuple[int, ...]
    correct: int  # index of the answer in options


@dataclass(frozen=True)
class CotConfig:
    steps: tuple[int, ...] = (1, 2, 3, 4)
    n: int = 50  # problems per step count
    gen_n: int | None = None  # of those, how many get the generation conditions (None: all)
    seed: int = 0
    max_new_tokens: int = 96  # for the generated chain of thought
    shots: int = 2  # worked demonstrations before each real-model prompt (none for the ladder)
    max_operand: int = 9
    max_value: int = 10_000
    n_options: int = 3
    density_n: int = 8  # worked solutions in the where-is-the-information view


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
    metric: str  # surprisal (nats) | accuracy | difference of either (a paired contrast)
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
    config: CotConfig
    runs: list[ModelRun]


# -- problems ---------------------------------------------------------------------------------
def from_problem(p: pb.Problem) -> Worked:
    q = f"Question: {p.question()}\n"
    return Worked(p.n_steps, p.question()[len("What is "):-1], p.answer, q, q + p.options_text() + "\n",
                  p.worked_solution(), p.options, p.correct)


def real_items(cfg: CotConfig) -> tuple[list[Worked], list[Worked]]:
    """(demonstrations, test problems). Each step count has its own seeded stream, so
    asking for more step counts never changes the problems of the others."""
    spec = lambda s: pb.ProblemSpec(s, cfg.max_operand, cfg.max_value, n_options=cfg.n_options)
    demo_steps = sorted(cfg.steps)
    demos = [pb.generate(np.random.default_rng([cfg.seed, 0, i]), spec(demo_steps[i % len(demo_steps)]))
             for i in range(cfg.shots)]
    seen = {d.question() for d in demos}
    items = [from_problem(p) for s in cfg.steps
             for p in pb.problems(np.random.default_rng([cfg.seed, 1, s]), spec(s), cfg.n, seen)]
    return [from_problem(d) for d in demos], items


def world_items(cfg: CotConfig) -> list[Worked]:
    """Held-out world problems (never in the ladder's training split), up to n per step."""
    from intuitions.world import arithmetic_problem
    from intuitions.world.core import is_heldout

    out = []
    for s in cfg.steps:
        rng, got = np.random.default_rng([cfg.seed, 2, s]), {}
        for _ in range(200 * cfg.n):
            if len(got) == cfg.n:
                break
            p = arithmetic_problem(rng, s)
            if is_heldout("arithmetic", p.expression):
                got.setdefault(p.expression, p)
        out += [_from_world(p, rng, cfg.n_options) for p in got.values()]
    return out


def _from_world(p, rng, k: int) -> Worked:
    tail = f"\n{p.answer_marker} {p.answer}"
    if not p.worked_solution.endswith(tail):
        raise ValueError(f"unexpected world worked solution {p.worked_solution!r}")
    misses = [v for v in (p.answer + d for d in (1, -1, 10, -10, 2, -2)) if 0 <= v <= 99]
    picks = [misses[i] for i in rng.choice(len(misses), size=min(k - 1, len(misses)), replace=False)]
    correct = int(rng.integers(len(picks) + 1))
    opts = tuple(picks[:correct] + [p.answer] + picks[correct:])
    q = p.direct_prompt[: -len(p.answer_marker)]
    return Worked(p.steps, p.expression, p.answer, q, q, p.worked_solution[: -len(tail)] + "\n", opts, correct)


# -- prompts ----------------------------------------------------------------------------------
def _solved(w: Worked, fmt: PromptFormat, middle: str, mc: bool = False) -> str:
    return (w.mc_question if mc else w.question) + middle + f"{fmt.marker} {w.answer}{fmt.end}"


def contexts(w: Worked, demos: Sequence[Worked], fmt: PromptFormat, filler: Callable[[Worked], str]) -> dict[str, str]:
    """Every condition's context for one problem; each demonstration is in that condition's
    own format, so the prompt never teaches one format and asks for another."""
    worked = lambda d: fmt.header + d.rationale
    pre = lambda middle, mc=False: "".join(_solved(d, fmt, middle(d), mc) for d in demos)
    return {
        "direct": pre(lambda d: "") + w.question + fmt.marker,
        "given": pre(worked) + w.question + worked(w) + fmt.marker,
        "filler": pre(filler) + w.question + filler(w) + fmt.marker,
        "cot": pre(worked) + w.question + fmt.header,
        "mc_direct": pre(lambda d: "", True) + w.mc_question + fmt.marker,
        "mc_given": pre(worked, True) + w.mc_question + worked(w) + fmt.marker,
    }


def filler_text(scorer: Scorer, n_tokens: int, unit: str = FILLER_UNIT) -> str:
    """Filler units then a newline, as close to n_tokens tokens as the tokenizer allows.
    Units are found by bisection (tokenizers that merge units need more of them); a single
    "." or " " may top it up where a unit is two tokens."""
    count = lambda text: len(tokenize(scorer, [text], add_prefix=False)[0])
    lo, hi = 0, max(1, 4 * n_tokens)
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (mid + 1, hi) if count(unit * mid + "\n") < n_tokens else (lo, mid)
    candidates = [unit * k + pad + "\n" for k in (max(lo - 1, 0), lo) for pad in ("", ".", " ")]
    return min(candidates, key=lambda t: (abs(count(t) - n_tokens), len(t)))


# -- running ----------------------------------------------------------------------------------
def _generate(scorer: Scorer, prompts: list[str], max_new_tokens: int, stop: tuple[str, ...]) -> list[str]:
    """Backends that take stop strings stop early (much cheaper); the rest are cut here."""
    inner = scorer
    while hasattr(inner, "inner"):
        inner = inner.inner
    takes_stop = "stop" in inspect.signature(inner.generate).parameters
    texts = (scorer.generate(prompts, max_new_tokens, stop=stop) if takes_stop
             else scorer.generate(prompts, max_new_tokens)) if prompts else []
    cut = lambda t: min([t.index(s) + len(s) for s in stop if s in t], default=len(t))
    return [t[: cut(t)] for t in texts]


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
    progress("answer surprisal")
    sur = {c: [-s.logprob for s in score_continuations(scorer, [x[c] for x in ctx], answers)]
           for c in SURPRISAL_CONDITIONS}
    progress("multiple choice")
    mc = {c: _choose(scorer, [x[c] for x in ctx], items) for c in ("mc_direct", "mc_given")}
    gen_idx = [i for i, w in enumerate(items) if _rank_in_step(items, i) < (cfg.gen_n or cfg.n)]
    ans_len = [len(x) for x in tokenize(scorer, answers, add_prefix=False)]
    correct: dict[str, dict[int, bool]] = {}
    for c in ("direct", "filler", "given"):
        progress(f"greedy answers ({c})")
        texts = _generate(scorer, [ctx[i][c] for i in gen_idx], max(ans_len) + 3, fmt.answer_stop)
        correct[c] = {i: pb.extract_answer(fmt.marker + t, fmt.marker) == items[i].answer for i, t in zip(gen_idx, texts)}
    progress("chains of thought")
    cots = dict(zip(gen_idx, _generate(scorer, [ctx[i]["cot"] for i in gen_idx], cfg.max_new_tokens, fmt.cot_stop)))
    correct["cot"] = {i: pb.extract_answer(t, fmt.marker) == items[i].answer for i, t in cots.items()}
    fill_len = [len(x) for x in tokenize(scorer, [filler(w) for w in items], add_prefix=False)]
    records = [
        ItemRecord(w.steps, w.expression, w.answer, {c: sur[c][i] for c in SURPRISAL_CONDITIONS},
                   {**{c: correct[c].get(i) for c in ("direct", "filler", "given", "cot")},
                    **{c: mc[c][i] for c in mc}},
                   ans_len[i], worked_len[w], fill_len[i], cots.get(i))
        for i, w in enumerate(items)
    ]
    progress("where the information is")
    dens = density_view(scorer, _spread(items, cfg.density_n), demos, fmt) if cfg.density_n else None
    cells, contrasts = summarize(records)
    return ModelRun(scorer.name, scorer.fingerprint, kind, _n_params(scorer), fmt.name,
                    [_solved(d, fmt, fmt.header + d.rationale) for d in demos], cells, contrasts, dens, records)


def _spread(items: Sequence[Worked], k: int) -> list[Worked]:
    """k items taking turns across step counts, the longest solutions first."""
    by = {s: [w for w in items if w.steps == s] for s in sorted({w.steps for w in items}, reverse=True)}
    order = [w for i in range(max(map(len, by.values()), default=0)) for ws in by.values() if i < len(ws) for w in [ws[i]]]
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


def _n_params(scorer: Scorer) -> int | None:
    model = getattr(scorer, "model", None)
    return int(sum(p.numel() for p in model.parameters())) if model is not None else None


# -- where the information is -----------------------------------------------------------------
def density_view(scorer: Scorer, items: Sequence[Worked], demos: Sequence[Worked], fmt: PromptFormat) -> DensityView:
    """Per-token surprisal of worked solutions (via `density`), by the role of each token:
    a result of an operation, an operand copied from the question or a line above, the
    format around them, or the final answer."""
    from intuitions.experiments import density

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
        rows = [x for x in res.rows if x.text_index == ti and x.surprisal_nats is not None]
        by_role: dict[str, list[float]] = {}
        for x in rows:
            role = _token_role(r[x.start : x.end])
            if role:
                by_role.setdefault(role, []).append(x.surprisal_nats)
                if ti == 0:
                    example.append((x.token, role, x.surprisal_nats))
        for role, v in by_role.items():
            per_text[role].append(float(np.mean(v)))
    return DensityView(len(texts), [RoleDensity(k, mean_ci(v)) for k, v in per_text.items()], example)


def _char_roles(text: str, start: int, w: Worked, fmt: PromptFormat) -> list[str]:
    """Each character's role. Solution steps are split by newlines (ours) or ", " (the
    world's); in a step, digits after its "=" are the result, digits before are operands."""
    roles = [""] * len(text)
    end = start + len(w.rationale)
    for j in range(start, end):
        roles[j] = "format"
    for m in re.finditer(r"[^\n,]+", text[start:end]):
        eq = m.group().rfind("=")
        for j, ch in enumerate(m.group()):
            if ch.isdigit():
                roles[start + m.start() + j] = "result" if j > eq >= 0 else "operand"
    for j in range(end, end + len(fmt.marker) + 1 + len(str(w.answer))):
        roles[j] = "answer" if text[j].isdigit() else "format"
    return roles


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
            got = [r.correct[c] for r in rs if r.correct[c] is not None]
            cells.append(Cell("accuracy", c, steps, proportion_ci(sum(got), len(got))))
        for a, b in SURPRISAL_CONTRASTS:
            d = [r.surprisal[a] - r.surprisal[b] for r in rs]
            contrasts.append(Cell("surprisal", f"{a}-{b}", steps, mean_ci(d)))
        for a, b in ACCURACY_CONTRASTS:
            d = [float(r.correct[a]) - float(r.correct[b]) for r in rs
                 if r.correct[a] is not None and r.correct[b] is not None]
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
STEP_DEFAULTS = {  # problems per step count; generation is the slow part, so gen_n is small
    "smoke": {"steps": [1, 2], "n_real": 3, "n_ladder": 6, "gen_n": 2, "shots": 1, "max_new_tokens": 40, "density_n": 2},
    "quick": {"steps": [1, 2, 3], "n_real": 5, "n_ladder": 16, "gen_n": 3, "shots": 1, "max_new_tokens": 48, "density_n": 3},
    "full": {"steps": [1, 2, 3, 4], "n_real": 50, "n_ladder": 100, "gen_n": 20, "shots": 2, "max_new_tokens": 96, "density_n": 8},
}


def report_step(ctx) -> None:
    from intuitions.commands.common import load_scorer
    from intuitions.experiments.cot_figures import render
    from intuitions.models import zoo
    from intuitions.results import to_jsonable, write_result

    o = {**STEP_DEFAULTS.get(ctx.preset, STEP_DEFAULTS["quick"]), **ctx.options}
    base = CotConfig(tuple(o["steps"]), 1, o["gen_n"], ctx.seed, o["max_new_tokens"], o["shots"],
                     density_n=o["density_n"])
    runs = []
    ladder = zoo.expand(ctx.ladder) if ctx.ladder else []
    for specs, n in ((ladder, o["n_ladder"]), (list(ctx.real_models), o["n_real"])):
        if specs:
            cfg = replace(base, n=n, steps=tuple(s for s in base.steps if s <= 4 or specs is not ladder))
            runs += run(specs, cfg, lambda s: load_scorer(s, o.get("dtype", "float32"))).runs
    res = CotResult(base, runs)
    config = {"preset": ctx.preset, "ladder": ctx.ladder, "real_models": list(ctx.real_models),
              "seed": ctx.seed, "options": o}
    write_result(ctx.out, "cot", config, res, fingerprints(res))
    render(to_jsonable(res), ctx.out)


def _est(d: dict | None) -> Estimate:
    nan = float("nan")
    d = d or {}
    f = lambda k: nan if d.get(k) is None else float(d[k])
    return Estimate(f("value"), f("ci_low"), f("ci_high"), int(d.get("n") or 0))


def _fmt(e: Estimate) -> str:
    return f"{e.value:+.2f} [{e.ci_low:+.2f}, {e.ci_high:+.2f}] (n={e.n})"


def lookup(run_doc: dict, key: str, metric: str = "surprisal", steps: int | None = None, table: str = "contrasts") -> Estimate:
    for c in run_doc.get(table, []):
        if c["metric"] == metric and c["condition"] == key and c["steps"] == steps:
            return _est(c["estimate"])
    return _est(None)


RULE = ("For each real model and the largest ladder member, pooled over step counts: the paired "
        "difference in answer-token surprisal, given worked solution minus direct and given worked "
        "solution minus matched-length filler (95% t intervals). A model supports the intuition when "
        "both intervals lie below 0 (the thought, not the length, makes the answer cheap), and "
        "contradicts it when either lies above 0. Supported if every model supports it; not supported "
        "at this scale if any model contradicts it; inconclusive otherwise (or when nothing ran).")


def verdicts(saved: dict) -> list[Verdict]:
    runs = saved.get("result", {}).get("runs", [])
    subjects = [r for r in runs if r["kind"] == "real"]
    ladder = [r for r in runs if r["kind"] == "ladder"]
    if ladder:
        subjects.append(max(ladder, key=lambda r: r.get("n_params") or 0))
    if not subjects:
        return [Verdict(3, INCONCLUSIVE, RULE, "no models were run")]
    labels, evidence = [], []
    for r in subjects:
        gd, gf = lookup(r, "given-direct"), lookup(r, "given-filler")
        cot = lookup(r, "cot-direct", "accuracy")
        if gd.ci_high < 0 and gf.ci_high < 0:
            labels.append(SUPPORTED)
        elif gd.ci_low > 0 or gf.ci_low > 0:
            labels.append(NOT_SUPPORTED)
        else:
            labels.append(INCONCLUSIVE)
        evidence.append(f"{r['model']}: given - direct {_fmt(gd)} nats; given - filler {_fmt(gf)} nats; "
                        f"accuracy, generated chain of thought - direct {_fmt(cot)}")
    label = (NOT_SUPPORTED if NOT_SUPPORTED in labels else SUPPORTED if all(x == SUPPORTED for x in labels)
             else INCONCLUSIVE)
    return [Verdict(3, label, RULE, "; ".join(evidence))]
