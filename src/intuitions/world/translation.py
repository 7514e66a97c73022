"""Translation into the seed's pseudo-language: a word-for-word dictionary plus a
reordering rule (articles dropped, adjectives after their noun, the verb last):

    english: the lazy king feeds the brave girl  ->  pseudo: <king> <lazy> <girl> <brave> <feeds>.
"""

from __future__ import annotations

from intuitions.world import lexicon as lx
from intuitions.world.core import Doc, DocBuilder, Draw, EvalItem, sample_split

TASK = "translation"


def _sentence(w: lx.World, d: Draw) -> tuple[str, tuple[str, str, tuple[str, ...]]]:
    a1, n1, v, a2, n2 = (d.pick(lx.T_ADJ), d.pick(lx.T_NOUNS), d.pick(lx.T_VERBS),
                         d.pick(lx.T_ADJ), d.pick(lx.T_NOUNS))
    en = f"the {a1} {n1} {v} the {a2} {n2}"
    p = w.pseudo
    right = f"{p[n1]} {p[a1]} {p[n2]} {p[a2]} {p[v]}"
    wrong = (
        f"{p[a1]} {p[n1]} {p[v]} {p[a2]} {p[n2]}",  # english order: the reordering rule ignored
        f"{p[n2]} {p[a2]} {p[n1]} {p[a1]} {p[v]}",  # subject and object swapped
        f"{p[v]} {p[n1]} {p[a1]} {p[n2]} {p[a2]}",  # verb first
    )
    return en, (en, right, wrong)


def doc(w: lx.World, d: Draw, heldout: bool) -> Doc:
    b = DocBuilder(TASK, "\n")
    for _ in range(d.integer(1, 2)):
        en, ps, _ = sample_split(d, TASK, lambda s: _sentence(w, s), heldout)
        b.add(f"english: {en}\npseudo: {ps}.")
    return b.doc(d.nats)


def item(w: lx.World, d: Draw, index: int) -> EvalItem:
    en, ps, wrong = sample_split(d, TASK, lambda s: _sentence(w, s), True)
    choices = tuple(dict.fromkeys(f" {x}" for x in (ps, *wrong)))  # a swap can equal the answer
    return EvalItem(TASK, f"english: {en}\npseudo:", f" {ps}", choices, {"words": 5, "stop": "."})
