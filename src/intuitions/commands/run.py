from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.text import Text

from intuitions.console import console
from intuitions.errors import UserError


def register(app: typer.Typer) -> None:
    app.command(help="The main job: train or reuse the ladder, run every experiment, write the report. "
                     "Steps are cached by their inputs; rerunning continues where a run stopped.")(run)


def run(
    preset: Annotated[str, typer.Option(
        "--preset", help="smoke (CI, seconds), quick (default, minutes) or full (about an hour).")] = "quick",
    out: Annotated[Optional[Path], typer.Option(
        "--out", help="Run folder (default runs/<preset>-<config hash>).")] = None,
    config: Annotated[Optional[Path], typer.Option(
        "--config", help="A run.toml over the embedded defaults (models, ladder, experiments, options, n, "
                         "seeds).")] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show the progress display.")] = True,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit 1 when any step failed (the report is still written).")] = False,
    seed: Annotated[Optional[int], typer.Option(
        "--seed", help="Seed of the world, the ladder and every experiment (default: the config's, 0). Seed S > 0 "
                       "trains its own ladder, family:<preset>-seed<S>.", min=0)] = None,
) -> None:
    from intuitions.models import zoo
    from intuitions.results import ensure_out_dir
    from intuitions.run import config as cfg
    from intuitions.run import pipeline
    from intuitions.run.keys import model_files

    # Everything a user can get wrong is checked here, before the first step starts.
    plan = cfg.load_plan(preset, config, set(zoo.ZOO), seed)
    run_dir = out if out is not None else Path("runs") / plan.run_id
    ensure_out_dir(run_dir)
    con = console(stderr=True)
    con.print(Text.assemble("run ", (plan.run_id, "bold"), f" → {run_dir}"))
    for name, m in model_files(plan.models).items():
        if not m["installed"]:
            con.print(f"{name}: {m['why']}; running without it", style="dim")
    outcome = pipeline.execute(plan, run_dir, progress=progress)
    _summary(con, run_dir, outcome)
    failed = [o.record.name for o in outcome.steps if o.record.status != "ok"]
    if failed:
        con.print(f"failed steps: {', '.join(failed)} (see their error.log; rerun to retry)", style="yellow")
        if strict:
            raise typer.Exit(1)


def _summary(con, run_dir: Path, outcome) -> None:
    import json

    from intuitions.report import i18n

    doc = json.loads((run_dir / "verdicts.json").read_text())
    for h in doc["headlines"]:
        k = h["intuition"]
        con.print(Text.assemble(f"  {k}. {i18n.TITLES[k]['en']}: ", (h["label"], "bold")))
    cached = sum(o.cached for o in outcome.steps)
    con.print(f"{len(outcome.steps)} steps ({cached} cached) in {outcome.wall_s:.1f} s")
    print(run_dir / "report.html")


def check_run_dir(path: Path) -> Path:
    if not (path / "run.json").is_file():
        raise UserError(f"{path} is not a run folder (no run.json): run `intuitions run` first")
    return path
