"""Ladder presets. Sizes are (layers, width); every member of a preset sees the same world,
batch shape and schedule shape, so loss differences come from size and token budget.

Why `quick` is shaped this way (measured on a quiet 2-core slot, see the issue report and
benchmarks/train_throughput.py): at 8x128 tokens per step a step costs 15 ms for L1W32 and
64 ms for L3W96 (2 threads); a ladder L1W32..L3W96 at 3000 steps ran ~8.5 minutes, too
long, so `quick` uses L1W24..L3W72 (27x non-embedding parameters) at 2000 steps, about
5.5 minutes with the world build. In that sweep, at equal tokens, batch 16x128 beat 8x128
for members from L2W32 up but not for L1W24, and 4x128 for 3000 steps was worst of all.
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
               world_docs=60_000, seq_len=128, batch_size=8,
               members=(MemberSpec(1, 24, 2000, (500, 1000)), MemberSpec(2, 32, 2000), MemberSpec(2, 48, 2000, (500, 1000)),
                        MemberSpec(3, 56, 2000), MemberSpec(3, 72, 2000))),
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
