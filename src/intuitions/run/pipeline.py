"""`intuitions run`: the ladder, then every experiment, then the report.

Each step writes into `<run>/steps/<name>/` and, when it finishes, a `step.json` naming
the hash of its inputs. A later run skips a step whose `step.json` says "ok" under the
same key, so a second run only re-renders and a run killed half-way continues where it
stopped. A step that fails is recorded with its error in one line and the run goes on:
the report shows that section as inconclusive instead of the whole job dying."""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import platform
import shutil
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from intuitions.errors import UserError
from intuitions.experiments.contract import StepContext, digest, load
from intuitions.results import to_jsonable, versions
from intuitions.run import ladder as ladder_mod
from intuitions.run.config import ExperimentPlan, RunPlan, canonical_hash
from intuitions.run.keys import code_hash, context_inputs, model_files, one_line, package_version
from intuitions.run.progress import Progress, expected_seconds, remember_seconds

STEP_FILE = "step.json"
KEY_FILE = ".key"


@dataclass(frozen=True)
class StepRecord:
    name: str
    kind: str  # "ladder" | "experiment"
    module: str
    intuitions: tuple[int, ...]
    key: str
    status: str  # "ok" | "failed"
    error: str | None  # one line, when failed
    wall_s: float  # of the run that computed it
    finished: str
    inputs: dict
    result_sha256: str | None = None  # of result.json as the step wrote it: a later edit is not reused


@dataclass(frozen=True)
class StepOutcome:
    record: StepRecord
    cached: bool
    this_run_s: float


@dataclass(frozen=True)
class RunOutcome:
    run_dir: Path
    steps: tuple[StepOutcome, ...]
    wall_s: float


# ---- step bookkeeping ---------------------------------------------------------------

def read_record(step_dir: Path) -> StepRecord | None:
    """The step's record, or None when there is none or it does not parse (then the step is
    recomputed: a damaged record is never trusted)."""
    try:
        d = json.loads((step_dir / STEP_FILE).read_text("utf-8"))
        d["intuitions"] = tuple(d["intuitions"])
        return StepRecord(**d)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def write_json(path: Path, doc: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(to_jsonable(doc), indent=1, ensure_ascii=False, sort_keys=True))
    tmp.replace(path)  # atomic: a kill never leaves half a record


def _prepare(step_dir: Path, key: str) -> None:
    """Keep partial work only when it was made for the same inputs."""
    if step_dir.exists() and _read(step_dir / KEY_FILE) != key:
        shutil.rmtree(step_dir)
    step_dir.mkdir(parents=True, exist_ok=True)
    (step_dir / KEY_FILE).write_text(key)
    (step_dir / STEP_FILE).unlink(missing_ok=True)


def _read(p: Path) -> str | None:
    try:
        return p.read_text()
    except OSError:
        return None


def is_done(step_dir: Path, key: str, result_check: Callable[[Path], None] | None = None,
            warn: Callable[[str], None] = lambda msg: None) -> StepRecord | None:
    """The record of a finished step that may be reused, else None. With `result_check`, its
    result.json must still be the bytes the step wrote and parse into its typed result;
    anything else is recomputed with a one-line warning, never reused silently."""
    if not (step_dir / STEP_FILE).exists():
        return None
    rec = read_record(step_dir)
    if rec is None:
        warn(f"{step_dir / STEP_FILE} does not parse: recomputing the step")
        return None
    if rec.key != key or rec.status != "ok":
        return None
    if result_check is None:
        return rec
    result = step_dir / "result.json"
    if rec.result_sha256 != digest(result):
        warn(f"{result} is missing or changed since its step wrote it: recomputing the step")
        return None
    try:
        result_check(step_dir)
    except UserError as e:
        warn(f"{' '.join(str(e).split())}: recomputing the step")
        return None
    return rec


def _result_check(exp: ExperimentPlan) -> Callable[[Path], None]:
    def check(step_dir: Path) -> None:
        mod = importlib.import_module(exp.module)
        load(step_dir, exp.name, getattr(mod, "Result", None))
    return check


# ---- the steps ----------------------------------------------------------------------

def _run_timed(fn: Callable[[], None], step_dir: Path) -> tuple[str | None, float]:
    t0 = time.monotonic()
    try:
        fn()
        err = None
    except (Exception, SystemExit) as e:  # noqa: BLE001 - one experiment must not take the others down
        err = one_line(e)
        (step_dir / "error.log").write_text(traceback.format_exc())
    return err, time.monotonic() - t0


