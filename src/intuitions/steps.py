"""The contract between `intuitions run` and each experiment.

Every experiment module `intuitions.experiments.<name>` that takes part in the main job
exposes:

    INTUITIONS: tuple[int, ...]                 # which of the six it speaks to
    def report_step(ctx: StepContext) -> None   # compute, then write result.json + figures in ctx.out
    def verdicts(saved: dict) -> list[Verdict]  # pure: from the parsed result.json alone

The pipeline caches a step by its inputs (ctx minus `out`), so report_step must be a pure
function of the context: same context, same numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class StepContext:
    out: Path  # this step's own directory
    preset: str  # smoke | quick | full: scales item counts and which ladder is used
    ladder: str  # e.g. "family:quick" (already trained when the step runs)
    real_models: tuple[str, ...]  # installed zoo names, e.g. ("smollm2-135m",)
    seed: int = 0
    seeds: int = 3
    n: int = 100  # items per condition per seed (already scaled by the preset)
    options: dict = field(default_factory=dict)  # this experiment's table from run.toml
