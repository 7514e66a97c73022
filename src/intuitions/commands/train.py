from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from intuitions.console import console
from intuitions.errors import UserError


def register(app: typer.Typer) -> None:
    app.command(help="Train the model ladder on the synthetic world (skips finished members, "
                     "resumes killed ones).")(train)


def _sizes(text: str) -> list[tuple[int, int]]:
    out = []
    for part in (x.strip() for x in text.split(",") if x.strip()):
        a, sep, b = part.lower().partition("x")
        try:
            layers, width = int(a), int(b)
        except ValueError:
            raise UserError(f"--sizes wants LAYERSxWIDTH items like 2x64, got {part!r}") from None
        if not sep or layers <= 0 or width <= 0:
            raise UserError(f"--sizes wants positive LAYERSxWIDTH items like 2x64, got {part!r}")
        out.append((layers, width))
    if not out:
        raise UserError("--sizes is empty")
    return out


def train(
    preset: Annotated[str, typer.Option("--preset", help="smoke | quick | full")] = "quick",
    out: Annotated[Optional[Path], typer.Option(
        "--out", help="Ladder root (default: INTUITIONS_FAMILY_DIR or INTUITIONS_HOME/family).")] = None,
    executor: Annotated[str, typer.Option(
        "--executor", help="local: one worker process per CPU (per --threads CPUs); serial: one member at a time in "
                           "this process; ray: Ray tasks.")] = "local",
    seed: Annotated[int, typer.Option(
        "--seed", help="Seed of the world and of training (initialisation, batches); seed S > 0 trains in its own "
                       "folder, <preset>-seed<S>.")] = 0,
    world_seed: Annotated[Optional[int], typer.Option(
        "--world-seed", help="Seed of the world the ladder learns (default: --seed).")] = None,
    threads: Annotated[int, typer.Option(
        "--threads", help="Torch threads per member (tiny models gain little from a second).")] = 1,
    sizes: Annotated[Optional[str], typer.Option(
        "--sizes", help="Replace the preset's members: LAYERSxWIDTH,... (e.g. 1x32,2x64).")] = None,
    steps: Annotated[Optional[int], typer.Option(
        "--steps", help="With --sizes: optimiser steps per member (default: the preset's).")] = None,
) -> None:
    from intuitions.family import ladder, presets

    p = presets.get(preset)
    if steps is not None and steps <= 0:
        raise UserError(f"--steps must be positive, got {steps}")
    if steps is not None and sizes is None:
        raise UserError("--steps needs --sizes")
    if sizes is not None:
        import dataclasses

        n = steps or p.members[0].steps
        p = dataclasses.replace(
            p, members=tuple(presets.MemberSpec(layers, width, n) for layers, width in _sizes(sizes)))
        presets.PRESETS[preset] = p
    if threads <= 0:
        raise UserError(f"--threads must be positive, got {threads}")
    if out is not None:
        from intuitions.results import ensure_out_dir

        ensure_out_dir(out)
    con = console()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("{task.description:>8}", markup=False), BarColumn(), MofNCompleteColumn(),
                   TextColumn("loss {task.fields[loss]:.3f}"), TextColumn("{task.fields[tok_s]:>7,.0f} tok/s"),
                   TimeRemainingColumn(), console=con)
    tasks: dict[str, TaskID] = {}

    def on_start(cfgs, pending):
        todo = {c.member for c in pending}
        con.print(Text.assemble("ladder ", (p.name, "bold"), f": {len(cfgs)} members, {len(todo)} to train "
                  f"(load {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)"))
        for c in cfgs:
            tasks[c.member] = bar.add_task(c.member, total=c.steps, completed=0 if c.member in todo else c.steps,
                                           loss=float("nan"), tok_s=0.0)

    def progress(member, step, total, loss, tok_s):
        bar.update(tasks[member], completed=step, loss=loss, tok_s=tok_s)

    t0 = time.perf_counter()
    with bar:
        proot = ladder.train_ladder(preset, out, executor, seed, world_seed, threads, progress, on_start)
    _summary(con, proot, time.perf_counter() - t0, out)


def _summary(con: Console, proot: Path, wall: float, out: Path | None) -> None:
    t = Table("member", "params", "non-emb", "tokens", "held-out loss", "train s", "tok/s", "MFU", "load")
    for d in sorted(proot.iterdir()):
        meta = d / "member.json"
        if meta.exists():
            m = json.loads(meta.read_text())
            mfu = f"{100 * m['mfu']:.0f}%" if "mfu" in m else "-"
            t.add_row(d.name, f"{m['n_params']:,}", f"{m['non_embedding_params']:,}", f"{m['tokens']:,}",
                      f"{m['final_loss']:.3f}", f"{m['train_s']:.0f}", f"{m.get('tokens_per_s_median', 0):,}",
                      mfu, f"{m['loadavg_start']:.1f}")
    con.print(t)
    floor = json.loads((proot / "irreducible.json").read_text())["heldout_floor_per_token"]
    con.print(f"held-out loss floor (the world's entropy) {floor:.3f} nats/token · wall {wall:.0f} s · "
              f"load now {os.getloadavg()[0]:.2f}")
    con.print(f"tables: {proot / 'runs.csv'}, {proot / 'evals.csv'}")
    if out is not None:
        con.print(f"to score these as family:{proot.name}, set INTUITIONS_FAMILY_DIR={proot.parent}")
