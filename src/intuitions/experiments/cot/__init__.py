"""Intuition 3, "time to think": direct answers against chains of thought on multi-step
arithmetic, with worked-solution and filler controls. Everything only this experiment
uses lives here: problems, prompts, figures, key tables, verdict rules."""

from intuitions.experiments.cot.core import INTUITIONS, CotConfig, CotResult, report_step, run, verdicts
from intuitions.experiments.cot.figures import draw
from intuitions.experiments.cot.rules import RULES
from intuitions.experiments.cot.tables import key_tables

Result = CotResult

__all__ = ["RULES", "draw", "INTUITIONS", "CotConfig", "CotResult", "Result", "key_tables", "report_step", "run",
           "verdicts"]
