"""Background work for the GUI: small operation objects whose results come back by Qt signals.

The GUI has ONE core (``OwnVoice``) per data home for its whole life: one store connection, one loaded
model, one set of caches. Every model job (embedding, drafting, training) runs on ONE worker thread (a
QThreadPool of size 1) over that core, so jobs never compete for the 2 cores or the llama.cpp context,
and the Qt thread only draws and makes the tiny reads and writes a screen needs at once (autosave);
the shared connection serializes them (``store.db.SerializedConnection``). Each job has a label; the
Runner keeps the queue (running first, then waiting) and announces every change, so the status area
can show what runs and a screen whose job waits can say behind what. Whatever a job or a screen
writes, the core tells as a ``Changes`` value; ``CoreEvents.changed`` carries it to every screen, on
the Qt thread, and each refreshes what it shows.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any, Optional

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from ownvoice.assistant.changes import Changes
from ownvoice.assistant.jobs import CancelToken, Progress


class OpSignals(QObject):
    """Signals of one operation (emitted from the worker thread, delivered on the Qt thread)."""

    progress = Signal(object)  # Progress
    update = Signal(str)  # streamed text
    started = Signal()
    done = Signal(object)
    failed = Signal(str)


class Operation(QRunnable):
    """Run ``fn(core, op)`` on the worker thread; ``op`` offers progress(), update() and cancel."""

    def __init__(self, core, fn: Callable[[Any, Operation], Any], label: str = "Working") -> None:
        super().__init__()
        self.core = core
        self.fn = fn
        self.label = label
        self.running = False
        self.signals = OpSignals()
        self.cancel = CancelToken()
        self.setAutoDelete(False)

    def progress(self, event: Progress) -> None:
        """Report progress (worker thread)."""
        self.signals.progress.emit(event)

    def update(self, text: str) -> None:
        """Report streamed text (worker thread)."""
        self.signals.update.emit(text)

    def run(self) -> None:
        """Runs on the worker thread."""
        self.running = True
        self.signals.started.emit()
        try:
            result = self.fn(self.core, self)
        except Exception as exc:  # noqa: BLE001 - shown to the user, never raised into Qt
            import sqlite3

            from ownvoice.assistant.errors import OwnVoiceError, storage_error

            if isinstance(exc, (sqlite3.Error, OSError)):  # a store or disk failure: said plainly
                exc = storage_error(exc, folder=self.core.home)
            msg = (
                str(exc)
                if isinstance(exc, OwnVoiceError)
                else f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
            )
            self.signals.failed.emit(msg)
            return
        self.signals.done.emit(result)


class JobBoard(QObject):
    """Announces that the queue of jobs changed (Qt thread)."""

    changed = Signal()


class CoreEvents(QObject):
    """Carries the core's ``Changes`` to the screens, on the Qt thread whichever thread wrote.

    A write's news reaches the Qt thread as a queued call; one that arrives after the app closed the core is
    dropped, so no screen reads a closed store."""

    changed = Signal(object)  # Changes
    arrived = Signal(object)  # Changes, from whichever thread wrote

    def __init__(self) -> None:
        super().__init__()
        self.open = True
        self.arrived.connect(self._deliver)

    def _deliver(self, changes: Changes) -> None:
        if self.open:
            self.changed.emit(changes)


class Runner:
    """Starts operations on the single worker thread over the GUI's one core, and keeps them alive until they
    finish; ``events.changed`` tells every screen what the core's writes changed."""

    def __init__(self, core) -> None:
        self.core = core
        self.events = CoreEvents()
        core.subscribe(self._core_changed)
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(1)
        self._running: list[Operation] = []
        self.board = JobBoard()

    def _core_changed(self, changes: Changes) -> None:
        """Called by the core on the thread that wrote; the signal queues it to the Qt thread when needed."""
        self.events.arrived.emit(changes)

    def close(self) -> None:
        """Stop listening to the core (at quit); news still queued for the screens is dropped."""
        self.core.unsubscribe(self._core_changed)
        self.events.open = False

    def _board_changed(self) -> None:
        if self.events.open:
            self.board.changed.emit()

    def _finished(self, op: Operation) -> None:
        if op in self._running:
            self._running.remove(op)
        self._board_changed()

    def start(
        self,
        fn: Callable[[Any, Operation], Any],
        on_done: Optional[Callable[[Any], None]] = None,
        on_failed: Optional[Callable[[str], None]] = None,
        on_progress=None,
        on_update=None,
        label: str = "Working",
    ) -> Operation:
        """Queue ``fn`` on the worker thread and wire its signals."""
        op = Operation(self.core, fn, label)
        if on_done:
            op.signals.done.connect(on_done)
        if on_failed:
            op.signals.failed.connect(on_failed)
        if on_progress:
            op.signals.progress.connect(on_progress)
        if on_update:
            op.signals.update.connect(on_update)
        op.signals.done.connect(lambda *_: self._finished(op))
        op.signals.failed.connect(lambda *_: self._finished(op))
        op.signals.started.connect(self._board_changed)
        self._running.append(op)
        self.pool.start(op)
        self.board.changed.emit()
        return op

    def cancel(self, op: Operation) -> bool:
        """Cancel ``op``; a job still waiting is taken off the queue at once (True), a running one stops
        soon."""
        op.cancel.cancel()
        if not op.running and self.pool.tryTake(op):
            self._finished(op)
            op.signals.failed.emit("cancelled before it started")
            return True
        return False

    def jobs(self) -> list[tuple[str, bool]]:
        """(label, running) of every job not finished, in queue order."""
        return [(op.label, op.running) for op in self._running]

    def ahead_of(self, op: Operation) -> list[str]:
        """Labels of the jobs that run or wait before ``op``."""
        return [o.label for o in self._running[: self._running.index(op)]] if op in self._running else []

    @property
    def busy(self) -> bool:
        """True while an operation is queued or running."""
        return bool(self._running)

    def wait(self, ms: int = 30000) -> bool:
        """Wait for the worker to finish (used at quit and in tests)."""
        return self.pool.waitForDone(ms)
