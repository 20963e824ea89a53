"""Background work for the GUI: small operation objects whose results come back by Qt signals.

Every model job (embedding, drafting, training) runs on ONE worker thread (a QThreadPool of size 1),
so jobs never compete for the 2 cores or the llama.cpp context, and the Qt thread only draws. Each job
has a label; the Runner keeps the queue (running first, then waiting) and announces every change, so
the status area can show what runs and a screen whose job waits can say behind what. The
worker thread has its own OwnVoice instance (its own SQLite connection); models are cached per
process, so nothing loads twice. The GUI thread's own writes are tiny (autosave) and WAL keeps
readers and the writer out of each other's way.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any, Optional

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from ownvoice.assistant.jobs import CancelToken, Progress


class OpSignals(QObject):
    """Signals of one operation (emitted from the worker thread, delivered on the Qt thread)."""

    progress = Signal(object)  # Progress
    update = Signal(str)  # streamed text
    started = Signal()
    done = Signal(object)
    failed = Signal(str)


_local = threading.local()


def worker_app(home: str):
    """The worker thread's own OwnVoice (runs on the worker thread)."""
    from ownvoice.assistant.app import OwnVoice

    app = getattr(_local, "app", None)
    if app is None or str(app.home) != str(home):
        app = OwnVoice(home)
        _local.app = app
    return app


class Operation(QRunnable):
    """Run ``fn(app, op)`` on the worker thread; ``op`` offers progress(), update() and cancel."""

    def __init__(self, home: str, fn: Callable[[Any, Operation], Any], label: str = "Working") -> None:
        super().__init__()
        self.home = home
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
            result = self.fn(worker_app(self.home), self)
        except Exception as exc:  # noqa: BLE001 - shown to the user, never raised into Qt
            from ownvoice.assistant.errors import OwnVoiceError

            msg = (
                str(exc) if isinstance(exc, OwnVoiceError) else f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
            )
            self.signals.failed.emit(msg)
            return
        self.signals.done.emit(result)


class JobBoard(QObject):
    """Announces that the queue of jobs changed (Qt thread)."""

    changed = Signal()


class Runner:
    """Starts operations on the single worker thread and keeps them alive until they finish."""

    def __init__(self, home: str) -> None:
        self.home = home
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(1)
        self._running: list[Operation] = []
        self.board = JobBoard()

    def _finished(self, op: Operation) -> None:
        if op in self._running:
            self._running.remove(op)
        self.board.changed.emit()

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
        op = Operation(self.home, fn, label)
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
        op.signals.started.connect(self.board.changed.emit)
        self._running.append(op)
        self.pool.start(op)
        self.board.changed.emit()
        return op

    def cancel(self, op: Operation) -> bool:
        """Cancel ``op``; a job still waiting is taken off the queue at once (True), a running one stops soon."""
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
