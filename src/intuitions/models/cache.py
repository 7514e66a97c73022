"""On-disk score cache: sqlite, keyed by model fingerprint + token ids.

Written after every batch, so a killed run resumes without recomputing finished batches.
Values are the raw float64/int64 arrays: a cached score is bit-identical to a fresh one.

A cache is only a cache: when its file is not a database or is damaged (found on open or
by any later query), it is moved aside to `scores.sqlite.corrupt-<time>` (kept, in case
someone wants it) and a fresh one is started, with one warning line. A cache we may not
open or write (permissions, a read-only disk) is the user's to fix: one error line."""

from __future__ import annotations

import hashlib
import sqlite3
import sys
import time
from pathlib import Path
from typing import Callable, Sequence, TypeVar

import numpy as np

from intuitions.errors import ScoreCacheError
from intuitions.models.base import Encoding, TokenScores, TokensDone

T = TypeVar("T")
# sqlite's primary result codes (sqlite3.Error.sqlite_errorcode & 0xFF).
SQLITE_PERM, SQLITE_READONLY, SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_CANTOPEN, SQLITE_NOTADB = 3, 8, 10, 11, 14, 26
DAMAGED = {SQLITE_CORRUPT, SQLITE_NOTADB}
NOT_ALLOWED = {SQLITE_PERM, SQLITE_READONLY, SQLITE_IOERR, SQLITE_CANTOPEN}


def _key(fingerprint: str, ids: Sequence[int]) -> str:
    h = hashlib.sha256(fingerprint.encode())
    h.update(np.asarray(ids, np.int64).tobytes())
    return h.hexdigest()


def _pack(s: TokenScores) -> bytes:
    # Backends that report less (an OpenAI server: logprobs only; vLLM: no entropies) store
    # less; the blob's length says which parts are there.
    blob = s.logprobs.astype(np.float64).tobytes()
    if s.ranks is not None:
        blob += s.ranks.astype(np.int64).tobytes()
        if s.entropies is not None:
            blob += s.entropies.astype(np.float64).tobytes()
    return blob


def _unpack(ids: Sequence[int], blob: bytes) -> TokenScores:
    n = len(ids)
    a = np.frombuffer(blob, np.uint8)
    lp = a[: 8 * n].view(np.float64).copy()
    rk = a[8 * n : 16 * n].view(np.int64).copy() if len(a) >= 16 * n else None
    en = a[16 * n : 24 * n].view(np.float64).copy() if len(a) >= 24 * n else None
    return TokenScores(np.asarray(ids, np.int64), lp, rk, en)


def _code(e: sqlite3.Error) -> int:
    return (getattr(e, "sqlite_errorcode", None) or 0) & 0xFF


class ScoreCache:
    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise self._not_allowed(e.strerror or str(e)) from None
        try:
            self.db = self._open()
        except sqlite3.DatabaseError as e:
            self._recover(e)

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(str(self.path), timeout=60)
        try:
            db.execute("PRAGMA journal_mode=WAL")  # reads the header: random bytes fail here
            db.execute("CREATE TABLE IF NOT EXISTS scores (key TEXT PRIMARY KEY, value BLOB)")
            db.execute("SELECT key FROM scores LIMIT 1").fetchall()  # reads the table's root page
        except BaseException:
            db.close()
            raise
        return db

    def _guard(self, op: Callable[[], T]) -> T:
        """Run `op`; on a damaged file move it aside, start afresh and run it once more."""
        try:
            return op()
        except sqlite3.DatabaseError as e:
            self._recover(e)
            return op()

    def _recover(self, e: sqlite3.DatabaseError) -> None:
        if _code(e) in DAMAGED:
            self._set_aside(e)  # and reopen a fresh file
        elif _code(e) in NOT_ALLOWED:
            raise self._not_allowed(str(e)) from None
        else:
            raise e  # busy/locked and the like: not ours to second-guess

    def _set_aside(self, e: sqlite3.Error) -> None:
        if getattr(self, "db", None) is not None:
            self.db.close()
        aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        n = 1
        while aside.exists():  # never overwrite an earlier one
            n += 1
            aside = aside.with_name(f"{aside.name.split('~')[0]}~{n}")
        for suffix in ("", "-wal", "-shm"):  # a stale WAL must not be replayed into the new file
            try:
                Path(str(self.path) + suffix).rename(str(aside) + suffix)
            except FileNotFoundError:
                pass  # no such part, or another process moved it first
            except OSError as err:
                raise self._not_allowed(f"cannot move the damaged file aside: {err.strerror}") from None
        print(f"warning: score cache {self.path} is damaged ({e}); moved it to {aside} "
              "and started a new one", file=sys.stderr)
        self.db = self._open()

    def _not_allowed(self, why: str) -> ScoreCacheError:
        return ScoreCacheError(
            f"cannot use the score cache {self.path} ({why}): fix its permissions, set INTUITIONS_HOME "
            "to a writable folder, or pass --no-cache"
        )

    def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        def op() -> dict[str, bytes]:
            out: dict[str, bytes] = {}
            uniq = list(dict.fromkeys(keys))
            for s in range(0, len(uniq), 500):
                chunk = uniq[s : s + 500]
                q = f"SELECT key, value FROM scores WHERE key IN ({','.join('?' * len(chunk))})"
                out.update(self.db.execute(q, chunk).fetchall())
            return out

        return self._guard(op)

    def put_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        def op() -> None:
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO scores VALUES (?, ?)", items)

        self._guard(op)


