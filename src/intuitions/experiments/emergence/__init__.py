"""Intuition 5: abilities emerge with scale. Per-task series across sizes (ladder or any
published table): breakthroughness, linearity, the onset above chance, extrapolation from
the smaller sizes, and whether the jump survives a continuous metric."""

from intuitions.experiments.emergence.core import INTUITIONS, Analysis, analyze, report_step, verdicts
from intuitions.experiments.emergence.figures import draw
from intuitions.experiments.emergence.rules import RULES
from intuitions.experiments.emergence.tables import key_tables

Result = Analysis

__all__ = ["RULES", "draw", "INTUITIONS", "Analysis", "Result", "analyze", "key_tables", "report_step", "verdicts"]
