"""Mod-10 chains of 1-4 operations with fused operator tokens (`+5`, `*2`, `-1`: one token
each, added to the tokenizer; +1..+5, -1..-5, *2, *3), written three ways:

    direct:  question: 3+5*2-1\nanswer: 5.
    worked:  question: 3+5*2-1\nwork: 3+5 8*2 6-1 5\nanswer: 5.
    filler:  question: 3+5*2-1\n . . . . . . . . .\nanswer: 5.

Why these formats (the design notes' pilot): separate operator and operand tokens, and
chains that restate the operands, stayed at chance at this size; fused operators and an
interleaved chain (each result right after its operator, so every step depends only on the
two tokens before it) were learned by a 99k-parameter model. The filler line has as many
tokens as the work line it replaces, so chain of thought's length control is a format the
ladder has seen. Each result is one digit: a direct answer to k steps needs k operations
composed in one forward pass; the chain needs one per token.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from intuitions.world.core import Doc, DocBuilder, Draw, EvalItem, sample_split

TASK = "arithmetic"
MAX_STEPS = 4
ANSWER_MARKER = "answer:"
WORK_HEADER = "work:"
FILLER_UNIT = " ."
# 12 operators: a step is a lookup in a 10 x 12 table. With all 26 of +1..+9, -1..-9, *2..*9
# the table was still at 26% after 3,000 steps on seed 0 (L3W64): too many facts for quick.
OPERATORS = tuple(f"+{k}" for k in range(1, 6)) + tuple(f"-{k}" for k in range(1, 6)) + ("*2", "*3")
FORMATS = ("direct", "worked", "filler")
FORMAT_P = np.array([0.3, 0.5, 0.2])  # worked chains teach the table; direct and filler the controls


@dataclass(frozen=True)
class ArithProblem:
    expression: str
    answer: int
    steps: int
    direct_prompt: str  # the answer follows as " <answer>"
    worked_prompt: str  # the worked solution follows
    worked_solution: str  # ends with answer_marker + " <answer>"
    answer_marker: str
    results: tuple[int, ...] = ()  # every intermediate result, the answer last


def apply(value: int, op: str) -> int:
    k = int(op[1:])
    return (value + k if op[0] == "+" else value - k if op[0] == "-" else value * k) % 10


def _problem(d: Draw, steps: int) -> ArithProblem:
    cur = d.integer(0, 9)
    ops, chain, results = [], [f" {cur}"], []
    for _ in range(steps):
        op = d.pick(OPERATORS)
        cur = apply(cur, op)
        ops.append(op)
        chain.append(f"{op} {cur}")
        results.append(cur)
    expression = chain[0].strip() + "".join(ops)
    return ArithProblem(
        expression=expression, answer=cur, steps=steps,
        direct_prompt=f"question: {expression}\n{ANSWER_MARKER}",
        worked_prompt=f"question: {expression}\n{WORK_HEADER}",
        worked_solution=f"{''.join(chain)}\n{ANSWER_MARKER} {cur}",
        answer_marker=ANSWER_MARKER, results=tuple(results),
    )


def arithmetic_problem(rng: np.random.Generator, steps: int) -> ArithProblem:
    if not 1 <= steps <= MAX_STEPS:
        from intuitions.errors import UserError

        raise UserError(f"steps must be between 1 and {MAX_STEPS}, got {steps}")
    return _problem(Draw(rng), steps)


def filler_units(steps: int) -> int:
    """Filler units that take the place of "work:" and the chain: the header is two tokens
    ("work", ":"), the first number one (" 3"), each step two (operator, result) and the
    newline one: 2 * steps + 4. The filler line ends in its own newline, so units =
    2 * steps + 3 (a test checks this against the world's tokenizer)."""
    return 2 * steps + 3


def problem_text(p: ArithProblem, fmt: str) -> str:
    if fmt == "worked":
        return p.worked_prompt + p.worked_solution + "."
    if fmt == "filler":
        question = p.direct_prompt[: -len(ANSWER_MARKER)]
        return f"{question}{FILLER_UNIT * filler_units(p.steps)}\n{ANSWER_MARKER} {p.answer}."
    return f"{p.direct_prompt} {p.answer}."


def _keyed(s: Draw, steps: int) -> tuple[str, ArithProblem]:
    q = _problem(s, steps)
    return q.expression, q


def doc(w, d: Draw, heldout: bool) -> Doc:
    b = DocBuilder(TASK, "\n")
    for _ in range(d.integer(1, 3)):
        steps = d.integer(1, MAX_STEPS)
        p = sample_split(d, TASK, lambda s, steps=steps: _keyed(s, steps), heldout)
        b.add(problem_text(p, FORMATS[d.weighted(np.cumsum(FORMAT_P), FORMAT_P)]))
    return b.doc(d.nats)


def item(w, d: Draw, index: int) -> EvalItem:
    steps = 1 + index % MAX_STEPS  # balanced over chain lengths
    p = sample_split(d, TASK, lambda s: _keyed(s, steps), True)
    wrong = [(p.answer + k) % 10 for k in (1, 9, 2)]
    meta = {"steps": steps, "expression": p.expression, "worked_prompt": p.worked_prompt,
            "worked_solution": p.worked_solution, "answer_marker": p.answer_marker, "stop": "."}
    return EvalItem(TASK, p.direct_prompt, f" {p.answer}", tuple(f" {x}" for x in [p.answer, *wrong]), meta)
