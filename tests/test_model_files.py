"""Every unreadable model input is one `error:` line naming the file, exit 2 — never a
traceback: a file that is not GGUF, a GGUF cut short (in its header, at 1 MB, at half), a
pickle that would run code, corrupt safetensors, a config.json that does not parse."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from intuitions import cli


@pytest.fixture(scope="module")
def tiny_gguf(tmp_path_factory) -> Path:
    """A real GGUF of a tiny Llama, wide enough (~2.5 MB) that a 1 MB cut lands in its tensors."""
    from intuitions.models.gguf_export import export_llama
    from intuitions.testing import make_tiny_model

    root = tmp_path_factory.mktemp("gguf")
    folder = make_tiny_model(root / "model", layers=2, width=128)
    out = export_llama(folder, root / "tiny.gguf")
    assert out.stat().st_size > 2 << 20
    return out


@pytest.fixture(autouse=True)
def _own_models_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("INTUITIONS_MODELS_DIR", str(tmp_path / "models"))


def _density(model: Path, capsys) -> tuple[int, list[str]]:
    try:
        cli.main(["density", "hello there", "--model", str(model), "--no-cache"])
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else int(bool(e.code))
    err = capsys.readouterr().err
    return code, [line for line in err.splitlines() if line.strip()]


def _assert_one_line(code, lines, names: str):
    assert code == 2, lines
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert names in lines[0], lines


def test_random_bytes_gguf(tmp_path, capsys):
    bad = tmp_path / "x.gguf"
    bad.write_bytes(os.urandom(64 << 10))
    code, lines = _density(bad, capsys)
    _assert_one_line(code, lines, str(bad))
    assert "not a GGUF file" in lines[0]


@pytest.mark.parametrize("cut", ["header", "1MB", "half", "last bytes"])
def test_truncated_gguf(tiny_gguf, tmp_path, capsys, cut):
    data = tiny_gguf.read_bytes()
    n = {"header": 1000, "1MB": 1 << 20, "half": len(data) // 2, "last bytes": len(data) - 10}[cut]
    bad = tmp_path / f"cut-{n}.gguf"
    bad.write_bytes(data[:n])
    code, lines = _density(bad, capsys)
    _assert_one_line(code, lines, str(bad))
    assert "truncated" in lines[0]


def test_intact_gguf_still_loads(tiny_gguf, capsys):
    code, lines = _density(tiny_gguf, capsys)
    assert code == 0, lines


def _copy(folder: Path, dst: Path) -> Path:
    shutil.copytree(folder, dst)
    return dst


def test_pickle_that_runs_code_is_refused(tiny_model_dir, tmp_path, capsys):
    import torch

    class Payload:
        def __reduce__(self):  # what a malicious checkpoint does: call something on load
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    d = _copy(tiny_model_dir, tmp_path / "pickled")
    (d / "model.safetensors").unlink()
    torch.save({"model.embed_tokens.weight": Payload()}, d / "pytorch_model.bin")
    code, lines = _density(d, capsys)
    _assert_one_line(code, lines, str(d / "pytorch_model.bin"))
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("damage", ["random", "half"])
def test_corrupt_safetensors(tiny_model_dir, tmp_path, capsys, damage):
    d = _copy(tiny_model_dir, tmp_path / "corrupt")
    f = d / "model.safetensors"
    data = f.read_bytes()
    f.write_bytes(os.urandom(2000) if damage == "random" else data[: len(data) // 2])
    code, lines = _density(d, capsys)
    _assert_one_line(code, lines, str(f))


def test_broken_config(tiny_model_dir, tmp_path, capsys):
    d = _copy(tiny_model_dir, tmp_path / "cfg")
    (d / "config.json").write_text('{"model_type": "llama", ')
    code, lines = _density(d, capsys)
    _assert_one_line(code, lines, str(d / "config.json"))
