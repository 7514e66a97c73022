"""The model ladder: tiny HF Llama models trained on the world, at several sizes and token
budgets, with log-spaced checkpoints; every saved model is an HF folder any scorer loads.

    <family_root>/<preset>/<member>/            final model + member.json + eval.json
    <family_root>/<preset>/<member>/checkpoints/step_<k>/
    <family_root>/<preset>/<member>/branches/tokens_<D>/
    <family_root>/<preset>/runs.csv, evals.csv, irreducible.json
"""

from intuitions.family.executors import EXECUTORS
from intuitions.family.ladder import branches, checkpoints, plan, train_ladder, write_tables
from intuitions.family.presets import PRESETS, MemberSpec, Preset
from intuitions.family.train import TrainConfig, train_member

__all__ = ["EXECUTORS", "PRESETS", "MemberSpec", "Preset", "TrainConfig", "branches", "checkpoints",
           "plan", "train_ladder", "train_member", "write_tables"]
