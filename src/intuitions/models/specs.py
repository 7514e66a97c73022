"""The `?key=value&...` options of a backend spec (`openai:`, `vllm:`, `llamacpp:`), typed by
the fields of the backend's spec dataclass: one parser, so every backend names its options,
checks its numbers and words its errors alike."""

from __future__ import annotations

import dataclasses
import typing
from urllib.parse import parse_qsl

from intuitions.errors import UserError


def spec_options(kind: str, query: str, cls, positional: tuple[str, ...],
                 minimum: dict[str, float] | None = None) -> dict:
    """Keyword arguments for `cls` from `query`. Numbers must be at least `minimum[key]`
    (default: above zero); booleans are 1/0/true/false; `positional` fields are not options."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls) if f.name not in positional]
    kw: dict = {}
    for key, val in parse_qsl(query, keep_blank_values=True):
        if key not in names:
            raise UserError(f"unknown {kind} spec option {key!r}: use {', '.join(names)}")
        kind_of = _base(hints[key])
        if kind_of is bool:
            if val.lower() not in ("1", "0", "true", "false"):
                raise UserError(f"{kind} spec option {key} must be 1 or 0, got {val!r}")
            kw[key] = val.lower() in ("1", "true")
        elif kind_of in (int, float):
            try:
                kw[key] = kind_of(val)
            except ValueError:
                raise UserError(f"{kind} spec option {key}={val!r} is not "
                                f"{'an integer' if kind_of is int else 'a number'}") from None
            low = (minimum or {}).get(key)
            if low is None and kw[key] <= 0:
                raise UserError(f"{kind} spec option {key} must be positive, got {val}")
            if low is not None and kw[key] < low:
                raise UserError(f"{kind} spec option {key} must be at least {low:g}, got {val}")
        else:
            kw[key] = val
    return kw


def _base(hint):
    """int for `int | None`, and so on."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return args[0] if args else hint
