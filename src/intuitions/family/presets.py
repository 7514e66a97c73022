"""Ladder presets. Sizes are (layers, width); every member of a preset sees the same world,
batch shape and schedule shape, so loss differences come from size and token budget.

Why these numbers: on this 2-core machine the number of optimiser steps matters more
than tokens (2,900+ steps at 16x128 switched tasks on; 250 steps learned nothing), so
`quick` takes many small steps rather than few big ones; see benchmarks/train_throughput.py
for measured tokens/s per member."""

from __future__ import annotations

from dataclasses import dataclass

from intuitions.errors import UserError


@dataclass(frozen=True)
class MemberSpec:
    layers: int
    width: int
    steps: int
    branch_steps: tuple[int, ...] = ()  # extra token budgets (decay branches), in steps

    @property
    def name(self) -> str:
        return f"L{self.layers}W{self.width}"


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    world_docs: int
    seq_len: int
    batch_size: int
    members: tuple[MemberSpec, ...]
    lr_width32: float = 1e-2  # peak lr at width 32; scaled by sqrt(32/width) (wider -> smaller)
    warmup: int = 100
    decay_frac: float = 0.2
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    n_checkpoints: int = 6  # log-spaced intermediate checkpoints per member
    eval_docs_per_task: int = 50  # final models and decay branches
    eval_items_per_task: int = 100
    checkpoint_eval_docs_per_task: int = 15
    checkpoint_eval_items_per_task: int = 30
    resume_every: int = 500

    def lr(self, width: int) -> float:
        return self.lr_width32 * (32 / width) ** 0.5


def log_spaced(steps: int, n: int, first: int = 4) -> tuple[int, ...]:
    """n checkpoint steps, doubling up to half the run (the end is the final model)."""
    out, k = [], steps // 2
    while len(out) < n and k >= first:
        out.append(k)
        k //= 2
    return tuple(sorted(out))


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset("smoke", "seconds: two tiny members for tests and CI", world_docs=600, seq_len=32, batch_size=4,
               members=(MemberSpec(1, 16, 30, (16,)), MemberSpec(2, 16, 30, (16,))),
               warmup=5, n_checkpoints=2, eval_docs_per_task=2, eval_items_per_task=4,
               checkpoint_eval_docs_per_task=1, checkpoint_eval_items_per_task=2, resume_every=10),
        Preset("quick", "the default: five sizes (27x non-embedding params) in about six minutes on 2 cores",
               world_docs=60_000, seq_len=128, batch_size=8,
               members=(MemberSpec(1, 32, 3000, (750, 1500)), MemberSpec(2, 48, 3000),
                        MemberSpec(2, 64, 3000, (750, 1500)), MemberSpec(3, 80, 3000), MemberSpec(3, 96, 3000))),
        Preset("full", "about an hour: six sizes (150x) with a data axis on three of them",
               world_docs=300_000, seq_len=256, batch_size=16,
               members=(MemberSpec(1, 32, 6000, (1500, 3000)), MemberSpec(2, 48, 6000),
                        MemberSpec(2, 64, 6000, (1500, 3000)), MemberSpec(3, 96, 6000),
                        MemberSpec(4, 128, 6000, (1500, 3000)), MemberSpec(6, 160, 6000)),
               warmup=200, n_checkpoints=7, checkpoint_eval_docs_per_task=30, checkpoint_eval_items_per_task=60,
               resume_every=1000),
    ]
}


def get(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise UserError(f"unknown preset {name!r}: use one of {', '.join(PRESETS)}") from None
