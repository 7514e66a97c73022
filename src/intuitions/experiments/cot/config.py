"""What a chain-of-thought run asks for."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CotConfig:
    steps: tuple[int, ...] = (1, 2, 3, 4)
    n: int = 50  # problems per step count
    gen_n: int | None = None  # of those, how many also get a generated chain of thought (None: all)
    seed: int = 0
    max_new_tokens: int = 96  # for the generated chain of thought
    shots: int = 2  # worked demonstrations before each real-model prompt (none for the ladder)
    max_operand: int = 9
    max_value: int = 10_000
    n_options: int = 3
    density_n: int = 8  # worked solutions in the where-is-the-information view
