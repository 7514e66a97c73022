"""Intuition 4: loss falls predictably with size and data. Power-law fits (L(N), L(N, D)),
bootstrap intervals, and a held-out largest run predicted from the smaller ones."""

from intuitions.experiments.scaling.core import INTUITIONS, ScalingRequest, ScalingResult, report_step, run, verdicts
from intuitions.experiments.scaling.tables import key_tables

__all__ = ["INTUITIONS", "ScalingRequest", "ScalingResult", "key_tables", "report_step", "run", "verdicts"]
