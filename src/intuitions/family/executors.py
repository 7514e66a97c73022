"""Executors run a list of member configs. Each takes (fn, configs, progress, on_done) and returns
the members' folders in config order; `fn` is `train_member`, a picklable top-level
function of a frozen config, so process pools and Ray can ship it as is.

- local: one member after another in this process, all threads to one member.
- pool: two worker processes with one thread each. Tiny models use a second thread
  poorly (small matmuls, many small ops), so two one-thread members at once can beat one
  two-thread member at a time; largest members are started first so the two workers
  finish together.
"""

from __future__ import annotations

import dataclasses
import os
import queue as queue_mod
from typing import Callable, Sequence

from intuitions.errors import UserError


def local(fn: Callable, configs: Sequence, progress=None, on_done=None) -> list:
    out = []
    for cfg in configs:
        out.append(fn(cfg, progress))
        if on_done:
            on_done(cfg)
    return out


def _call_with_queue(fn: Callable, cfg, q) -> str:
    os.environ["OMP_NUM_THREADS"] = str(cfg.threads)
    return str(fn(cfg, (lambda *a: q.put(a)) if q is not None else None))


def pool(fn: Callable, configs: Sequence, progress=None, on_done=None, workers: int = 2) -> list:
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    ctx = mp.get_context("spawn")  # a fresh interpreter: no inherited torch thread pools
    order = sorted(range(len(configs)), key=lambda i: -(configs[i].layers * configs[i].width ** 2 * configs[i].steps))
    with ctx.Manager() as manager, ProcessPoolExecutor(workers, mp_context=ctx) as ex:
        q = manager.Queue()
        futs = {ex.submit(_call_with_queue, fn, dataclasses.replace(configs[i], threads=1), q): i for i in order}
        pending = set(futs)
        while pending:
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            while True:
                try:
                    msg = q.get_nowait()
                except queue_mod.Empty:
                    break
                if progress:
                    progress(*msg)
            for f in done:
                f.result()  # re-raise a worker's error (UserError included) here
                if on_done:
                    on_done(configs[futs[f]])
        out = [None] * len(configs)
        for f, i in futs.items():
            out[i] = f.result()
    from pathlib import Path

    return [Path(p) for p in out]


def ray(fn: Callable, configs: Sequence, progress=None, on_done=None) -> list:
    """Each member a Ray task (local Ray, or RAY_ADDRESS); see family/ray_executor.py."""
    from intuitions.family.ray_executor import executor

    return executor(fn, configs, progress, on_done)


EXECUTORS: dict[str, Callable] = {"local": local, "pool": pool, "ray": ray}


def get(name: str) -> Callable:
    try:
        return EXECUTORS[name]
    except KeyError:
        raise UserError(f"unknown executor {name!r}: use one of {', '.join(EXECUTORS)}") from None
