"""Retrain by itself: every few minutes the desktop app asks the core whether the retrain rule is met (enough
new writing, an idle computer on mains power, an adapter to improve on) and, if so, retrains in the
background. The check and the training run on the worker thread, behind any job already queued; the result
(kept or not, and why) is said in the status bar."""

from __future__ import annotations

from collections.abc import Callable
from typing import Optional

from PySide6.QtCore import QObject, QTimer, Signal

from .workers import Operation, Runner


class AutoRetrain(QObject):
    """Owns the timer of the automatic retrain (Qt thread)."""

    said = Signal(str)  # what happened, for the status bar

    CHECK_MS = 10 * 60 * 1000

    def __init__(
        self, runner: Runner, app, profile_name: Callable[[], str], parent: Optional[QObject] = None
    ):
        super().__init__(parent)
        self.runner, self.app, self.profile_name = runner, app, profile_name
        self.op: Optional[Operation] = None
        self.timer = QTimer(self)
        self.timer.setInterval(self.CHECK_MS)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def check(self) -> bool:
        """Ask (on the worker) whether to retrain now; False when switched off or the worker is busy."""
        if not self.app.settings.auto_retrain or self.runner.busy or self.op is not None:
            return False
        name = self.profile_name()
        self.op = self.runner.start(
            lambda app, op: app.retrain_decision(name),
            on_done=lambda decision: self._decided(name, decision),
            on_failed=self._failed,
            label="Checking whether retraining pays",
        )
        return True

    def _decided(self, name: str, decision) -> None:
        self.op = None
        if not decision.due:
            return
        self.said.emit(f"Retraining your style in the background: {decision.reason}")
        self.op = self.runner.start(
            lambda app, op: app.retrain(name, progress=op.progress, cancel=op.cancel, background=True),
            on_done=self._done,
            on_failed=self._failed,
            label="Retraining your style",
        )

    def _done(self, result) -> None:
        self.op = None
        self.said.emit(
            ("New style adapter in use: " if result.promoted else "Kept your adapter: ") + result.reason
        )

    def _failed(self, message: str) -> None:
        self.op = None
        self.said.emit(f"Automatic retraining stopped: {message}")
