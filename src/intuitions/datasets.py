"""Labelled sets for classification experiments (in-context learning, probes)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LabelledSet:
    name: str
    texts: list[str]
    labels: list[str]  # each one of label_names
    label_names: tuple[str, ...]  # the verbalisers, as they follow "Output:" (no leading space)

    def __len__(self) -> int:
        return len(self.texts)
