"""Compose panel: instruction (+ the mail being answered), streamed drafting into the editor,
the exemplars used, and Accept / Regenerate / export (.eml, mailto:, clipboard, Drafts mbox)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from ownvoice.assistant import email_io
from ownvoice.assistant.prompts import DraftRequest

from .editor import Editor
from .workers import Operation, Runner


class ComposePanel(QWidget):
    """Drives drafting for the editor next to it (Qt thread; the model runs on the worker thread)."""

    exemplar_opened = Signal(int)
    drafted = Signal(object)  # DraftResult

    def __init__(
        self, runner: Runner, editor: Editor, profile_name: str, parent: Optional[QWidget] = None
    ) -> None:
        super().__init__(parent)
        self.runner, self.editor, self.profile_name = runner, editor, profile_name
        self.incoming: Optional[email_io.Incoming] = None
        self.generation_id: Optional[int] = None
        self.op: Optional[Operation] = None
        self.instruction = QLineEdit(
            placeholderText="What should the mail say? e.g. 'say yes, suggest Thursday'"
        )
        self.incoming_box = QPlainTextEdit(
            placeholderText="Paste the mail you are answering (optional), open a .eml, or drop one on the "
            "window"
        )
        self.incoming_box.setMaximumHeight(140)
        self.incoming_box.setTabChangesFocus(True)  # Tab moves on to Draft: keyboard users are never trapped
        self.open_btn = QPushButton("Open .eml…")
        self.draft_btn = QPushButton("Draft")
        self.draft_btn.setDefault(True)
        self.stop_btn = QPushButton("Stop")
        self.stop_btn.setEnabled(False)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setVisible(False)
        self.exemplars = QListWidget()
        self.exemplars.setMaximumHeight(110)
        self.exemplars.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.exemplars.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.accept_btn = QPushButton("Accept")
        self.regen_btn = QPushButton("Regenerate")
        self.export_btn = QPushButton("Save .eml…")
        self.copy_btn = QPushButton("Copy")
        self.mailto_btn = QPushButton("Open in mail app")
        self.drafts_btn = QPushButton("Add to Drafts mbox…")
        self.status = QLabel("")
        self.strength = QSlider(Qt.Orientation.Horizontal)
        self.strength.setRange(0, 100)
        self.strength.setValue(100)
        self.strength.setToolTip(
            "How strongly your style applies: your adapter's weight and how many of your past mails the "
            "model sees. 0: the plain model."
        )
        self.strength_label = QLabel()
        self.strength.valueChanged.connect(self._show_strength)
        self._show_strength(self.strength.value())
        row1 = QHBoxLayout()
        for w in (self.draft_btn, self.stop_btn, self.open_btn):
            row1.addWidget(w)
        row_strength = QHBoxLayout()
        row_strength.addWidget(self.strength_label)
        row_strength.addWidget(self.strength, 1)
        row2 = QGridLayout()  # two rows of three: the panel stays narrow enough for a 1024 px screen
        for i, w in enumerate(
            (
                self.accept_btn,
                self.regen_btn,
                self.copy_btn,
                self.export_btn,
                self.mailto_btn,
                self.drafts_btn,
            )
        ):
            row2.addWidget(w, i // 3, i % 3)
        layout = QVBoxLayout(self)
        layout.addWidget(self.instruction)
        layout.addWidget(self.incoming_box)
        layout.addLayout(row1)
        layout.addLayout(row_strength)
        layout.addWidget(self.busy)
        layout.addWidget(QLabel("Your past mail used as examples (click to open):"))
        layout.addWidget(self.exemplars)
        layout.addLayout(row2)
        layout.addWidget(self.status)
        layout.addStretch(1)  # spare height goes below, not between the controls
        self.status.setWordWrap(True)
        self.instruction.setAccessibleName("What the mail should say")
        self.incoming_box.setAccessibleName("The mail you are answering")
        self.exemplars.setAccessibleName("Past mail used as examples")
        self.status.setAccessibleName("Drafting status")
        self.draft_btn.clicked.connect(self.start_draft)
        self.regen_btn.clicked.connect(lambda: self.start_draft(seed_bump=True))
        self.instruction.returnPressed.connect(self.start_draft)
        self.stop_btn.clicked.connect(self.stop)
        self.open_btn.clicked.connect(self._open_dialog)
        self.accept_btn.clicked.connect(lambda: self.accept())
        self.copy_btn.clicked.connect(self.copy_text)
        self.export_btn.clicked.connect(self._export_dialog)
        self.mailto_btn.clicked.connect(self.open_mailto)
        self.drafts_btn.clicked.connect(self._drafts_dialog)
        self.incoming_box.textChanged.connect(self._incoming_changed)
        self.runner.board.changed.connect(self._show_waiting)
        self.exemplars.itemClicked.connect(
            lambda it: self.exemplar_opened.emit(it.data(Qt.ItemDataRole.UserRole))
        )
        self._seed = 0
        self._editing: Optional[int] = None
        self.editor.body.textChanged.connect(self._update_buttons)
        self._update_buttons()

    def _update_buttons(self) -> None:
        """Enable only what applies: export with text, Accept for text not yet kept, Regenerate after a
        draft."""
        has_text = bool(self.editor.body.toPlainText().strip())
        idle = self.op is None
        for b in (self.copy_btn, self.export_btn, self.mailto_btn, self.drafts_btn):
            b.setEnabled(has_text)
        self.accept_btn.setEnabled(
            has_text and self.editor.source != "accepted" and not self.editor.body.isReadOnly()
        )
        self.regen_btn.setEnabled(idle and self.generation_id is not None)

    def reset(self, profile_name: str) -> None:
        """Another profile: forget the incoming mail, the request, the exemplars and the last draft."""
        if self.op is not None:
            self.runner.cancel(self.op)
        self.profile_name = profile_name
        self.incoming = None
        self.generation_id = None
        self._editing = None
        self.instruction.clear()
        self.incoming_box.blockSignals(True)
        self.incoming_box.clear()
        self.incoming_box.blockSignals(False)
        self.exemplars.clear()
        self.status.setText("")
        self.editor.highlight([])
        self._update_buttons()

    # incoming mail ---------------------------------------------------------------------------
    def load_eml(self, path: Path) -> None:
        """Answer the mail in a .eml file."""
        try:
            inc = email_io.read_incoming(Path(path))
        except Exception as exc:  # noqa: BLE001 - shown in a dialog
            QMessageBox.warning(self, "OwnVoice", str(exc))
            return
        self.incoming_box.setPlainText(inc.prompt_text())
        self.incoming = inc
        self._prefill(inc)

    def _open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open the mail to answer", "", "Email (*.eml);;All files (*)"
        )
        if path:
            self.load_eml(Path(path))

    def _incoming_changed(self) -> None:
        text = self.incoming_box.toPlainText()
        if not text.strip():
            self.incoming = None
            return
        if self.incoming is None or self.incoming.prompt_text() != text:
            self.incoming = email_io.parse_pasted(text)
            readable = self.incoming.prompt_text()
            if (self.incoming.sender or self.incoming.subject) and readable != text:
                self.incoming_box.blockSignals(
                    True
                )  # a whole raw message: show who, what and the decoded text
                self.incoming_box.setPlainText(readable)
                self.incoming_box.blockSignals(False)
            self._prefill(self.incoming)

    def _prefill(self, inc: email_io.Incoming) -> None:
        if inc.sender and not self.editor.to.text():
            self.editor.to.setText(inc.sender)
        if inc.subject and not self.editor.subject.text():
            self.editor.subject.setText(email_io.reply_subject(inc.subject))

    def _show_strength(self, value: int) -> None:
        self.strength_label.setText(f"Your style: {value}%" if value else "Your style: off (plain model)")

    # drafting --------------------------------------------------------------------------------
    def request(self) -> DraftRequest:
        """The DraftRequest for the current inputs."""
        inc = self.incoming
        return DraftRequest(
            instruction=self.instruction.text().strip(),
            incoming=inc.prompt_text() if inc else "",
            recipient=inc.first_name if inc else "",
            seed=self._seed,
            strength=self.strength.value() / 100,
        )

    def start_draft(self, seed_bump: bool = False) -> None:
        """Start drafting on the worker thread."""
        if self.op is not None:
            return
        if not self.instruction.text().strip():
            self.status.setText("Say what the mail should do first.")
            return
        if seed_bump:
            self._seed += 1
        if not self.incoming and not self.editor.subject.text():
            self.editor.subject.setText(email_io.suggest_subject(self.instruction.text()))
        self._editing = self.editor.save_now()
        self.editor.new_document()
        self.editor.highlight([])
        self.editor.to.setText(self.incoming.sender if self.incoming else "")
        if self.incoming:
            self.editor.subject.setText(email_io.reply_subject(self.incoming.subject))
        elif not self.editor.subject.text():
            self.editor.subject.setText(email_io.suggest_subject(self.instruction.text()))
        req, profile = self.request(), self.profile_name
        if self._editing is not None:
            req.exclude_ids = {self._editing}  # the text being edited is never its own exemplar
        self.exemplars.clear()
        self._set_busy(True)
        self.op = self.runner.start(
            lambda app, op: app.draft(req, profile, on_update=op.update, cancel=op.cancel),
            on_done=self._done,
            on_failed=self._failed,
            on_update=lambda t: self.editor.set_body(t),
            label="Draft",
        )
        self.op.signals.started.connect(lambda: self.status.setText("Drafting…"))
        self._show_waiting()

    def _show_waiting(self) -> None:
        """Say why the draft has not begun: the job(s) ahead of it on the one worker."""
        ahead = self.runner.ahead_of(self.op) if self.op is not None else []
        if self.op is not None and not self.op.running:
            if ahead:
                self.status.setText(
                    f"Waiting: {', '.join(ahead).lower()} must finish first "
                    f"(one job at a time on this machine); the draft starts then. Stop cancels it."
                )
            else:
                self.status.setText("Drafting…")

    def stop(self) -> None:
        """Cancel the draft (taken off the queue if it is still waiting)."""
        if self.op is not None:
            self.runner.cancel(self.op)

    def _set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        self.draft_btn.setEnabled(not busy)
        self.stop_btn.setEnabled(busy)
        self._update_buttons()
        self.regen_btn.setEnabled(not busy and self.generation_id is not None)

    def _done(self, result) -> None:
        self.op = None
        self.generation_id = result.generation_id
        self._set_busy(False)
        if result.generation_id:
            self.editor.set_provenance("draft", result.generation_id)
        self.editor.set_body(
            result.text, save=bool(result.text.strip())
        )  # kept as a draft, not as your writing
        flagged = [u.text for u in result.unsupported]
        self.editor.highlight(flagged)
        for ex in result.exemplars:
            item = QListWidgetItem(
                f"{ex.doc.subject or '(no subject)'} — {' '.join(ex.doc.body.split())[:60]}"
            )
            item.setData(Qt.ItemDataRole.UserRole, ex.doc.id)
            self.exemplars.addItem(item)
        s = result.stats
        notes = []
        if result.check and result.check.coverage.missing:
            notes.append("missing: " + ", ".join(f.text for f in result.check.coverage.missing))
        if flagged:
            notes.append("check (not in your request): " + ", ".join(flagged))
        if result.save_error:
            notes.append(result.save_error)
        self.status.setText(
            " · ".join(
                notes
                + [
                    f"{len(result.text.split())} words · {s.tokens_per_s:.0f} tokens/s · first token "
                    f"{s.ttft_s:.2f}s"
                ]
            )
            + (" · stopped" if result.cancelled else "")
        )
        self.drafted.emit(result)

    def _failed(self, message: str) -> None:
        dropped = self.op is not None and self.op.cancel.cancelled and not self.op.running
        self.op = None
        self._set_busy(False)
        self.status.setText("Draft cancelled before it started." if dropped else message.split("\n")[0])

    def accept(self, how: str = "accepted") -> None:
        """Keep the editor's text: stored as the user's own writing and as the draft's feedback."""
        doc_id = self.editor.save_now()
        if doc_id is None:
            return
        text = self.editor.body.toPlainText()
        if self.editor.generation_id:
            self.editor.app.accept_draft(
                self.editor.generation_id,
                text,
                self.profile_name,
                document_id=doc_id,
                subject=self.editor.subject.text(),
                recipients=self.editor.to.text(),
                how=how,
            )
        self.editor.set_provenance("accepted", self.editor.generation_id)
        self._update_buttons()
        if how == "accepted":
            self.status.setText("Accepted: saved as your own writing.")

    def _sent(self) -> None:
        """The draft left the app (copied, exported, opened in the mail app): the user approved it."""
        if self.editor.generation_id and self.editor.source == "draft":
            self.accept(how="sent")

    def copy_text(self) -> None:
        """Copy the draft to the clipboard (counts as sending it)."""
        QGuiApplication.clipboard().setText(self.editor.body.toPlainText())
        self._sent()
        self.status.setText("Copied.")

    # export ------------------------------------------------------------------------------------
    def reply_message(self, from_addr: str = "", from_name: str = ""):
        """The editor's text as an email message (reply headers when answering)."""
        return email_io.build_reply(
            self.editor.body.toPlainText(),
            self.incoming,
            from_addr,
            from_name,
            to=self.editor.to.text(),
            subject=self.editor.subject.text(),
        )

    def _nothing_to_export(self) -> bool:
        if not self.editor.body.toPlainText().strip():
            self.status.setText("Nothing to export: the draft is empty.")
            return True
        return False

    def _export_dialog(self) -> None:
        if self._nothing_to_export():
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save the draft as .eml", "reply.eml", "Email (*.eml)")
        if path:
            email_io.write_eml(self.reply_message(), Path(path))
            self._sent()
            self.status.setText(f"Saved {path}")

    def _drafts_dialog(self) -> None:
        if self._nothing_to_export():
            return
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Append to a Drafts mbox",
            "Drafts",
            "mbox (*)",
            options=QFileDialog.Option.DontConfirmOverwrite,
        )
        if path:
            email_io.append_to_mbox(self.reply_message(), Path(path))
            self._sent()
            self.status.setText(f"Added to {path}")

    def open_mailto(self) -> None:
        """Open the user's mail client with the draft."""
        QDesktopServices.openUrl(
            QUrl(
                email_io.mailto_url(
                    self.editor.body.toPlainText(), self.editor.to.text(), self.editor.subject.text()
                )
            )
        )
        self._sent()
