"""Intuition 3, first half: tokens differ in information density. Per-token surprisal,
how unevenly a text's information is spread, the essay's pair of blanks, and the heat map
that shows it."""

from intuitions.experiments.density.core import DensityResult, run
from intuitions.experiments.density.figures import draw
from intuitions.experiments.density.rules import RULES
from intuitions.experiments.density.step import INTUITIONS, DensityStepResult, key_tables, report_step, verdicts

Result = DensityStepResult

__all__ = ["RULES", "INTUITIONS", "DensityResult", "DensityStepResult", "Result", "draw", "key_tables", "report_step",
           "run", "verdicts"]
