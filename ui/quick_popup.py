"""Quick compose: a small always-on-top popup. Type, (paste the mail you answer), draft streams in,
Ctrl+Enter copies it to the clipboard and closes. The draft is saved in the store like any other."""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget

from ownvoice.assistant import email_io
from ownvoice.assistant.prompts import QUICK_K, DraftRequest

from .workers import Operation, Runner


class QuickPopup(QWidget):
    """The tray's quick-compose window (Qt thread; drafting on the worker thread)."""

    copied = Signal(str)

    def __init__(
        self, runner: Runner, app, profile_name: str, profile_id: int, parent: Optional[QWidget] = None
    ) -> None:
        super().__init__(parent, Qt.WindowType.Tool | Qt.WindowType.WindowStaysOnTopHint)
        self.setWindowTitle("OwnVoice — quick compose")
        self.runner, self.app = runner, app
        self.profile_name, self.profile_id = profile_name, profile_id
        self.op: Optional[Operation] = None
        self.warming: Optional[Operation] = None
        self.result = None
        self.instruction = QLineEdit(placeholderText="What should it say? (Enter to draft)")
        self.incoming = QPlainTextEdit(placeholderText="Paste the mail you are answering (optional)")
        self.incoming.setMaximumHeight(90)
        self.output = QPlainTextEdit(placeholderText="Your draft appears here")
        self.hint = QLabel("Enter: draft · Ctrl+Enter: copy and close · Esc: close")
        layout = QVBoxLayout(self)
        for w in (self.instruction, self.incoming, self.output, self.hint):
            layout.addWidget(w)
        self.resize(460, 380)
        self.instruction.returnPressed.connect(self.start)
        QShortcut(QKeySequence("Ctrl+Return"), self).activated.connect(self.copy_and_close)
        QShortcut(QKeySequence("Escape"), self).activated.connect(self.hide)

    def popup(self) -> None:
        """Show, raise and focus the popup, cleared."""
        self.instruction.clear()
        self.incoming.clear()
        self.output.clear()
        self.show()
        self.raise_()
        self.activateWindow()
        self.instruction.setFocus()
        self.warm()

    def warm(self) -> None:
        """While the user types, compute the model state of the prompt head every draft starts with (worker
        thread), unless the worker is busy: a draft started meanwhile waits behind it and reuses it."""
        if self.warming is not None or self.op is not None or self.runner.busy:
            return
        self.warming = self.runner.start(
            lambda app, op: app.warm_drafting(self.profile_name),
            on_done=self._warmed,
            on_failed=self._warmed,
            label="Preparing quick compose",
        )

    def _warmed(self, *_: object) -> None:
        self.warming = None  # a failure shows when the user drafts: the draft meets the same problem

    def start(self) -> None:
        """Draft on the worker thread, streaming into the output box."""
        if self.op is not None or not self.instruction.text().strip():
            return
        inc = (
            email_io.parse_pasted(self.incoming.toPlainText())
            if self.incoming.toPlainText().strip()
            else None
        )
        req = DraftRequest(
            self.instruction.text().strip(),
            incoming=inc.prompt_text() if inc else "",
            recipient=inc.first_name if inc else "",
            k=QUICK_K,
        )
        name = self.profile_name
        self.hint.setText("Drafting…")
        self.op = self.runner.start(
            lambda app, op: app.draft(req, name, on_update=op.update, cancel=op.cancel),
            on_done=self._done,
            on_failed=self._failed,
            on_update=self.output.setPlainText,
            label="Quick draft",
        )

    def _done(self, result) -> None:
        self.op = None
        self.result = result
        self.output.setPlainText(result.text)
        subject = email_io.suggest_subject(self.instruction.text())
        # kept as a draft: it becomes the user's writing only when copied (Ctrl+Enter)
        self.saved_document = (
            self.app.save_text(
                self.profile_id, None, subject, result.text, generation_id=result.generation_id or None
            )
            if result.text.strip()
            else None
        )
        self.hint.setText(f"{result.stats.tokens_per_s:.0f} tokens/s · Ctrl+Enter copies and closes")

    def _failed(self, message: str) -> None:
        self.op = None
        self.hint.setText(message.split("\n")[0])

    def copy_and_close(self) -> None:
        """Copy the (possibly edited) draft to the clipboard and close; edits are stored as the final text."""
        text = self.output.toPlainText()
        QGuiApplication.clipboard().setText(text)
        if self.result is not None and self.result.generation_id and text.strip():
            self.saved_document = self.app.accept_draft(
                self.result.generation_id,
                text,
                self.profile_name,
                document_id=getattr(self, "saved_document", None),
                subject=email_io.suggest_subject(self.instruction.text()),
                how="sent",
            )
        self.copied.emit(text)
        self.hide()
