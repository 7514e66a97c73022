"""Reading a user's text file: UTF-8 or a one-line error naming the file, never a traceback."""

from __future__ import annotations

from pathlib import Path

from intuitions.errors import UserError


def read_utf8(path: Path, error: type[UserError] = UserError) -> str:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise error(f"cannot read {path}: {e.strerror or e}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise error(f"{path} is not UTF-8 text (bad byte at offset {e.start})") from None
