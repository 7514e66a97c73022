"""Intuition 1: next-word prediction is massively multitask. The held-out loss split into
per-task contributions, who learns what across sizes and steps, and minimal-pair probes."""

from intuitions.experiments.multitask.core import INTUITIONS, MultitaskResult, report_step, run, verdicts
from intuitions.experiments.multitask.figures import draw
from intuitions.experiments.multitask.rules import RULES
from intuitions.experiments.multitask.tables import key_tables

Result = MultitaskResult

__all__ = ["RULES", "draw", "INTUITIONS", "MultitaskResult", "Result", "key_tables", "report_step", "run", "verdicts"]
