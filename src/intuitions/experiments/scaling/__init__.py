"""Intuition 4: loss falls predictably with size and data. Power-law fits (L(N), L(N, D)),
bootstrap intervals, and a held-out largest run predicted from the smaller ones."""

from intuitions.experiments.scaling.core import (
                                                 INTUITIONS,
                                                 ScalingReport,
                                                 ScalingRequest,
                                                 ScalingResult,
                                                 report_step,
                                                 run,
                                                 verdicts,
)
from intuitions.experiments.scaling.figures import draw
from intuitions.experiments.scaling.rules import RULES
from intuitions.experiments.scaling.tables import key_tables

Result = ScalingReport | ScalingResult  # the run step's report of sources; `scaling fit`'s single fit

__all__ = ["RULES", "draw", "INTUITIONS", "Result", "ScalingReport", "ScalingRequest", "ScalingResult", "key_tables",
           "report_step", "run", "verdicts"]
