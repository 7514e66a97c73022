"""`intuitions run`: the ladder, then every experiment, then the report.

Each step writes into `<run>/steps/<name>/` and, when it finishes, a `step.json` naming
the hash of its inputs. A later run skips a step whose `step.json` says "ok" under the
same key, so a second run only re-renders and a run killed half-way continues where it
stopped. A step that fails is recorded with its error in one line and the run goes on:
the report shows that section as inconclusive instead of the whole job dying."""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import json
import os
import platform
import shutil
import threading
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from intuitions import paths
from intuitions.results import to_jsonable, versions
from intuitions.run import ladder as ladder_mod
from intuitions.run.config import ExperimentPlan, RunPlan, canonical_hash
from intuitions.steps import StepContext

STEP_FILE = "step.json"
KEY_FILE = ".key"
DEFAULT_GUESS_S = 60.0  # ETA for a step never timed on this machine


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


# ---- hashing the inputs -------------------------------------------------------------

def code_hash(module: str) -> str:
    """Hash of the source of a module and of every `intuitions` module it imports, directly
    or not (parent packages included): editing an experiment or a helper it uses
    invalidates its cached step; editing another experiment or the report does not."""
    files = _source_closure(module)
    if not files:
        return "missing"
    return canonical_hash({name: path.read_bytes().hex() for name, path in sorted(files.items())})[:16]


def _origin(module: str) -> Path | None:
    """The source file of a module, found without importing it (importing a package here
    would pull in torch just to hash a file)."""
    import intuitions

    if module == "intuitions" or module.startswith("intuitions."):
        base = Path(intuitions.__file__).parent.joinpath(*module.split(".")[1:])
        for cand in (base.with_suffix(".py"), base / "__init__.py"):
            if cand.is_file():
                return cand
        return None
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError, AttributeError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def _imports(module: str, path: Path) -> set[str]:
    """Absolute names of the `intuitions` modules a source file imports (anywhere in it)."""
    import ast

    try:
        tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)  # `from pkg import submodule`
    return {m for m in found if m == "intuitions" or m.startswith("intuitions.")}


def _source_closure(module: str) -> dict[str, Path]:
    seen: dict[str, Path] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        origin = _origin(name)
        if origin is None:
            if name == module:
                return {}
            continue
        seen[name] = origin
        parents = [name.rsplit(".", i)[0] for i in range(1, name.count(".") + 1)]
        todo += [p for p in parents if p.startswith("intuitions")]
        todo += sorted(_imports(name, origin))
    return seen


def package_version() -> str:
    return versions().get("intuitions", "unknown")


def model_files(names: tuple[str, ...]) -> dict[str, dict]:
    """Which requested real models are installed, and a cheap identity for each."""
    from intuitions.models import zoo

    out = {}
    for name in names:
        try:
            path = zoo.ZOO[name].locate()
        except Exception as e:  # a broken install is "not installed", said in the report
            out[name] = {"installed": False, "why": _one_line(e)}
            continue
        if path is None:
            out[name] = {"installed": False, "why": f"not installed: {zoo.ZOO[name].install}"}
        else:
            out[name] = {"installed": True, "file": path.name, "bytes": path.stat().st_size}
    return out


def context_inputs(ctx: StepContext) -> dict:
    d = to_jsonable(ctx)
    d.pop("out")
    return d


# ---- step bookkeeping ---------------------------------------------------------------

def read_record(step_dir: Path) -> StepRecord | None:
    try:
        d = json.loads((step_dir / STEP_FILE).read_text())
        d["intuitions"] = tuple(d["intuitions"])
        return StepRecord(**d)
    except (OSError, ValueError, TypeError, KeyError):
        return None


def write_json(path: Path, doc: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(to_jsonable(doc), indent=1, ensure_ascii=False, sort_keys=True))
    tmp.replace(path)  # atomic: a kill never leaves half a record


def _one_line(e: BaseException) -> str:
    text = " ".join(f"{type(e).__name__}: {e}".split())
    return text if len(text) <= 300 else text[:297] + "..."


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


def is_done(step_dir: Path, key: str, need_result: bool) -> StepRecord | None:
    rec = read_record(step_dir)
    if rec is None or rec.key != key or rec.status != "ok":
        return None
    if need_result and not (step_dir / "result.json").is_file():
        return None
    return rec


# ---- ETA memory ---------------------------------------------------------------------

def _times_path() -> Path:
    return paths.home() / "step_times.json"


def expected_seconds(preset: str, name: str) -> float:
    try:
        return float(json.loads(_times_path().read_text())[f"{preset}:{name}"])
    except (OSError, ValueError, KeyError, TypeError):
        return DEFAULT_GUESS_S


def remember_seconds(preset: str, name: str, seconds: float) -> None:
    p = _times_path()
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        d = json.loads(p.read_text()) if p.exists() else {}
        d[f"{preset}:{name}"] = round(seconds, 2)
        write_json(p, d)
    except (OSError, ValueError):
        pass  # an ETA is a nicety, never a reason to fail


# ---- progress -----------------------------------------------------------------------

