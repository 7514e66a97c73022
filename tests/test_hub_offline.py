"""Hub ids without a network: an id that is not cached fails in seconds with one line (it
took 50 s of `Retrying in 8s` before); an id that is in the local HF cache loads from it,
offline or not, without asking the Hub."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


def _closed_port() -> int:
    with socket.socket() as s:  # bound then closed: nothing listens there
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp_path: Path, offline: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE") and not k.lower().endswith("_proxy")}
    env.update(HF_HOME=str(tmp_path / "hf"), HF_ENDPOINT=f"http://127.0.0.1:{_closed_port()}",
               PYTHONPATH=os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")]))
    if offline:
        env["HF_HUB_OFFLINE"] = "1"
    return env


def _density(model: str, env: dict[str, str]) -> tuple[subprocess.CompletedProcess, float]:
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "intuitions.cli", "density", "hello there", "--model", model,
                        "--no-cache"], capture_output=True, text=True, env=env, timeout=300)
    return r, time.monotonic() - t0


@pytest.mark.parametrize("offline", [False, True], ids=["hub-unreachable", "HF_HUB_OFFLINE"])
def test_uncached_hub_id_fails_fast_in_one_line(tmp_path, offline):
    r, wall = _density("some-org/some-model", _env(tmp_path, offline))
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2, r.stderr
    assert len(lines) == 1 and lines[0].startswith("error: ") and "some-org/some-model" in lines[0], lines
    assert wall < 20, f"took {wall:.1f} s"  # ~3 s is Python and torch starting


def _cache_fake_hub_model(hf_home: Path, repo_id: str, folder: Path) -> None:
    """The Hugging Face cache layout: refs/main names a snapshot holding the files."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = hf_home / "hub" / f"models--{repo_id.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    shutil.copytree(folder, repo / "snapshots" / commit)


@pytest.mark.parametrize("offline", [False, True], ids=["hub-unreachable", "HF_HUB_OFFLINE"])
def test_cached_hub_id_loads(tiny_model_dir, tmp_path, offline):
    env = _env(tmp_path, offline)
    _cache_fake_hub_model(Path(env["HF_HOME"]), "fake-org/tiny", tiny_model_dir)
    r, wall = _density("fake-org/tiny", env)
    assert r.returncode == 0, r.stderr
    assert "fake-org/tiny" in r.stdout
    assert wall < 30, f"took {wall:.1f} s"  # no request, so no retries
