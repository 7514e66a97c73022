"""Problems as prompts for `cot`: the two formats (ours for real models, the world's for
the ladder), demonstrations, every condition's context, and length-matched filler."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from intuitions.experiments.cot import problems as pb
from intuitions.experiments.cot.config import CotConfig
from intuitions.models.base import Scorer, tokenize

FILLER_UNIT = " ."


@dataclass(frozen=True)
class PromptFormat:
    name: str
    header: str  # opens the worked solution (and the generated chain of thought)
    marker: str  # the answer follows it as " <answer>"
    end: str  # after an answer, before the next demonstration
    answer_end: str  # what greedy decoding must write right after the answer (ends the number)
    cot_stop: tuple[str, ...]  # ends a chain-of-thought generation


REAL = PromptFormat("qa", "Let's think step by step.\n", "Answer:", "\n\n", "\n", ("\n\n", "\nQuestion:"))
# The world's own format (intuitions.world.arithmetic): what the ladder was trained on.
WORLD = PromptFormat("world", "work:", "answer:", ".\n", ".", (".", "\nquestion:"))


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
    misses = [(p.answer + d) % 10 for d in (1, -1, 2, -2)]  # the world's arithmetic is mod 10
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
        "partial": pre(worked) + w.question + fmt.header + without_result(w) + fmt.marker,
        "filler": pre(filler) + w.question + filler(w) + fmt.marker,
        "cot": pre(worked) + w.question + fmt.header,
        "mc_direct": pre(lambda d: "", True) + w.mc_question + fmt.marker,
        "mc_given": pre(worked, True) + w.mc_question + worked(w) + fmt.marker,
    }


def without_result(w: Worked) -> str:
    """The worked solution with its final result removed ("6 + 9 = 15\n15 + 6 =\n"): every
    intermediate result is given, the last step is still the model's to compute, so the
    answer cannot be copied from the context (the full solution ends by stating it)."""
    body = w.rationale.rstrip("\n")
    if not body.endswith(str(w.answer)):
        raise ValueError(f"a worked solution that does not end in its answer: {w.rationale!r}")
    return body[: len(body) - len(str(w.answer))].rstrip() + "\n"


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
