"""`[options.multitask]` in run.toml: what the multitask step reads (light: no heavy imports)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MultitaskOptions:
    docs_per_task: int | None = None  # held-out world documents per task (default: min(n, 40); full: 100)
    probe_items: int | None = None  # probe items per category on real models (default: min(n, 40); full: 50)
    checkpoints: bool = True  # also decompose the largest member's training checkpoints


OPTIONS = MultitaskOptions
