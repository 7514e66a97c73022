"""The ladder's in-context items: held-out episodes of the world the ladder was trained on,
in its own format ("item -> label"), relabelled per condition.

Each (seed, item, k) draws one natural-label episode of two classes with 2k demonstrations;
every condition keeps its items and order and changes only the labels shown (gold: natural;
random: each label drawn from the two; flip p%: that share swapped; unrelated: two
arbitrary words), so conditions are paired. Candidates are the episode's two labels.

Queries are either repeated (the query item is one of the demonstrations: its label is in
the context, one induction step away; Chan et al. 2022's bursty setting) or new (another
item of a demonstrated class: the class's label must be inferred from its other items).
Repeated queries decide the ladder's verdicts (docs/organism.md says so before the runs);
new ones are measured and reported beside them."""

from __future__ import annotations

import numpy as np

from intuitions.experiments.icl.data import WorldEpisodes
from intuitions.experiments.icl.design import CONTENT_FREE, Condition, Design, Prompt, flip_labels


def _episode(data: WorldEpisodes, seed: int, item: int, k: int):
    from intuitions.world import lexicon
    from intuitions.world.core import Draw, is_heldout
    from intuitions.world.icl import SEP, episode

    classes = lexicon.world(data.seed).icl
    d = Draw(np.random.default_rng([data.seed, seed, item, k, 11]))
    while True:
        ep = episode(classes, d.fork(), "natural", data.repeat, 2 * k)
        if is_heldout("icl", SEP.join(ep.lines())):
            return ep


def _labels(c: Condition, sides: list[int], names: tuple[str, str], seed: int, item: int) -> list[str]:
    shown = [names[s] for s in sides]
    if c.kind == "random":
        rng = np.random.default_rng([seed, item, c.k, 3])
        return [names[int(j)] for j in rng.integers(0, 2, size=len(sides))]
    if c.kind == "flip":
        pct = c.flip_pct or 0
        return flip_labels(shown, names, pct, np.random.default_rng([seed, item, c.k, 2, pct]))
    return shown


def world_prompts(data: WorldEpisodes, design: Design, unrelated: tuple[str, str]) -> list[Prompt]:
    t = design.template
    out = []
    for seed in design.seeds:
        for item in range(design.n):
            for c in design.conditions():
                ep = _episode(data, seed, item, c.k if c.k > 0 else design.k_main)
                x, side = ep.query
                names = unrelated if c.kind == "unrelated" else ep.labels
                if c.kind == "prior":
                    ctx = cf = t.query(CONTENT_FREE)
                else:
                    labels = _labels(c, [s for _, s in ep.demos], names, seed, item) if c.k else []
                    demos = "".join(t.demo(dx, lab) + t.sep for (dx, _), lab in zip(ep.demos, labels))
                    ctx, cf = demos + t.query(x), demos + t.query(CONTENT_FREE)
                out.append(Prompt(seed, item, c.key, ctx, cf, tuple(names), side))
    return out
