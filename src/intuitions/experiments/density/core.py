"""Intuition 3, made visible: tokens differ in information density.

Per-token surprisal of any text, a long table (one row per token), a summary of how
unevenly the loss is spread, and display units that merge byte-level tokens which split
one character (Korean, emoji), so every unit maps back to real characters."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from intuitions.models.base import Scorer, TokenScores, score_texts

if TYPE_CHECKING:
    import pandas as pd

LN2 = math.log(2)

# Written for this project: the last word of the first is all but forced by the pattern;
# the last word of the second is a name nobody could guess.
EXAMPLE_PAIR = (
    "one, two, three, four, five, six, seven, eight, nine, ten",
    "The name of the old man who lives next door to my aunt is Bartholomew",
)


@dataclass(frozen=True)
class TokenRow:
    text_index: int
    token_index: int
    token: str
    start: int
    end: int
    logprob: float | None  # None for the first token: nothing conditions it
    surprisal_nats: float | None
    surprisal_bits: float | None
    rank: int | None
    entropy: float | None


@dataclass(frozen=True)
class Unit:
    """What a reader sees: one or more tokens covering whole characters."""
    text: str
    start: int
    end: int
    surprisal_nats: float  # summed over the unit's scored tokens
    tokens: tuple[int, ...]


@dataclass(frozen=True)
class Summary:
    n_tokens: int  # scored tokens
    total_nats: float
    mean_nats: float
    median_nats: float
    top10_share: float  # share of total surprisal carried by the top 10% of tokens
    bits_per_char: float
    densest: list[tuple[str, float]]  # (unit text, nats), the five densest units


@dataclass(frozen=True)
class TextDensity:
    text: str
    units: list[Unit]
    summary: Summary
    last_word_nats: float  # surprisal of the text's final word (sum over its tokens)


@dataclass(frozen=True)
class DensityResult:
    model: str
    fingerprint: str
    texts: list[TextDensity]
    rows: list[TokenRow]
    overall: Summary

    def to_frame(self) -> pd.DataFrame:
        """The long table, one row per token: the columns `intuitions density --out t.csv` writes."""
        import pandas as pd

        return pd.DataFrame([asdict(r) for r in self.rows], columns=[f.name for f in fields(TokenRow)])


def units(text: str, s: TokenScores) -> list[Unit]:
    out: list[Unit] = []
    for i, (a, b) in enumerate(s.offsets or []):
        if a == b:  # a token the scorer added (BOS)
            continue
        lp = s.logprobs[i]
        nats = 0.0 if np.isnan(lp) else float(-lp)
        if out and a < out[-1].end:  # byte pieces of a character the previous unit began
            u = out[-1]
            end = max(b, u.end)
            out[-1] = Unit(text[u.start:end], u.start, end, u.surprisal_nats + nats, u.tokens + (i,))
        else:
            out.append(Unit(text[a:b], a, b, nats, (i,)))
    return out


def summarize(text_units: Sequence[Unit], surprisals: np.ndarray, n_chars: int) -> Summary:
    s = surprisals[np.isfinite(surprisals)]
    total = float(s.sum())
    k = max(1, math.ceil(0.1 * len(s))) if len(s) else 0
    top = float(np.sort(s)[::-1][:k].sum()) if k else 0.0
    densest = sorted(text_units, key=lambda u: -u.surprisal_nats)[:5]
    return Summary(
        n_tokens=int(len(s)),
        total_nats=total,
        mean_nats=float(s.mean()) if len(s) else float("nan"),
        median_nats=float(np.median(s)) if len(s) else float("nan"),
        top10_share=top / total if total > 0 else float("nan"),
        bits_per_char=total / LN2 / n_chars if n_chars else float("nan"),
        densest=[(u.text, u.surprisal_nats) for u in densest],
    )


def last_word_nats(text: str, us: Sequence[Unit]) -> float:
    stripped = text.rstrip(" .!?")
    start = max(stripped.rfind(" "), 0)
    return float(sum(u.surprisal_nats for u in us if u.end > start and u.start < len(stripped)))


def rows_for(ti: int, text: str, s: TokenScores) -> list[TokenRow]:
    rows = []
    for i in range(len(s.token_ids)):
        a, b = s.offsets[i] if s.offsets else (0, 0)
        lp = s.logprobs[i]
        ok = not np.isnan(lp)
        rows.append(TokenRow(
            ti, i, text[a:b], a, b,
            float(lp) if ok else None,
            float(-lp) if ok else None,
            float(-lp / LN2) if ok else None,
            int(s.ranks[i]) if ok and s.ranks is not None else None,
            float(s.entropies[i]) if ok and s.entropies is not None else None,
        ))
    return rows


def run(scorer: Scorer, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> DensityResult:
    """`progress(k)`: k more tokens scored, batch by batch (a long text is many windows)."""
    scores = score_texts(scorer, texts, progress)
    per_text, rows = [], []
    for ti, (text, s) in enumerate(zip(texts, scores)):
        us = units(text, s)
        per_text.append(TextDensity(text, us, summarize(us, s.surprisal, len(text)), last_word_nats(text, us)))
        rows.extend(rows_for(ti, text, s))
    all_s = np.concatenate([s.surprisal for s in scores]) if scores else np.zeros(0)
    all_units = [u for t in per_text for u in t.units]
    overall = summarize(all_units, all_s, sum(len(t) for t in texts))
    return DensityResult(scorer.name, scorer.fingerprint, per_text, rows, overall)
