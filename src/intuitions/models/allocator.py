"""Keep freed activation memory in the process instead of handing it back to the kernel.

Why: a CPU forward pass allocates and frees activations of a few MB per op (SmolLM2 at
1,024 tokens: 6 MB for the MLP's widest). glibc serves blocks of that size by mmap, or by
growing the heap and trimming it again on free, so every op takes fresh pages from the
kernel and pays a page fault per 4 KB page. Measured scoring 100 texts twice with SmolLM2
on this 2-core VM: 4.4 million minor faults and ~470 tok/s by default, 2,590 faults and
~525 tok/s with the settings below (and minicons gains ~25% from the same settings, so
benchmarks/vs_peers.py reports the peers both ways).

The cost: up to TRIM bytes of freed memory stay resident until the process exits, which
is what a scoring process wants. Only glibc has mallopt; elsewhere this does nothing."""

from __future__ import annotations

import ctypes
import ctypes.util

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 64 << 20  # blocks below this come from the heap, which is reused
TRIM_THRESHOLD = 1 << 30  # freed heap top kept up to this size instead of trimmed

_done: bool | None = None


def keep_freed_memory() -> bool:
    """Apply the settings once per process; True when they are in force."""
    global _done
    if _done is None:
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            mallopt = libc.mallopt
        except (OSError, AttributeError):  # not glibc: nothing to tune
            _done = False
        else:
            # Setting either freezes glibc's dynamic mmap threshold, so both are set: the
            # trim threshold alone pins mmap at 128 KB, slower than the default (measured).
            _done = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _done
