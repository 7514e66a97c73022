"""Terminal output without rich markup.

What we print is full of text we did not write: model specs (`family:<preset>[/<member>]`),
paths, install hints (`pip install 'intuitions[gemma]'`), error messages. Rich reads `[...]`
as style tags, so such text loses words or crashes the print (MarkupError). Every console
here prints text as given; emphasis is a `style=` or a `rich.text.Text`, never a tag."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import TextColumn
from rich.text import Text


def console(**kw: Any) -> Console:
    """A rich Console that never parses markup (Table cells included)."""
    kw.setdefault("markup", False)
    return Console(**kw)


def plain(text: str) -> Text:
    """For spinners and status lines: rich parses a str there whatever the console says."""
    return Text(text)


def text_column(fmt: str, **kw: Any) -> TextColumn:
    """A progress column whose task descriptions (model names, members) are not markup."""
    return TextColumn(fmt, markup=False, **kw)
