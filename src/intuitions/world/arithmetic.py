"""Addition/subtraction chains of 1-4 steps, evaluated left to right, every intermediate
result in 0..99, written in two formats so a model can be prompted either way:

    direct:  question: 27 + 5 - 8\nanswer: 24.
    worked:  question: 27 + 5 - 8\nwork: 27 + 5 = 32, 32 - 8 = 24\nanswer: 24.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from intuitions.world.core import Doc, DocBuilder, Draw, EvalItem, sample_split

TASK = "arithmetic"
MAX_STEPS = 4
ANSWER_MARKER = "answer:"


@dataclass(frozen=True)
class ArithProblem:
    expression: str
    answer: int
    steps: int
    direct_prompt: str  # the answer follows as " <answer>"
    worked_prompt: str  # the worked solution follows
    worked_solution: str  # ends with answer_marker + " <answer>"
    answer_marker: str


def _problem(d: Draw, steps: int) -> ArithProblem:
    cur = d.integer(0, 49)
    expr, work = [str(cur)], []
    for _ in range(steps):
        options = [("+", k) for k in range(1, 10) if cur + k <= 99] + [("-", k) for k in range(1, 10) if cur - k >= 0]
        op, k = d.pick(options)
        new = cur + k if op == "+" else cur - k
        work.append(f"{cur} {op} {k} = {new}")
        expr.append(f"{op} {k}")
        cur = new
    expression = " ".join(expr)
    return ArithProblem(
        expression=expression, answer=cur, steps=steps,
        direct_prompt=f"question: {expression}\n{ANSWER_MARKER}",
        worked_prompt=f"question: {expression}\nwork:",
        worked_solution=f" {', '.join(work)}\n{ANSWER_MARKER} {cur}",
        answer_marker=ANSWER_MARKER,
    )


def arithmetic_problem(rng: np.random.Generator, steps: int) -> ArithProblem:
    if not 1 <= steps <= MAX_STEPS:
        from intuitions.errors import UserError

        raise UserError(f"steps must be between 1 and {MAX_STEPS}, got {steps}")
    return _problem(Draw(rng), steps)


def problem_text(p: ArithProblem, worked: bool) -> str:
    return p.worked_prompt + p.worked_solution + "." if worked else f"{p.direct_prompt} {p.answer}."


def doc(w, d: Draw, heldout: bool) -> Doc:
    b = DocBuilder(TASK, "\n")
    for _ in range(d.integer(1, 2)):
        steps = d.integer(1, MAX_STEPS)
        p = sample_split(d, TASK, lambda s, steps=steps: (lambda q: (q.expression, q))(_problem(s, steps)), heldout)
        b.add(problem_text(p, worked=d.coin(0.5)))
    return b.doc(d.nats)


def item(w, d: Draw, index: int) -> EvalItem:
    steps = 1 + index % MAX_STEPS  # balanced over chain lengths
    p = sample_split(d, TASK, lambda s: (lambda q: (q.expression, q))(_problem(s, steps)), True)
    near = (p.answer + 1, p.answer - 1, p.answer + 10, p.answer - 10, p.answer + 2, p.answer - 2)
    wrong = [x for x in near if 0 <= x <= 99][:3]
    meta = {"steps": steps, "expression": p.expression, "worked_prompt": p.worked_prompt,
            "worked_solution": p.worked_solution, "answer_marker": p.answer_marker, "stop": "."}
    return EvalItem(TASK, p.direct_prompt, f" {p.answer}", tuple(f" {x}" for x in [p.answer, *wrong]), meta)
