"""Intuitions 2 and 6: in-context learning of input→output relations (k-shot curves; gold,
random and unrelated labels) and following flipped labels against a model's prior."""

from intuitions.experiments.icl.core import INTUITIONS, Design, IclResult, report_step, run_jobs, verdicts
from intuitions.experiments.icl.figures import draw
from intuitions.experiments.icl.rules import RULES
from intuitions.experiments.icl.tables import key_tables

Result = IclResult
FIGURE_INTUITIONS = {"icl_flip": 6, "icl_kshot": 2, "icl_labels": 2}

__all__ = ["RULES", "draw", "FIGURE_INTUITIONS", "INTUITIONS", "Design", "IclResult", "Result", "key_tables",
           "report_step", "run_jobs", "verdicts"]
