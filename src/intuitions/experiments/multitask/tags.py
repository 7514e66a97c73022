"""What a token is for: task tags as character spans, from the synthetic world's own
tags, from a user's JSONL file, or from a plain-text heuristic (intuition 1)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from intuitions.errors import BadData, UserError
from intuitions.textio import read_utf8

OTHER = "other"


@dataclass(frozen=True)
class TaskSpan:
    start: int
    end: int
    task: str


@dataclass(frozen=True)
class TaggedText:
    text: str
    spans: tuple[TaskSpan, ...]
    default: str = OTHER  # the task of tokens no span covers


@dataclass(frozen=True)
class Corpus:
    source: str  # world | file | spans
    texts: tuple[TaggedText, ...]
    # A label per text when the corpus was drawn as fixed numbers per group (the world: n
    # documents per task); the bootstrap then resamples within each group, as it was drawn.
    strata: tuple[str, ...] | None = None
    # The world's known loss floor per text: the generator's own -log P of the text, the
    # task's choice included, in nats. A corpus with floors is scored with each text's end
    # token (which the floor counts), so loss minus floor is the excess loss.
    floors: tuple[float, ...] | None = None

    @property
    def tasks(self) -> tuple[str, ...]:
        seen = dict.fromkeys(s.task for t in self.texts for s in t.spans)
        seen.update(dict.fromkeys(t.default for t in self.texts))
        return tuple(sorted(seen, key=lambda x: (x == OTHER, x)))

    @property
    def ci_unit(self) -> str:
        return "line" if len(self.texts) == 1 else "document"


# -- tagging -----------------------------------------------------------------------------
CLOSED_CLASS = frozenset("""
a an the this that these those my your his her its our their some any no every each either neither
i me you he him she it we us they them myself yourself himself herself itself ourselves themselves
who whom whose which what there here
of in on at to from by with about against between into through during before after above below
over under up down out off for as than like near since until upon within without onto across
and or but nor so yet if because although though while whether unless whereas
is am are was were be been being have has had having do does did will would shall should can could
may might must not n't 's 're 've 'll 'd
""".split())
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
OPERATOR = re.compile(r"(?<=[\d\s(])[-+*/×÷=^%<>](?=[\s\d(])")
NAME = re.compile(r"[A-ZÀ-ÖØ-Þ][\w'’-]*(?:[ \t]+(?:(?:of|the|de|da|del|van|von|la|le)[ \t]+)?[A-ZÀ-ÖØ-Þ][\w'’-]*)+")
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def heuristic_spans(text: str) -> tuple[TaskSpan, ...]:
    """Tags for plain text: numbers and operators -> arithmetic, capitalised multi-word
    names -> factual recall, closed-class words -> grammar; the rest stays 'other'.
    Later kinds override earlier ones where they overlap (a number inside a name is arithmetic)."""
    spans = [TaskSpan(m.start(), m.end(), "grammar") for m in WORD.finditer(text)
             if m.group().lower().replace("’", "'") in CLOSED_CLASS]
    for m in NAME.finditer(text):
        words = list(re.finditer(r"\S+", m.group()))
        while words and words[0].group().lower() in CLOSED_CLASS:  # "The Eiffel Tower" -> "Eiffel Tower"
            words.pop(0)
        if sum(w.group()[0].isupper() for w in words) >= 2:
            spans.append(TaskSpan(m.start() + words[0].start(), m.end(), "factual recall"))
    spans += [TaskSpan(m.start(), m.end(), "arithmetic") for m in NUMBER.finditer(text)]
    spans += [TaskSpan(m.start(), m.end(), "arithmetic") for m in OPERATOR.finditer(text)]
    return tuple(spans)


def read_spans_file(path: Path) -> list[TaggedText]:
    """JSONL, one text per line: {"text": str, "spans": [{"start", "end", "task"} | [start, end, task]],
    "default": optional task for untagged tokens}."""
    lines = read_utf8(path).splitlines()
    out = [_tagged(line, path, i) for i, line in enumerate(lines, 1) if line.strip()]
    if not out:
        raise UserError(f"{path}: no texts")
    return out


def _tagged(line: str, path: Path, i: int) -> TaggedText:
    where = f"{path}:{i}"
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise BadData(f"{where}: not valid JSON ({e.msg})") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str) or not obj["text"].strip():
        raise BadData(f"{where}: need an object with a non-empty 'text' string")
    text, raw = obj["text"], obj.get("spans", [])
    default = obj.get("default", OTHER)
    if not isinstance(default, str) or not default.strip():
        raise BadData(f"{where}: 'default' must be a non-empty string")
    if not isinstance(raw, list):
        raise BadData(f"{where}: 'spans' must be a list")
    spans = []
    for s in raw:
        start, end, task = (s.get("start"), s.get("end"), s.get("task")) if isinstance(s, dict) else \
            (tuple(s) if isinstance(s, list) and len(s) == 3 else (None, None, None))
        if not (isinstance(start, int) and isinstance(end, int) and not isinstance(start, bool)
                and 0 <= start < end <= len(text) and isinstance(task, str) and task.strip()):
            raise BadData(f"{where}: bad span {s!r}: need start < end within the text and a task name")
        spans.append(TaskSpan(start, end, task))
    return TaggedText(text, tuple(spans), default)


def file_corpus(text: str) -> Corpus:
    if not text.strip():
        raise UserError("the text is empty")
    return Corpus("file", (TaggedText(text, heuristic_spans(text)),))


def world_corpus(seed: int = 0, n_per_task: int = 50) -> Corpus:
    """The world's held-out documents with the world's own task spans; a document's
    untagged characters belong to the document's task."""
    try:
        from intuitions.world import heldout_docs
    except ImportError:
        raise UserError("the synthetic world (intuitions.world) is not available: use --file, --spans or "
                        "--probes") from None
    from intuitions.world.corpus import task_nats

    docs = heldout_docs(seed=seed, n_per_task=n_per_task)
    return Corpus("world", tuple(
        TaggedText(d.text, tuple(TaskSpan(int(s.start), int(s.end), str(s.task)) for s in d.spans), str(d.task))
        for d in docs), strata=tuple(str(d.task) for d in docs),
        floors=tuple(float(d.nats) + task_nats(str(d.task)) for d in docs))
