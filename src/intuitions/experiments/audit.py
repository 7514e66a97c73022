"""The calibration audit's contract: a verdict rule earns trust only if it could have said
otherwise. Each experiment package offers `AUDIT: list[AuditCase]` (in its `audit.py`):
for every rule, a simulator of saved results with no effect and one with a planted effect
of realistic size (ladder-sized noise and n). `benchmarks/verdict_audit.py` runs each case
many times and reports how often the rule says *supported*; a fast version runs in the
tests. Targets: at most 5% under no effect, at least 80% under the planted effect."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from intuitions.verdict import SUPPORTED, Verdict

# Evidence for a rule whose audit misses the 80% power target at the quick ladder's size.
UNDERPOWERED = ("underpowered on a ladder of this size: the calibration audit finds a planted effect of "
                "realistic size less than 80% of the time (docs/verdicts.md), so 'not supported' is weak evidence")

Simulator = Callable[[np.random.Generator], dict]  # -> a saved result.json document


@dataclass(frozen=True)
class AuditCase:
    rule_id: str  # the rule audited (a key of its package's RULES)
    intuition: int
    source: str  # ladder | real | published
    null: Simulator  # data with no effect: the rule should rarely say supported
    planted: Simulator  # data with an effect of realistic size: the rule should usually say supported
    verdicts: Callable[[dict], list[Verdict]]  # the package's own verdicts(saved)
    note: str  # what "no effect" and "planted" mean here, with the sizes and n


def says_supported(case: AuditCase, saved: dict) -> bool:
    return any(v.intuition == case.intuition and v.source == case.source and v.rule_id == case.rule_id
               and v.label == SUPPORTED for v in case.verdicts(saved))


def rate(case: AuditCase, planted: bool, n: int, seed: int = 0) -> float:
    """How often the rule says supported over n simulated data sets."""
    rng = np.random.default_rng([seed, int(planted)])
    sim = case.planted if planted else case.null
    return sum(says_supported(case, sim(rng)) for _ in range(n)) / n
