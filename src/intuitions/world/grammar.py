"""Subject-verb agreement across a distractor: "the keys near the door are red".

The distractor (a prepositional phrase or a relative clause) puts a second noun, often of
the other number, between the subject and its verb; only is/are follow it, so the verb
is fully determined by the subject: a model must look past the nearer noun."""

from __future__ import annotations

from intuitions.world import lexicon as lx
from intuitions.world.core import Doc, DocBuilder, Draw, EvalItem, sample_split

TASK = "grammar"


def _sentence(w: lx.World, d: Draw) -> tuple[str, tuple[str, str, str, dict]]:
    n1, num1 = d.pick(lx.NOUNS), d.integer(0, 1)
    n2, num2 = d.pick(lx.NOUNS), d.integer(0, 1)
    if d.coin(0.5):
        kind, distractor = "pp", f"{d.pick(lx.PREPOSITIONS)} the {n2[num2]}"
    else:
        kind, distractor = "relative", f"that the {n2[num2]} {d.pick(lx.REL_VERBS)[num2]}"
    prefix = f"the {n1[num1]} {distractor}"
    meta = {"distractor": kind, "subject_plural": bool(num1), "attractor": num1 != num2, "stop": ""}
    return prefix, (prefix, ("is", "are")[num1], d.pick(lx.GRAMMAR_ADJ), meta)


def doc(w: lx.World, d: Draw, heldout: bool) -> Doc:
    b = DocBuilder(TASK, " ")
    for _ in range(d.integer(1, 3)):
        prefix, verb, adj, _ = sample_split(d, TASK, lambda s: _sentence(w, s), heldout)
        b.add(f"{prefix} {verb} {adj}.")
    return b.doc(d.nats)


def item(w: lx.World, d: Draw, index: int) -> EvalItem:
    prefix, verb, _, meta = sample_split(d, TASK, lambda s: _sentence(w, s), True)
    return EvalItem(TASK, prefix, f" {verb}", (" is", " are"), meta)
