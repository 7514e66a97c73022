"""Which models a multitask run decomposes: one real model, or a ladder with its checkpoints,
placed on a size axis and on the largest member's training-step axis."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence


@dataclass(frozen=True)
class ModelRef:
    spec: str  # what to load: a zoo spec or a checkpoint folder
    name: str  # what to show
    member: str | None = None
    step: int | None = None
    final: bool = True
    n_params: int | None = None
    non_embedding_params: int | None = None


def _member_meta(path: Path) -> dict:
    try:
        return json.loads((path / "member.json").read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def _checkpoints(preset: str, member: str) -> list[tuple[int, Path]]:
    try:
        from intuitions.family import checkpoints
    except ImportError:  # the ladder package predates checkpoints: finished members only
        return []
    return sorted((int(s), Path(p)) for s, p in checkpoints(preset, member))


def ladder_refs(preset: str, with_checkpoints: bool = True) -> list[ModelRef]:
    """Every finished member (smallest first), each preceded by its saved checkpoints."""
    from intuitions.models import zoo

    refs = []
    for path in zoo.family_members(preset):
        meta = _member_meta(path)
        spec = f"family:{preset}/{path.name}"
        size = dict(n_params=meta.get("n_params"), non_embedding_params=meta.get("non_embedding_params"))
        cks = _checkpoints(preset, path.name) if with_checkpoints else []
        final_step = meta.get("steps", max((s for s, _ in cks), default=None))
        refs += [ModelRef(str(p), f"{spec}@{s}", path.name, s, False, **size)
                 for s, p in cks if (final_step is None or s < final_step) and p.resolve() != path.resolve()]
        refs.append(ModelRef(spec, spec, path.name, final_step, True, **size))
    return refs


def _axes(refs: Sequence[ModelRef]) -> list[tuple[str, list[int]]]:
    """(axis name, indices into refs in axis order): size over finished members, then
    training steps per member. Step 0 (random init) is left out: from random weights
    every task improves, which says nothing about any one of them."""
    finals = [i for i, r in enumerate(refs) if r.final and r.member is not None]
    finals.sort(key=lambda i: (refs[i].non_embedding_params or refs[i].n_params or 0, i))
    axes = [("size", finals)] if len(finals) >= 2 else []
    for m in dict.fromkeys(refs[i].member for i in finals):
        pts = sorted((refs[i].step, i) for i, r in enumerate(refs) if r.member == m and r.step)
        if len(pts) >= 2:
            axes.append((f"steps:{m}", [i for _, i in pts]))
    return axes


def _x(ref: ModelRef, axis: str, rank: int) -> float:
    if axis == "size":
        return float(ref.non_embedding_params or ref.n_params or rank + 1)
    if ref.step is None:
        raise ValueError(f"{ref.name} has no step for axis {axis}")
    return float(ref.step)
