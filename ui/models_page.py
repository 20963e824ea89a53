"""Models page: the models drafting can use (with each one's adapters), the one in use, models other apps
already downloaded, and the catalogue (what fits this machine) with download, progress, cancel and resume."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ownvoice.assistant.model_catalog import fits, this_machine

from .lazy_page import LazyRefresh
from .workers import Operation, Runner


def _size(n: int) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def _table(headers: list[str]) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.horizontalHeader().setStretchLastSection(True)
    t.verticalHeader().setVisible(False)
    t.setWordWrap(False)
    return t


class ModelsPage(LazyRefresh, QWidget):
    """Lists, adds, finds, picks and downloads models (Qt thread; hashing, scanning and downloads run as jobs
    on the worker thread)."""

    def __init__(self, runner: Runner, app, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.runner, self.app = runner, app
        self.models = _table(["", "Model", "Architecture", "Parameters", "Quant", "Size", "Your adapters"])
        self.models.setAccessibleName("Models drafting can use")
        self.use_btn = QPushButton("Draft with this model")
        self.add_btn = QPushButton("Add a GGUF file…")
        self.scan_btn = QPushButton("Find models on this computer")
        self.catalogue = _table(["Model", "Size", "Memory", "Licence", "Here"])
        self.catalogue.setAccessibleName("Models to download")
        self.download_btn = QPushButton("Download")
        self.cancel_btn = QPushButton("Cancel download")
        self.cancel_btn.setEnabled(False)
        self.bar = QProgressBar()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        machine = this_machine()
        self.machine = QLabel(
            f"This computer: {machine.ram_available_gb:.1f} GB of memory free, {machine.cores} cores, "
            + (f"a GPU with {machine.vram_gb:.0f} GB." if machine.vram_gb else "no GPU.")
        )
        self._fits = fits(machine)
        self._listed: list = []
        self.op: Optional[Operation] = None
        row = QHBoxLayout()
        for w in (self.use_btn, self.add_btn, self.scan_btn):
            row.addWidget(w)
        drow = QHBoxLayout()
        for w in (self.download_btn, self.cancel_btn):
            drow.addWidget(w)
        drow.addWidget(self.bar, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Your models</b> (each keeps its own style adapters)"))
        layout.addWidget(self.models, 3)
        layout.addLayout(row)
        layout.addWidget(
            QLabel("<b>Get a model</b> (downloaded only when you ask, checked against its sha256)")
        )
        layout.addWidget(self.machine)
        layout.addWidget(self.catalogue, 3)
        layout.addLayout(drow)
        layout.addWidget(self.status)
        self.use_btn.clicked.connect(self.use_selected)
        self.add_btn.clicked.connect(self._browse)
        self.scan_btn.clicked.connect(self.scan)
        self.download_btn.clicked.connect(lambda: self.download())
        self.cancel_btn.clicked.connect(self.cancel)
        self._fill_catalogue()
        self._stale = True  # listed when first shown: no job (and no hashing) at start-up

    def _fill_catalogue(self) -> None:
        self.catalogue.setRowCount(len(self._fits))
        for i, f in enumerate(self._fits):
            e = f.entry
            here = ("Recommended: " if f.recommended else "" if f.usable else "Does not fit: ") + f.reason
            cells = [e.title, _size(e.size_bytes), f"{e.ram_gb:.1f} GB", e.licence, here]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(e.url)
                self.catalogue.setItem(i, j, item)
        self.catalogue.resizeColumnsToContents()
        first = next((i for i, f in enumerate(self._fits) if f.recommended and not f.entry.embedded), 0)
        self.catalogue.selectRow(first)

    def refresh(self) -> None:
        """Reload the model list (on the worker: a new model's sha256 takes seconds to compute once)."""
        self._stale = False
        self.runner.start(
            lambda app, op: app.models_overview(),
            on_done=self._show,
            on_failed=self._say,
            label="Listing models",
        )

    def _show(self, models: list) -> None:
        self._listed = models
        active = str(Path(self.app.model_path).resolve())
        self.models.setRowCount(len(models))
        for i, m in enumerate(models):
            adapters = ", ".join(
                f"{p}: v{a['active']}" if a["active"] else f"{p}: {len(a['versions'])}, none in use"
                for p, a in m.adapters.items()
            )
            cells = [
                "●" if str(Path(m.path).resolve()) == active else "",
                m.name,
                m.architecture,
                f"{m.parameters / 1e9:.2f} B",
                m.quant,
                _size(m.size),
                adapters or "none yet",
            ]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(m.path)
                self.models.setItem(i, j, item)
        self.models.resizeColumnsToContents()

    def _say(self, message: str) -> None:
        self.status.setText(message)

    def use_selected(self) -> None:
        """Draft (and train) with the selected model from now on."""
        rows = self.models.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self._listed):
            self._say("Pick a model in the list first.")
            return
        self.use_path(self._listed[rows[0].row()].path)

    def use_path(self, path: str) -> None:
        """Draft with the GGUF at ``path`` (registered first if new); the core's Changes refresh screens."""
        try:
            info = self.app.use_model(Path(path))
        except Exception as exc:  # noqa: BLE001 - a bad file is said on the page
            self._say(str(exc))
            return
        self._say(f"Drafting now uses {info.name}.")  # the core's Changes refresh the list

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a GGUF model", "", "GGUF (*.gguf)")
        if path:
            self.add_path(path)

    def add_path(self, path: str) -> None:
        """Register a GGUF the user picked."""
        try:
            self.app.add_model(Path(path))
        except Exception as exc:  # noqa: BLE001 - a bad file is said on the page
            self._say(str(exc))

    def scan(self) -> None:
        """Look for models other apps downloaded (worker thread), then offer them."""
        self._say("Looking in LM Studio, Ollama, GPT4All, Jan and the Hugging Face cache…")
        self.runner.start(
            lambda app, op: app.scan_models(),
            on_done=self._offer,
            on_failed=self._say,
            label="Finding models",
        )

    def _offer(self, found: list) -> None:
        if not found:
            self._say("No GGUF models found in LM Studio, Ollama, GPT4All, Jan or the Hugging Face cache.")
            return
        self._say(f"Found {len(found)} model(s).")
        labels = [f"{f.name}  ({f.app})" for f in found]
        item, ok = QInputDialog.getItem(self, "Models found", "Add:", labels, editable=False)
        if ok and item:
            self.add_path(str(found[labels.index(item)].path))

    def download(self, url: Optional[str] = None) -> None:
        """Download the selected catalogue model (``url``: another source, e.g. a mirror)."""
        rows = self.catalogue.selectionModel().selectedRows()
        if self.op is not None or not rows:
            return
        entry = self._fits[rows[0].row()].entry
        if entry.embedded:
            self._say(f"{entry.title} ships with OwnVoice: nothing to download.")
            return
        self.download_btn.setEnabled(False)
        self.cancel_btn.setEnabled(True)
        self.bar.setRange(0, 0)
        waiting = self.runner.jobs()
        self._say(
            f"Waiting for {waiting[0][0].lower()} to finish…" if waiting else f"Downloading {entry.title}…"
        )
        self.op = self.runner.start(
            lambda app, op: app.download_model(entry.name, url, progress=op.progress, cancel=op.cancel),
            on_done=self._downloaded,
            on_failed=self._download_failed,
            on_progress=self._progress,
            label=f"Downloading {entry.title}",
        )

    def cancel(self) -> None:
        """Stop the download; what was fetched is kept and the next Download resumes it."""
        if self.op is not None:
            self.runner.cancel(self.op)

    def _progress(self, ev) -> None:
        if ev.stage == "download" and ev.total:
            scale = max(1, ev.total // 1_000_000)  # the bar's range is an int: count in MB-sized units
            self.bar.setRange(0, ev.total // scale)
            self.bar.setValue(ev.done // scale)
            self._say(f"Downloading {ev.message}: {ev.done / 1e6:.0f} of {ev.total / 1e6:.0f} MB")
        elif ev.stage == "verify":
            self.bar.setRange(0, 0)
            self._say("Checking the file's sha256…")

    def _finish(self) -> None:
        self.op = None
        self.download_btn.setEnabled(True)
        self.cancel_btn.setEnabled(False)
        self.bar.setRange(0, 1)

    def _downloaded(self, result) -> None:
        self._finish()
        done, info = result
        self.bar.setValue(1)
        how = "Resumed and finished" if done.resumed else "Downloaded"
        self._say(f"{how} {info.name} (sha256 verified). Select it and press 'Draft with this model'.")

    def _download_failed(self, message: str) -> None:
        self._finish()
        self.bar.setValue(0)
        self._say(message)
