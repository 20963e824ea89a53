"""Import page, shown first while a profile has no writing: pick (or drop) mail, say which addresses are
the user's, import on the worker thread with per-stage progress, then say what was kept and what to do next.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ownvoice.assistant.mail_stores import find_mail_stores

from .workers import Operation, Runner

INTRO = (
    "<h2>Welcome to OwnVoice</h2>"
    "<p>OwnVoice learns to write like you from mail <b>you</b> sent. Pick your sent mail below (found on "
    "this "
    "machine), or add files: mbox, Maildir folders, .eml, JSONL or text. Nothing leaves this machine.</p>"
)
STAGES = {"reading": "Reading your mail", "storing": "Storing", "embedding": "Indexing for retrieval"}


class WelcomePage(QWidget):
    """First-run import (Qt thread; reading and indexing run on the worker thread)."""

    imported = Signal(object)  # ImportSummary
    start_writing = Signal()

    def __init__(
        self,
        runner: Runner,
        app,
        profile_name: str,
        profile_id: int,
        search_home: Optional[Path] = None,
        parent: Optional[QWidget] = None,
    ) -> None:
        super().__init__(parent)
        self.runner, self.app = runner, app
        self.profile_name, self.profile_id = profile_name, profile_id
        self.op: Optional[Operation] = None
        self.setAcceptDrops(True)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.sources = QListWidget()
        self.sources.setAccessibleName("Mail to import")
        self.add_files_btn = QPushButton("Add files…")
        self.add_folder_btn = QPushButton("Add a folder…")
        self.addresses = QLineEdit(placeholderText="you@example.org, other@example.org")
        self.addresses.setAccessibleName("My email addresses")
        prof = self.app.profile(profile_name)
        self.addresses.setText(", ".join(prof.addresses))
        self.import_btn = QPushButton("Import")
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setEnabled(False)
        self.bar = QProgressBar()
        self.bar.setVisible(False)
        self.stage = QLabel("")
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.write_btn = QPushButton("Start writing")
        self.write_btn.setVisible(False)
        adders = QHBoxLayout()
        adders.addWidget(self.add_files_btn)
        adders.addWidget(self.add_folder_btn)
        adders.addStretch(1)
        go = QHBoxLayout()
        go.addWidget(self.import_btn)
        go.addWidget(self.cancel_btn)
        go.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(QLabel("Mail to import (drop files or folders here too):"))
        layout.addWidget(self.sources, 1)
        layout.addLayout(adders)
        layout.addWidget(QLabel("Your addresses: only mail sent from them is kept (empty: keep all)"))
        layout.addWidget(self.addresses)
        layout.addLayout(go)
        layout.addWidget(self.bar)
        layout.addWidget(self.stage)
        layout.addWidget(self.summary)
        layout.addWidget(self.write_btn)
        self.add_files_btn.clicked.connect(self._pick_files)
        self.add_folder_btn.clicked.connect(self._pick_folder)
        self.import_btn.clicked.connect(self.start_import)
        self.cancel_btn.clicked.connect(self.cancel)
        self.write_btn.clicked.connect(self.start_writing.emit)
        for store in find_mail_stores(search_home):
            self._add_source(store.path, f"{store.label}  ({store.size // 1024} KB)", checked=True)
        self.sources.itemChanged.connect(lambda *_: self._update_buttons())
        self._update_buttons()

    def set_profile(self, name: str, profile_id: int) -> None:
        """Import into another profile."""
        self.profile_name, self.profile_id = name, profile_id
        self.addresses.setText(", ".join(self.app.profile(name).addresses))
        self.summary.setText("")
        self.write_btn.setVisible(False)

    def _add_source(self, path: Path, label: str = "", checked: bool = True) -> None:
        for i in range(self.sources.count()):
            if self.sources.item(i).data(Qt.ItemDataRole.UserRole) == str(path):
                self.sources.item(i).setCheckState(Qt.CheckState.Checked)
                return
        item = QListWidgetItem(label or str(path))
        item.setData(Qt.ItemDataRole.UserRole, str(path))
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self.sources.addItem(item)
        self._update_buttons()

    def add_paths(self, paths: list[Path]) -> None:
        """Offer these files or folders for import (checked)."""
        for p in paths:
            self._add_source(Path(p))

    def chosen(self) -> list[Path]:
        """The checked sources."""
        return [
            Path(self.sources.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.sources.count())
            if self.sources.item(i).checkState() == Qt.CheckState.Checked
        ]

    def _update_buttons(self) -> None:
        idle = self.op is None
        self.import_btn.setEnabled(idle and bool(self.chosen()))
        self.cancel_btn.setEnabled(not idle)
        self.add_files_btn.setEnabled(idle)
        self.add_folder_btn.setEnabled(idle)

    def _pick_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self,
            "Mail to import",
            str(Path.home()),
            "Mail and text (*.mbox *.eml *.jsonl *.json *.txt *.md *);;All files (*)",
        )
        self.add_paths([Path(p) for p in paths])

    def _pick_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, "A folder of mail (Maildir, .eml files, text)", str(Path.home())
        )
        if path:
            self.add_paths([Path(path)])

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self.add_paths([Path(u.toLocalFile()) for u in event.mimeData().urls() if u.toLocalFile()])

    def start_import(self) -> None:
        """Import the checked sources on the worker thread."""
        paths = self.chosen()
        if self.op is not None or not paths:
            return
        addresses = [a.strip() for a in self.addresses.text().replace(";", ",").split(",") if a.strip()]
        self.app.set_addresses(self.profile_id, addresses)
        name = self.profile_name
        self.summary.setText("")
        self.write_btn.setVisible(False)
        self.bar.setVisible(True)
        self.bar.setRange(0, 0)
        self.stage.setText(
            "Waiting for the job ahead to finish…" if self.runner.jobs() else "Reading your mail…"
        )
        self.op = self.runner.start(
            lambda app, op: app.import_paths(
                paths, name, addresses or None, progress=op.progress, cancel=op.cancel
            ),
            on_done=self._done,
            on_failed=self._failed,
            on_progress=self._progress,
            label="Import",
        )
        self._update_buttons()

    def cancel(self) -> None:
        """Stop the import (nothing is kept from one cancelled while reading)."""
        if self.op is not None:
            self.runner.cancel(self.op)

    def _progress(self, ev) -> None:
        label = STAGES.get(ev.stage, ev.stage.capitalize())
        if ev.total:
            self.bar.setRange(0, ev.total)
            self.bar.setValue(ev.done)
            self.stage.setText(f"{label}: {ev.done} of {ev.total}")
        else:
            self.bar.setRange(0, 0)
            self.stage.setText(f"{label}: {ev.done} messages so far")

    def _finish(self) -> None:
        self.op = None
        self.bar.setVisible(False)
        self._update_buttons()

    def _done(self, summary) -> None:
        self._finish()
        self.stage.setText("Done.")
        lines = [
            f"Kept {summary.imported} of your messages"
            + (f", {summary.duplicates} already here" if summary.duplicates else "")
            + (f", {summary.not_users} written by others (skipped)" if summary.not_users else "")
            + (f", {len(summary.unreadable)} unreadable" if summary.unreadable else "")
            + "."
        ]
        for where, why in summary.failed_files[:3]:
            lines.append(f"Not imported: {where}: {why}")
        if summary.imported:
            lines.append(
                'Next: open the Write tab, say what a mail should do ("say yes, suggest Thursday") and '
                "press Draft. Later, the Training tab teaches a small adapter your style."
            )
        else:
            lines.append(
                "Nothing new was kept. If your addresses above are wrong, fix them and import again."
            )
        self.summary.setText("\n".join(lines))
        self.write_btn.setVisible(bool(summary.imported))
        self.imported.emit(summary)

    def _failed(self, message: str) -> None:
        cancelled = self.op is not None and self.op.cancel.cancelled
        self._finish()
        first = message.split("\n")[0]
        if cancelled:
            self.stage.setText(
                "Import cancelled: mail read so far was not kept; anything already stored is indexed later."
            )
        else:
            self.stage.setText(f"Import failed: {first}")
