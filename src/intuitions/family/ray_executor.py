"""`--executor ray`: every ladder member is a Ray task, on this machine or a cluster.

    intuitions train --preset full --executor ray                 # a local Ray instance
    RAY_ADDRESS=head-node:6379 intuitions train --preset full --executor ray

Resources per task come from the environment (so `train` needs no Ray-only flags):

    INTUITIONS_RAY_CPUS     CPUs per member (default: the member's own --threads)
    INTUITIONS_RAY_GPUS     GPUs per member (default 0)
    INTUITIONS_RAY_MEMORY   bytes of memory Ray reserves per member (default: none)

Members write their folders under the ladder root given on the driver, so on a cluster
that root must be a filesystem every node mounts (docs/scale.md). Members are idempotent
and resumable, so a task that Ray retries after a lost node carries on from its last state.
Progress lines from the tasks come back through a Ray queue and go to the driver's
`progress` callback, as with the local executor."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Sequence

from intuitions.errors import UserError
from intuitions.raycluster import INSTALL, driver_env, ensure_ray  # noqa: F401  (re-exported)


@dataclass(frozen=True)
class TaskResources:
    num_cpus: float | None = None  # None: the config's own `threads`
    num_gpus: float = 0.0
    memory: int | None = None  # bytes
    max_retries: int = 2  # Ray re-runs a task whose worker died; training resumes

    @classmethod
    def from_env(cls) -> "TaskResources":
        def num(key: str, cast):
            val = os.environ.get(key)
            if val in (None, ""):
                return None
            try:
                out = cast(val)
            except ValueError:
                raise UserError(f"{key}={val!r} is not a number") from None
            if out < 0:
                raise UserError(f"{key} must not be negative")
            return out

        return cls(num("INTUITIONS_RAY_CPUS", float), num("INTUITIONS_RAY_GPUS", float) or 0.0,
                   num("INTUITIONS_RAY_MEMORY", int))

    def options(self, cfg) -> dict:
        cpus = self.num_cpus if self.num_cpus is not None else float(getattr(cfg, "threads", 1) or 1)
        out = {"num_cpus": cpus, "num_gpus": self.num_gpus, "max_retries": self.max_retries}
        if self.memory:
            out["memory"] = self.memory
        return out


class _QueueProgress:
    """A picklable progress callback for a task: it puts the call on a Ray queue."""

    def __init__(self, queue):
        self.queue = queue

    def __call__(self, *args) -> None:
        try:
            self.queue.put_nowait(args)
        except Exception:  # a full or closed queue must never fail a training run
            pass


def _drain(queue, progress) -> None:
    while not queue.empty():
        try:
            args = queue.get_nowait()
        except Exception:
            return
        progress(*args)


def run(fn: Callable, configs: Sequence, progress=None, on_done=None, address: str | None = None,
        resources: TaskResources | None = None) -> list:
    """Run fn(cfg, progress) for every config as Ray tasks; return results in config order.
    `on_done(cfg)` is called on the driver as each task finishes (e.g. to update tables)."""
    if not configs:
        return []
    ray = ensure_ray(address)
    from ray.exceptions import RayTaskError
    from ray.util.queue import Queue

    res = resources or TaskResources.from_env()
    task = ray.remote(fn)
    queue = Queue(maxsize=10_000) if progress else None
    relay = _QueueProgress(queue) if queue is not None else None
    env = {"env_vars": driver_env()}
    # ray's stubs type a remote function of an untyped `fn` as taking no arguments
    refs = [task.options(**res.options(cfg), runtime_env=env).remote(cfg, relay)  # pyright: ignore[reportCallIssue]
            for cfg in configs]
    cfg_of = {ref: cfg for ref, cfg in zip(refs, configs)}
    pending = list(refs)
    try:
        while pending:
            done, pending = ray.wait(pending, num_returns=1, timeout=0.5)
            if queue is not None:
                _drain(queue, progress)
            for ref in done:
                ray.get(ref)  # a failed member fails the run here, with its own error
                if on_done:
                    on_done(cfg_of[ref])
        out = ray.get(refs)
    except RayTaskError as e:
        cause = getattr(e, "cause", None)
        raise (cause if isinstance(cause, UserError) else e) from None
    finally:
        if queue is not None:
            _drain(queue, progress)
            queue.shutdown()
    return out


def executor(fn: Callable, configs: Sequence, progress=None, on_done=None) -> list:
    """The `ray` entry of intuitions.family.executors."""
    return run(fn, configs, progress, on_done)
