"""`[options.icl]` in run.toml: what the icl step reads (light: no heavy imports).

A key left out takes its preset's default (`core.STEP_DEFAULTS`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IclOptions:
    k: tuple[int, ...] | None = None  # demonstrations per class in the k-shot sweep
    k_ladder: tuple[int, ...] | None = None  # the same for ladder members (world episodes: 2k demonstrations)
    flips: tuple[int, ...] | None = None  # percent of demonstration labels flipped (intuition 6)
    n_ladder: int | None = None  # test items per seed for each ladder member (at most n)
    n_real: int | None = None  # test items per seed for each real model (at most n)
    max_seeds: int | None = None  # at most this many of the run's seeds
    data: str | None = None  # the real models' dataset (a built-in name or a file)
    dtype: str | None = None  # the ladder members' dtype
    real_dtype: str | None = None  # the real models' dtype

    def given(self) -> dict:
        """The keys the table set (the others take the preset's defaults)."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


OPTIONS = IclOptions
