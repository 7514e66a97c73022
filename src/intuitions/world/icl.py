"""In-context episodes: 6-8 demonstrations "item label" of two classes, then a query.

Why this shape (Chan et al. 2022; the design notes' pilots on this machine):
- classes are many (64) and Zipf-distributed, each with a natural label word, so a model
  can memorise the common classes' labels (a prior) but not the rare ones';
- per episode the labels are natural, an arbitrary fresh mapping onto unrelated words, or
  the natural labels flipped (a small share), so reading the mapping off the context pays;
- the query is bursty: it repeats a demonstrated item with high probability (the label is
  in the context, one induction step away), else it is a new item of a demonstrated class
  (the class's label must be inferred from its other items).

The text is one demonstration per line; the query is the last line, so its label is the
document's last word. Nats are counted exactly (see `_pair_nats`), so the floor holds."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from intuitions.world import lexicon as lx
from intuitions.world.core import Doc, Draw, EvalItem, Span, is_heldout

TASK = "icl"
ICL_TEMPLATE = "{x} {label}"  # each item is one token: the label follows it directly
SEP = "\n"
MAPPINGS = ("natural", "arbitrary", "flipped")
MAPPING_P = np.array([0.55, 0.35, 0.10])
QUERY_REPEAT_P = 0.8
MIN_K, MAX_K = 6, 8
ARBITRARY_LABELS = lx.ARBITRARY_LABELS


@dataclass(frozen=True)
class Episode:
    classes: tuple[int, int]  # class ranks (0 = most common)
    mapping: str
    labels: tuple[str, str]  # the label word shown for each of the two classes
    demos: tuple[tuple[str, int], ...]  # (item, 0 or 1: which of the two classes)
    query: tuple[str, int]
    repeat: bool  # the query item is one of the demonstrations

    def lines(self) -> list[str]:
        return [ICL_TEMPLATE.format(x=x, label=self.labels[c]) for x, c in (*self.demos, self.query)]


def _pair_nats(cl: lx.IclClasses, a: int, b: int) -> float:
    """-log P of the unordered pair {a, b}: the text shows which items go together, not
    which class was drawn first."""
    p = cl.probs
    return -math.log(p[a] * p[b] / (1 - p[a]) + p[b] * p[a] / (1 - p[b]))


def episode(cl: lx.IclClasses, d: Draw, mapping: str | None = None, repeat: bool | None = None,
            k: int | None = None) -> Episode:
    """One episode; `mapping`, `repeat` and `k` may be fixed by the caller (then they are
    not drawn and cost no nats: eval items balance them)."""
    draw_class = lambda: d.fork().weighted(cl.cum, cl.probs)  # noqa: E731 - nats paid below, for the pair
    a = draw_class()
    while (b := draw_class()) == a:
        pass
    d.nats += _pair_nats(cl, a, b)
    if mapping is None:
        mapping = MAPPINGS[d.weighted(np.cumsum(MAPPING_P), MAPPING_P)]
    k = d.integer(MIN_K, MAX_K) if k is None else k
    # Both classes must be shown: redraw the class sequence until they are, and pay the
    # probability of the accepted sequence (2^-k renormalised over the 2^k - 2 allowed).
    while True:
        sides = [int(x) for x in d.rng.integers(0, 2, size=k)]
        if 0 < sum(sides) < k:
            break
    d.nats += math.log(2**k - 2)
    demos = tuple((d.pick(cl.items[(a, b)[s]]), s) for s in sides)
    natural = (cl.labels[a], cl.labels[b])
    labels = {"natural": natural, "flipped": natural[::-1]}.get(mapping)
    if labels is None:
        first = d.pick(ARBITRARY_LABELS)
        labels = (first, d.pick([w for w in ARBITRARY_LABELS if w != first]))
    shown = sorted({x for x, _ in demos})
    side = {x: s for x, s in demos}
    repeat = d.coin(QUERY_REPEAT_P) if repeat is None else repeat
    if repeat:
        q = d.pick(shown)
        query = (q, side[q])
    else:
        pool = [(x, s) for s in (0, 1) for x in cl.items[(a, b)[s]] if x not in side]
        query = d.pick(pool)
    return Episode((a, b), mapping, labels, demos, query, repeat)


def doc(w: lx.World, d: Draw, heldout: bool) -> Doc:
    while True:
        sub = d.fork()
        ep = episode(w.icl, sub)
        text = SEP.join(ep.lines())
        if is_heldout(TASK, text) == heldout:
            d.nats += sub.nats
            return Doc(text, TASK, (Span(0, len(text), TASK),), d.nats)


def item(w: lx.World, d: Draw, index: int) -> EvalItem:
    """Held-out episodes balanced over mapping x query kind (index % 6)."""
    mapping, repeat = MAPPINGS[index % 3], (index // 3) % 2 == 0
    while True:
        ep = episode(w.icl, d.fork(), mapping, repeat)
        lines = ep.lines()
        if is_heldout(TASK, SEP.join(lines)):
            break
    x, side = ep.query
    prompt = SEP.join(lines[:-1] + [ICL_TEMPLATE.format(x=x, label="").rstrip()])
    meta = {"mapping": mapping, "query": "repeat" if repeat else "new", "k": len(ep.demos),
            "classes": list(ep.classes), "stop": ""}
    return EvalItem(TASK, prompt, f" {ep.labels[side]}", (f" {ep.labels[0]}", f" {ep.labels[1]}"), meta)


def episodes(seed: int, n: int, repeat: bool, k: int | None = None) -> list[Episode]:
    """n held-out natural-label episodes for the icl experiment (its conditions relabel
    the demonstrations themselves), the query repeated or new as asked."""
    w = lx.world(seed)
    d = Draw(np.random.default_rng([seed, 4, int(repeat)]))
    out: list[Episode] = []
    while len(out) < n:
        ep = episode(w.icl, d.fork(), "natural", repeat, k)
        if is_heldout(TASK, SEP.join(ep.lines())):
            out.append(ep)
    return out
