"""The first step of the main job: the trained ladder every scale experiment studies.

The family package trains (and resumes) it; here we only call its entry point and take a
fingerprint of what it left on disk, so experiment steps are re-run when the ladder changes."""

from __future__ import annotations

import hashlib
import importlib
from pathlib import Path

from intuitions import paths

FAMILY_MODULE = "intuitions.family"


def train(preset: str) -> None:
    """Train the ladder `preset`, or finish it; returns at once when it is complete."""
    fam = importlib.import_module(FAMILY_MODULE)
    fn = getattr(fam, "train_ladder", None) or getattr(fam, "train", None)
    if fn is None:
        raise RuntimeError(f"{FAMILY_MODULE} has no train_ladder(preset) entry point")
    fn(preset)


def members(preset: str) -> list[Path]:
    root = paths.family_root() / preset
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / "config.json").is_file())


def fingerprint(preset: str) -> str | None:
    """Content hash of every finished member (weights and config); None when there are none.

    The weights of even the full ladder are small, so hashing them whole is cheap and
    catches a retrained ladder that happens to keep its file sizes."""
    found = members(preset)
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
