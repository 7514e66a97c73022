"""Sliding windows for sequences longer than a backend's context, shared by the in-process
backends so that a long text is cut exactly as the hf backend cuts it: window k covers
tokens [k*stride, k*stride + window) and scores only the tokens no earlier window scored."""

from __future__ import annotations

from dataclasses import dataclass

MIN_CONTEXT = 512  # every token past the first window is scored with at least this many tokens before it
CPU_WINDOW = 2048  # on a CPU, attention over 8k tokens costs about twice the rest of the pass (SmolLM2)


def default_stride(window: int) -> int:
    """Windows overlap by half, up to MIN_CONTEXT tokens: a short window keeps half its length
    as context (as before), a long one re-scores only 512 tokens instead of half of itself
    (at 8,192 tokens, half-overlap scored every token twice)."""
    return max(1, window - min(window // 2, MIN_CONTEXT))


@dataclass(frozen=True)
class Window:
    start: int  # first token of the window
    end: int  # one past its last token
    first_new: int  # the first token this window scores (>= start + 1)


def windows(n: int, window: int, stride: int) -> list[Window]:
    """With stride == window the windows are independent chunks, so each chunk's first
    token has no context and stays unscored (nan), as in the hf backend."""
    out, scored_to, start = [], 1, 0
    while True:
        end = min(start + window, n)
        first_new = max(scored_to, start + 1)
        if first_new < end:
            out.append(Window(start, end, first_new))
        scored_to = max(scored_to, end)
        if end >= n:
            return out
        start += stride
