"""The editor: subject, recipients and body; typing is autosaved with revisions.

Autosave runs on a timer started by the first unsaved change and NOT restarted by later keystrokes, so a
crash loses at most AUTOSAVE_MS of typing however fast the user types; leaving the editor (focus) and
closing the window save at once. Imported mail opens read-only: it is what the user sent.
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ownvoice.assistant.errors import StorageError

AUTOSAVE_MS = 1000  # at most this much typing can be lost to a crash or power cut


class Editor(QWidget):
    """Edits one document of the current profile; autosaves into the store (Qt thread, tiny writes)."""

    saved = Signal(int)  # document id

    def __init__(self, app, profile_id: int, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.app = app  # the core: every read and write goes through it
        self.profile_id = profile_id
        self.document_id: Optional[int] = None
        self.kind = "email"
        self.source = "typed"
        self.generation_id: Optional[int] = None  # set while the text is (or came from) a model draft
        self._loading = False
        self.save_error = ""  # the last autosave's failure (disk full...), '' once a save works again
        self.to = QLineEdit(placeholderText="To")
        self.subject = QLineEdit(placeholderText="Subject")
        self.body = QPlainTextEdit(
            placeholderText="Write here. Everything you write is saved and teaches OwnVoice your style."
        )
        self.body.setTabChangesFocus(
            True
        )  # Tab leaves the text for the compose panel; mail needs no tab stops
        form = QFormLayout()
        form.addRow("To", self.to)
        form.addRow("Subject", self.subject)
        self.banner = QLabel("")
        self.banner.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(form)
        layout.addWidget(self.body, 1)
        self.timer = QTimer(self, singleShot=True, interval=AUTOSAVE_MS)
        self.timer.timeout.connect(self.save_now)
        for w in (self.to, self.subject):
            w.textChanged.connect(self._changed)
        self.body.textChanged.connect(self._changed)
        app_instance = QApplication.instance()
        if isinstance(app_instance, QApplication):
            app_instance.focusChanged.connect(self._focus_changed)

    def _changed(self, *_):
        if not self._loading and not self.timer.isActive():
            self.timer.start()  # started once per burst, never pushed back by the next keystroke

    def _focus_changed(self, old, new) -> None:
        if (
            self.timer.isActive()
            and old is not None
            and self.isAncestorOf(old)
            and (new is None or not self.isAncestorOf(new))
        ):
            self.save_now()

    def set_profile(self, profile_id: int) -> None:
        """Switch profile (saves pending text first) and clear the editor."""
        self.save_now()
        self.profile_id = profile_id
        self.new_document()

    def new_document(self, kind: str = "email") -> None:
        """Start an empty draft."""
        self.save_now()
        self._load(None, "", "", "", kind)

    def open_document(self, document_id: int) -> None:
        """Load a stored document for reading/editing."""
        self.save_now()
        doc = self.app.get_document(document_id)
        if doc is not None:
            self._load(doc.id, doc.recipients, doc.subject, doc.body, doc.kind, doc.source, doc.generation_id)

    def _load(self, doc_id, to, subject, body, kind, source: str = "typed", generation_id=None) -> None:
        self._loading = True
        self.document_id, self.kind = doc_id, kind
        self.source = source if source in ("accepted", "draft") else "typed"
        self.generation_id = generation_id
        read_only = source == "imported"
        for w in (self.to, self.subject):
            w.setReadOnly(read_only)
        self.body.setReadOnly(read_only)
        self._show_banner(source)
        self.to.setText(to or "")
        self.subject.setText(subject or "")
        self.body.setPlainText(body or "")
        self._loading = False

    def highlight(self, phrases: list[str]) -> None:
        """Mark each occurrence of ``phrases`` in the body (specifics nobody asked for)."""
        from PySide6.QtGui import QColor, QTextCharFormat, QTextDocument
        from PySide6.QtWidgets import QTextEdit

        selections = []
        fmt = QTextCharFormat()
        fmt.setBackground(QColor(255, 214, 102))
        fmt.setForeground(QColor(0, 0, 0))
        fmt.setToolTip("Not in your request or the mail you answer: check it")
        for phrase in phrases:
            cursor = self.body.document().find(phrase, 0, QTextDocument.FindFlag.FindCaseSensitively)
            while not cursor.isNull():
                sel = QTextEdit.ExtraSelection()
                sel.cursor, sel.format = cursor, fmt
                selections.append(sel)
                cursor = self.body.document().find(phrase, cursor, QTextDocument.FindFlag.FindCaseSensitively)
        self.body.setExtraSelections(selections)

    def _show_banner(self, source: str) -> None:
        self.banner.setText(
            "Imported mail: read-only (it is what you sent)"
            if source == "imported"
            else "A draft by OwnVoice: not your writing until you accept or send it"
            if source == "draft"
            else ""
        )
        self.banner.setVisible(bool(self.banner.text()))

    def set_provenance(self, source: str, generation_id: Optional[int]) -> None:
        """Say where the text came from ('draft' from a generation, 'accepted', 'typed')."""
        self.source, self.generation_id = source, generation_id
        self._show_banner(source)

    def set_body(self, text: str, save: bool = False) -> None:
        """Replace the body (used by streaming); saved when ``save``."""
        self._loading = not save
        self.body.setPlainText(text)
        self.body.moveCursor(self.body.textCursor().MoveOperation.End)
        self._loading = False
        if save:
            self.save_now()

    def save_now(self) -> Optional[int]:
        """Write the current text (if any) as a new revision; return the document id."""
        self.timer.stop()
        body = self.body.toPlainText()
        if self.body.isReadOnly() or (not body.strip() and self.document_id is None):
            return self.document_id
        try:
            self.document_id = self.app.save_text(
                self.profile_id,
                self.document_id,
                self.subject.text(),
                body,
                kind=self.kind,
                source=self.source,
                recipients=self.to.text(),
                generation_id=self.generation_id,
            )
        except StorageError as exc:  # the text stays in the editor; the next change or focus loss retries
            self.save_error = str(exc)
            self.banner.setText(f"Not saved: {exc}")
            self.banner.setVisible(True)
            self.timer.start()
            return self.document_id
        if self.save_error:
            self.save_error = ""
            self._show_banner(self.source)
        self.saved.emit(self.document_id)
        return self.document_id
