"""Multi-step arithmetic questions in the style of the classic "time to think" example:

    What is the square of ((8 - 2) * 3 + 4) ^ 3 / 8? (A) 1,483,492 (B) 1,395,394 (C) 1,771,561

(`^` is power). A problem is a left-nested chain of operations, one per step, so its worked
solution writes every intermediate result on its own line. Every value is an exact Python
int (division only where it divides), answers are positive integers, and distractors are
near misses (a slip in one step carried through, a transposed digit, an off-by-a-little).

`evaluate` is an independent check: it parses the rendered text with `ast` and computes
with `fractions.Fraction`, sharing nothing with the generator's own arithmetic."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from intuitions.errors import UserError

OPS = ("+", "-", "*", "/", "^")
PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "^": 3}
LETTERS = "ABCDEFGH"


@dataclass(frozen=True)
class ProblemSpec:
    steps: int = 2  # operations, each one worked line
    max_operand: int = 9  # operands are drawn from 1..max_operand (the first from 2..)
    max_value: int = 10_000  # no intermediate result exceeds this
    ops: tuple[str, ...] = OPS
    square_of: float = 0.0  # chance the last step is phrased "the square of ..."
    n_options: int = 3  # multiple-choice options, the answer among them

    def __post_init__(self):
        if self.steps < 1:
            raise UserError(f"steps must be at least 1, got {self.steps}")
        if self.max_operand < 2:
            raise UserError(f"max_operand must be at least 2, got {self.max_operand}")
        if not set(self.ops) <= set(OPS) or not self.ops:
            raise UserError(f"ops must be a subset of {' '.join(OPS)}")
        if not 2 <= self.n_options <= len(LETTERS):
            raise UserError(f"n_options must be between 2 and {len(LETTERS)}")


@dataclass(frozen=True)
class Step:
    left: int
    op: str
    right: int
    result: int

    @property
    def text(self) -> str:
        return f"{self.left} {self.op} {self.right} = {self.result}"


@dataclass(frozen=True)
class Problem:
    expression: str  # what the question asks about, e.g. "(8 - 2) * 3 + 4"
    square: bool  # the question asks for "the square of" the expression
    steps: tuple[Step, ...]
    answer: int
    options: tuple[int, ...]
    correct: int  # index of the answer in options

    @property
    def n_steps(self) -> int:
        return len(self.steps)

    def question(self) -> str:
        if not self.square:
            return f"What is {self.expression}?"
        compound = " " in self.expression  # bracket it: "the square of 2 + 1" reads two ways
        return f"What is the square of {f'({self.expression})' if compound else self.expression}?"

    def options_text(self, commas: bool = False) -> str:
        return " ".join(f"({LETTERS[i]}) {fmt(v, commas)}" for i, v in enumerate(self.options))

    def mc_question(self, commas: bool = True) -> str:
        return f"{self.question()} {self.options_text(commas)}"

    def worked_solution(self) -> str:
        """One line per step, each intermediate result written out."""
        return "".join(s.text + "\n" for s in self.steps)


def fmt(n: int, commas: bool = False) -> str:
    return f"{n:,}" if commas else str(n)


# -- generation -----------------------------------------------------------------------------
def _choices(x: int, spec: ProblemSpec) -> list[tuple[str, int]]:
    """Every (op, operand) that keeps the next value a positive integer within bounds."""
    out = []
    for b in range(1, spec.max_operand + 1):
        if "+" in spec.ops and x + b <= spec.max_value:
            out.append(("+", b))
        if "-" in spec.ops and x - b >= 1:
            out.append(("-", b))
        if "*" in spec.ops and b >= 2 and x * b <= spec.max_value:
            out.append(("*", b))
        if "/" in spec.ops and b >= 2 and x % b == 0:
            out.append(("/", b))
    if "^" in spec.ops and x >= 2:
        out += [("^", e) for e in (2, 3) if x**e <= spec.max_value]
    return out


def apply(x: int, op: str, b: int) -> int:
    if op == "/":
        if x % b:
            raise ValueError(f"{x} / {b} is not an integer")
        return x // b
    return {"+": x + b, "-": x - b, "*": x * b, "^": x**b}[op]


def _render(expr: str, top: str | None, op: str, b: int) -> str:
    """Append `op b` to an expression whose top-level operator is `top`, adding parentheses
    only where precedence demands ("^" is right-associative, so any compound base needs them)."""
    needs = top is not None and (PRECEDENCE[top] < PRECEDENCE[op] or op == "^")
    return f"({expr}) {op} {b}" if needs else f"{expr} {op} {b}"


def generate(rng: np.random.Generator, spec: ProblemSpec) -> Problem:
    for _ in range(1000):  # a chain can dead-end (a prime that may not grow); redraw
        p = _try_generate(rng, spec)
        if p is not None:
            return p
    raise UserError(f"cannot build a {spec.steps}-step problem within max_value={spec.max_value}")


def _try_generate(rng: np.random.Generator, spec: ProblemSpec) -> Problem | None:
    x = int(rng.integers(2, spec.max_operand + 1))
    expr, top, steps = str(x), None, []
    square = bool(rng.random() < spec.square_of)
    for k in range(spec.steps):
        last_square = square and k == spec.steps - 1
        if last_square:
            if x * x > spec.max_value:
                return None
            op, b = "^", 2
        else:
            options = _choices(x, spec)
            if not options:
                return None
            op, b = options[int(rng.integers(len(options)))]
        y = apply(x, op, b)
        steps.append(Step(x, op, b, y))
        if not last_square:
            expr, top = _render(expr, top, op, b), op
        x = y
    options, correct = _options(rng, tuple(steps), x, spec.n_options)
    return Problem(expr, square, tuple(steps), x, options, correct)


def _replay(steps: tuple[Step, ...], at: int, value: int) -> int | None:
    """The final answer had step `at` produced `value` instead (a slip carried through)."""
    x = value
    if x < 1:
        return None
    for s in steps[at + 1 :]:
        if s.op == "/" and x % s.right:
            return None
        x = apply(x, s.op, s.right)
    return x


def near_misses(steps: tuple[Step, ...], answer: int, k: int = 6) -> list[int]:
    """At least k plausible wrong answers, most plausible first; none equals the answer,
    all within a factor of four of it."""
    out: list[int] = []
    mag = 10 ** max(0, len(str(answer)) - 2)  # a slip in the second-to-last digit or so
    for i, s in enumerate(steps):
        for d in (1, -1, 2, -2, 10, -10):
            if 5 * abs(d) > s.result:  # a slip is small next to the value it spoils
                continue
            v = _replay(steps, i, s.result + d)
            if v is not None:
                out.append(v)
    digits = str(answer)
    for i in range(len(digits) - 1):  # transposed neighbours
        if digits[i] != digits[i + 1] and not (i == 0 and digits[1] == "0"):
            out.append(int(digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]))
    out += [answer + mag, answer - mag, answer + 2 * mag, answer - 2 * mag, answer + 1, answer - 1]
    if len(steps) > 1:
        out.append(steps[-2].result)  # stopped one step early
    out += [answer + j for j in range(2, k + 3)]  # always enough of them
    seen: dict[int, None] = {}
    for v in out:
        if v >= 1 and v != answer and answer / 4 <= v <= 4 * answer + 4:
            seen.setdefault(v, None)
    return list(seen)


def _options(rng, steps, answer, k) -> tuple[tuple[int, ...], int]:
    pool = near_misses(steps, answer, k)[: max(k - 1, 6)]  # keep to the most plausible misses
    picks = [pool[i] for i in rng.choice(len(pool), size=k - 1, replace=False)]
    correct = int(rng.integers(k))
    opts = picks[:correct] + [answer] + picks[correct:]
    return tuple(int(v) for v in opts), correct


def problems(rng: np.random.Generator, spec: ProblemSpec, n: int,
             exclude: set[str] | frozenset[str] = frozenset()) -> list[Problem]:
    """n distinct problems (by question text), none of them in `exclude`."""
    out, seen = [], set(exclude)
    for _ in range(50 * n + 100):
        if len(out) == n:
            return out
        p = generate(rng, spec)
        if p.question() not in seen:
            seen.add(p.question())
            out.append(p)
    raise UserError(f"cannot draw {n} distinct {spec.steps}-step problems: raise max_operand or max_value")


# -- an independent evaluator and parser ------------------------------------------------------
def evaluate(expression: str) -> Fraction:
    """Exact value of an arithmetic expression written with + - * / ^ and parentheses."""
    tree = ast.parse(expression.replace("^", "**").replace(",", ""), mode="eval")
    return _eval(tree.body)


def _eval(node: ast.AST) -> Fraction:
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return Fraction(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _eval(node.operand)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left), _eval(node.right)
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mult):
            return a * b
        if isinstance(node.op, ast.Div):
            return a / b
        if isinstance(node.op, ast.Pow) and b.denominator == 1 and abs(b) <= 64:
            return a ** int(b)
    raise ValueError(f"not a plain arithmetic expression: {ast.dump(node)[:60]}")


_QUESTION = re.compile(r"What is (the square of )?(.+?)\?\s*(.*)$", re.S)
_OPTION = re.compile(r"\(([A-H])\)\s*([\d,]+)")


@dataclass(frozen=True)
class ParsedQuestion:
    value: Fraction
    options: dict[str, int]  # letter -> value

    @property
    def correct(self) -> list[str]:
        return [k for k, v in self.options.items() if v == self.value]


def parse_question(text: str) -> ParsedQuestion:
    m = _QUESTION.search(text)
    if m is None:
        raise ValueError(f"not a 'What is ...?' question: {text[:60]!r}")
    value = evaluate(m.group(2))
    if m.group(1):
        value = value**2
    opts = {k: int(v.replace(",", "")) for k, v in _OPTION.findall(m.group(3))}
    return ParsedQuestion(value, opts)


# -- answers in generated text --------------------------------------------------------------
# A number, with thousands grouped by commas or single spaces, an optional sign and decimals.
_NUMBER = re.compile(r"(?<![\d.])-?(?:\d{1,3}(?:(?:,\d{3})+|(?: \d{3})+)(?!\d)|\d+)(?:\.\d+)?")


def _number(s: str) -> Fraction:
    return Fraction(s.replace(",", "").replace(" ", ""))


def extract_answer(text: str, marker: str = "Answer:") -> Fraction | None:
    """The answer a generated text gives: the first number after the last answer marker,
    else the last number in the text. Commas/spaces grouping thousands, signs and trailing
    punctuation are handled; a non-integer stays a Fraction (and so never matches an int)."""
    low, mk = text.lower(), marker.lower().strip()
    at = low.rfind(mk) if mk else -1
    if at >= 0:
        m = _NUMBER.search(text, at + len(mk))
        if m:
            return _number(m.group())
    found = _NUMBER.findall(text)
    return _number(found[-1]) if found else None
