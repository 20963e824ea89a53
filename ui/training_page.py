"""Training page: start/cancel, progress with ETA, live loss curve, adapter versions (use/off/delete)."""

from __future__ import annotations

from typing import Optional

from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ownvoice.assistant.training import TrainingOptions

from .workers import Operation, Runner

STAGES = {
    "embedding": "Indexing your writing",
    "playback": "Writing requests for your mail (playback)",
    "preparing": "Preparing the base model",
    "loading": "Loading the model",
    "training": "Training",
    "exporting": "Exporting the adapter",
    "evaluating": "Checking held-out mail",
}


def eta_text(seconds: float) -> str:
    """'about 4 min left' (or seconds under a minute)."""
    if seconds < 60:
        return f"about {max(1, int(round(seconds)))} s left"
    return f"about {int(round(seconds / 60))} min left"


class TrainingPage(QWidget):
    """Shows and drives training for the current profile (Qt thread; training runs in a child process)."""

    def __init__(
        self, runner: Runner, app, profile_name: str, profile_id: int, parent: Optional[QWidget] = None
    ) -> None:
        super().__init__(parent)
        self.runner, self.app = runner, app
        self.profile_name, self.profile_id = profile_name, profile_id
        self.op: Optional[Operation] = None
        self.unfinished = None
        self.steps = QSpinBox(minimum=0, maximum=100000, value=0)
        self.steps.setSpecialValueText("3 epochs")
        self.start_btn = QPushButton("Train my style")
        self.fresh = QCheckBox("Start fresh")
        self.fresh.setToolTip(
            "Train from the base model instead of going on from the adapter in use "
            "(what it learned is kept one click away in the table either way)"
        )
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setEnabled(False)
        self.resume_btn = QPushButton("Resume")
        self.resume_btn.setToolTip("Continue the stopped run from its last checkpoint")
        self.estimate_btn = QPushButton("Estimate time")
        self.estimate_btn.setToolTip("Time a few real steps on your mail: how long training would take here")
        self.bar = QProgressBar()
        self.eta = QLabel("")
        import pyqtgraph as pg  # only when the page is built, never at import

        self.plot = pg.PlotWidget(title="training loss")
        self.plot.setLabel("bottom", "step")
        palette = self.palette()
        self.plot.setBackground(palette.color(palette.ColorRole.Base))  # the theme's colours, light or dark
        ink = palette.color(palette.ColorRole.Text)
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).setPen(ink)
            self.plot.getAxis(axis).setTextPen(ink)
        accent = palette.color(palette.ColorRole.Highlight)
        self.curve = self.plot.plot(
            [], [], pen=pg.mkPen(accent, width=2), symbol="o", symbolSize=6, symbolBrush=accent
        )  # a point shows from the first step
        self.losses: list[float] = []
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(
            ["id", "version", "active", "held-out loss (base → adapter)", "examples", "created"]
        )
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)  # no header cut short
        header.setStretchLastSection(True)
        self.use_btn = QPushButton("Use selected")
        self.off_btn = QPushButton("No adapter")
        self.delete_btn = QPushButton("Delete selected")
        top = QHBoxLayout()
        for w in (
            QLabel("Steps:"),
            self.steps,
            self.estimate_btn,
            self.fresh,
            self.start_btn,
            self.resume_btn,
            self.cancel_btn,
        ):
            top.addWidget(w)
        row = QHBoxLayout()
        for w in (self.use_btn, self.off_btn, self.delete_btn):
            row.addWidget(w)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.bar)
        layout.addWidget(self.eta)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        self.start_btn.clicked.connect(lambda: self.start())
        self.resume_btn.clicked.connect(lambda: self.start(resume=True))
        self.estimate_btn.clicked.connect(self.estimate)
        self.cancel_btn.clicked.connect(self.cancel)
        self.use_btn.clicked.connect(lambda: self._use(self._selected()))
        self.off_btn.clicked.connect(lambda: self._use(None))
        self.delete_btn.clicked.connect(self._delete)
        runner.events.changed.connect(lambda changes: self.refresh() if changes.adapters else None)
        self.refresh()

    def set_profile(self, name: str, profile_id: int) -> None:
        """Show another profile."""
        self.profile_name, self.profile_id = name, profile_id
        self.refresh()

    def refresh(self) -> None:
        """Reload the adapter table and the resumable run."""
        self.unfinished = self.app.unfinished_training(self.profile_id)
        self.resume_btn.setEnabled(self.op is None and self.unfinished is not None)
        self.resume_btn.setText(
            f"Resume v{self.unfinished.version} from step {self.unfinished.step}"
            if self.unfinished
            else "Resume"
        )
        rows = self.app.list_adapters(self.profile_id)
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            m = r.metrics
            vals = [
                r.id,
                f"v{r.version}",
                "●" if r.active else "",
                f"{m.get('eval_loss_base') or 0:.3f} → {m.get('eval_loss_adapter') or 0:.3f}",
                m.get("train_examples", ""),
                r.created[:19],
            ]
            for j, v in enumerate(vals):
                self.table.setItem(i, j, QTableWidgetItem(str(v)))

    def start(self, resume: bool = False) -> None:
        """Start (or resume) training on the worker thread."""
        if self.op is not None:
            return
        self.losses.clear()
        self.curve.setData([], [])
        options, name = (
            TrainingOptions(
                steps=self.steps.value(),
                resume=resume,
                background=True,
                fresh=self.fresh.isChecked() and not resume,
            ),
            self.profile_name,
        )
        self.start_btn.setEnabled(False)
        self.resume_btn.setEnabled(False)
        self.cancel_btn.setEnabled(True)
        self.eta.setText("Waiting for the job ahead to finish…" if self.runner.jobs() else "Preparing…")
        self.op = self.runner.start(
            lambda app, op: app.train(name, progress=op.progress, cancel=op.cancel, options=options),
            on_done=self._done,
            on_failed=self._failed,
            on_progress=self._progress,
            label="Training",
        )

    def estimate(self) -> None:
        """Estimate time and memory from a few timed steps (worker thread; nothing is kept)."""
        if self.op is not None:
            return
        options, name = TrainingOptions(steps=self.steps.value(), background=True), self.profile_name
        for b in (self.start_btn, self.resume_btn, self.estimate_btn):
            b.setEnabled(False)
        self.cancel_btn.setEnabled(True)
        self.eta.setText(
            "Waiting for the job ahead to finish…" if self.runner.jobs() else "Timing a few steps…"
        )
        self.op = self.runner.start(
            lambda app, op: app.estimate_training(name, options, progress=op.progress, cancel=op.cancel),
            on_done=self._estimated,
            on_failed=self._failed,
            on_progress=self._progress,
            label="Estimating training",
        )

    def _estimated(self, est) -> None:
        self._finish()
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        took = f"{est.total_seconds:.0f} s" if est.total_seconds < 90 else f"{est.total_seconds / 60:.0f} min"
        self.eta.setText(
            f"Training here would take about {took} "
            f"({est.total_steps} steps at {est.seconds_per_step:.1f} s) and up to "
            f"{est.peak_memory_mb / 1024:.1f} GB of memory. Where: {est.device_reason}."
        )

    def cancel(self) -> None:
        """Cancel training (the child process is killed; the checkpoint stays)."""
        if self.op is not None:
            self.op.cancel.cancel()

    def _progress(self, ev) -> None:
        label = STAGES.get(ev.stage, ev.stage.capitalize())
        if ev.stage == "training" and ev.total:
            self.bar.setRange(0, ev.total)
            self.bar.setValue(ev.done)
            parts = [f"{label}: step {ev.done} of {ev.total}"]
            if ev.loss is not None:
                parts.append(f"loss {ev.loss:.3f}")
                self.losses.append(ev.loss)
                self.curve.setData(list(range(1, len(self.losses) + 1)), self.losses)
            if ev.tokens_per_s is not None:
                parts.append(f"{ev.tokens_per_s:.0f} tokens/s")
            if ev.eta_s is not None:
                parts.append(eta_text(ev.eta_s))
            self.eta.setText(" · ".join(parts))
        elif ev.total:
            self.bar.setRange(0, ev.total)
            self.bar.setValue(ev.done)
            self.eta.setText(f"{label}: {ev.done} of {ev.total}")
        else:
            self.bar.setRange(0, 0)  # a stage of unknown length: a busy bar, never a full one
            self.eta.setText(f"{label}…")

    def _finish(self) -> None:
        self.op = None
        self.start_btn.setEnabled(True)
        self.estimate_btn.setEnabled(True)
        self.cancel_btn.setEnabled(False)
        self.refresh()

    def _done(self, outcome) -> None:
        self._finish()
        self.bar.setRange(0, 1)  # finished: a full bar, not the busy one of the last stage
        self.bar.setValue(1)
        began = " (went on from the adapter in use)" if outcome.metrics.get("continued") else ""
        self.eta.setText(("Activated: " if outcome.activated else "Not activated: ") + outcome.reason + began)

    def _failed(self, message: str) -> None:
        cancelled = self.op is not None and self.op.cancel.cancelled
        self._finish()
        if cancelled and self.unfinished is not None:
            self.eta.setText(f"Cancelled at step {self.unfinished.step}: Resume continues from there.")
        else:
            self.eta.setText(message.split("\n")[0])

    def _selected(self) -> Optional[int]:
        row = self.table.currentRow()
        item = self.table.item(row, 0) if row >= 0 else None
        return int(item.text()) if item is not None else None

    def _use(self, adapter_id: Optional[int]) -> None:
        self.app.set_active_adapter(self.profile_id, adapter_id)  # the core's Changes refresh the table

    def _delete(self) -> None:
        adapter_id = self._selected()
        if adapter_id is None:
            return
        if (
            QMessageBox.question(self, "OwnVoice", "Delete this adapter version (its files too)?")
            != QMessageBox.StandardButton.Yes
        ):
            return
        self.runner.start(
            lambda app, op: app.delete_adapter(adapter_id),
            on_done=lambda *_: self._deleted(),
            label="Deleting an adapter",
        )

    def _deleted(self) -> None:
        self.eta.setText("")  # a finished run's status no longer describes an adapter that exists
        self.bar.reset()
        self.losses.clear()
        self.curve.setData([], [])