class Progress:
    """One overall bar plus one bar per step. Steps report no progress of their own, so a
    running step's bar creeps toward the time it took last time (capped at 95%) and the
    ETA comes from those remembered times."""

    def __init__(self, names: list[str], expected: dict[str, float], enabled: bool):
        self.expected = expected
        self.enabled = enabled
        self._bar = None
        self._tasks: dict[str, int] = {}
        self._done_s = 0.0
        self._running: tuple[str, float] | None = None
        self._fraction: float | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.names = names

    @contextmanager
    def shown(self) -> Iterator["Progress"]:
        if not self.enabled:
            yield self
            return
        from rich.console import Console
        from rich.progress import (BarColumn, Progress as Bar, TaskProgressColumn, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)

        self._bar = Bar(TextColumn("{task.description:<24}"), BarColumn(), TaskProgressColumn(),
                        TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                        console=Console(stderr=True), transient=False)
        total = sum(self.expected.values())
        with self._bar:
            self._tasks["__all__"] = self._bar.add_task("[bold]intuitions run", total=total)
            for n in self.names:
                self._tasks[n] = self._bar.add_task(f"  {n}", total=self.expected[n], start=False)
            ticker = threading.Thread(target=self._tick, daemon=True)
            ticker.start()
            try:
                yield self
            finally:
                self._stop.set()
                ticker.join(timeout=2)

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            with self._lock:
                if self._running is None or self._bar is None:
                    continue
                name, t0 = self._running
                guess = self.expected[name]
                if self._fraction is not None:  # the step tells us how far it is
                    part = self._fraction * guess
                else:
                    part = min(time.monotonic() - t0, 0.95 * guess)
                self._bar.update(self._tasks[name], completed=part)
                self._bar.update(self._tasks["__all__"], completed=self._done_s + part)

    def start(self, name: str) -> None:
        with self._lock:
            self._running = (name, time.monotonic())
            self._fraction = None
            if self._bar:
                self._bar.start_task(self._tasks[name])

    def report(self, fraction: float, note: str) -> None:
        """For a step that knows its own progress (the ladder's training steps)."""
        with self._lock:
            if self._running is None:
                return
            self._fraction = max(0.0, min(1.0, fraction))
            if self._bar:
                self._bar.update(self._tasks[self._running[0]], description=f"  {self._running[0]} [dim]{note}")

    def finish(self, name: str, note: str) -> None:
        with self._lock:
            self._running = None
            self._done_s += self.expected[name]
            if self._bar:
                t = self._tasks[name]
                self._bar.update(t, completed=self.expected[name], description=f"  {name} [dim]{note}")
                self._bar.stop_task(t)
                self._bar.update(self._tasks["__all__"], completed=self._done_s)


# ---- the steps ----------------------------------------------------------------------

def _run_timed(fn: Callable[[], None], step_dir: Path) -> tuple[str | None, float]:
    t0 = time.monotonic()
    try:
        fn()
        err = None
    except (Exception, SystemExit) as e:  # noqa: BLE001 - one experiment must not take the others down
        err = _one_line(e)
        (step_dir / "error.log").write_text(traceback.format_exc())
    return err, time.monotonic() - t0


def ladder_step(plan: RunPlan, run_dir: Path, prog: Progress) -> StepOutcome:
    name = "ladder"
    step_dir = run_dir / "steps" / name
    inputs = {"ladder": plan.ladder}
    key = canonical_hash({"inputs": inputs, "version": package_version(),
                          "code": code_hash(ladder_mod.FAMILY_MODULE)})
    rec = is_done(step_dir, key, need_result=False)
    if rec is not None and ladder_mod.fingerprint(plan.ladder) is not None:
        prog.finish(name, "cached")
        return StepOutcome(rec, True, 0.0)
    _prepare(step_dir, key)
    prog.start(name)
    err, wall = _run_timed(lambda: ladder_mod.train(plan.ladder, on_progress=prog.report), step_dir)
    if err is None and ladder_mod.fingerprint(plan.ladder) is None:
        err = f"training finished but no member of ladder {plan.ladder!r} is on disk"
    rec = _record(name, "ladder", ladder_mod.FAMILY_MODULE, (), key, err, wall, inputs)
    write_json(step_dir / STEP_FILE, dataclasses.asdict(rec))
    prog.finish(name, "failed" if err else "done")
    return StepOutcome(rec, False, wall)


def _record(name, kind, module, intuitions, key, err, wall, inputs) -> StepRecord:
    return StepRecord(name, kind, module, tuple(intuitions), key, "failed" if err else "ok", err,
                      round(wall, 3), time.strftime("%Y-%m-%dT%H:%M:%S%z"), inputs)


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
    ctx = StepContext(out=step_dir, preset=plan.preset, ladder=f"family:{plan.ladder}",
                      real_models=real_models, seed=plan.seed, seeds=plan.seeds, n=plan.n,
                      options=exp.options)
    inputs = context_inputs(ctx)
    key = canonical_hash({"inputs": inputs, "version": package_version(), "code": code_hash(exp.module),
                          "upstream": upstream})
    rec = is_done(step_dir, key, need_result=True)
    if rec is not None:
        prog.finish(exp.name, "cached")
        return StepOutcome(rec, True, 0.0)
    _prepare(step_dir, key)
    prog.start(exp.name)
    found: list[tuple[int, ...]] = []
    err, wall = _run_timed(lambda: found.append(_call_experiment(exp.module, ctx)), step_dir)
    rec = _record(exp.name, "experiment", exp.module, found[0] if found else exp.intuitions, key, err,
                  wall, inputs)
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


def all_versions() -> dict[str, str]:
    import importlib.metadata as md

    v = versions()
    for pkg in ("jinja2", "matplotlib", "rich", "typer", "safetensors", "pandas"):
        try:
            v[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return v


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
                "versions": all_versions(), "machine": machine(), "models": models,
                "steps": ["ladder"] + [e.name for e in plan.experiments], "status": "running"}
    write_json(run_dir / "run.json", manifest)
    names = manifest["steps"]
    prog = Progress(names, {n: expected_seconds(plan.preset, n) for n in names}, progress)
    outcomes: list[StepOutcome] = []
    with prog.shown():
        outcomes.append(_remembered(plan, ladder_step(plan, run_dir, prog)))
        upstream = {"ladder": ladder_mod.fingerprint(plan.ladder), "models": {m: models[m] for m in real}}
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
