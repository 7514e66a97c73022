"""The `intuitions` command. Thin: parse, call the library, print.

Errors the user can fix (UserError, bad options, unreadable files) print one line and
exit 2; Ctrl-C exits 130 and keeps whatever finished (caches and checkpoints)."""

from __future__ import annotations

import os
import sys

import typer
from typer import Abort, Exit

try:  # typer >= 0.2x vendors its own click
    from typer._click.exceptions import ClickException, NoArgsIsHelpError
except ImportError:  # pragma: no cover
    from click.exceptions import ClickException, NoArgsIsHelpError

from intuitions.errors import UserError

# Before torch is imported anywhere: a spinning OpenMP pool steals the second core.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

app = typer.Typer(
    name="intuitions",
    help="Six intuitions about LLMs, measured on real models and a self-trained ladder.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Help is plain text: rich markup would read `family:<preset>[/<member>]` as a closing
    # tag and crash `--help` (MarkupError), or silently eat `[gemma]`.
    rich_markup_mode=None,
)

from intuitions.commands import register_all  # noqa: E402  (needs `app`)

register_all(app)


def main(argv: list[str] | None = None) -> None:
    try:
        rv = app(args=argv, standalone_mode=False)
        # Without standalone mode typer turns Ctrl-C into Exit(130) and `raise typer.Exit(n)`
        # into a returned n; both must still reach the shell as exit codes.
        if isinstance(rv, int) and not isinstance(rv, bool) and rv != 0:
            if rv == 130:
                _interrupted()
            sys.exit(rv)
    except UserError as e:
        _fail(str(e))
    except NoArgsIsHelpError as e:
        print(e.format_message())
    except Exit as e:
        sys.exit(e.exit_code)
    except Abort:
        _interrupted()
    except KeyboardInterrupt:
        _interrupted()
    except ClickException as e:
        _fail(e.format_message())
    except (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError) as e:
        _fail(f"{e.strerror or e}: {e.filename}" if e.filename else str(e))
    except UnicodeDecodeError as e:
        _fail(f"input is not valid UTF-8 ({e.reason} at byte {e.start})")


def _fail(msg: str) -> None:
    msg = " ".join(str(msg).split())  # one line, always
    print(f"error: {msg}", file=sys.stderr)
    sys.exit(2)


def _interrupted() -> None:
    print("interrupted: finished steps are kept; run the same command again to continue", file=sys.stderr)
    sys.exit(130)


if __name__ == "__main__":
    main()
