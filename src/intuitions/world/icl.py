"""In-context episodes: k demonstrations "Input: x / Output: label", then a query.

Labels follow the natural mapping in most episodes, an arbitrary per-episode mapping onto
unrelated words in some, and the flipped natural mapping in a few, so reading the mapping
off the context is learnable and rewarded (and a model that ignores the context is
punished on exactly those episodes). Arbitrary label words are drawn the first time their
class appears: a word never shown leaves no trace in the text, so it costs no nats."""

from __future__ import annotations

from typing import Literal, overload

import numpy as np

from intuitions.world import lexicon as lx
from intuitions.world import sentiment
from intuitions.world.core import Doc, DocBuilder, Draw, EvalItem, is_heldout, sample_split

TASK = "icl"
ICL_TEMPLATE = "Input: {x}\nOutput: {label}"
SEP = "\n\n"
KINDS = ("sentiment", "category", "number")
NATURAL = {"sentiment": ("negative", "positive"), "category": ("object", "animal"), "number": ("small", "big")}
MAPPINGS = ("natural", "arbitrary", "flipped")
MAPPING_P = np.array([0.7, 0.2, 0.1])
MAX_K = 8


def _input(d: Draw, kind: str, cls: int) -> str:
    if kind == "sentiment":
        return sentiment.clause(d, positive=bool(cls))[0]
    if kind == "category":
        return d.pick(lx.ANIMALS if cls else lx.OBJECTS)
    return str(d.integer(50, 99) if cls else d.integer(0, 49))


@overload
def _episode(d: Draw, k: int, both_classes: Literal[False] = False) -> tuple[str, tuple]: ...
@overload
def _episode(d: Draw, k: int, both_classes: bool) -> tuple[str, tuple | None]: ...


def _episode(d: Draw, k: int, both_classes: bool = False) -> tuple[str, tuple | None]:
    kind = d.pick(KINDS)
    mapping = MAPPINGS[d.weighted(np.cumsum(MAPPING_P), MAPPING_P)]
    words: dict[int, str] = {}
    examples = []
    for _ in range(k + 1):
        cls = d.integer(0, 1)
        if cls not in words:
            if mapping == "arbitrary":
                words[cls] = d.pick([x for x in lx.ARBITRARY_LABELS if x not in words.values()])
            else:
                words[cls] = NATURAL[kind][cls if mapping == "natural" else 1 - cls]
        examples.append((_input(d, kind, cls), cls))
    shown = {c for _, c in examples[:-1]}
    if both_classes and len(shown) < 2:
        return "", None  # the caller resamples: the query's label must be inferable
    demos = [ICL_TEMPLATE.format(x=x, label=words[c]) for x, c in examples]
    meta = {"kind": kind, "mapping": mapping, "k": k, "query_class": examples[-1][1], "stop": ""}
    return SEP.join(demos), (demos, examples, words, meta)


def doc(w, d: Draw, heldout: bool) -> Doc:
    k = d.integer(1, MAX_K)
    demos, *_ = sample_split(d, TASK, lambda s: _episode(s, k), heldout)
    b = DocBuilder(TASK, SEP)
    for demo in demos:
        b.add(demo)
    return b.doc(d.nats)


def item(w, d: Draw, index: int) -> EvalItem:
    k = 2 + index % (MAX_K - 1)
    while True:
        sub = d.fork()
        key, ep = _episode(sub, k, both_classes=True)
        if ep is not None and is_heldout(TASK, key):
            break
    demos, examples, words, meta = ep
    x, cls = examples[-1]
    prompt = SEP.join(demos[:-1] + [f"Input: {x}\nOutput:"])
    return EvalItem(TASK, prompt, f" {words[cls]}", (f" {words[0]}", f" {words[1]}"), meta)


def dataset(seed: int, n: int):
    """Sentiment clauses with their natural labels, unique and balanced."""
    from intuitions.datasets import LabelledSet
    from intuitions.errors import UserError

    per_class = len(lx.ASPECTS) * 2 * len(lx.INTENSIFIERS) * len(lx.POSITIVE)
    if not 2 <= n <= 2 * per_class:
        raise UserError(f"icl dataset size must be between 2 and {2 * per_class}, got {n}")
    d = Draw(np.random.default_rng([seed, 4]))
    seen: set[str] = set()
    texts, labels = [], []
    for i in range(n):
        cls = i % 2
        while True:
            x = _input(d, "sentiment", cls)
            if x not in seen:
                break
        seen.add(x)
        texts.append(x)
        labels.append(NATURAL["sentiment"][cls])
    order = d.rng.permutation(n)
    return LabelledSet("world-sentiment", [texts[i] for i in order], [labels[i] for i in order],
                       NATURAL["sentiment"])
