"""Ladder presets. Sizes are (layers, width); every member of a preset sees the same world,
batch shape and schedule shape, so loss differences come from size and token budget.

Why `quick` is shaped this way (measured on a quiet 2-core slot of an Intel Xeon, whose
small-model training speed matched this project's 2-core machine: 1x32 at 16x128 ran
78k tok/s on both; benchmarks/train_throughput.py):
- a step of 8x128 costs 15 ms for L1W32 and 64 ms for L3W96; L1W32..L3W96 at 3000 steps
  ran ~8.5 minutes one member at a time: too long. `quick` uses L1W24..L3W72 (27x
  non-embedding parameters).
- tiny models hardly use a second thread: two one-thread processes trained 1.6-2.3x the
  tokens/s of one two-thread process, so members train in parallel, one per core.
- at equal tokens, batch 16x128 beat 8x128 for members from L2W32 up (L2W48: held-out
  loss 0.833 vs 0.877 after 3.1M tokens), and 4x128 for 3000 steps was worst of all.
So: 16x128 for 1600 steps (3.3M tokens, ~1.8 passes over the world), two workers.
"""

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
        Preset("quick", "the default: five sizes (27x non-embedding params), about six minutes on 2 quiet cores",
               world_docs=60_000, seq_len=128, batch_size=16,
               members=(MemberSpec(1, 24, 1600, (400, 800)), MemberSpec(2, 32, 1600),
                        MemberSpec(2, 48, 1600, (400, 800)), MemberSpec(3, 56, 1600), MemberSpec(3, 72, 1600))),
        Preset("full", "about an hour: six sizes (124x) with a data axis on three of them",
               world_docs=300_000, seq_len=256, batch_size=8,
               members=(MemberSpec(1, 32, 3000, (750, 1500)), MemberSpec(2, 48, 3000),
                        MemberSpec(2, 64, 3000, (750, 1500)), MemberSpec(3, 96, 3000),
                        MemberSpec(4, 128, 3000, (750, 1500)), MemberSpec(5, 160, 3000)),
               warmup=200, n_checkpoints=7, checkpoint_eval_docs_per_task=30, checkpoint_eval_items_per_task=60,
               resume_every=1000),
    ]
}


def get(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise UserError(f"unknown preset {name!r}: use one of {', '.join(PRESETS)}") from None
