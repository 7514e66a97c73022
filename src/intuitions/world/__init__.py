"""The synthetic multitask world the ladder is trained on.

One module per task family (grammar, facts, sentiment, translation, arithmetic, icl,
spatial, composite); each writes documents with character spans tagged by task, held-out eval items,
and knows the probability of everything it writes, so each task's loss floor is known.
"""

from intuitions.world.arithmetic import ArithProblem, arithmetic_problem
from intuitions.world.build import build, default_dir, train_tokenizer
from intuitions.world.core import Doc, EvalItem, Span
from intuitions.world.corpus import TASK_WEIGHTS, TASKS, eval_items, heldout_docs, training_docs
from intuitions.world.icl import ICL_TEMPLATE, Episode, episodes

__all__ = [
    "TASKS", "TASK_WEIGHTS", "Span", "Doc", "EvalItem", "ICL_TEMPLATE", "ArithProblem",
    "arithmetic_problem", "heldout_docs", "eval_items", "Episode", "episodes", "build", "default_dir",
    "training_docs", "train_tokenizer",
]
