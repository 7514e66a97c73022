"""Ladder presets. Sizes are (layers, width); every member of a preset sees the same world,
batch shape and schedule shape, so loss differences come from size and token budget.

Why they are shaped this way (ladder v2, measured on this project's 2-core machine, one
thread per member, benchmarks/train_throughput.py; MFU against a 2048^3 fp32 matmul):
- optimizer steps decide what a tiny model learns (the design notes' pilot: nothing
  before ~1,000 steps, most skills between 1,000 and 3,000), so every member gets >= 3,000
  steps (quick) or >= 6,000 (full) and the batch stays small: 16 windows of 64 tokens;
- the world's documents are short (an episode is ~40 tokens), so 64-token windows that
  start at a document boundary lose nothing that 128 would keep, at half the cost;
- at 16x64, one thread: L1W32 112k tok/s (MFU 31%), L2W48 59k (42%), L3W64 33k (50%),
  L4W96 16k (61%), L4W128 10k (68%), L5W160 5.9k (73%); 32x64 gained <= 13% tok/s;
- two one-thread workers train two members at once (tiny models hardly use a second
  thread), the largest first;
- the smallest member has one layer: induction heads need two (Olsson et al. 2022), so it
  is the control for every in-context measurement.
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
    lr_width32: float = 1e-2  # peak lr at width 32; scaled by 32/width (wider -> smaller)
    warmup: int = 100
    decay_frac: float = 0.2
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    n_checkpoints: int = 6  # log-spaced intermediate checkpoints per member
    checkpoint_every: int = 0  # plus one every this many steps (0: none): skills switch on late
    eval_docs_per_task: int = 50  # final models and decay branches
    eval_items_per_task: int = 100
    checkpoint_eval_docs_per_task: int = 15
    checkpoint_eval_items_per_task: int = 30
    resume_every: int = 500

    def lr(self, width: int) -> float:
        return self.lr_width32 * 32 / width

    def checkpoints(self, steps: int) -> tuple[int, ...]:
        every = range(self.checkpoint_every, steps, self.checkpoint_every) if self.checkpoint_every else ()
        return tuple(sorted(set(log_spaced(steps, self.n_checkpoints)) | set(every)))


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
        Preset("quick", "the default: six sizes (16x non-embedding params) of 3,000 steps, about five minutes on "
               "2 quiet cores", world_docs=60_000, seq_len=64, batch_size=16,
               members=(MemberSpec(1, 32, 3000), MemberSpec(2, 32, 3000, (750, 1500)), MemberSpec(2, 48, 3000),
                        MemberSpec(3, 48, 3000, (750, 1500)), MemberSpec(3, 64, 3000), MemberSpec(4, 64, 3000)),
               warmup=150, n_checkpoints=2, checkpoint_every=500),
        Preset("full", "about 45 minutes: seven sizes (222x non-embedding params) of 6,000 steps",
               world_docs=300_000, seq_len=64, batch_size=16,
               members=(MemberSpec(1, 24, 6000), MemberSpec(2, 24, 6000), MemberSpec(2, 48, 6000, (1500, 3000)),
                        MemberSpec(3, 64, 6000), MemberSpec(4, 96, 6000, (1500, 3000)), MemberSpec(4, 128, 6000),
                        MemberSpec(5, 160, 6000)),
               warmup=300, n_checkpoints=2, checkpoint_every=1000, checkpoint_eval_docs_per_task=20,
               checkpoint_eval_items_per_task=40, resume_every=1000),
    ]
}


def get(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise UserError(f"unknown preset {name!r}: use one of {', '.join(PRESETS)}") from None
