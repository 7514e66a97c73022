"""Verdicts are computed from saved results by a rule written in code, never written in.

Each experiment package exposes `verdicts(saved: dict) -> list[Verdict]`, where `saved` is
the parsed `result.json` it wrote, and `RULES` (its `rules.py`): every rule by id, in each
report language. The report shows the rule next to the label."""

from __future__ import annotations

import re
from dataclasses import dataclass

SUPPORTED = "supported"
NOT_SUPPORTED = "not supported at this scale"
INCONCLUSIVE = "inconclusive"
NOT_TESTED = "not tested"  # the source could not test the claim (no such data): not folded into inconclusive
LABELS = (SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE, NOT_TESTED)
SOURCES = ("ladder", "real", "published")  # whose data a verdict was computed on

_NUM = re.compile(r"[-+]?\d+(?:[.,]\d+)*(?:[eE][-+]?\d+)?")


@dataclass(frozen=True)
class Verdict:
    intuition: int  # 1..6
    label: str  # one of LABELS
    rule: str  # the rule, in words, exactly as the code applies it (English, with its numbers)
    evidence: str  # the numbers (with intervals) the rule was applied to
    rule_id: str = ""  # the rule's key in its experiment's RULES catalog (translations)
    source: str = ""  # ladder | real | published: whose data the rule was applied to

    def __post_init__(self):
        if self.label not in LABELS:
            raise ValueError(f"verdict label must be one of {LABELS}, got {self.label!r}")


def template_of(text: str) -> tuple[str, list[str]]:
    """A rule sentence with every number replaced by "§", and the numbers in order."""
    return _NUM.sub("§", text), _NUM.findall(text)


def translate(rule: str, rule_id: str, catalog: dict[str, dict[str, str]], lang: str) -> str | None:
    """The rule in `lang`, or None when the catalog has no template for it in that language
    or its English template no longer matches the sentence the code wrote (a reworded rule
    must be re-translated, never shown under a stale translation)."""
    if lang == "en":
        return rule  # the code writes the rule in English
    entry = catalog.get(rule_id, {})
    template, nums = template_of(rule)
    if entry.get("en") != template:
        return None
    target = entry.get(lang)
    if target is None or target.count("§") != len(nums):
        return None
    parts = target.split("§")
    return "".join(p + n for p, n in zip(parts, nums + [""]))
