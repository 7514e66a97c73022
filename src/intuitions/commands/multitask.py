from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from intuitions.commands import common
from intuitions.console import console, plain
from intuitions.errors import UserError


def register(app: typer.Typer) -> None:
    app.command(help="Next-token loss split into per-task parts, across sizes and checkpoints; "
                     "minimal-pair probes by category (intuition 1).")(multitask)


def multitask(
    model: common.Model = "family:quick",
    probes: Annotated[bool, typer.Option("--probes", help="Run the minimal-pair probe suite (8 categories).")] = False,
    file: Annotated[Optional[Path], typer.Option(
        "--file", help="Decompose this UTF-8 text with heuristic task tags.")] = None,
    spans: Annotated[Optional[Path], typer.Option(
        "--spans", help='Decompose texts tagged by you: JSONL of {"text", "spans": [{"start", "end", '
                        '"task"}]}.')] = None,
    out: common.Out = None,
    seed: common.Seed = 0,
    n: Annotated[Optional[int], typer.Option(
        "--n", help="World documents per task (default 50); probe items per category (default all).")] = None,
    checkpoints: Annotated[bool, typer.Option(
        "--checkpoints/--no-checkpoints", help="Also score a ladder's saved training checkpoints.")] = True,
    probe_dir: Annotated[Optional[Path], typer.Option(
        "--probe-dir", help="A folder of <category>.jsonl probe files to use instead of the built-in suite.")] = None,
    categories: Annotated[Optional[str], typer.Option(
        "--categories", help="Comma-separated probe categories (default: all).")] = None,
    dtype: common.Dtype = "float32",
    no_cache: common.NoCache = False,
    tp: common.TP = None,
) -> None:
    from intuitions.experiments.multitask import core as exp
    from intuitions.experiments.multitask import probes as pr

    if file is not None and spans is not None:
        raise UserError("give --file or --spans, not both")
    if n is not None:
        common.positive("--n", n)
    corpus = None
    if file is not None:
        corpus = exp.file_corpus(common.read_text_file(file))
    elif spans is not None:
        corpus = exp.Corpus("spans", tuple(exp.read_spans_file(spans)))
    suite = None
    if probes:
        cats = [c.strip() for c in categories.split(",") if c.strip()] if categories else None
        suite = pr.load_suite(probe_dir, cats)
    elif probe_dir is not None or categories is not None:
        raise UserError("--probe-dir and --categories need --probes")
    if out is not None:
        from intuitions.results import ensure_out_dir
        ensure_out_dir(out)
    refs = _refs(model, checkpoints)
    if corpus is None and not probes:
        corpus = exp.world_corpus(seed, n or 50)

    con = console(stderr=True)
    cache: dict = {}

    def load(spec: str):
        if spec not in cache:  # a model both decomposed and probed loads once
            cache.clear()
            cache[spec] = common.load_scorer(spec, dtype, no_cache, tp)
        return cache[spec]

    with con.status("scoring") as status:
        res = exp.run(refs, load, corpus, suite, seed, n if probes else None,
                      on_model=lambda r: status.update(plain(f"scoring {r.name}")))
    _print(res)
    if out is not None:
        from intuitions.experiments.contract import save
        from intuitions.experiments.multitask.figures import draw

        config = {"model": model, "file": file, "spans": spans, "probes": probes, "seed": seed, "n": n,
                  "checkpoints": checkpoints, "probe_dir": probe_dir, "categories": categories, "dtype": dtype}
        save(out, "multitask", config, res, exp.fingerprints(res), draw, exp.verdicts)
        console().print(f"wrote {out / 'result.json'} and figures")


def _refs(model: str, checkpoints: bool):
    from intuitions.experiments.multitask import core as exp

    if model.startswith("family:"):
        preset, _, member = model[len("family:"):].partition("/")
        refs = exp.ladder_refs(preset, checkpoints)
        if member:
            refs = [r for r in refs if r.member == member]
            if not refs:
                raise UserError(f"no ladder member {model!r}")
        return refs
    return [exp.ModelRef(model, model)]


def _ci(e) -> str:
    from intuitions.stats import est

    return est(e)


def _print(res) -> None:
    from intuitions.experiments.multitask import core as exp

    con = console()
    if not con.is_terminal:  # piped or captured: keep one row per line instead of 80-column wrapping
        con = console(width=160)
    for d in (d for d in res.decompositions if d.final):
        t = Table(title=f"{d.model}: {d.n_tokens} tokens, {d.n_clusters} {d.ci_unit}s resampled for CIs")
        for col in ("task", "tokens", "share", "mean loss (nats)", "contribution", "fraction"):
            t.add_column(col, justify="left" if col == "task" else "right")
        for r in d.tasks:
            t.add_row(r.task, str(r.n_tokens), f"{r.share.value:.3f}", _ci(r.mean_loss),
                      _ci(r.contribution), f"{100 * r.fraction:.1f}%")
        con.print(t)
        ok = "holds" if d.identity_error <= exp.IDENTITY_TOL else "FAILS"
        con.print(f"check: overall mean loss {d.overall_loss.value:.9f} = Σ share × task loss "
                  f"{d.sum_of_contributions:.9f}  (|diff| {d.identity_error:.1e} ≤ {exp.IDENTITY_TOL:g}: {ok})")
    if res.learning:
        axes = list(dict.fromkeys(r.axis for r in res.learning))
        t = Table(title="who learns what when: early / late = half of the task's loss drop reached in the first / "
                        "second half of the axis (log scale); not learned = drop CI not above 0 or drop < "
                        f"{exp.MIN_DROP:.0%} of the first loss")
        t.add_column("task")
        for a in axes:
            t.add_column(a)
        for task in res.tasks:
            by = {r.axis: r for r in res.learning if r.task == task}
            t.add_row(task, *[f"{by[a].label} (drop {by[a].drop.value:+.2f})" if a in by else "" for a in axes])
        con.print(t)
    for p in res.probes:
        t = Table(title=f"probes: {p.model}")
        for col in ("category", "items", "chance", "accuracy [95% CI]", "per-token acc.", "surprisal (nats)"):
            t.add_column(col, justify="left" if col == "category" else "right")
        for c in p.categories:
            t.add_row(c.category, str(c.n_items), f"{c.chance:.2f}", _ci(c.accuracy), _ci(c.accuracy_norm),
                      _ci(c.surprisal))
        con.print(t)
