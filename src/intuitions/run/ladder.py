"""The first step of the main job: the trained ladder every scale experiment studies.

The family package trains (and resumes) it; here we only call its entry point and take a
fingerprint of what it left on disk, so experiment steps are re-run when the ladder changes."""

from __future__ import annotations

import hashlib
import importlib
from pathlib import Path
from typing import Callable

from intuitions import paths

FAMILY_MODULE = "intuitions.family"


def train(preset: str, on_progress: Callable[[float, str], None] | None = None, seed: int = 0) -> None:
    """Train the ladder `preset` for `seed` (world and training), or finish it; returns at
    once when it is complete. Its folder is `ladder_name(preset, seed)`.

    `on_progress(fraction, note)` hears of every logged training step, so the run's
    progress display shows real progress (work done over work planned, each member's steps
    weighted by what a step of it costs), not a guess."""
    fam = importlib.import_module(FAMILY_MODULE)
    fn = getattr(fam, "train_ladder", None)
    if fn is None:
        raise RuntimeError(f"{FAMILY_MODULE} has no train_ladder(preset) entry point")
    planned: dict[str, float] = {}  # each member's expected work: steps x relative cost of a step
    done: dict[str, float] = {}

    def on_start(cfgs, pending) -> None:
        planned.update({c.member: c.steps * step_cost(c) for c in pending})

    def progress(member: str, step: int, steps: int, loss: float, tok_s: float) -> None:
        done[member] = planned.get(member, 0.0) * step / max(steps, 1)
        if on_progress and planned:
            on_progress(min(1.0, sum(done.values()) / sum(planned.values())), f"{member} {step}/{steps}")

    fn(preset, seed=seed, progress=progress, on_start=on_start)


def step_cost(cfg) -> float:
    """Relative seconds per training step: members differ ~10x in cost per step, so progress
    counted in steps ran ahead on the small members and behind on the big ones (a 30 s ETA
    was 2.5x the real time). This machine's cost model (design notes): 10 us + 67 us per
    million non-embedding parameters, per token; a Llama layer has ~12 width^2 of them."""
    nonemb_m = 12 * cfg.layers * cfg.width**2 / 1e6
    return cfg.tokens_per_step * (10e-6 + 67e-6 * nonemb_m)


def members(ladder: str) -> list[Path]:
    root = paths.family_root() / ladder
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / "config.json").is_file())


def fingerprint(ladder: str) -> str | None:
    """Content hash of every finished member (weights and config); None when there are none.

    The weights of even the full ladder are small, so hashing them whole is cheap and
    catches a retrained ladder that happens to keep its file sizes."""
    found = members(ladder)
    if not found:
        return None
    h = hashlib.sha256()
    for m in found:
        h.update(m.name.encode())
        for f in sorted(m.iterdir()):
            if f.suffix in (".safetensors", ".json") and f.is_file():
                h.update(f.name.encode())
                with open(f, "rb") as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        h.update(chunk)
    return h.hexdigest()
