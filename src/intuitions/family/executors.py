"""Executors run a list of member configs. Each takes (fn, configs, progress, on_done) and returns
the members' folders in config order; `fn` is `train_member`, a picklable top-level
function of a frozen config, so process pools and Ray can ship it as is.

- local (the default): a pool of worker processes, one per `threads` CPUs (so one per
  core with the default of one thread per member). Tiny models use a second thread
  hardly at all: on a quiet 2-core slot one 2-thread process trained L2W48 at 40k tok/s,
  two 1-thread processes at 37k + 37k. The largest members start first so the workers
  finish together.
- serial: one member after another in this process (tests; debugging).
- ray: each member a Ray task (family/ray_executor.py).
"""

from __future__ import annotations

import os
import queue as queue_mod
from typing import Callable, Sequence

from intuitions.errors import UserError


def serial(fn: Callable, configs: Sequence, progress=None, on_done=None) -> list:
    out = []
    for cfg in configs:
        out.append(fn(cfg, progress))
        if on_done:
            on_done(cfg)
    return out


def _call_with_queue(fn: Callable, cfg, q) -> str:
    os.environ["OMP_NUM_THREADS"] = str(cfg.threads)
    return str(fn(cfg, (lambda *a: q.put(a)) if q is not None else None))


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def local(fn: Callable, configs: Sequence, progress=None, on_done=None, workers: int | None = None) -> list:
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    if not configs:
        return []
    threads = max(c.threads for c in configs)
    workers = workers or max(1, min(len(configs), usable_cpus() // threads))
    if workers == 1:
        return serial(fn, configs, progress, on_done)  # a pool of one only adds start-up time

    ctx = mp.get_context("spawn")  # a fresh interpreter: no inherited torch thread pools
    order = sorted(range(len(configs)), key=lambda i: -(configs[i].layers * configs[i].width ** 2 * configs[i].steps))
    with ctx.Manager() as manager, ProcessPoolExecutor(workers, mp_context=ctx) as ex:
        q = manager.Queue()
        futs = {ex.submit(_call_with_queue, fn, configs[i], q): i for i in order}
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
        out = {i: f.result() for f, i in futs.items()}
    from pathlib import Path

    return [Path(out[i]) for i in range(len(configs))]


def ray(fn: Callable, configs: Sequence, progress=None, on_done=None) -> list:
    """Each member a Ray task (local Ray, or RAY_ADDRESS); see family/ray_executor.py."""
    from intuitions.family.ray_executor import executor

    return executor(fn, configs, progress, on_done)


EXECUTORS: dict[str, Callable] = {"local": local, "serial": serial, "ray": ray}


def get(name: str) -> Callable:
    try:
        return EXECUTORS[name]
    except KeyError:
        raise UserError(f"unknown executor {name!r}: use one of {', '.join(EXECUTORS)}") from None
