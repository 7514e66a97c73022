"""Verdicts are computed from saved results by a rule written in code, never written in.

Each experiment module exposes `verdict(saved: dict) -> Verdict`, where `saved` is the
parsed `result.json` it wrote; the report shows the rule next to the label."""

from __future__ import annotations

from dataclasses import dataclass

SUPPORTED = "supported"
NOT_SUPPORTED = "not supported at this scale"
INCONCLUSIVE = "inconclusive"
LABELS = (SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE)


@dataclass(frozen=True)
class Verdict:
    intuition: int  # 1..6
    label: str  # one of LABELS
    rule: str  # the rule, in words, exactly as the code applies it
    evidence: str  # the numbers (with intervals) the rule was applied to

    def __post_init__(self):
        if self.label not in LABELS:
            raise ValueError(f"verdict label must be one of {LABELS}, got {self.label!r}")
