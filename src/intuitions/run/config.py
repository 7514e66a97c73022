"""The run's configuration: embedded defaults, a user's run.toml over them, one preset.

Everything here is checked before any work starts, so a typo in run.toml costs a second,
not a half-trained ladder."""

from __future__ import annotations

import copy
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from intuitions.errors import UserError
from intuitions.experiments import REGISTRY
from intuitions.experiments.optionspec import options_class, parse

PRESETS = ("smoke", "quick", "full")

# experiment name -> (module, the intuitions it speaks to): every registered experiment that
# has a run step. The intuitions place its section when the module cannot even be imported.
EXPERIMENTS: dict[str, tuple[str, tuple[int, ...]]] = {
    e.name: (e.module, e.intuitions) for e in REGISTRY.values() if e.run_step
}

_TOP_KEYS = {"seed", "seeds", "n", "ladder", "models", "experiments", "options", "presets"}
_PRESET_KEYS = _TOP_KEYS - {"presets"}


@dataclass(frozen=True)
class ExperimentPlan:
    name: str
    module: str
    intuitions: tuple[int, ...]
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RunPlan:
    preset: str
    ladder: str  # ladder preset name; the spec the experiments see is f"family:{ladder}"
    models: tuple[str, ...]  # requested real models (zoo names); used when installed
    seed: int
    seeds: int
    n: int
    experiments: tuple[ExperimentPlan, ...]
    resolved: dict  # the merged configuration, as data (saved in run.json)

    @property
    def config_hash(self) -> str:
        return canonical_hash(self.resolved)

    @property
    def ladder_name(self) -> str:
        """The ladder's folder: every seed trains its own world and ladder."""
        from intuitions.family.ladder import ladder_name

        return ladder_name(self.ladder, self.seed)

    @property
    def run_id(self) -> str:
        seed = f"seed{self.seed}-" if self.seed else ""
        return f"{self.preset}-{seed}{self.config_hash[:10]}"


def canonical_hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def defaults() -> dict:
    text = resources.files("intuitions.data").joinpath("run_defaults.toml").read_text("utf-8")
    return tomllib.loads(text)


def read_toml(path: Path) -> dict:
    try:
        text = path.read_text("utf-8")
    except OSError as e:
        raise UserError(f"cannot read config {path}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise UserError(f"config {path} is not UTF-8 text") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise UserError(f"config {path} is not valid TOML: {e}") from None


def _check_keys(table: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise UserError(f"unknown key {unknown[0]!r} in {where}; allowed: {', '.join(sorted(allowed))}")


def _merge(base: dict, over: dict) -> dict:
    """Tables merge key by key; anything else is replaced."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def _layer(doc: dict, preset: str, where: str) -> dict:
    _check_keys(doc, _TOP_KEYS, where)
    presets = doc.get("presets", {})
    if not isinstance(presets, dict):
        raise UserError(f"'presets' in {where} must be a table")
    for name, table in presets.items():
        if name not in PRESETS:
            raise UserError(f"unknown preset {name!r} in {where}; use one of {', '.join(PRESETS)}")
        if not isinstance(table, dict):
            raise UserError(f"presets.{name} in {where} must be a table")
        _check_keys(table, _PRESET_KEYS, f"{where} [presets.{name}]")
    top = {k: v for k, v in doc.items() if k != "presets"}
    return _merge(top, presets.get(preset, {}))


def resolve(preset: str, user: dict | None = None, user_where: str = "run.toml") -> dict:
    if preset not in PRESETS:
        raise UserError(f"unknown preset {preset!r}; use one of {', '.join(PRESETS)}")
    merged = _layer(defaults(), preset, "the embedded defaults")
    if user:
        merged = _merge(merged, _layer(user, preset, user_where))
    merged["preset"] = preset
    return merged


def _int(cfg: dict, key: str, low: int) -> int:
    v = cfg.get(key)
    if not isinstance(v, int) or isinstance(v, bool) or v < low:
        raise UserError(f"{key!r} must be an integer >= {low}, got {v!r}")
    return v


def _str_list(cfg: dict, key: str) -> list[str]:
    v = cfg.get(key, [])
    if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
        raise UserError(f"{key!r} must be a list of names, got {v!r}")
    if len(set(v)) != len(v):
        raise UserError(f"{key!r} names something twice: {v!r}")
    return v


def plan(cfg: dict, known_models: set[str], known_ladders: tuple[str, ...] = PRESETS) -> RunPlan:
    """Validate a resolved configuration into a plan. Raises UserError on the first problem."""
    models = _str_list(cfg, "models")
    for m in models:
        if m not in known_models:
            raise UserError(f"unknown model {m!r} in 'models'; known: {', '.join(sorted(known_models))}")
    names = _str_list(cfg, "experiments")
    if not names:
        raise UserError("'experiments' is empty: nothing to run")
    options = cfg.get("options", {})
    if not isinstance(options, dict) or not all(isinstance(v, dict) for v in options.values()):
        raise UserError("'options' must hold one table per experiment, e.g. [options.icl]")
    for name in list(names) + list(options):
        if name not in EXPERIMENTS:
            why = "has no run step" if name in REGISTRY else "is unknown"
            raise UserError(f"experiment {name!r} {why}; the run can use: {', '.join(EXPERIMENTS)}")
    for name, table in options.items():  # typed per experiment: a typo fails here, not after the ladder
        cls = options_class(EXPERIMENTS[name][0])
        if cls is not None:
            parse(cls, table, f"[options.{name}]")
    ladder = cfg.get("ladder")
    if ladder not in known_ladders:
        raise UserError(f"unknown ladder {ladder!r}; use one of {', '.join(known_ladders)}")
    steps = tuple(
        ExperimentPlan(name, EXPERIMENTS[name][0], EXPERIMENTS[name][1], dict(options.get(name, {})))
        for name in names
    )
    return RunPlan(cfg["preset"], ladder, tuple(models), _int(cfg, "seed", 0), _int(cfg, "seeds", 1),
                   _int(cfg, "n", 1), steps, cfg)


def load_plan(preset: str, config: Path | None, known_models: set[str], seed: int | None = None) -> RunPlan:
    """The plan of `intuitions run`; `seed` (from --seed) wins over every file."""
    user = read_toml(config) if config is not None else None
    resolved = resolve(preset, user, str(config) if config else "run.toml")
    if seed is not None:
        resolved["seed"] = seed
    return plan(resolved, known_models)
