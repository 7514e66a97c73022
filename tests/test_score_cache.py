"""A damaged score cache is moved aside and rebuilt with one warning (it crashed every
command with a 45-line sqlite3.DatabaseError); one we may not open is a one-line error that
offers --no-cache."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from intuitions import cli, paths
from intuitions.errors import ScoreCacheError
from intuitions.models.cache import ScoreCache


def _density(model: Path, capsys, *extra: str) -> tuple[int, list[str], str]:
    try:
        cli.main(["density", "hello there", "--model", str(model), *extra])
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else int(bool(e.code))
    out = capsys.readouterr()
    return code, [ln for ln in out.err.splitlines() if ln.strip()], out.out


def test_random_bytes_cache_is_set_aside_and_rebuilt(tiny_model_dir, capsys):
    db = paths.score_cache_path()
    db.parent.mkdir(parents=True, exist_ok=True)
    junk = os.urandom(64 << 10)
    db.write_bytes(junk)
    code, err, out = _density(tiny_model_dir, capsys)
    assert code == 0, err
    asides = list(db.parent.glob("scores.sqlite.corrupt-*"))
    assert len(asides) == 1 and asides[0].read_bytes() == junk  # nothing is lost
    assert len(err) == 1 and err[0].startswith("warning: ") and str(db) in err[0] and str(asides[0]) in err[0], err
    # The new cache works: the second run reads it back, quietly, with the same numbers.
    code2, err2, out2 = _density(tiny_model_dir, capsys)
    assert code2 == 0 and err2 == [] and out2 == out


def test_damage_found_by_a_later_query(tmp_path, capsys):
    path = tmp_path / "scores.sqlite"
    c = ScoreCache(path)
    c.put_many([(f"k{i:05d}", np.random.default_rng(i).bytes(1000)) for i in range(2000)])
    c.db.close()
    with open(path, "r+b") as f:  # the header stays valid; table pages turn to noise
        f.seek(8192)
        f.write(os.urandom(len(path.read_bytes()) - 8192 - 4096))
    c = ScoreCache(path)
    assert c.get_many([f"k{i:05d}" for i in range(0, 2000, 7)]) == {}  # a fresh cache: misses
    c.put_many([("new", b"x")])
    assert c.get_many(["new"]) == {"new": b"x"}
    err = capsys.readouterr().err
    assert "moved it to" in err and len(list(tmp_path.glob("scores.sqlite.corrupt-*"))) == 1


def test_cache_that_cannot_be_opened(tiny_model_dir, capsys):
    paths.score_cache_path().mkdir(parents=True)  # not a file we may open as a database
    code, err, _ = _density(tiny_model_dir, capsys)
    assert code == 2
    assert len(err) == 1 and str(paths.score_cache_path()) in err[0] and "--no-cache" in err[0], err
    code, err, _ = _density(tiny_model_dir, capsys, "--no-cache")
    assert code == 0, err


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads and writes files whatever their mode")
@pytest.mark.parametrize("mode", [0o000, 0o444], ids=["unreadable", "read-only"])
def test_cache_without_permission(tmp_path, mode):
    path = tmp_path / "scores.sqlite"
    ScoreCache(path).put_many([("k", b"v")])
    for f in tmp_path.glob("scores.sqlite*"):
        f.chmod(mode)
    tmp_path.chmod(0o555)  # no new -wal/-shm files either
    try:
        with pytest.raises(ScoreCacheError, match="--no-cache"):
            c = ScoreCache(path)
            c.put_many([("k2", b"v2")])
    finally:
        tmp_path.chmod(0o755)
        for f in tmp_path.glob("scores.sqlite*"):
            f.chmod(0o644)


def test_locked_is_not_damage(tmp_path, monkeypatch):
    """Only damage sets a cache aside; other sqlite errors are left alone."""
    c = ScoreCache(tmp_path / "scores.sqlite")

    def busy():
        raise sqlite3.OperationalError("database is locked")

    with pytest.raises(sqlite3.OperationalError):
        c._guard(busy)
    assert not list(tmp_path.glob("*.corrupt-*"))
