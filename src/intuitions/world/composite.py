"""A composite task: an entity's whole profile in one line, three recalls in sequence,

    profile of vidu: kofield baker apples.

Each part is a fact the facts task also teaches; the profile is right only if all three
are. So exact match on the profile falls like the product of three recall rates while its
per-token loss is the sum of three smooth ones: the metric control of Schaeffer et al.
(2023), with the entity's frequency rank deciding how hard each recall is."""

from __future__ import annotations

from intuitions.world import lexicon as lx
from intuitions.world.core import Doc, DocBuilder, Draw, EvalItem
from intuitions.world.facts import log_uniform_rank

TASK = "composite"
TEMPLATE = "profile of {e}:"


def _answer(kb: lx.KnowledgeBase, e: int) -> str:
    f = kb.facts[e]
    return f" {f['city']} {f['job']} {f['food']}"


def doc(w: lx.World, d: Draw, heldout: bool) -> Doc:
    kb = w.kb
    b = DocBuilder(TASK, "\n")
    e = d.weighted(kb.cum, kb.probs)
    b.add(TEMPLATE.format(e=kb.entities[e]) + _answer(kb, e) + ".")
    return b.doc(d.nats)


def item(w: lx.World, d: Draw, index: int) -> EvalItem:
    """Entity ranks log-uniform, so the tail is measured as well as the head."""
    kb = w.kb
    rank = log_uniform_rank(d)
    e = rank - 1
    meta = {"entity": kb.entities[e], "rank": rank, "frequency": float(kb.probs[e]), "parts": 3, "stop": "."}
    return EvalItem(TASK, TEMPLATE.format(e=kb.entities[e]), _answer(kb, e), None, meta)
