"""Labelled sets for the in-context learning experiment: the built-in ones (written by
`intuitions/data/icl/generate.py`, see the README there), the world's, and user files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from intuitions.datasets import LabelledSet
from intuitions.errors import BadData, UserError
from intuitions.textio import read_utf8

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "icl"
BUILTIN = ("sentiment", "topic")
UNRELATED_WORDS = ("foo", "bar", "baz", "qux", "zork", "blip", "wug", "dax")


@dataclass(frozen=True)
class WorldEpisodes:
    """A ladder's data: held-out episodes of world `seed` (experiments/icl/world.py), the
    query repeated from the demonstrations or new."""
    seed: int
    repeat: bool
    label_names: tuple[str, ...] = ("first class", "second class")  # each episode has its own two

    @property
    def name(self) -> str:
        return "world-repeat" if self.repeat else "world-new"


# -- data -------------------------------------------------------------------------------------
def load_data(spec: str, text_col: str = "text", label_col: str = "label") -> LabelledSet:
    """A built-in set name (sentiment, topic) or a CSV/TSV/JSONL file. (A ladder member's
    own world is `core.ladder_jobs`.)"""
    if spec == "world":
        raise UserError("--data world is the ladder's own data: use it with --model family:<ladder>")
    if spec in BUILTIN:
        return _from_rows(spec, _read_rows(DATA_DIR / f"{spec}.jsonl"), "text", "label", spec)
    path = Path(spec)
    if not path.is_file():
        raise UserError(f"--data {spec!r} is neither a built-in set ({', '.join(BUILTIN)}) nor a file")
    return _from_rows(path.stem, _read_rows(path), text_col, label_col, str(path))


def _read_rows(path: Path) -> list[dict]:
    text = read_utf8(path, BadData)
    if path.suffix in (".csv", ".tsv"):
        import csv
        import io

        return list(csv.DictReader(io.StringIO(text), delimiter="\t" if path.suffix == ".tsv" else ","))
    rows = []
    for no, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise BadData(f"{path} line {no} is not JSON: {e.msg}") from None
            if not isinstance(row, dict):
                raise BadData(f"{path} line {no} is not a JSON object")
            rows.append(row)
    return rows


def _from_rows(name: str, rows: list[dict], text_col: str, label_col: str, where: str) -> LabelledSet:
    if not rows:
        raise BadData(f"{where} has no rows")
    for col in (text_col, label_col):
        missing = next((i for i, r in enumerate(rows, 1) if col not in r or r[col] is None), None)
        if missing is not None:
            row = rows[missing - 1]
            if col in row:  # the column is there, its value is not (JSON null, or a short CSV line)
                raise BadData(f"{where}: row {missing} has {col!r} = null; every row needs a value")
            have = ", ".join(map(str, row)) or "none"
            raise BadData(f"{where}: row {missing} has no column {col!r} (columns: {have})")
    texts = [" ".join(str(r[text_col]).split()) for r in rows]  # one line: the template is line-based
    labels = [str(r[label_col]).strip() for r in rows]
    for i, (t, a) in enumerate(zip(texts, labels), 1):
        if not t:
            raise BadData(f"{where}: row {i} has an empty {text_col!r}")
        if not a:
            raise BadData(f"{where}: row {i} has an empty {label_col!r}")
    names = tuple(sorted(set(labels)))
    if len(names) < 2:
        raise BadData(f"{where}: every row has label {labels[0]!r}; classification needs two classes or more")
    return LabelledSet(name, texts, labels, names)


def unrelated_words(data: LabelledSet) -> tuple[str, ...]:
    """foo/bar and the like: words with no meaning as labels of natural text."""
    return UNRELATED_WORDS
