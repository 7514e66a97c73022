"""The CPU allocator setting: freed activations are reused instead of page-faulted back in."""

import subprocess
import sys

import pytest

from intuitions.models import allocator

# A 48 MB activation, allocated, touched and freed 20 times after 10 warm-up rounds: by
# default glibc maps and unmaps it every time (it is above glibc's largest dynamic mmap
# threshold, 32 MB), so its ~12,000 pages fault in on every round.
CODE = """
import resource, sys, torch
from intuitions.models.allocator import keep_freed_memory
if sys.argv[1] == "keep":
    assert keep_freed_memory()
for _ in range(10):  # the heap settles into its working size
    torch.ones(12 << 20).add_(1)
f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    torch.ones(12 << 20).add_(1)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
"""


def faults(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", CODE, mode], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's")
def test_freed_activations_stop_page_faulting():
    default, kept = faults("default"), faults("keep")
    assert default > 20 * 10_000
    assert kept * 100 < default


def test_settings_are_applied_once_both_thresholds_and_reported(monkeypatch):
    """Both thresholds are set (either alone freezes glibc's dynamic mmap threshold), on the
    first call only; a libc without mallopt leaves the setting off, without an error."""
    calls = []

    class Libc:
        def mallopt(self, param, value):
            calls.append((param, value))
            return 1

    monkeypatch.setattr(allocator, "_done", None)
    monkeypatch.setattr(allocator.ctypes, "CDLL", lambda name: Libc())
    assert allocator.keep_freed_memory() and allocator.keep_freed_memory()
    assert calls == [(allocator.M_MMAP_THRESHOLD, allocator.MMAP_THRESHOLD),
                     (allocator.M_TRIM_THRESHOLD, allocator.TRIM_THRESHOLD)]
    monkeypatch.setattr(allocator, "_done", None)
    monkeypatch.setattr(allocator.ctypes, "CDLL", lambda name: object())
    assert allocator.keep_freed_memory() is False
