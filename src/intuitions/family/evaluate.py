"""Evaluation of one checkpoint, through the narrow waist (HFScorer / TokenScores).

- loss: mean nats per token on held-out documents, each scored as BOS + text + end token
  (the end token is how the model says "this document is over"; the world's loss floors
  count that decision too, so loss and floor are comparable).
- exact_match: greedy decoding would write the answer and then its stop text. Computed
  teacher-forced: greedy output starts with a token string iff every one of those tokens
  is the model's argmax (rank 1) given the ones before, so no generation loop is needed.
- choice_accuracy: the answer's log-probability beats every wrong choice's (ties lose).
- answer_logprob: log P(answer | prompt), nats summed over the answer's tokens, mean over
  items (continuous: it moves long before exact match does).
Rows also break some tasks down (arithmetic by steps, icl by label mapping and query kind,
facts and the composite profile by entity-frequency rank, grammar by attractor) under task
names "<task>:<group>".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from intuitions.models.base import continuation_ids
from intuitions.world import TASKS, Doc, EvalItem, eval_items, heldout_docs


@dataclass(frozen=True)
class EvalSet:
    docs: tuple[Doc, ...]
    items: dict  # task -> tuple[EvalItem, ...]


def eval_set(world_seed: int, docs_per_task: int, items_per_task: int) -> EvalSet:
    items = eval_items(world_seed, items_per_task)
    return EvalSet(tuple(heldout_docs(world_seed, docs_per_task)), {t: tuple(v) for t, v in items.items()})


@dataclass(frozen=True)
class Row:
    task: str
    metric: str
    value: float
    stderr: float
    chance: float
    n: int


def _ratio(nats: np.ndarray, toks: np.ndarray) -> tuple[float, float]:
    """Per-token mean over documents and its standard error, documents as clusters (tokens
    of one document are not independent), by the delta method."""
    r = nats.sum() / toks.sum()
    n = len(nats)
    if n < 2:
        return float(r), float("nan")
    se = math.sqrt(((nats - r * toks) ** 2).sum() / (n * (n - 1))) / toks.mean()
    return float(r), float(se)


def _mean(x) -> tuple[float, float]:
    x = np.asarray(x, float)
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(len(x))) if len(x) > 1 else float("nan")


def _prop(hits) -> tuple[float, float]:
    p = float(np.mean(hits))
    return p, math.sqrt(p * (1 - p) / len(hits))


def doc_losses(scorer, docs) -> tuple[np.ndarray, np.ndarray]:
    eos = scorer.tokenizer.eos_token_id
    seqs = [e.ids + [eos] for e in scorer.encode([d.text for d in docs])]
    scores = scorer.score(seqs)
    nats = np.array([-s.total(1) for s in scores])
    toks = np.array([len(s) - 1 for s in scores], float)
    return nats, toks


def _group(item: EvalItem) -> str | None:
    m = item.meta
    if item.task == "arithmetic":
        return f"steps={m['steps']}"
    if item.task == "icl":
        return f"{m['mapping']},{m['query']}"
    if item.task in ("facts", "composite"):
        r = m["rank"]
        return "rank=1-10" if r <= 10 else "rank=11-100" if r <= 100 else "rank=101-1000"
    if item.task == "grammar":
        return f"attractor={m['attractor']}"
    return None


def item_scores(scorer, items) -> list[dict]:
    """Per item: exact match, answer logprob and token count, choice correctness."""
    conts = [it.answer + it.meta.get("stop", "") for it in items]
    full = continuation_ids(scorer, [it.prompt for it in items], conts)
    ans = continuation_ids(scorer, [it.prompt for it in items], [it.answer for it in items])
    wrong = [(i, c) for i, it in enumerate(items) for c in (it.choices or ()) if c != it.answer]
    wrong_pairs = continuation_ids(scorer, [items[i].prompt for i, _ in wrong], [c for _, c in wrong])
    scores = scorer.score([c + k for c, k in full] + [c + k for c, k in wrong_pairs])
    out = []
    for i, ((ctx, k), (_, a)) in enumerate(zip(full, ans)):
        s = scores[i]
        n0 = len(ctx)
        if k[: len(a)] != a:  # answer and stop merged into other tokens: score the answer alone
            s_a = scorer.score([ctx + a])[0]
            lp = s_a.total(n0)
        else:
            lp = float(np.sum(s.logprobs[n0 : n0 + len(a)]))
        out.append({"em": bool(np.all(s.ranks[n0:] == 1)), "lp": lp, "n_ans": len(a), "wrong": []})
    for (i, _), (ctx, _), s in zip(wrong, wrong_pairs, scores[len(full):]):
        out[i]["wrong"].append(s.total(len(ctx)))
    for it, o in zip(items, out):
        o["choice"] = (o["lp"] > max(o["wrong"], default=-math.inf)) if it.choices else None
    return out


def _item_rows(task: str, items, res: list[dict], vocab: int) -> list[Row]:
    n = len(res)
    rows = [Row(task, "exact_match", *_prop([r["em"] for r in res]), 0.0, n),
            Row(task, "answer_logprob", *_mean([r["lp"] for r in res]),
                -float(np.mean([r["n_ans"] for r in res])) * math.log(vocab), n)]
    with_choices = [(it, r) for it, r in zip(items, res) if it.choices]
    if with_choices:
        rows.append(Row(task, "choice_accuracy", *_prop([r["choice"] for _, r in with_choices]),
                        float(np.mean([1 / len(it.choices) for it, _ in with_choices])), len(with_choices)))
    return rows


def evaluate(scorer, es: EvalSet) -> tuple[float, list[Row]]:
    """(overall held-out loss, rows). `scorer` is an HFScorer over the model in memory."""
    vocab = len(scorer.tokenizer)
    rows: list[Row] = []
    nats, toks = doc_losses(scorer, es.docs)
    tasks = np.array([d.task for d in es.docs])
    overall, se = _ratio(nats, toks)
    rows.append(Row("all", "loss", overall, se, math.log(vocab), len(es.docs)))
    for t in TASKS:
        m = tasks == t
        if m.any():
            rows.append(Row(t, "loss", *_ratio(nats[m], toks[m]), math.log(vocab), int(m.sum())))
    for t in TASKS:
        items = es.items.get(t, ())
        if not items:
            continue
        res = item_scores(scorer, items)
        rows.extend(_item_rows(t, items, res, vocab))
        groups: dict[str, list[int]] = {}
        for j, it in enumerate(items):
            g = _group(it)
            if g is not None:
                groups.setdefault(g, []).append(j)
        for g in sorted(groups):
            idx = groups[g]
            rows.extend(_item_rows(f"{t}:{g}", [items[j] for j in idx], [res[j] for j in idx], vocab))
    return overall, rows
