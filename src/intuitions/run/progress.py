"""One progress display for the whole run: an overall bar, one bar per step, an ETA."""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from intuitions import paths
from intuitions.console import text_column

if TYPE_CHECKING:
    from rich.progress import TaskID

DEFAULT_GUESS_S = 60.0  # ETA for a step never timed on this machine
PLAIN_EVERY_S = 30.0  # in a log (not a terminal): a progress line at least this often



def _times_path() -> Path:
    return paths.home() / "step_times.json"


def expected_seconds(preset: str, name: str) -> float:
    try:
        return float(json.loads(_times_path().read_text())[f"{preset}:{name}"])
    except (OSError, ValueError, KeyError, TypeError):
        return DEFAULT_GUESS_S


def remember_seconds(preset: str, name: str, seconds: float) -> None:
    p = _times_path()
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        d = json.loads(p.read_text()) if p.exists() else {}
        d[f"{preset}:{name}"] = round(seconds, 2)
        tmp = p.with_name(p.name + ".tmp")
        tmp.write_text(json.dumps(d, indent=1, sort_keys=True))
        tmp.replace(p)
    except (OSError, ValueError):
        pass  # an ETA is a nicety, never a reason to fail


# ---- progress -----------------------------------------------------------------------

class Progress:
    """One overall bar plus one bar per step. Steps report no progress of their own, so a
    running step's bar creeps toward the time it took last time (capped at 95%) and the
    ETA comes from those remembered times."""

    def __init__(self, names: list[str], expected: dict[str, float], enabled: bool, plain: bool | None = None,
                 every_s: float = PLAIN_EVERY_S, stream=None):
        """`plain`: one line per step start and end and a progress line every `every_s`
        seconds, for a log file (default: when stderr is not a terminal)."""
        import sys

        self.expected = expected
        self.stream = stream if stream is not None else sys.stderr
        if plain is None:
            plain = enabled and not getattr(self.stream, "isatty", lambda: False)()
        self.plain = plain
        self.enabled = enabled and not plain
        self.every_s = every_s
        self._note = ""
        self._bar = None
        self._tasks: dict[str, TaskID] = {}
        self._done_s = 0.0
        self._running: tuple[str, float] | None = None
        self._fraction: float | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.names = names

    def _line(self, text: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {text}", file=self.stream, flush=True)

    def _eta(self, elapsed: float) -> str:
        """From work done when the step reports it, else from the remembered time (said so)."""
        f = self._fraction
        if f is not None and f > 0:
            return f"{100 * f:.0f}%, eta {elapsed * (1 - f) / f:.0f} s (from work done)"
        if self._running is not None:
            guess = self.expected[self._running[0]]
            return f"eta ~{max(0.0, guess - elapsed):.0f} s (from the last run's time)" if guess != DEFAULT_GUESS_S \
                else "no estimate yet"
        return ""

    def _plain_tick(self) -> None:
        while not self._stop.wait(self.every_s):
            with self._lock:
                if self._running is None:
                    continue
                name, t0 = self._running
                el = time.monotonic() - t0
                self._line(f"step {name}: running {el:.0f} s" + (f", {self._note}" if self._note else "")
                           + f"; {self._eta(el)}")

    @contextmanager
    def shown(self) -> Iterator["Progress"]:
        if self.plain:
            with self._ticking(self._plain_tick):
                yield self
            return
        if not self.enabled:
            yield self
            return
        from rich.console import Console
        from rich.progress import BarColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
        from rich.progress import Progress as Bar

        self._bar = Bar(text_column("{task.description:<24}"), BarColumn(), TaskProgressColumn(),
                        TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                        console=Console(stderr=True), transient=False)
        total = sum(self.expected.values())
        with self._bar:
            self._tasks["__all__"] = self._bar.add_task("intuitions run", total=total)
            for n in self.names:
                self._tasks[n] = self._bar.add_task(f"  {n}", total=self.expected[n], start=False)
            with self._ticking(self._tick):
                yield self

    @contextmanager
    def _ticking(self, tick: Callable[[], None]) -> Iterator[None]:
        """`tick` in a daemon thread for the duration (it loops until _stop is set)."""
        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()
        try:
            yield
        finally:
            self._stop.set()
            ticker.join(timeout=2)

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            with self._lock:
                if self._running is None or self._bar is None:
                    continue
                name, t0 = self._running
                guess = self.expected[name]
                if self._fraction is not None:  # the step tells us how far it is
                    part = self._fraction * guess
                else:
                    part = min(time.monotonic() - t0, 0.95 * guess)
                self._bar.update(self._tasks[name], completed=part)
                self._bar.update(self._tasks["__all__"], completed=self._done_s + part)

    def start(self, name: str) -> None:
        with self._lock:
            self._running = (name, time.monotonic())
            self._fraction = None
            self._note = ""
            if self.plain:
                self._line(f"step {name}: started")
            if self._bar:
                self._bar.start_task(self._tasks[name])

    def report(self, fraction: float, note: str) -> None:
        """For a step that knows its own progress (the ladder's training steps)."""
        with self._lock:
            if self._running is None:
                return
            self._fraction = max(0.0, min(1.0, fraction))
            self._note = note
            if self._bar:
                self._bar.update(self._tasks[self._running[0]], description=f"  {self._running[0]}  {note}")

    def warn(self, message: str) -> None:
        """One plain line on stderr (above the bars when they are shown), never markup."""
        if self._bar is not None:
            self._bar.console.print(f"warning: {message}", markup=False, highlight=False)
        else:
            print(f"warning: {message}", file=self.stream, flush=True)

    def finish(self, name: str, note: str) -> None:
        with self._lock:
            if self.plain:
                took = f" in {time.monotonic() - self._running[1]:.1f} s" if self._running else ""
                self._line(f"step {name}: {note}{took}")
            self._running = None
            self._done_s += self.expected[name]
            if self._bar:
                t = self._tasks[name]
                self._bar.update(t, completed=self.expected[name], description=f"  {name}  {note}")
                self._bar.stop_task(t)
                self._bar.update(self._tasks["__all__"], completed=self._done_s)
