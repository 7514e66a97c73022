"""Writes the built-in labelled sets beside this file (sentiment.jsonl, topic.jsonl).

    python -m intuitions.data.icl.generate     # or: python src/intuitions/data/icl/generate.py

Every sentence is composed here from phrases written for this project (no dataset is
copied): a subject crossed with a predicate whose class decides the label. Subjects are
shared by both classes, so the label is carried by the predicate and never by the topic
word alone. A seeded generator picks which combinations are kept, so the files are
reproducible byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
PER_CLASS = 120

REVIEWED = [
    "the film", "this restaurant", "the hotel room", "my new phone", "the concert", "this novel",
    "the museum tour", "the customer service", "the coffee here", "this laptop", "the train journey",
    "the sequel", "the hiking trail", "this video game", "the pizza", "the dental clinic",
    "the new album", "the play", "the rental car", "these headphones",
]
POSITIVE = [
    "{S} was an absolute delight from start to finish.",
    "I loved {s} and would happily go back.",
    "{S} exceeded every expectation I had.",
    "Honestly, {s} was wonderful.",
    "{S} made my whole week better.",
    "I keep recommending {s} to my friends.",
    "{S} was charming and well worth the money.",
    "What a pleasant surprise {s} turned out to be.",
    "{S} was brilliant and I enjoyed every minute.",
    "Everything about {s} felt thoughtful and polished.",
    "Five stars: {s} was fantastic.",
    "{S} left me smiling for hours.",
    "I was thrilled with {s}.",
    "{S} is the best I have tried in years.",
    "My family adored {s}.",
    "{S} was a real treat.",
    "I have nothing but praise for {s}.",
    "{S} was superb, truly excellent.",
    "We had a lovely time with {s}.",
    "{S} was beautiful, and I would gladly pay for it again.",
]
NEGATIVE = [
    "{S} was a complete waste of money.",
    "I regret ever trying {s}.",
    "{S} was dull, slow and disappointing.",
    "Honestly, {s} was awful.",
    "{S} ruined my whole week.",
    "I would warn anyone away from {s}.",
    "{S} felt cheap and not worth the price.",
    "What an unpleasant letdown {s} turned out to be.",
    "{S} was terrible and I hated every minute.",
    "Everything about {s} felt careless and broken.",
    "One star: {s} was a disaster.",
    "{S} left me bored and annoyed.",
    "I was furious with {s}.",
    "{S} is the worst I have tried in years.",
    "My family could not stand {s}.",
    "{S} was a real chore.",
    "I have nothing but complaints about {s}.",
    "{S} was awful, truly dreadful.",
    "We had a miserable time with {s}.",
    "{S} was ugly, and I would never pay for it again.",
]

ATHLETES = [
    "The striker", "Our goalkeeper", "The visiting team", "The marathon runner", "The tennis champion",
    "The young cyclist", "The coach", "The home side", "The boxer", "The relay squad", "The swimmer",
    "The captain",
]
SPORT = [
    "scored twice in the second half.", "won the final after extra time.",
    "trained on the track every morning before dawn.", "was sent off for a late tackle.",
    "broke the national record in the heats.", "lost the match on penalties.",
    "qualified for the championship last weekend.", "served three aces in the opening set.",
    "celebrated the victory with the fans in the stadium.",
    "is recovering from a knee injury before the new season.",
    "moved up to second place in the league table.", "crossed the finish line just ahead of the favourite.",
]
COOKS = [
    "The chef", "My grandmother", "The bakery on the corner", "Our neighbour", "The street vendor",
    "The new cafe", "My brother", "The pastry cook", "The family restaurant", "The cookbook author",
    "The caterer", "The market stall",
]
FOOD = [
    "simmered the tomato sauce for three hours.", "baked fresh sourdough bread before sunrise.",
    "added too much salt to the soup.", "served the grilled fish with lemon and herbs.",
    "folded melted chocolate into the whipped eggs.", "roasted the vegetables with garlic and olive oil.",
    "sells the best apple pie in town.", "fried the dumplings until they were golden.",
    "seasoned the stew with pepper and thyme.", "prepared a spicy curry with rice.",
    "kneaded the dough for the pizza base.", "makes strawberry jam every summer.",
]


def _fill(template: str, subject: str) -> str:
    return template.format(s=subject, S=subject[0].upper() + subject[1:])


def _pick(rng: np.random.Generator, sentences: list[str], label: str) -> list[dict]:
    keep = rng.choice(len(sentences), size=PER_CLASS, replace=False)
    return [{"text": sentences[i], "label": label} for i in sorted(keep)]


def sentiment(seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    pos = [_fill(t, s) for t in POSITIVE for s in REVIEWED]
    neg = [_fill(t, s) for t in NEGATIVE for s in REVIEWED]
    rows = _pick(rng, pos, "positive") + _pick(rng, neg, "negative")
    return [rows[i] for i in rng.permutation(len(rows))]


def topic(seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    sport = [f"{s} {p}" for s in ATHLETES for p in SPORT]
    food = [f"{s} {p}" for s in COOKS for p in FOOD]
    rows = _pick(rng, sport, "sports") + _pick(rng, food, "food")
    return [rows[i] for i in rng.permutation(len(rows))]


def write(rows: list[dict], path: Path) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


if __name__ == "__main__":
    write(sentiment(), HERE / "sentiment.jsonl")
    write(topic(), HERE / "topic.jsonl")
    print("wrote", HERE / "sentiment.jsonl", HERE / "topic.jsonl")
