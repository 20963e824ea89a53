"""Background work for the GUI: small operation objects whose results come back by Qt signals.

Every model job (embedding, drafting, training) runs on ONE worker thread (a QThreadPool of size 1),
so jobs never compete for the 2 cores or the llama.cpp context, and the Qt thread only draws. The
worker thread has its own OwnVoice instance (its own SQLite connection); models are cached per
process, so nothing loads twice. The GUI thread's own writes are tiny (autosave) and WAL keeps
readers and the writer out of each other's way.
"""
from __future__ import annotations

import threading
import traceback
from typing import Any, Callable, Optional

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from ownvoice.assistant.jobs import CancelToken, Progress


class OpSignals(QObject):
    """Signals of one operation (emitted from the worker thread, delivered on the Qt thread)."""

    progress = Signal(object)  # Progress
    update = Signal(str)  # streamed text
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

    def __init__(self, home: str, fn: Callable[[Any, "Operation"], Any]) -> None:
        super().__init__()
        self.home = home
        self.fn = fn
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
        try:
            result = self.fn(worker_app(self.home), self)
        except Exception as exc:  # shown to the user, never raised into Qt
            from ownvoice.assistant.errors import OwnVoiceError

            msg = str(exc) if isinstance(exc, OwnVoiceError) else f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
            self.signals.failed.emit(msg)
            return
        self.signals.done.emit(result)


class Runner:
    """Starts operations on the single worker thread and keeps them alive until they finish."""

    def __init__(self, home: str) -> None:
        self.home = home
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(1)
        self._running: set[Operation] = set()

    def start(self, fn: Callable[[Any, Operation], Any], on_done: Optional[Callable[[Any], None]] = None,
              on_failed: Optional[Callable[[str], None]] = None, on_progress=None, on_update=None) -> Operation:
        """Queue ``fn`` on the worker thread and wire its signals."""
        op = Operation(self.home, fn)
        if on_done:
            op.signals.done.connect(on_done)
        if on_failed:
            op.signals.failed.connect(on_failed)
        if on_progress:
            op.signals.progress.connect(on_progress)
        if on_update:
            op.signals.update.connect(on_update)
        op.signals.done.connect(lambda *_: self._running.discard(op))
        op.signals.failed.connect(lambda *_: self._running.discard(op))
        self._running.add(op)
        self.pool.start(op)
        return op

    @property
    def busy(self) -> bool:
        """True while an operation is queued or running."""
        return bool(self._running)

    def wait(self, ms: int = 30000) -> bool:
        """Wait for the worker to finish (used at quit and in tests)."""
        return self.pool.waitForDone(ms)
