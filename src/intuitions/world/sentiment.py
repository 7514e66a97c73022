"""Short reviews built from a polarity lexicon with negation and intensifiers; the rating
is the majority polarity of the clauses ("not" flips a clause), so it is a function of
the text that a model must compute, not a memorised pairing."""

from __future__ import annotations

from intuitions.world import lexicon as lx
from intuitions.world.core import Doc, DocBuilder, Draw, EvalItem, sample_split

TASK = "sentiment"
LABELS = ("negative", "positive")


def clause(d: Draw, positive: bool | None = None) -> tuple[str, bool]:
    """One clause and its polarity; `positive` fixes the polarity (then it is not drawn)."""
    aspect = d.pick(lx.ASPECTS)
    negated = d.coin(0.25)
    intens = d.pick(lx.INTENSIFIERS)
    adj_positive = d.coin(0.5) if positive is None else positive != negated
    adj = d.pick(lx.POSITIVE if adj_positive else lx.NEGATIVE)
    return f"the {aspect} was {'not ' if negated else ''}{intens}{adj}", adj_positive != negated


def _review(d: Draw) -> tuple[str, tuple[str, str]]:
    parts = [clause(d) for _ in range(d.pick((1, 3)))]
    texts = [t for t, _ in parts]
    body = texts[0] if len(texts) == 1 else f"{texts[0]}, {texts[1]} and {texts[2]}"
    label = LABELS[int(sum(p for _, p in parts) * 2 > len(parts))]
    return body, (f"review: {body}.\nrating:", label)


def doc(w, d: Draw, heldout: bool) -> Doc:
    b = DocBuilder(TASK, "\n")
    for _ in range(d.integer(1, 2)):
        prompt, label = sample_split(d, TASK, _review, heldout)
        b.add(f"{prompt} {label}.")
    return b.doc(d.nats)


def item(w, d: Draw, index: int) -> EvalItem:
    prompt, label = sample_split(d, TASK, _review, True)
    n = prompt.count(" was ")
    return EvalItem(TASK, prompt, f" {label}", tuple(f" {x}" for x in LABELS), {"clauses": n, "stop": "."})
