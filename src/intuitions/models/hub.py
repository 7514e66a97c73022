"""Hub ids without the wait: decide in a second whether a Hub id can load.

transformers, asked for a Hub id it has not cached while the Hub cannot be reached, retries
each request with backoff: about 50 s and twenty lines of `Retrying in 8s` before its error.
So: a cached id loads from the cache alone (`local_files_only`, no request at all); an
uncached one first needs the Hub's host (or the proxy) to accept a TCP connection within
a couple of seconds, else it fails at once with one line."""

from __future__ import annotations

import os
import socket
import threading
from urllib.parse import urlsplit

from intuitions.errors import HubUnavailable

PROBE_TIMEOUT_S = 2.0


def cached(repo_id: str) -> bool:
    """True when the id's config.json is in the local Hugging Face cache (HF_HOME)."""
    from huggingface_hub import try_to_load_from_cache

    try:
        return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)
    except ValueError:  # not a valid repo id at all
        return False


def _endpoint() -> str:
    from huggingface_hub import constants

    return constants.ENDPOINT


def _probe_target(endpoint: str) -> tuple[str, int]:
    """Where a request would first connect: the HTTPS proxy when one is set, else the Hub."""
    for var in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        if os.environ.get(var):
            u = urlsplit(os.environ[var] if "://" in os.environ[var] else "http://" + os.environ[var])
            return u.hostname or "", u.port or 8080
    u = urlsplit(endpoint)
    return u.hostname or "", u.port or (443 if u.scheme == "https" else 80)


def reachable(host: str, port: int, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """A TCP connection within `timeout`. The DNS lookup is inside the thread, so a resolver
    that never answers cannot stall us either (socket timeouts do not cover getaddrinfo)."""
    ok = threading.Event()

    def attempt():
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            ok.set()
        except OSError:
            pass

    t = threading.Thread(target=attempt, daemon=True)
    t.start()
    t.join(timeout)
    return ok.is_set()


def require(repo_id: str) -> bool:
    """Whether to load `repo_id` from the cache only (True) or from the Hub (False);
    raises HubUnavailable when neither can work."""
    if cached(repo_id):
        return True
    from huggingface_hub import constants

    where = f"the Hugging Face cache ({constants.HF_HUB_CACHE})"
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        raise HubUnavailable(f"model {repo_id!r} is not in {where} and HF_HUB_OFFLINE is set")
    endpoint = _endpoint()
    host, port = _probe_target(endpoint)
    if not host or not reachable(host, port):
        raise HubUnavailable(
            f"model {repo_id!r} is not in {where} and {host or endpoint}:{port} cannot be reached: "
            "connect to the network, or give a local folder or .gguf file"
        )
    return False
