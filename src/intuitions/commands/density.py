from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.text import Text

from intuitions.commands import common
from intuitions.console import console
from intuitions.errors import UserError


def register(app: typer.Typer) -> None:
    app.command(help="Per-token surprisal of a text: terminal heatmap, long table, HTML page (intuition 3).")(density)


def density(
    text: Annotated[Optional[str], typer.Argument(help="Text to score (or --file, or stdin).")] = None,
    file: Annotated[Optional[Path], typer.Option("--file", help="UTF-8 text file to score.")] = None,
    model: common.Model = "smollm2-135m",
    out: Annotated[Optional[Path], typer.Option(
        "--out", help="A .csv/.jsonl/.parquet long table, or a directory for result.json + tokens.csv + "
                      "heatmap.html.")] = None,
    html: Annotated[Optional[Path], typer.Option("--html", help="Write a self-contained HTML heatmap here.")] = None,
    example: Annotated[bool, typer.Option(
        "--example", help="Score the built-in predictable/unpredictable pair.")] = False,
    dtype: common.Dtype = "float32",
    no_cache: common.NoCache = False,
    tp: common.TP = None,
) -> None:
    from intuitions.experiments.density import core as exp

    texts = _texts(text, file, example, exp.EXAMPLE_PAIR)
    table_out = out if out is not None and out.suffix in (".csv", ".jsonl", ".parquet") else None
    dir_out = out if out is not None and table_out is None else None
    for target in filter(None, [table_out, html]):
        _check_writable(target)
    if dir_out is not None:
        from intuitions.results import ensure_out_dir
        ensure_out_dir(dir_out)
    scorer = common.load_scorer(model, dtype, no_cache, tp)
    res = _run_with_progress(exp, scorer, texts)
    _print(res, example)
    from intuitions.experiments.density.heatmap import html as render_html

    if table_out:
        write_table(res.rows, table_out)
    if html:
        html.write_text(render_html(res.model, res.fingerprint, res.texts), encoding="utf-8")
    if dir_out:
        from intuitions.experiments.contract import save
        from intuitions.experiments.density.step import text_verdicts

        write_table(res.rows, dir_out / "tokens.csv")
        (dir_out / "heatmap.html").write_text(render_html(res.model, res.fingerprint, res.texts), encoding="utf-8")
        save(dir_out, "density", {"model": model, "dtype": dtype, "texts": texts},
             {"texts": res.texts, "overall": res.overall}, {res.model: res.fingerprint}, lambda saved, out: [],
             lambda saved: text_verdicts(res.model, res.fingerprint, scorer.n_params, res.texts))


LONG_TOKENS = 2048  # more to score than this: a progress bar (a 200 KB text is ~45k tokens)


def _run_with_progress(exp, scorer, texts: list[str]):
    """Score with a bar on stderr when there is much to score: tokens done over tokens to
    score, so its rate is the scorer's throughput and its ETA comes from work done."""
    total = sum(max(0, len(e.ids) - 1) for e in scorer.encode(texts))
    if total <= LONG_TOKENS:
        return exp.run(scorer, texts)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

    from intuitions.console import text_column

    columns = (text_column("{task.description}"), BarColumn(), MofNCompleteColumn(), text_column("tokens"),
               TimeElapsedColumn(), text_column("eta"), TimeRemainingColumn())
    with Progress(*columns, console=console(stderr=True), transient=True) as bar:
        task = bar.add_task(f"density {scorer.name}", total=total)
        return exp.run(scorer, texts, progress=lambda k: bar.advance(task, k))


def _texts(text, file, example, pair) -> list[str]:
    if example:
        return list(pair)
    if file is not None:
        texts = [common.read_text_file(file)]
    elif text is not None:
        texts = [text]
    else:
        stdin = common.stdin_text()
        if stdin is None:
            raise UserError("no text: give it as an argument, with --file, on stdin, or use --example")
        texts = [stdin]
    if not any(t.strip() for t in texts):
        raise UserError("the text is empty")
    return texts


def _check_writable(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a"):
            pass
    except OSError as e:
        raise UserError(f"cannot write {path}: {e.strerror or e}") from None


def write_table(rows, path: Path) -> None:
    from dataclasses import asdict

    dicts = [asdict(r) for r in rows]
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in dicts), encoding="utf-8")
    elif path.suffix == ".parquet":
        import pandas as pd

        pd.DataFrame(dicts).to_parquet(path, index=False)
    else:
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=list(dicts[0]) if dicts else ["token"])
            w.writeheader()
            w.writerows(dicts)


def _print(res, example: bool) -> None:
    from intuitions.experiments.density.heatmap import terminal

    con = console()
    con.print(Text.assemble((res.model, "bold"), f"  fingerprint {res.fingerprint}"))
    for t in res.texts:
        con.print(terminal(t))
        s = t.summary
        con.print(
            f"  {s.n_tokens} tokens scored · mean {s.mean_nats:.3f} nats · median {s.median_nats:.3f} · "
            f"top 10% of tokens carry {100 * s.top10_share:.1f}% of the loss · {s.bits_per_char:.3f} bits/char"
        )
        dense = ", ".join(f"{tok!r} {n / 0.693147:.1f} bits" for tok, n in s.densest)
        con.print(f"  densest: {dense}")
        if example:
            con.print(f"  final word: {t.last_word_nats:.3f} nats")
