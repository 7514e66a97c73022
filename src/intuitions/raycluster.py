"""Connecting to Ray (a local instance on loopback, or a cluster), shared by the ladder's
`--executor ray` and the sharded scorer."""

from __future__ import annotations

import os

from intuitions.errors import UserError

INSTALL = "Ray is not installed: pip install 'intuitions[ray]'"


def ensure_ray(address: str | None = None, num_cpus: int | None = None):
    """Connect to `address` (or RAY_ADDRESS), or start a local Ray; reuse a live one."""
    addr = address or os.environ.get("RAY_ADDRESS")
    if not addr:
        # A local Ray is a single-node Ray on loopback: without this, Ray on Linux binds
        # and talks to the machine's network address even when alone.
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    try:
        import ray
    except ImportError:
        raise UserError(INSTALL) from None
    if not ray.is_initialized():
        kw: dict = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        if addr:
            kw["address"] = addr
        else:
            _loopback_only(os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"])
            if num_cpus is not None:
                kw["num_cpus"] = num_cpus
        try:
            ray.init(**kw)
        except ConnectionError as e:
            raise UserError(f"cannot reach the Ray cluster at {addr}: {e}") from None
    return ray


ENV_PREFIXES = ("INTUITIONS_", "HF_HUB_OFFLINE", "OMP_WAIT_POLICY", "TOKENIZERS_PARALLELISM")


def driver_env() -> dict[str, str]:
    """The driver's intuitions settings (home, ladder root, offline Hub), for the workers:
    Ray workers outlive the environment they were started in, so we pass it per task."""
    return {k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIXES)}


def _loopback_only(flag: str) -> None:
    """Ray reads the flag when first imported; apply it if Ray was imported before us."""
    try:
        from ray._private import ray_constants

        ray_constants.ENABLE_RAY_CLUSTER = flag not in ("0", "false", "False")
    except (ImportError, AttributeError):
        pass
