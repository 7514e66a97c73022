"""The contract between the main job, the CLI and each experiment package.

Every package `intuitions.experiments.<name>` exposes:

    INTUITIONS: tuple[int, ...]                  # which of the six it speaks to
    Result: type                                 # its typed result (a dataclass)
    report_step(ctx: StepContext) -> None        # the run's step: compute, then save()
    draw(saved: dict, out: Path) -> list[Path]    # its figures
    verdicts(saved: dict) -> list[Verdict]       # pure: from the parsed result.json alone
    key_tables(saved: dict) -> list[Table]
    FIGURE_INTUITIONS: dict[str, int]            # optional: a figure that speaks to one intuition only

`saved` is the parsed result.json. The CLI command and the run step both end in `save`, so a
result and its figures are written one way; the report and a reused step read them back
through `load`, which checks that the document parses into `Result`.

The pipeline caches a step by its inputs (ctx minus `out`), so report_step must be a pure
function of the context: same context, same numbers."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from intuitions.errors import UserError
from intuitions.results import ResultSchemaError, from_jsonable, read_result, to_jsonable, write_result
from intuitions.verdict import Verdict


@dataclass(frozen=True)
class StepContext:
    out: Path  # this step's own directory
    preset: str  # smoke | quick | full: scales item counts and which ladder is used
    ladder: str  # e.g. "family:quick" (already trained when the step runs)
    real_models: tuple[str, ...]  # installed zoo names, e.g. ("smollm2-135m",)
    seed: int = 0
    seeds: int = 3
    n: int = 100  # items per condition per seed (already scaled by the preset)
    options: dict = field(default_factory=dict)  # this experiment's table from run.toml
    # how far the step is (0..1, a note): the run's progress lines and ETA come from work done.
    # Not an input: the step's cache key leaves it out.
    progress: Callable[[float, str], None] | None = field(default=None, compare=False, repr=False)

    def report(self, done: float, total: float, note: str) -> None:
        if self.progress is not None and total > 0:
            self.progress(min(1.0, done / total), note)


class BadResult(UserError):
    """A saved result.json that does not parse, or does not fit its experiment's Result."""


def save(out: Path, experiment: str, config: dict, result: Any, fingerprints: dict[str, str] | None,
         draw: Callable[[dict, Path], list[Path]],
         verdicts: Callable[[dict], list[Verdict]] | None = None) -> list[Path]:
    """Write result.json, then draw the figures from what was written (the same path a
    re-render takes, so a figure never shows a number the file does not hold). With
    `verdicts`, the verdicts computed from the saved result go in too (top-level key
    "verdicts"), so a standalone command's result is as auditable as the run's."""
    path = write_result(out, experiment, config, result, fingerprints)
    saved = read_result(out)
    if verdicts is not None:
        saved["verdicts"] = [to_jsonable(v) for v in verdicts(saved)]
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(saved, indent=1, ensure_ascii=False))
        tmp.replace(path)
    return draw(saved, out)


def load(out: Path, experiment: str, result_type: type | None) -> dict:
    """The parsed result.json of `experiment` in `out`, checked against `result_type`."""
    saved = read_result(out, BadResult)
    if not isinstance(saved, dict) or saved.get("experiment") != experiment or "result" not in saved:
        raise BadResult(f"{out / 'result.json'} is not a saved {experiment} result")
    if result_type is not None:
        try:
            from_jsonable(result_type, saved["result"])
        except (ResultSchemaError, TypeError, ValueError) as e:
            raise BadResult(f"{out / 'result.json'} does not fit {result_type.__name__}: {e}") from None
    return saved


def digest(path: Path) -> str | None:
    """sha256 of a file's bytes (None when it cannot be read): step.json records it, so a
    result edited or damaged after its step finished is not reused."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def dumps(doc: Any) -> str:
    return json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=True)
