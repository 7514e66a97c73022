"""Results are data first: every experiment writes `result.json` with its config, seeds,
package versions and model fingerprints, so figures and reports re-render from it."""

from __future__ import annotations

import dataclasses
import json
import math
import platform
import time
from pathlib import Path
from typing import Any

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


def read_result(path: Path) -> dict:
    p = path / "result.json" if path.is_dir() else path
    try:
        return json.loads(p.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise UserError(f"cannot read results {p}: {e}") from None
