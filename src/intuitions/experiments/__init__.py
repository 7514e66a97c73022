"""The experiments: one package per intuition, each holding everything that is only its own.

The registry below is the one place outside the packages that names them: the main job
plans its steps from it, and the CLI's commands are the packages' front doors.

| package | intuitions | run step |
|---|---|---|
| multitask | 1 | yes |
| icl | 2, 6 | yes |
| cot | 3 | yes |
| density | 3 | yes |
| scaling | 4 | yes |
| emergence | 5 | yes |
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    name: str
    intuitions: tuple[int, ...]  # which of the six it speaks to (places its report section)
    run_step: bool  # whether `intuitions run` can run it (it has report_step)

    @property
    def module(self) -> str:
        return f"{__name__}.{self.name}"


REGISTRY: dict[str, Entry] = {e.name: e for e in (
    Entry("multitask", (1,), True),
    Entry("icl", (2, 6), True),
    Entry("cot", (3,), True),
    Entry("density", (3,), True),
    Entry("scaling", (4,), True),
    Entry("emergence", (5,), True),
)}
