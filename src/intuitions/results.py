"""Results are data first: every experiment writes `result.json` with its config, seeds,
package versions and model fingerprints, so figures and reports re-render from it."""

from __future__ import annotations

import dataclasses
import json
import math
import platform
import time
import types
import typing
from pathlib import Path
from typing import Any, Union

import numpy as np

from intuitions.errors import UserError


def to_jsonable(x: Any) -> Any:
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: to_jsonable(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, dict):
        return {str(k): to_jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [to_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return to_jsonable(x.tolist())
    if isinstance(x, np.generic):
        return to_jsonable(x.item())
    if isinstance(x, float) and not math.isfinite(x):
        return None  # JSON has no nan/inf; null means "not defined"
    if isinstance(x, Path):
        return str(x)
    return x


class ResultSchemaError(ValueError):
    """A saved document does not fit the result type it claims to be."""


def from_jsonable(tp: Any, x: Any, where: str = "result") -> Any:
    """The inverse of `to_jsonable` for a typed result: rebuilds dataclasses, tuples, dicts
    and numbers from parsed JSON by the type hints, and raises ResultSchemaError naming the
    first field that does not fit. `null` in a float field is nan (to_jsonable wrote it)."""
    origin = typing.get_origin(tp)
    if tp is Any or tp is object:
        return x
    if origin in (Union, types.UnionType):
        return _union(typing.get_args(tp), x, where)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _dataclass(tp, x, where)
    if tp is float:
        if x is None:
            return float("nan")
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            return float(x)
    elif tp is int:
        if isinstance(x, int) and not isinstance(x, bool):
            return x
    elif tp in (str, bool):
        if isinstance(x, tp):
            return x
    elif tp is type(None):
        if x is None:
            return None
    elif tp in (list, tuple, dict) or origin in (list, tuple, dict, typing.Sequence):
        return _container(tp, origin or tp, x, where)
    elif tp is Path:
        if isinstance(x, str):
            return Path(x)
    else:
        return x  # arrays and other types are kept as parsed
    raise ResultSchemaError(f"{where}: expected {getattr(tp, '__name__', tp)}, got {type(x).__name__}")


def _union(args: tuple, x: Any, where: str) -> Any:
    if x is None and type(None) in args:
        return None
    errors = []
    for a in args:
        if a is type(None):
            continue
        try:
            return from_jsonable(a, x, where)
        except ResultSchemaError as e:
            errors.append(str(e))
    raise ResultSchemaError(errors[0] if len(errors) == 1 else f"{where}: fits none of {len(errors)} types")


def _dataclass(tp: type, x: Any, where: str) -> Any:
    if not isinstance(x, dict):
        raise ResultSchemaError(f"{where}: expected an object ({tp.__name__}), got {type(x).__name__}")
    hints = typing.get_type_hints(tp)
    kw = {}
    for f in dataclasses.fields(tp):
        if f.name in x:
            kw[f.name] = from_jsonable(hints[f.name], x[f.name], f"{where}.{f.name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ResultSchemaError(f"{where}: missing field {f.name!r} of {tp.__name__}")
    return tp(**kw)


def _container(tp: Any, origin: Any, x: Any, where: str) -> Any:
    args = typing.get_args(tp)
    if origin is dict:
        if not isinstance(x, dict):
            raise ResultSchemaError(f"{where}: expected an object, got {type(x).__name__}")
        kt, vt = args or (Any, Any)
        # JSON keys are strings; a tuple key was written as its str() and stays a string
        return {k: from_jsonable(vt, v, f"{where}[{k!r}]") for k, v in x.items()} if kt in (str, Any) else x
    if not isinstance(x, list):
        raise ResultSchemaError(f"{where}: expected a list, got {type(x).__name__}")
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_jsonable(args[0], v, f"{where}[{i}]") for i, v in enumerate(x))
        if args and len(args) != len(x):
            raise ResultSchemaError(f"{where}: expected {len(args)} items, got {len(x)}")
        return tuple(from_jsonable(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args or [Any] * len(x), x)))
    (et,) = args or (Any,)
    return [from_jsonable(et, v, f"{where}[{i}]") for i, v in enumerate(x)]


def versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": platform.python_version(), "machine": platform.machine()}
    for pkg in ("intuitions", "torch", "transformers", "tokenizers", "numpy", "scipy",
                "jinja2", "matplotlib", "rich", "typer", "safetensors", "pandas"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return out


def ensure_out_dir(out: Path) -> Path:
    """Create --out and prove it is writable before any work starts."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as e:
        raise UserError(f"cannot write to --out {out}: {e.strerror or e}") from None
    return out


def write_result(out: Path, experiment: str, config: dict, result: Any,
                 fingerprints: dict[str, str] | None = None) -> Path:
    ensure_out_dir(out)
    doc = {
        "experiment": experiment,
        "config": to_jsonable(config),
        "fingerprints": fingerprints or {},
        "versions": versions(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "result": to_jsonable(result),
    }
    path = out / "result.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=1, ensure_ascii=False))
    tmp.replace(path)
    return path


def read_result(path: Path, error: type[UserError] = UserError) -> dict:
    p = path / "result.json" if path.is_dir() else path
    try:
        doc = json.loads(p.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise error(f"cannot read results {p}: {e}") from None
    if not isinstance(doc, dict):
        raise error(f"cannot read results {p}: not a JSON object")
    return doc
