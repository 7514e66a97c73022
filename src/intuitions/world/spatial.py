"""State tracking: two or three people start in rooms and move; "where is X?" asks for
the last room X went to, so the answer depends on the latest relevant sentence, not the
first or the most frequent one."""

from __future__ import annotations

from intuitions.world import lexicon as lx
from intuitions.world.core import Doc, DocBuilder, Draw, EvalItem, sample_split

TASK = "spatial"


def _story(d: Draw) -> tuple[str, tuple[str, str, tuple[str, ...], dict]]:
    people = d.ordered_subset(lx.PEOPLE, d.integer(2, 3))
    where = {p: d.pick(lx.PLACES) for p in people}
    sentences = [f"{p} is in the {where[p]}." for p in people]
    moves = d.integer(1, 5)
    for _ in range(moves):
        p = d.pick(people)
        where[p] = d.pick([x for x in lx.PLACES if x != where[p]])
        sentences.append(f"{p} goes to the {where[p]}.")
    q = d.pick(people)
    prompt = " ".join(sentences) + f" where is {q}?"
    mentioned = tuple(sorted({s.rsplit(" ", 1)[1].rstrip(".") for s in sentences}))
    last_moved = [s.split(" ", 1)[0] for s in sentences][-1] == q
    return prompt, (prompt, where[q], mentioned, {"moves": moves, "people": len(people),
                                                   "asked_last_mover": last_moved, "stop": "."})


def doc(w, d: Draw, heldout: bool) -> Doc:
    prompt, answer, _, _ = sample_split(d, TASK, _story, heldout)
    b = DocBuilder(TASK, " ")
    b.add(f"{prompt} {answer}.")
    return b.doc(d.nats)


def item(w, d: Draw, index: int) -> EvalItem:
    prompt, answer, mentioned, meta = sample_split(d, TASK, _story, True)
    return EvalItem(TASK, prompt, f" {answer}", tuple(f" {x}" for x in mentioned), meta)
