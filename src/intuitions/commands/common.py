"""Options every experiment shares, with one spelling and one help text."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from intuitions.errors import UserError
from intuitions.textio import read_utf8

Model = Annotated[str, typer.Option(
    "--model", "-m", help="Zoo name (smollm2-135m), folder, Hub id, GGUF file, or family:<preset>[/<member>].")]
Out = Annotated[Optional[Path], typer.Option("--out", help="Directory for result.json, figures and tables.")]
Seed = Annotated[int, typer.Option("--seed", help="Seed of every random choice.")]
Seeds = Annotated[int, typer.Option("--seeds", help="Number of seeds (0..seeds-1 offset by --seed).")]
N = Annotated[int, typer.Option("--n", help="Items per condition (per seed).")]
NoCache = Annotated[bool, typer.Option("--no-cache", help="Bypass the on-disk score cache.")]
Dtype = Annotated[str, typer.Option("--dtype", help="float32 or bfloat16 matmuls (log-softmax stays float32).")]


def read_text_file(path: Path) -> str:
    return read_utf8(path)


def positive(name: str, value: int) -> int:
    if value <= 0:
        raise UserError(f"{name} must be positive, got {value}")
    return value


def int_list(name: str, text: str) -> list[int]:
    try:
        vals = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise UserError(f"{name} must be a comma-separated list of integers, got {text!r}") from None
    if not vals:
        raise UserError(f"{name} is empty")
    return vals


def stdin_text() -> str | None:
    if sys.stdin is None or sys.stdin.isatty():
        return None
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UserError(f"standard input is not UTF-8 text (bad byte at offset {e.start})") from None


def load_scorer(model: str, dtype: str = "float32", no_cache: bool = False, tp: int | None = None):
    from intuitions.models import zoo  # lazy: --help must not import torch

    return zoo.load_scorer(model, dtype, no_cache, tp)


TP = Annotated[Optional[int], typer.Option(
    "--tp", help="GPUs to split a vllm: model over (tensor parallel); same as vllm:MODEL?tp=N.")]
