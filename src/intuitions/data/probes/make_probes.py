"""Writes the probe suite: one JSONL file per category, beside this script.

    python src/intuitions/data/probes/make_probes.py      # rewrites the eight files

Every item is made here, from word lists and templates written for this project (no
dataset is copied). Random choices come from one seeded generator per category, so the
files are byte-identical on every run; a test checks that the committed files match.

Item schema (validated on load by `intuitions.experiments.multitask.probes`):
    {"id": str, "category": str, "kind": str, "context": str, "correct": str, "wrong": [str, ...]}
Continuations start with the space that separates them from the context."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SEED = 20240601  # one base seed; each category offsets it by its index


def _pick(rng, xs, k=1):
    idx = rng.choice(len(xs), size=k, replace=False)
    return [xs[i] for i in idx]


def _draw(rng, make, n: int, seen: set) -> list[dict]:
    """n items from `make(rng, i)` with contexts not seen before (templates can repeat)."""
    out, i = [], 0
    while len(out) < n:
        it = make(rng, i)
        i += 1
        if it["context"] not in seen:
            seen.add(it["context"])
            out.append(it)
        if i > 100 * n:
            raise RuntimeError(f"template space too small for {n} distinct items")
    return out


# -- grammar ---------------------------------------------------------------------------
NOUNS = [("key", "keys"), ("author", "authors"), ("dog", "dogs"), ("teacher", "teachers"),
         ("picture", "pictures"), ("house", "houses"), ("student", "students"), ("letter", "letters"),
         ("farmer", "farmers"), ("bottle", "bottles"), ("doctor", "doctors"), ("painting", "paintings")]
ATTRACTORS = ["near the {}", "next to the {}", "behind the {}", "from the {}", "with the {}"]
PLACES_SG_PL = [("cabinet", "cabinets"), ("window", "windows"), ("garden", "gardens"),
                ("village", "villages"), ("table", "tables"), ("river", "rivers")]
PEOPLE = [("The boy", " himself", "sg"), ("The girl", " herself", "sg"), ("The man", " himself", "sg"),
          ("The woman", " herself", "sg"), ("The boys", " themselves", "pl"), ("The girls", " themselves", "pl"),
          ("The children", " themselves", "pl"), ("The king", " himself", "sg"), ("The queen", " herself", "sg")]
VERBS_PAST = [("walked", "walks"), ("played", "plays"), ("cooked", "cooks"), ("laughed", "laughs"),
              ("cleaned", "cleans"), ("painted", "paints")]
AN_NOUNS = ["apple", "orange", "egg", "umbrella", "onion", "elephant", "owl", "island"]
A_NOUNS = ["banana", "pear", "cake", "chair", "dog", "horse", "book", "table"]


def _agreement(rng, i):
    sg, pl = NOUNS[rng.integers(len(NOUNS))]
    psg, ppl = PLACES_SG_PL[rng.integers(len(PLACES_SG_PL))]
    plural = bool(rng.integers(2))
    att = ATTRACTORS[rng.integers(len(ATTRACTORS))].format(psg if plural else ppl)  # the other number
    past = bool(rng.integers(2))
    right, wrong = (("were", "was") if plural else ("was", "were")) if past else \
        (("are", "is") if plural else ("is", "are"))
    return dict(kind="subject-verb agreement", context=f"The {pl if plural else sg} {att}",
                correct=f" {right}", wrong=[f" {wrong}"])


def _reflexive(rng, i):
    who, refl, _num = PEOPLE[rng.integers(len(PEOPLE))]
    verb = ["hurt", "saw", "introduced", "blamed", "washed"][rng.integers(5)]
    wrongs = [r for r in (" himself", " herself", " themselves") if r != refl]
    return dict(kind="reflexive agreement", context=f"{who} {verb}", correct=refl, wrong=wrongs)


def _article(rng, i):
    an = AN_NOUNS[rng.integers(len(AN_NOUNS))]
    a = A_NOUNS[rng.integers(len(A_NOUNS))]
    verb = ["picked up", "ate", "drew", "saw", "bought"][rng.integers(5)]
    if i % 2:
        return dict(kind="article agreement", context=f"She {verb} an", correct=f" {an}", wrong=[f" {a}"])
    return dict(kind="article agreement", context=f"She {verb} a", correct=f" {a}", wrong=[f" {an}"])


def _tense(rng, i):
    past, pres = VERBS_PAST[rng.integers(len(VERBS_PAST))]
    name = ["Maria", "Tom", "Aisha", "Kenji", "Lucas", "Emma"][rng.integers(6)]
    if i % 2:
        return dict(kind="tense", context=f"Yesterday, {name}", correct=f" {past}", wrong=[f" will {pres[:-1]}"])
    return dict(kind="tense", context=f"Tomorrow, {name}", correct=f" will {pres[:-1]}", wrong=[f" {past}"])


def grammar(rng) -> list[dict]:
    seen: set = set()
    return (_draw(rng, _agreement, 20, seen) + _draw(rng, _reflexive, 10, seen)
            + _draw(rng, _article, 10, seen) + _draw(rng, _tense, 8, seen))


# -- lexical semantics -----------------------------------------------------------------
HYPERNYMS = [("sparrow", "bird"), ("salmon", "fish"), ("oak", "tree"), ("rose", "flower"),
             ("hammer", "tool"), ("violin", "instrument"), ("carrot", "vegetable"), ("apple", "fruit"),
             ("cobra", "snake"), ("robin", "bird"), ("trout", "fish"), ("maple", "tree"),
             ("tulip", "flower"), ("wrench", "tool"), ("trumpet", "instrument"), ("banana", "fruit")]
ANTONYMS = [("hot", "cold"), ("big", "small"), ("up", "down"), ("happy", "sad"), ("fast", "slow"),
            ("early", "late"), ("full", "empty"), ("rich", "poor"), ("wet", "dry"), ("open", "closed"),
            ("heavy", "light"), ("thick", "thin"), ("loud", "quiet"), ("inside", "outside"),
            ("true", "false"), ("win", "lose")]
SYNONYMS = [("big", "large"), ("begin", "start"), ("quick", "fast"), ("little", "small"),
            ("sofa", "couch"), ("stone", "rock"), ("finish", "end"), ("gift", "present")]
YOUNG = [("dog", "puppy"), ("cat", "kitten"), ("cow", "calf"), ("sheep", "lamb"), ("frog", "tadpole"),
         ("horse", "foal"), ("duck", "duckling"), ("bear", "cub")]


def _relation(rng, pairs, template, kind, n_wrong=2) -> list[dict]:
    """One item per (a, b) pair; the wrong answers are other pairs' answers, so every
    option is a word of the same kind and only the relation picks the right one."""
    answers = sorted({b for _, b in pairs})
    out = []
    for a, b in pairs:
        wrongs = _pick(rng, [x for x in answers if x != b], n_wrong)
        article = "An" if a[0] in "aeiou" else "A"
        out.append(dict(kind=kind, context=template.format(a, article=article), correct=f" {b}",
                        wrong=[f" {w}" for w in wrongs]))
    return out


def lexical_semantics(rng) -> list[dict]:
    return (_relation(rng, HYPERNYMS, "{article} {} is a kind of", "hypernym")
            + _relation(rng, ANTONYMS, "The opposite of {} is", "antonym")
            + _relation(rng, SYNONYMS, "Another word for {} is", "synonym")
            + _relation(rng, YOUNG, "A young {} is called a", "young animal"))


# -- world knowledge (common sense about how things are) --------------------------------
WORLD = [
    ("Ice is made of frozen", "water", ["sand", "oil"]),
    ("The sun rises in the", "east", ["west"]),
    ("A week has seven", "days", ["months", "years"]),
    ("Birds fly using their", "wings", ["wheels", "fins"]),
    ("When it rains, the streets get", "wet", ["dry"]),
    ("People usually sleep in a", "bed", ["sink", "oven"]),
    ("To cut paper, you use a pair of", "scissors", ["spoons", "socks"]),
    ("Fish breathe through their", "gills", ["lungs", "ears"]),
    ("Snow is usually", "white", ["green", "purple"]),
    ("You wear shoes on your", "feet", ["hands", "ears"]),
    ("A year has twelve", "months", ["weeks", "days"]),
    ("Fire is very", "hot", ["cold"]),
    ("At night, the sky is", "dark", ["bright"]),
    ("We hear sounds with our", "ears", ["eyes", "knees"]),
    ("A cow gives us", "milk", ["wool", "eggs"]),
    ("Plants need sunlight and", "water", ["plastic", "metal"]),
    ("To unlock a door, you need a", "key", ["spoon", "pillow"]),
    ("A clock tells you the", "time", ["weather", "price"]),
    ("Most cars run on", "gasoline", ["milk", "sand"]),
    ("A doctor works in a", "hospital", ["bakery", "stadium"]),
    ("Bread is baked in an", "oven", ["fridge", "bathtub"]),
    ("You write on paper with a", "pen", ["fork", "shoe"]),
    ("Lemons taste", "sour", ["sweet"]),
    ("Water boils when it gets very", "hot", ["cold"]),
    ("In winter, the weather is usually", "cold", ["hot"]),
    ("A chair is for", "sitting", ["cooking", "swimming"]),
    ("We see with our", "eyes", ["ears", "noses"]),
    ("Bees make", "honey", ["milk", "silk"]),
    ("Pilots fly", "planes", ["trains", "boats"]),
    ("A library is full of", "books", ["cars", "cows"]),
    ("Umbrellas keep you dry when it", "rains", ["shines"]),
    ("A baby grows up to be an", "adult", ["infant"]),
    ("The moon is seen mostly at", "night", ["noon"]),
    ("A knife is used for", "cutting", ["drinking", "singing"]),
    ("Feathers are", "light", ["heavy"]),
    ("Rocks sink in water because they are", "heavy", ["light"]),
    ("A thermometer measures", "temperature", ["distance", "weight"]),
    ("We breathe in", "air", ["sand", "milk"]),
    ("Farmers grow crops on a", "farm", ["ship", "roof"]),
    ("Teachers work at a", "school", ["zoo", "mine"]),
    ("A refrigerator keeps food", "cold", ["hot"]),
    ("Deserts are very", "dry", ["wet"]),
    ("Grass is usually", "green", ["blue", "red"]),
    ("After you eat a lot, you feel", "full", ["hungry"]),
    ("To send a letter, you need a", "stamp", ["spoon", "hammer"]),
    ("A carpenter works with", "wood", ["clouds", "water"]),
    ("Glass breaks if you", "drop", ["clean", "paint"]),
    ("Ships sail on the", "sea", ["road", "sky"]),
]


def world_knowledge(rng) -> list[dict]:
    del rng  # hand-written; the order is fixed
    return [dict(kind="common sense", context=c, correct=f" {a}", wrong=[f" {w}" for w in ws])
            for c, a, ws in WORLD]


# -- sentiment ---------------------------------------------------------------------------
ASPECTS = ["food", "service", "movie", "hotel room", "book", "concert", "staff", "coffee", "phone", "game"]
POS = ["absolutely wonderful", "excellent", "delightful", "fantastic", "amazing", "superb", "lovely",
       "great"]
NEG = ["absolutely terrible", "awful", "disappointing", "horrible", "dreadful", "disgusting", "boring",
       "a complete waste of money"]
POS_TAIL = ["I would happily come back.", "I loved every minute.", "Highly recommended.",
            "It made my day.", "Best I have had in years."]
NEG_TAIL = ["I will never come back.", "I hated every minute.", "Avoid it.", "It ruined my day.",
            "Worst I have had in years."]


def sentiment(rng) -> list[dict]:
    labels = np.array([1] * 24 + [0] * 24)  # balanced: a model that always says one label gets 50%
    rng.shuffle(labels)

    def make(rng, i):
        pos = bool(labels[i % len(labels)])
        aspect = ASPECTS[rng.integers(len(ASPECTS))]
        adj = (POS if pos else NEG)[rng.integers(8)]
        tail = (POS_TAIL if pos else NEG_TAIL)[rng.integers(5)]
        right, wrong = ("positive", "negative") if pos else ("negative", "positive")
        return dict(kind="review polarity", context=f"Review: The {aspect} was {adj}. {tail}\nSentiment:",
                    correct=f" {right}", wrong=[f" {wrong}"])

    seen: set = set()
    return [_draw(rng, lambda r, _i, j=j: make(r, j), 1, seen)[0] for j in range(len(labels))]


# -- translation -------------------------------------------------------------------------
LEX = {  # English: (French, Spanish, German)
    "dog": ("chien", "perro", "Hund"), "cat": ("chat", "gato", "Katze"), "water": ("eau", "agua", "Wasser"),
    "bread": ("pain", "pan", "Brot"), "book": ("livre", "libro", "Buch"), "tree": ("arbre", "árbol", "Baum"),
    "sun": ("soleil", "sol", "Sonne"), "moon": ("lune", "luna", "Mond"), "apple": ("pomme", "manzana", "Apfel"),
    "red": ("rouge", "rojo", "rot"), "green": ("vert", "verde", "grün"), "black": ("noir", "negro", "schwarz"),
    "friend": ("ami", "amigo", "Freund"), "school": ("école", "escuela", "Schule"),
    "city": ("ville", "ciudad", "Stadt"), "milk": ("lait", "leche", "Milch"),
    "cheese": ("fromage", "queso", "Käse"), "door": ("porte", "puerta", "Tür"),
    "window": ("fenêtre", "ventana", "Fenster"), "night": ("nuit", "noche", "Nacht"),
    "horse": ("cheval", "caballo", "Pferd"), "bird": ("oiseau", "pájaro", "Vogel"),
    "fish": ("poisson", "pez", "Fisch"), "chair": ("chaise", "silla", "Stuhl"), "head": ("tête", "cabeza", "Kopf"),
    "king": ("roi", "rey", "König"), "woman": ("femme", "mujer", "Frau"), "man": ("homme", "hombre", "Mann"),
    "child": ("enfant", "niño", "Kind"), "mother": ("mère", "madre", "Mutter"),
    "father": ("père", "padre", "Vater"), "brother": ("frère", "hermano", "Bruder"),
    "sister": ("sœur", "hermana", "Schwester"), "two": ("deux", "dos", "zwei"), "three": ("trois", "tres", "drei"),
}
LANGS = ("French", "Spanish", "German")
DEMO = {"French": "maison", "Spanish": "casa", "German": "Haus"}  # "house", shown once as the format


def translation(rng) -> list[dict]:
    items, words = [], sorted(LEX)
    for li, lang in enumerate(LANGS):
        for w in _pick(rng, words, 16):
            right = LEX[w][li]
            other_word = _pick(rng, [x for x in words if x != w], 1)[0]
            other_lang = LEX[w][(li + 1 + int(rng.integers(2))) % 3]  # same word, wrong language
            wrongs = list(dict.fromkeys(x for x in (LEX[other_word][li], other_lang) if x != right))
            items.append(dict(kind=f"English to {lang}",
                              context=f"English: house\n{lang}: {DEMO[lang]}\nEnglish: {w}\n{lang}:",
                              correct=f" {right}", wrong=[f" {x}" for x in wrongs]))
    return items


# -- arithmetic --------------------------------------------------------------------------
def _near_misses(rng, ans: int, k: int = 2) -> list[int]:
    cands = [c for c in (ans + 1, ans - 1, ans + 10, ans - 10, ans + 2) if c >= 0 and c != ans]
    return sorted(_pick(rng, cands, k))


def _sum(rng, i):
    a, b = (int(rng.integers(1, 10)), int(rng.integers(1, 10))) if i % 3 == 0 else \
        (int(rng.integers(10, 90)), int(rng.integers(10, 90)))
    return dict(kind="addition", context=f"{a} + {b} =", correct=f" {a + b}",
                wrong=[f" {w}" for w in _near_misses(rng, a + b)])


def _difference(rng, i):
    a = int(rng.integers(5, 99))
    b = int(rng.integers(1, a))
    return dict(kind="subtraction", context=f"{a} - {b} =", correct=f" {a - b}",
                wrong=[f" {w}" for w in _near_misses(rng, a - b)])


def _product(rng, i):
    a, b = int(rng.integers(2, 10)), int(rng.integers(2, 13))
    return dict(kind="multiplication", context=f"{a} * {b} =", correct=f" {a * b}",
                wrong=[f" {w}" for w in _near_misses(rng, a * b)])


def arithmetic(rng) -> list[dict]:
    seen: set = set()
    return _draw(rng, _sum, 20, seen) + _draw(rng, _difference, 15, seen) + _draw(rng, _product, 15, seen)


# -- spatial / state tracking ------------------------------------------------------------
NAMES = [("Anna", "she"), ("Ben", "he"), ("Chloe", "she"), ("David", "he"), ("Elena", "she"), ("Omar", "he")]
OBJECTS = ["ball", "key", "book", "coin", "apple", "ring"]
CONTAINERS = ["box", "basket", "drawer", "bag", "cupboard", "bucket"]
RELATIONS = [("left of", "right of"), ("above", "below"), ("in front of", "behind")]
THINGS = ["lamp", "clock", "vase", "cup", "plant", "radio"]


def _tracking(rng, i):
    name, pron = NAMES[rng.integers(len(NAMES))]
    obj = OBJECTS[rng.integers(len(OBJECTS))]
    places = _pick(rng, CONTAINERS, 3)
    moves = 1 + i % 2
    text = f"{name} put the {obj} in the {places[0]}."
    for m in range(moves):
        text += f" Then {pron} moved the {obj} to the {places[m + 1]}."
    text += f" The {obj} is now in the"
    return dict(kind="object tracking", context=text, correct=f" {places[moves]}",
                wrong=[f" {p}" for p in places[:moves]])  # every earlier place is a wrong answer


def _swap(rng, i):
    (a, _), (b, _) = _pick(rng, NAMES, 2)
    c1, c2 = _pick(rng, ["red", "blue", "green", "yellow"], 2)
    obj = OBJECTS[rng.integers(len(OBJECTS))]
    ask_a = bool(rng.integers(2))
    ctx = f"{a} has the {c1} {obj} and {b} has the {c2} {obj}. They swap. Now {a if ask_a else b} has the"
    right, wrong = (c2, c1) if ask_a else (c1, c2)
    return dict(kind="swap", context=ctx, correct=f" {right}", wrong=[f" {wrong}"])


def _inverse(rng, i):
    rel, inv = RELATIONS[rng.integers(len(RELATIONS))]
    x, y = _pick(rng, THINGS, 2)
    return dict(kind="relation inverse", context=f"The {x} is {rel} the {y}. So the {y} is",
                correct=f" {inv} the {x}", wrong=[f" {rel} the {x}"])


def spatial(rng) -> list[dict]:
    seen: set = set()
    return _draw(rng, _tracking, 24, seen) + _draw(rng, _swap, 12, seen) + _draw(rng, _inverse, 14, seen)


# -- factual recall (named-entity facts) -------------------------------------------------
CAPITALS = [("France", "Paris"), ("Germany", "Berlin"), ("Italy", "Rome"), ("Spain", "Madrid"),
            ("Japan", "Tokyo"), ("Russia", "Moscow"), ("Egypt", "Cairo"), ("Canada", "Ottawa"),
            ("Australia", "Canberra"), ("China", "Beijing"), ("Greece", "Athens"), ("Portugal", "Lisbon"),
            ("Norway", "Oslo"), ("Sweden", "Stockholm"), ("Poland", "Warsaw"), ("Austria", "Vienna"),
            ("Kenya", "Nairobi"), ("Peru", "Lima"), ("Ireland", "Dublin"), ("Turkey", "Ankara"),
            ("Thailand", "Bangkok"), ("Cuba", "Havana"), ("Argentina", "Buenos Aires"), ("Finland", "Helsinki")]
SYMBOLS = [("gold", "Au"), ("silver", "Ag"), ("iron", "Fe"), ("sodium", "Na"), ("oxygen", "O"),
           ("helium", "He"), ("carbon", "C"), ("lead", "Pb")]
WORKS = [("Hamlet", "William Shakespeare"), ("Pride and Prejudice", "Jane Austen"),
         ("Oliver Twist", "Charles Dickens"), ("War and Peace", "Leo Tolstoy"),
         ("Don Quixote", "Miguel de Cervantes"), ("Nineteen Eighty-Four", "George Orwell"),
         ("Moby-Dick", "Herman Melville"), ("Frankenstein", "Mary Shelley"),
         ("The Odyssey", "Homer"), ("On the Origin of Species", "Charles Darwin")]
CURRENCIES = [("Japan", "yen"), ("the United Kingdom", "pound"), ("India", "rupee"), ("Russia", "ruble"),
              ("Mexico", "peso"), ("Switzerland", "franc")]


def factual_recall(rng) -> list[dict]:
    return (_relation(rng, CAPITALS, "The capital of {} is", "capital")
            + _relation(rng, SYMBOLS, "The chemical symbol for {} is", "chemical symbol")
            + _relation(rng, WORKS, "{} was written by", "author")
            + _relation(rng, CURRENCIES, "The currency of {} is the", "currency"))


CATEGORIES = {
    "grammar": grammar, "lexical_semantics": lexical_semantics, "world_knowledge": world_knowledge,
    "sentiment": sentiment, "translation": translation, "arithmetic": arithmetic,
    "spatial": spatial, "factual_recall": factual_recall,
}


def build() -> dict[str, list[dict]]:
    out = {}
    for ci, (cat, fn) in enumerate(CATEGORIES.items()):
        items = fn(np.random.default_rng(SEED + ci))
        out[cat] = [{"id": f"{cat}-{i:03d}", "category": cat, **it} for i, it in enumerate(items)]
    return out


def render(items: list[dict]) -> str:
    return "".join(json.dumps(it, ensure_ascii=False) + "\n" for it in items)


def main() -> None:
    for cat, items in build().items():
        (HERE / f"{cat}.jsonl").write_text(render(items), encoding="utf-8")
        print(f"{cat}: {len(items)} items")


if __name__ == "__main__":
    main()
