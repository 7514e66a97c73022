"""Intuition 3, first half: tokens differ in information density. Per-token surprisal,
how unevenly a text's information is spread, and the heat map that shows it."""

from intuitions.experiments.density.core import DensityResult, run

__all__ = ["DensityResult", "run"]
