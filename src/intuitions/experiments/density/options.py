"""`[options.density]` in run.toml: what the density step reads (light: no heavy imports)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DensityOptions:
    texts: int | None = None  # texts per subject (default min(n, 40)): world documents, or the project's paragraphs


OPTIONS = DensityOptions
