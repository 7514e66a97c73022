"""Word lists of the world, and the parts generated from the seed: the knowledge base's
entity and city names, their facts, and the pseudo-language's dictionary.

All lowercase, so one word is one form and the tokenizer's vocabulary stays small."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

# grammar: (singular, plural) nouns, distractor prepositions, relative-clause verbs
NOUNS = (
    ("key", "keys"), ("dog", "dogs"), ("child", "children"), ("box", "boxes"), ("bird", "birds"),
    ("table", "tables"), ("car", "cars"), ("book", "books"), ("man", "men"), ("woman", "women"),
    ("cup", "cups"), ("lamp", "lamps"), ("tree", "trees"), ("horse", "horses"), ("song", "songs"),
    ("door", "doors"), ("friend", "friends"), ("chair", "chairs"), ("letter", "letters"), ("boat", "boats"),
)
PREPOSITIONS = ("near", "behind", "beside", "under", "with", "above")
REL_VERBS = (("sees", "see"), ("likes", "like"), ("finds", "find"), ("helps", "help"))
GRAMMAR_ADJ = ("red", "old", "new", "small", "big", "green", "quiet", "loud", "broken", "clean", "heavy", "bright")

# facts
JOBS = ("baker", "farmer", "teacher", "doctor", "pilot", "sailor", "painter", "singer", "miner", "tailor",
        "judge", "nurse", "cook", "guard", "driver", "writer", "hunter", "weaver", "potter", "smith")
FOODS = ("apples", "bread", "cheese", "fish", "rice", "soup", "honey", "plums", "beans", "cake",
         "tea", "milk", "corn", "eggs", "nuts", "pears")
RELATIONS = ("city", "job", "food")
N_ENTITIES = 1000
N_CITIES = 40
ZIPF_S = 1.0  # entity frequency ∝ rank^-s

# sentiment
ASPECTS = ("food", "staff", "room", "service", "music", "price", "view", "bed", "coffee", "show")
POSITIVE = ("good", "great", "lovely", "kind", "fresh", "tidy", "warm", "friendly", "nice", "superb",
            "pleasant", "charming")
NEGATIVE = ("bad", "awful", "rude", "stale", "dirty", "cold", "noisy", "poor", "bland", "terrible",
            "boring", "slow")
INTENSIFIERS = ("", "very ", "quite ", "really ")

# in-context episodes: input kinds with their natural labels, and arbitrary label words
ANIMALS = ("cat", "cow", "fox", "wolf", "bear", "goat", "mouse", "lion", "duck", "frog", "owl", "pig",
           "sheep", "deer", "rabbit", "snake", "tiger", "whale", "eagle", "crab")
OBJECTS = ("hammer", "spoon", "lamp", "chair", "key", "box", "rope", "nail", "brush", "knife",
           "bucket", "coin", "bottle", "pen", "clock", "mirror", "basket", "candle", "shovel", "plate")
ARBITRARY_LABELS = ("blue", "yellow", "north", "south", "apple", "stone", "moon", "star", "river",
                    "cloud", "up", "down", "left", "right", "gold", "silver")

# spatial
PEOPLE = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy")
PLACES = ("kitchen", "garden", "hall", "office", "bedroom", "garage", "cellar", "attic")

# translation: english side
T_ADJ = ("big", "small", "tall", "young", "happy", "angry", "brave", "lazy")
T_NOUNS = ("dog", "cat", "bird", "man", "woman", "child", "horse", "king", "farmer", "girl", "boy", "queen")
T_VERBS = ("sees", "likes", "follows", "helps", "finds", "hears", "calls", "feeds")

_NAME_SYL = ("ba", "ko", "ri", "mu", "te", "la", "zo", "ni", "pe", "du", "sa", "vi", "go", "fe", "ha",
             "ju", "ra", "to", "me", "ki", "no", "bu", "di", "lo")
_CITY_END = ("port", "field", "dale", "mouth", "ford", "burg", "vale", "wick")
_PSEUDO_SYL = ("xa", "qe", "zu", "vy", "oth", "ik", "yl", "esh", "wo", "ga", "ump", "ez")
# in-context classes: label words and items are made-up words of their own letters, so
# neither collides with another task's words
N_ICL_CLASSES = 64
ICL_ITEMS_PER_CLASS = 6
ICL_ZIPF_S = 1.0
_LABEL_ON = ("b", "d", "g", "k", "p", "t", "v", "z")
_LABEL_VOW = ("a", "o", "u", "i")
_ITEM_ON = ("f", "h", "j", "l", "m", "n", "r", "s", "w", "y")
_ITEM_VOW = ("e", "ee", "ai", "oa", "ou", "y")


@dataclass(frozen=True)
class KnowledgeBase:
    entities: tuple[str, ...]  # by frequency rank: entities[0] is the most common
    cities: tuple[str, ...]
    facts: tuple[dict[str, str], ...]  # facts[i][relation] -> object word
    probs: np.ndarray  # Zipf entity probabilities
    cum: np.ndarray


@dataclass(frozen=True)
class IclClasses:
    """In-context classes: each has a natural label word and a few single-word items, and
    classes are used with Zipf frequency (Chan et al. 2022: a skewed class distribution with
    bursty episodes is what makes small transformers learn in context)."""
    labels: tuple[str, ...]  # natural label word of each class, by frequency rank
    items: tuple[tuple[str, ...], ...]  # items[c]: the inputs of class c
    probs: np.ndarray
    cum: np.ndarray


@dataclass(frozen=True)
class World:
    seed: int
    kb: KnowledgeBase
    pseudo: dict[str, str]  # english word -> pseudo word
    icl: IclClasses


def _names(rng: np.random.Generator, n: int, syllables, lo: int, hi: int, taken: set[str], suffixes=("",)) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        k = int(rng.integers(lo, hi + 1))
        name = "".join(syllables[int(i)] for i in rng.integers(len(syllables), size=k))
        name += suffixes[int(rng.integers(len(suffixes)))]
        if name not in taken:
            taken.add(name)
            out.append(name)
    return out


def _english_words() -> set[str]:
    words = {w for pair in NOUNS + REL_VERBS for w in pair}
    for group in (PREPOSITIONS, GRAMMAR_ADJ, JOBS, FOODS, ASPECTS, POSITIVE, NEGATIVE, ANIMALS, OBJECTS,
                  ARBITRARY_LABELS, PEOPLE, PLACES, T_ADJ, T_NOUNS, T_VERBS):
        words.update(group)
    return words


@lru_cache(maxsize=8)
def world(seed: int) -> World:
    """The seed's fixed parts (same seed, same world, in every process)."""
    rng = np.random.default_rng([seed, 7001])
    taken = _english_words()
    entities = _names(rng, N_ENTITIES, _NAME_SYL, 2, 3, taken)
    cities = _names(rng, N_CITIES, _NAME_SYL, 1, 2, taken, _CITY_END)
    facts = tuple(
        {"city": cities[int(rng.integers(N_CITIES))], "job": JOBS[int(rng.integers(len(JOBS)))],
         "food": FOODS[int(rng.integers(len(FOODS)))]}
        for _ in entities
    )
    probs = 1.0 / np.arange(1, N_ENTITIES + 1) ** ZIPF_S
    probs /= probs.sum()
    kb = KnowledgeBase(tuple(entities), tuple(cities), facts, probs, np.cumsum(probs))
    source = T_ADJ + T_NOUNS + T_VERBS
    pseudo: dict[str, str] = dict(zip(source, _names(rng, len(source), _PSEUDO_SYL, 2, 2, taken)))
    return World(seed, kb, pseudo, _icl_classes(rng, taken))


def _icl_classes(rng: np.random.Generator, taken: set[str]) -> IclClasses:
    label_syl = tuple(c + v for c in _LABEL_ON for v in _LABEL_VOW)
    item_syl = tuple(c + v for c in _ITEM_ON for v in _ITEM_VOW)
    labels = _names(rng, N_ICL_CLASSES, label_syl, 2, 2, taken)
    items = _names(rng, N_ICL_CLASSES * ICL_ITEMS_PER_CLASS, item_syl, 1, 2, taken, ("", "n", "k"))
    probs = 1.0 / np.arange(1, N_ICL_CLASSES + 1) ** ICL_ZIPF_S
    probs /= probs.sum()
    per = ICL_ITEMS_PER_CLASS
    return IclClasses(tuple(labels), tuple(tuple(items[i * per:(i + 1) * per]) for i in range(N_ICL_CLASSES)),
                      probs, np.cumsum(probs))
