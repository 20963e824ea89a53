"""Qt-free progress reporting and cancellation for long jobs.

Core code takes an optional ``progress`` callback and a ``CancelToken``; the CLI turns the events
into a tqdm bar, the GUI into a progress bar via signals. Core code never knows which.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Optional

from .errors import Cancelled


@dataclass(frozen=True)
class Progress:
    """One progress report: ``done`` of ``total`` units of ``stage`` (total 0 = unknown); training steps also
    carry their numbers (loss, tokens/s, seconds left) so no screen parses them out of ``message``."""

    stage: str
    done: int
    total: int = 0
    message: str = ""
    loss: Optional[float] = None
    tokens_per_s: Optional[float] = None
    eta_s: Optional[float] = None


ProgressFn = Callable[[Progress], None]


class CancelToken:
    """A thread-safe flag a long job checks between units of work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the job to stop at its next check."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """True once cancel() was called."""
        return self._event.is_set()

    def check(self) -> None:
        """Raise Cancelled if cancel() was called."""
        if self._event.is_set():
            raise Cancelled("cancelled by the user")


def report(progress: Optional[ProgressFn], stage: str, done: int, total: int = 0, message: str = "") -> None:
    """Send a progress event if anyone listens."""
    if progress is not None:
        progress(Progress(stage, done, total, message))


class TqdmProgress:
    """A ProgressFn that draws one tqdm bar per stage (CLI only)."""

    def __init__(self, disable: bool = False) -> None:
        self._bars: dict = {}
        self._disable = disable

    def __call__(self, event: Progress) -> None:
        from tqdm import tqdm

        bar = self._bars.get(event.stage)
        if bar is None and not event.total and not event.done:
            if event.message:  # a one-off status line, not a bar
                tqdm.write(f"{event.stage}: {event.message}")
            return
        if bar is None:
            bar = tqdm(
                total=event.total or None, desc=event.stage, unit="it", disable=self._disable, leave=True
            )
            self._bars[event.stage] = bar
        if event.total and bar.total != event.total:
            bar.total = event.total
        bar.n = event.done
        if event.message:
            bar.set_postfix_str(event.message, refresh=False)
        bar.refresh()

    def close(self) -> None:
        """Close every bar."""
        for bar in self._bars.values():
            bar.close()
        self._bars.clear()
