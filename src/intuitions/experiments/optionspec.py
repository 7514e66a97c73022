"""Typed run options: each experiment declares its `[options.<name>]` table as a frozen
dataclass in `experiments/<name>/options.py` (a light module: no torch, numpy or pandas),
exposed there as `OPTIONS`. `parse` turns the TOML table into it, or raises a one-line
UserError naming the key: an unknown key (with the allowed ones) or a value of the wrong type.

The main job checks every `[options.<name>]` with `parse` before any step starts
(`run.config.plan`); each step parses `ctx.options` again to read it."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from intuitions.errors import UserError

T = TypeVar("T")


def _describe(tp: Any) -> str:
    if tp is type(None):
        return "nothing"
    if dataclasses.is_dataclass(tp):
        return "a table"
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in typing.get_args(tp) if a is not type(None))
    if origin is tuple:
        return f"a list of {_describe(typing.get_args(tp)[0]).removeprefix('a ').removeprefix('an ')}s"
    if origin is dict:
        return f"a table of {_describe(typing.get_args(tp)[1]).removeprefix('a ').removeprefix('an ')}s"
    return {int: "an integer", float: "a number", bool: "true or false", str: "a string"}.get(tp, str(tp))


class _Mismatch(Exception):
    pass


def _coerce(tp: Any, v: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        for a in typing.get_args(tp):
            try:
                return _coerce(a, v, where)
            except _Mismatch:
                continue
        raise _Mismatch
    if tp is type(None):
        if v is None:
            return None
        raise _Mismatch
    if dataclasses.is_dataclass(tp):
        if not isinstance(v, dict):
            raise _Mismatch
        return parse(tp, v, where)  # type: ignore[arg-type]
    if origin is tuple:
        if not isinstance(v, (list, tuple)):
            raise _Mismatch
        item = typing.get_args(tp)[0]
        return tuple(_coerce(item, x, f"{where}[{i}]") for i, x in enumerate(v))
    if origin is dict:
        if not isinstance(v, dict):
            raise _Mismatch
        kt, vt = typing.get_args(tp)
        return {_coerce(kt, k, where): _coerce(vt, x, f"{where}.{k}") for k, x in v.items()}
    if tp is bool:
        if isinstance(v, bool):
            return v
        raise _Mismatch
    if tp is int:
        if isinstance(v, int) and not isinstance(v, bool):
            return v
        raise _Mismatch
    if tp is float:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
        raise _Mismatch
    if tp is str:
        if isinstance(v, str):
            return v
        raise _Mismatch
    raise TypeError(f"option type {tp!r} is not supported")


def parse(cls: type[T], table: dict | None, where: str) -> T:
    """`table` (a run.toml table) as `cls`; `where` names it in errors, e.g. "[options.icl]"."""
    table = table or {}
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    unknown = sorted(set(table) - set(names))
    if unknown:
        raise UserError(f"unknown option {unknown[0]!r} in {where}; allowed: {', '.join(sorted(names))}")
    missing = [f.name for f in dataclasses.fields(cls)  # type: ignore[arg-type]
               if f.name not in table and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        raise UserError(f"{where} needs {missing[0]!r}")
    hints = typing.get_type_hints(cls)
    kw = {}
    for k, v in table.items():
        try:
            kw[k] = _coerce(hints[k], v, f"{where}.{k}")
        except _Mismatch:
            raise UserError(f"option {k!r} in {where} must be {_describe(hints[k])}, got {v!r}") from None
    try:
        return cls(**kw)
    except (TypeError, ValueError) as e:
        raise UserError(f"{where}: {e}") from None


def field_names(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def options_class(module: str) -> type | None:
    """The OPTIONS class of the experiment package `module`, loaded from its options.py alone
    (the package's __init__, which imports the heavy code, is not run). None for an
    experiment that declares no options (a plain module, or a package without options.py)."""
    name = f"{module}.options"
    if name in sys.modules:
        return getattr(sys.modules[name], "OPTIONS", None)
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "options.py"
    if not path.is_file():
        return None
    ospec = importlib.util.spec_from_file_location(name, path)
    if ospec is None or ospec.loader is None:
        return None
    mod = importlib.util.module_from_spec(ospec)
    sys.modules[name] = mod  # the package imports the same module object later
    try:
        ospec.loader.exec_module(mod)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return getattr(mod, "OPTIONS", None)