def ladder_step(plan: RunPlan, run_dir: Path, prog: Progress) -> StepOutcome:
    name = "ladder"
    step_dir = run_dir / "steps" / name
    inputs = {"ladder": plan.ladder, "seed": plan.seed}
    key = canonical_hash({"inputs": inputs, "version": package_version(),
                          "code": code_hash(ladder_mod.FAMILY_MODULE)})
    rec = is_done(step_dir, key, warn=prog.warn)
    if rec is not None and ladder_mod.fingerprint(plan.ladder_name) is not None:
        prog.finish(name, "cached")
        return StepOutcome(rec, True, 0.0)
    _prepare(step_dir, key)
    prog.start(name)
    err, wall = _run_timed(lambda: ladder_mod.train(plan.ladder, on_progress=prog.report, seed=plan.seed), step_dir)
    if err is None and ladder_mod.fingerprint(plan.ladder_name) is None:
        err = f"training finished but no member of ladder {plan.ladder_name!r} is on disk"
    rec = _record(name, "ladder", ladder_mod.FAMILY_MODULE, (), key, err, wall, inputs)
    write_json(step_dir / STEP_FILE, dataclasses.asdict(rec))
    prog.finish(name, "failed" if err else "done")
    return StepOutcome(rec, False, wall)


def _record(name, kind, module, intuitions, key, err, wall, inputs, result_sha256=None) -> StepRecord:
    return StepRecord(name, kind, module, tuple(intuitions), key, "failed" if err else "ok", err,
                      round(wall, 3), time.strftime("%Y-%m-%dT%H:%M:%S%z"), inputs, result_sha256)


def _call_experiment(module: str, ctx: StepContext) -> tuple[int, ...]:
    mod = importlib.import_module(module)
    for attr in ("INTUITIONS", "report_step"):
        if not hasattr(mod, attr):
            raise AttributeError(f"{module} does not implement the step contract (no {attr})")
    mod.report_step(ctx)
    if not (ctx.out / "result.json").is_file():
        raise RuntimeError(f"{module}.report_step wrote no result.json")
    return tuple(mod.INTUITIONS)


def experiment_step(exp: ExperimentPlan, plan: RunPlan, run_dir: Path, real_models: tuple[str, ...],
                    upstream: dict, prog: Progress) -> StepOutcome:
    step_dir = run_dir / "steps" / exp.name
    ctx = StepContext(out=step_dir, preset=plan.preset, ladder=f"family:{plan.ladder_name}",
                      real_models=real_models, seed=plan.seed, seeds=plan.seeds, n=plan.n,
                      options=exp.options, progress=prog.report)
    inputs = context_inputs(ctx)
    key = canonical_hash({"inputs": inputs, "version": package_version(), "code": code_hash(exp.module),
                          "upstream": upstream})
    rec = is_done(step_dir, key, _result_check(exp), prog.warn)
    if rec is not None:
        prog.finish(exp.name, "cached")
        return StepOutcome(rec, True, 0.0)
    _prepare(step_dir, key)
    prog.start(exp.name)
    found: list[tuple[int, ...]] = []
    err, wall = _run_timed(lambda: found.append(_call_experiment(exp.module, ctx)), step_dir)
    rec = _record(exp.name, "experiment", exp.module, found[0] if found else exp.intuitions, key, err,
                  wall, inputs, digest(step_dir / "result.json") if err is None else None)
    write_json(step_dir / STEP_FILE, dataclasses.asdict(rec))
    prog.finish(exp.name, "failed" if err else "done")
    return StepOutcome(rec, False, wall)


# ---- the run ------------------------------------------------------------------------

def machine() -> dict:
    info = {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(), "python": platform.python_version()}
    try:
        info["load_avg_1_5_15"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["memory_gib"] = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return info


def _remembered(plan: RunPlan, o: StepOutcome) -> StepOutcome:
    if not o.cached and o.record.status == "ok":
        remember_seconds(plan.preset, o.record.name, o.this_run_s)
    return o


def execute(plan: RunPlan, run_dir: Path, *, progress: bool = True, render: bool = True) -> RunOutcome:
    t0 = time.monotonic()
    run_dir.mkdir(parents=True, exist_ok=True)
    models = model_files(plan.models)
    real = tuple(m for m in plan.models if models[m]["installed"])
    manifest = {"id": plan.run_id, "preset": plan.preset, "config": plan.resolved,
                "config_hash": plan.config_hash, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "versions": versions(), "machine": machine(), "models": models,
                "steps": ["ladder"] + [e.name for e in plan.experiments], "status": "running"}
    write_json(run_dir / "run.json", manifest)
    names = manifest["steps"]
    prog = Progress(names, {n: expected_seconds(plan.preset, n) for n in names}, progress)
    outcomes: list[StepOutcome] = []
    with prog.shown():
        outcomes.append(_remembered(plan, ladder_step(plan, run_dir, prog)))
        upstream = {"ladder": ladder_mod.fingerprint(plan.ladder_name), "models": {m: models[m] for m in real}}
        for exp in plan.experiments:
            outcomes.append(_remembered(plan, experiment_step(exp, plan, run_dir, real, upstream, prog)))
    wall = time.monotonic() - t0
    manifest.update(status="finished", finished=time.strftime("%Y-%m-%dT%H:%M:%S%z"), wall_s=round(wall, 2),
                    this_run={o.record.name: {"cached": o.cached, "seconds": round(o.this_run_s, 2)}
                              for o in outcomes})
    write_json(run_dir / "run.json", manifest)
    if render:
        from intuitions.report.render import write_reports

        write_reports(run_dir)
    return RunOutcome(run_dir, tuple(outcomes), time.monotonic() - t0)
