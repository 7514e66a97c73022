"""The published result tables that ship with the package (`data/published/`, provenance in
its README): a fresh install uses them with nothing checked out beside it."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).parent / "data" / "published"

CHINCHILLA = "chinchilla_epoch_points.csv"
OBSSCALING = "obsscaling_emergent_capability_eval.csv"
UKP = "ukp_on_emergence_bigbench_scores.csv"
PYTHIA = "pythia_evals.csv"


def path(name: str) -> Path:
    """The installed copy of a published table (FileNotFoundError when it is not one)."""
    p = ROOT / name
    if not p.is_file():
        raise FileNotFoundError(f"no published table {name!r} in {ROOT}")
    return p
