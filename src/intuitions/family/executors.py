"""Executors run a list of member configs. Each takes (fn, configs, progress) and returns
the members' folders in config order; `fn` is `train_member`, a picklable top-level
function of a frozen config, so process pools and Ray can ship it as is."""

from __future__ import annotations

from typing import Callable, Sequence

from intuitions.errors import UserError


def local(fn: Callable, configs: Sequence, progress=None) -> list:
    """One member after another, in this process (all threads to one member)."""
    return [fn(cfg, progress) for cfg in configs]


EXECUTORS: dict[str, Callable] = {"local": local}


def get(name: str) -> Callable:
    try:
        return EXECUTORS[name]
    except KeyError:
        raise UserError(f"unknown executor {name!r}: use one of {', '.join(EXECUTORS)}") from None
