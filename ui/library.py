"""The library: a profile's documents, full-text searchable, filtered by kind and source, newest first, with a
reading pane for the selected one (double-click or Enter opens it in the editor)."""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSplitter,
    QVBoxLayout,
    QWidget,
)


class Library(QWidget):
    """Lists documents; emits ``opened(id)`` on double-click / Enter."""

    opened = Signal(int)

    def __init__(self, app, profile_id: int, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.app = app
        self.profile_id = profile_id
        self.search = QLineEdit(placeholderText="Search your writing…")
        self.kind = QComboBox()
        self.kind.addItems(["all kinds", "email", "note"])
        self.source = QComboBox()
        self.source.addItems(["all sources", "typed", "imported", "accepted", "draft"])
        self.list = QListWidget()
        self.list.setHorizontalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )  # rows elide, never scroll
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setUniformItemSizes(True)
        self.list.setAlternatingRowColors(True)
        self.list.setAccessibleName("Your writing")
        self.search.setAccessibleName("Search your writing")
        top = QHBoxLayout()
        top.addWidget(self.kind)
        top.addWidget(self.source)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addLayout(top)
        self.reader = QPlainTextEdit(readOnly=True, placeholderText="Select a mail to read it here")
        self.reader.setAccessibleName("Reading pane")
        self.reader.setTabChangesFocus(True)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.list)
        split.addWidget(self.reader)
        split.setSizes([360, 200])
        layout.addWidget(split, 1)
        self.list.currentItemChanged.connect(lambda item, _prev: self.show_document(item))
        self.search.textChanged.connect(self.refresh)
        self.kind.currentIndexChanged.connect(self.refresh)
        self.source.currentIndexChanged.connect(self.refresh)
        self.list.itemActivated.connect(lambda item: self.opened.emit(item.data(Qt.ItemDataRole.UserRole)))
        self.list.itemDoubleClicked.connect(
            lambda item: self.opened.emit(item.data(Qt.ItemDataRole.UserRole))
        )
        self.refresh()

    def set_profile(self, profile_id: int) -> None:
        """Show another profile."""
        self.profile_id = profile_id
        self.refresh()

    def refresh(self, *_) -> None:
        """Reload the list from the store."""
        kind = self.kind.currentText() if self.kind.currentIndex() > 0 else None
        source = self.source.currentText() if self.source.currentIndex() > 0 else None
        text = self.search.text().strip()
        docs = self.app.library(self.profile_id, text, kind=kind, source=source, limit=2000)
        current = self.list.currentItem()
        keep = current.data(Qt.ItemDataRole.UserRole) if current is not None else None
        self.list.blockSignals(True)  # a refresh (another process wrote) keeps what the user was reading
        self.list.clear()
        for doc in docs[:2000]:
            when = (doc.sent_at or doc.created or doc.updated or "")[:10]
            who = (
                f"to {doc.recipients.split('<')[0].strip() or doc.recipients}" if doc.recipients else doc.kind
            )
            first = " ".join(doc.body.split())[:80]
            tag = "" if doc.source in ("imported", "typed") else f"[{doc.source}] "
            item = QListWidgetItem(f"{tag}{doc.subject or '(no subject)'}\n{when} · {who} · {first}")
            item.setToolTip(f"{doc.subject}\n{when} · {doc.recipients}\n\n{doc.body[:400]}")
            item.setData(Qt.ItemDataRole.UserRole, doc.id)
            self.list.addItem(item)
            if doc.id == keep:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        self.show_document(self.list.currentItem())

    def show_document(self, item: Optional[QListWidgetItem]) -> None:
        """Show the selected document in the reading pane (who, when, subject, then the text)."""
        doc = self.app.get_document(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None
        if doc is None:
            self.reader.clear()
            return
        when = (doc.sent_at or doc.created or "")[:16].replace("T", " ")
        head = [
            f"Subject: {doc.subject or '(no subject)'}",
            f"To: {doc.recipients}" if doc.recipients else "",
            f"Date: {when}" if when else "",
            f"Kept as: {doc.source}",
        ]
        self.reader.setPlainText("\n".join(h for h in head if h) + "\n\n" + doc.body)
