"""`[options.cot]` in run.toml: what the cot step reads (light: no heavy imports).

A key left out takes its preset's default (`core.STEP_DEFAULTS`; dtype: float32)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CotOptions:
    steps: tuple[int, ...] | None = None  # reasoning-step counts of the problems
    n_real: int | None = None  # problems per step count for each real model
    n_ladder: int | None = None  # problems per step count for each ladder member
    gen_n: int | None = None  # of those, how many also get a generated chain of thought
    shots: int | None = None  # worked examples in the prompt
    max_new_tokens: int | None = None  # generation budget for a chain of thought
    density_n: int | None = None  # problems whose per-token surprisal is kept for the figure
    dtype: str | None = None  # every model's dtype

    def given(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


OPTIONS = CotOptions
