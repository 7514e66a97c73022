from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from intuitions.commands import common
from intuitions.console import console, plain

world_app = typer.Typer(help="The synthetic multitask world the ladder trains on.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(world_app, name="world")


@world_app.command("build", help="Write the task-tagged corpus, held-out sets, tokenizer and loss floors.")
def build_cmd(
    seed: common.Seed = 0,
    out: Annotated[Optional[Path], typer.Option("--out", help="World folder (default: under INTUITIONS_HOME).")] = None,
    n_docs: Annotated[Optional[int], typer.Option("--n-docs", help="Training documents (default 60000).")] = None,
) -> None:
    from intuitions.errors import UserError
    from intuitions.world import build, default_dir

    if seed < 0:
        raise UserError(f"--seed must be non-negative, got {seed}")
    if n_docs is not None:
        common.positive("--n-docs", n_docs)
    target = out or default_dir(seed, n_docs)
    con = console()
    t0 = time.perf_counter()
    with con.status(plain(f"building world seed {seed} in {target}")):
        path = build(seed, target, n_docs)
    import json

    m = json.loads((path / "manifest.json").read_text())
    floors = json.loads((path / "irreducible.json").read_text())
    con.print(f"world seed {seed}: {m['n_docs']} documents, {m['train_tokens']:,} training tokens, "
              f"vocabulary {m['vocab_size']} → {path}  ({time.perf_counter() - t0:.1f} s)")
    for t, f in floors["tasks"].items():
        con.print(f"  {t:12s} {m['docs_per_task'][t]:6d} docs  {m['tokens_per_task'][t]:9,d} tokens  "
                  f"floor {f['floor_per_token']:.3f} nats/token")
    con.print(f"  held-out loss floor {floors['heldout_floor_per_token']:.3f} nats/token")
