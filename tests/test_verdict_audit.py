"""The calibration audit, fast: every package's AUDIT cases (picked up from the registry) at
a few simulations each, with loose bounds. The full audit with >= 200 simulations per
condition and the 5% / 80% targets is `benchmarks/verdict_audit.py` (table in docs/verdicts.md)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from intuitions.experiments.audit import rate

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
import verdict_audit  # noqa: E402

SIMS = int(os.environ.get("AUDIT_TEST_SIMS", "20"))
CASES = verdict_audit.cases()


def test_every_case_names_a_catalogued_rule():
    import importlib

    assert CASES, "no package offers an AUDIT"
    for pkg, c in CASES:
        rules = importlib.import_module(f"intuitions.experiments.{pkg}").RULES
        assert c.rule_id in rules and c.source in ("ladder", "real", "published"), (pkg, c.rule_id)


@pytest.mark.slow
@pytest.mark.parametrize("pkg,case", CASES, ids=[f"{c.rule_id}-{c.source}" for _, c in CASES])
def test_rule_is_calibrated(pkg, case):
    assert rate(case, False, SIMS, seed=2) <= 0.15, "says supported too often with no effect"
    assert rate(case, True, SIMS, seed=2) >= 0.60, "misses a planted effect too often"
