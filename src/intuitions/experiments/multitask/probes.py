"""Minimal-pair probes: one small question per task category (intuition 1).

Each item is a context, the correct continuation and one or more wrong ones. The model
answers by likelihood alone: an item counts as right when the correct continuation's total
log-probability is strictly above every wrong one's (a tie counts as wrong, so an
indifferent model never scores above chance by the order the options are listed in).
The per-token-normalised variant compares mean log-probability per continuation token,
which removes the bias towards short continuations."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Sequence

import numpy as np

from intuitions.errors import BadData
from intuitions.models.base import Scorer, score_continuations
from intuitions.stats import Estimate, bootstrap_ci
from intuitions.textio import read_utf8

CATEGORIES = ("grammar", "lexical_semantics", "world_knowledge", "sentiment", "translation",
              "arithmetic", "spatial", "factual_recall")
FIELDS = {"id", "category", "kind", "context", "correct", "wrong"}
REQUIRED = {"id", "context", "correct", "wrong"}


@dataclass(frozen=True)
class ProbeItem:
    id: str
    category: str
    kind: str
    context: str
    correct: str
    wrong: tuple[str, ...]

    @property
    def options(self) -> tuple[str, ...]:
        """The correct continuation first, then the wrong ones, in file order."""
        return (self.correct, *self.wrong)


@dataclass(frozen=True)
class ItemScore:
    id: str
    kind: str
    logprobs: tuple[float, ...]  # per option, correct first (summed over its tokens)
    n_tokens: tuple[int, ...]
    right: bool  # total logprob of the correct option strictly highest
    right_norm: bool  # same with logprob per token
    surprisal: float  # nats, -log P(correct | context)


@dataclass(frozen=True)
class CategoryScore:
    category: str
    n_items: int
    chance: float  # expected accuracy of a uniform random choice among the options
    accuracy: Estimate
    accuracy_norm: Estimate
    surprisal: Estimate  # mean nats of the correct continuation
    items: list[ItemScore]


@dataclass(frozen=True)
class ProbeResult:
    model: str
    fingerprint: str
    seed: int
    categories: list[CategoryScore]


def builtin_dir() -> Path:
    return Path(str(resources.files("intuitions") / "data" / "probes"))


def _item(obj, path: Path, line: int, category: str) -> ProbeItem:
    where = f"{path}:{line}"
    if not isinstance(obj, dict):
        raise BadData(f"{where}: each line must be a JSON object, got {type(obj).__name__}")
    missing = sorted(REQUIRED - obj.keys())
    if missing:
        raise BadData(f"{where}: missing field(s) {', '.join(missing)}")
    extra = sorted(obj.keys() - FIELDS)
    if extra:
        raise BadData(f"{where}: unknown field(s) {', '.join(extra)}")
    for key in ("id", "context", "correct", "kind", "category"):
        if key in obj and (not isinstance(obj[key], str) or not obj[key].strip()):
            raise BadData(f"{where}: {key!r} must be a non-empty string")
    wrong = obj["wrong"]
    if not isinstance(wrong, list) or not wrong or not all(isinstance(w, str) and w.strip() for w in wrong):
        raise BadData(f"{where}: 'wrong' must be a non-empty list of non-empty strings")
    if obj["correct"] in wrong or len(set(wrong)) != len(wrong):
        raise BadData(f"{where}: the options must all differ (correct and wrong continuations repeat)")
    if obj.get("category", category) != category:
        raise BadData(f"{where}: category {obj['category']!r} does not match the file name ({category!r})")
    return ProbeItem(obj["id"], category, obj.get("kind", category), obj["context"], obj["correct"], tuple(wrong))


def load_file(path: Path) -> list[ProbeItem]:
    """Items of one category file (`<category>.jsonl`); any schema error names its line."""
    category = path.name.removesuffix(".jsonl")
    lines = read_utf8(path, BadData).splitlines()
    items, ids = [], set()
    for i, text in enumerate(lines, 1):
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            raise BadData(f"{path}:{i}: not valid JSON ({e.msg})") from None
        it = _item(obj, path, i, category)
        if it.id in ids:
            raise BadData(f"{path}:{i}: duplicate id {it.id!r}")
        ids.add(it.id)
        items.append(it)
    if not items:
        raise BadData(f"{path}: no probe items")
    return items


def load_suite(directory: Path | None = None, categories: Sequence[str] | None = None) -> dict[str, list[ProbeItem]]:
    d = directory or builtin_dir()
    files = sorted(d.glob("*.jsonl"))
    if not files:
        raise BadData(f"no probe files (*.jsonl) in {d}")
    suite = {f.name.removesuffix(".jsonl"): f for f in files}
    wanted = list(categories) if categories else [c for c in CATEGORIES if c in suite] + \
        sorted(set(suite) - set(CATEGORIES))
    unknown = [c for c in wanted if c not in suite]
    if unknown:
        raise BadData(f"no probe category {unknown[0]!r} in {d}: have {', '.join(sorted(suite))}")
    return {c: load_file(suite[c]) for c in wanted}


def subsample(items: list[ProbeItem], n: int | None, rng: np.random.Generator) -> list[ProbeItem]:
    if n is None or n >= len(items):
        return items
    keep = np.sort(rng.choice(len(items), size=n, replace=False))
    return [items[i] for i in keep]


def score_items(scorer: Scorer, items: Sequence[ProbeItem]) -> list[ItemScore]:
    # One batched call for every (context, option) pair: the backend shares a context's
    # prefix across its options when it can.
    ctxs = [it.context for it in items for _ in it.options]
    conts = [o for it in items for o in it.options]
    scores = iter(score_continuations(scorer, ctxs, conts))
    out = []
    for it in items:
        cs = [next(scores) for _ in it.options]
        lp = np.array([c.logprob for c in cs])
        nt = np.array([max(c.n_tokens, 1) for c in cs])
        norm = lp / nt
        out.append(ItemScore(it.id, it.kind, tuple(map(float, lp)), tuple(int(c.n_tokens) for c in cs),
                             bool(lp[0] > lp[1:].max()), bool(norm[0] > norm[1:].max()), float(-lp[0])))
    return out


def summarize(category: str, items: Sequence[ProbeItem], scored: list[ItemScore], seed: int) -> CategoryScore:
    chance = float(np.mean([1 / len(it.options) for it in items]))
    return CategoryScore(
        category, len(scored), chance,
        bootstrap_ci([s.right for s in scored], seed=seed),
        bootstrap_ci([s.right_norm for s in scored], seed=seed),
        bootstrap_ci([s.surprisal for s in scored], seed=seed),
        scored,
    )


def run(scorer: Scorer, suite: dict[str, list[ProbeItem]], seed: int = 0, n: int | None = None) -> ProbeResult:
    """Every category of `suite` (at most n items each, chosen with the seed)."""
    cats = []
    for ci, (cat, items) in enumerate(suite.items()):
        chosen = subsample(items, n, np.random.default_rng([seed, ci]))
        cats.append(summarize(cat, chosen, score_items(scorer, chosen), seed))
    return ProbeResult(scorer.name, scorer.fingerprint, seed, cats)
