"""Sliding windows for sequences longer than a backend's context, shared by the in-process
backends so that a long text is cut exactly as the hf backend cuts it: window k covers
tokens [k*stride, k*stride + window) and scores only the tokens no earlier window scored."""

from __future__ import annotations

from dataclasses import dataclass


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