class CachedScorer:
    """Wraps any scorer; `computed` counts sequences actually sent to the inner scorer."""

    def __init__(self, inner, cache: ScoreCache, batch_size: int = 32):
        self.inner = inner
        self.cache = cache
        self.batch_size = batch_size
        self.name = inner.name
        self.fingerprint = inner.fingerprint
        self.computed = 0

    def encode(self, texts: Sequence[str], add_prefix: bool = True) -> list[Encoding]:
        return self.inner.encode(texts, add_prefix=add_prefix)

    @property
    def n_params(self) -> int | None:
        return self.inner.n_params

    @property
    def eos_id(self) -> int | None:
        return self.inner.eos_id

    def generate(self, prompts: Sequence[str], max_new_tokens: int, stop: Sequence[str] = ()) -> list[str]:
        return self.inner.generate(prompts, max_new_tokens, stop=stop)

    def __getattr__(self, item):  # backend extras (model, tokenizer, ...)
        if item == "score_suffixes" and hasattr(self.inner, "score_suffixes"):
            return self._score_suffixes  # only where the inner scorer has the fast path
        return getattr(self.inner, item)

    def _score_suffixes(self, pairs: Sequence[tuple[Sequence[int], Sequence[int]]]) -> list[float]:
        """The inner scorer's summed continuation logprobs, cached per (context, continuation):
        the split point is part of the key, since the same tokens split elsewhere are another
        quantity. The caller's chunks are the unit of work kept when a run dies."""
        keys = [_key(f"{self.fingerprint}|suffix|{len(c)}", [*c, *k]) for c, k in pairs]
        found = self.cache.get_many(keys)
        todo = list(dict.fromkeys(k for k in keys if k not in found))
        if todo:
            first = {k: i for i, k in reversed(list(enumerate(keys)))}
            sums = self.inner.score_suffixes([pairs[first[k]] for k in todo])
            self.computed += len(todo)
            fresh = [(k, np.float64(v).tobytes()) for k, v in zip(todo, sums)]
            self.cache.put_many(fresh)
            found.update(fresh)
        return [float(np.frombuffer(found[k], np.float64)[0]) for k in keys]

    def score(self, seqs: Sequence[Sequence[int]], progress: TokensDone | None = None) -> list[TokenScores]:
        """`progress(k)`: k more tokens scored (cached ones at once, the rest as the inner
        scorer reports them)."""
        keys = [_key(self.fingerprint, s) for s in seqs]
        found = self.cache.get_many(keys)
        out: list[TokenScores | None] = [
            _unpack(s, found[k]) if k in found else None for s, k in zip(seqs, keys)
        ]
        todo = list(dict.fromkeys(k for k in keys if k not in found))
        first = {k: i for i, k in reversed(list(enumerate(keys)))}
        # Longest first inside the todo list keeps the inner batches well packed.
        todo.sort(key=lambda k: -len(seqs[first[k]]))
        done: dict[str, TokenScores] = {}
        if progress is not None:
            progress(sum(len(s) - 1 for s, o in zip(seqs, out) if o is not None))
        for b in range(0, len(todo), self.batch_size):
            chunk = todo[b : b + self.batch_size]
            scores = self.inner.score([seqs[first[k]] for k in chunk], progress=progress)
            self.computed += len(chunk)
            self.cache.put_many([(k, _pack(s)) for k, s in zip(chunk, scores)])
            done.update(zip(chunk, scores))
        return [o if o is not None else done[k] for o, k in zip(out, keys)]
