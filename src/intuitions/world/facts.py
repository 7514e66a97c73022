"""Factual recall over the seed's knowledge base: 1,000 entities with a home city, a job
and a favourite food, mentioned with Zipf frequency, so a few facts are seen thousands of
times and most only a handful: capacity decides how far down the tail a model remembers.

Facts cannot be held out (recall needs them in training); held-out documents are fresh
combinations, and eval items sample entity ranks log-uniformly so the tail is measured."""

from __future__ import annotations

import math

import numpy as np

from intuitions.world import lexicon as lx
from intuitions.world.core import Doc, DocBuilder, Draw, EvalItem

TASK = "facts"
TEMPLATES = {"city": "{e} lives in {o}", "job": "{e} works as a {o}", "food": "{e} likes {o}"}


def _objects(w: lx.World, relation: str) -> tuple[str, ...]:
    return {"city": w.kb.cities, "job": lx.JOBS, "food": lx.FOODS}[relation]


def doc(w: lx.World, d: Draw, heldout: bool) -> Doc:
    kb = w.kb
    b = DocBuilder(TASK, " ")
    first = d.weighted(kb.cum, kb.probs)
    chosen = [first]
    if d.coin(0.5):  # a second, different entity: Zipf renormalised without the first
        p = kb.probs.copy()
        p[first] = 0.0
        p /= p.sum()
        chosen.append(d.weighted(np.cumsum(p), p))
    for e in chosen:
        for rel in d.ordered_subset(lx.RELATIONS, d.integer(1, 3)):
            b.add(TEMPLATES[rel].format(e=kb.entities[e], o=kb.facts[e][rel]) + ".")
    return b.doc(d.nats)


def log_uniform_rank(d: Draw) -> int:
    """A 1-based entity rank, log-uniform: the rare tail is measured as well as the head.
    Drawn with the raw generator: eval items are not part of any floor."""
    return min(int(math.exp(d.rng.uniform(0.0, math.log(lx.N_ENTITIES)))), lx.N_ENTITIES)


def item(w: lx.World, d: Draw, index: int) -> EvalItem:
    kb = w.kb
    rank = log_uniform_rank(d)
    rel = lx.RELATIONS[index % len(lx.RELATIONS)]
    e = rank - 1
    answer = kb.facts[e][rel]
    others = [o for o in _objects(w, rel) if o != answer]
    wrong = [others[int(i)] for i in d.rng.choice(len(others), size=3, replace=False)]
    prompt = TEMPLATES[rel].format(e=kb.entities[e], o="").rstrip()
    meta = {"entity": kb.entities[e], "rank": rank, "frequency": float(kb.probs[e]), "relation": rel, "stop": "."}
    return EvalItem(TASK, prompt, f" {answer}", tuple(f" {o}" for o in [answer, *wrong]), meta)
