from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command(help="Re-render a run's report.html and report.md from its saved results, without recomputing.")(report)


def report(
    run_dir: Annotated[Path, typer.Argument(help="A run folder written by `intuitions run` (runs/<id>).")],
    lang: Annotated[str, typer.Option("--lang", help="en or ko: the prose; numbers and figures are shared.")] = "en",
) -> None:
    from intuitions.commands.run import check_run_dir
    from intuitions.errors import UserError
    from intuitions.report import i18n
    from intuitions.report.render import load_run, untranslated, write_reports

    if lang not in i18n.LANGS:
        raise UserError(f"unknown language {lang!r}; use one of {', '.join(i18n.LANGS)}")
    for p in write_reports(check_run_dir(run_dir), (lang,)):
        print(p)
    missing = untranslated(load_run(run_dir), lang)
    if missing:
        print(f"note: {len(missing)} verdict rule(s) have no {lang} template in report/i18n.py yet and are "
              f"shown in English", file=sys.stderr)
