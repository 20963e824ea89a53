"""Style page: the profile's style card (shown, edited, versions one click away) and its learning curve (how
much the user edits drafts, per week).

The card is computed from the user's writing on the worker thread when the page is shown; a save stores only
the fields the user changed, as a new version, and drafting uses it at once.
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ownvoice.assistant.style_card import FORMALITIES, habit_sentences

from .lazy_page import LazyRefresh
from .workers import Runner


class CurveChart(QWidget):
    """A small line chart of the weekly median edit (0-100% of the words), oldest week on the left."""

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.points: list[tuple[str, float]] = []  # (week, median edit 0..1)
        self.setMinimumHeight(120)
        self.setAccessibleName("How much you edit drafts, per week")

    def set_points(self, weeks: list[dict]) -> None:
        """Show the weeks that have kept drafts."""
        self.points = [(w["week"], w["median_edit"]) for w in weeks if w["median_edit"] is not None]
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        """Axes, the curve and its first and last weeks."""
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        left, top, right, bottom = 40, 8, self.width() - 10, self.height() - 22
        p.setPen(QPen(self.palette().text().color()))
        p.drawLine(left, bottom, right, bottom)
        p.drawLine(left, top, left, bottom)
        p.drawText(2, top + 10, "100%")
        p.drawText(14, bottom, "0%")
        if not self.points:
            p.drawText(left + 10, (top + bottom) // 2, "No drafts kept yet: accept or send a draft to start.")
            return
        n = len(self.points)
        xs = [left + (right - left) * (i / (n - 1) if n > 1 else 0.5) for i in range(n)]
        ys = [bottom - (bottom - top) * min(1.0, v) for _, v in self.points]
        p.setPen(QPen(QColor("#2a7ab0"), 2))
        for i in range(1, n):
            p.drawLine(QPointF(xs[i - 1], ys[i - 1]), QPointF(xs[i], ys[i]))
        for x, y in zip(xs, ys, strict=True):
            p.drawEllipse(QPointF(x, y), 3, 3)
        p.setPen(QPen(self.palette().text().color()))
        p.drawText(left, self.height() - 6, self.points[0][0])
        if n > 1:
            p.drawText(int(right) - 70, self.height() - 6, self.points[-1][0])


class StylePage(LazyRefresh, QWidget):
    """Shows and edits the current profile's style card, and its learning curve (Qt thread; the card is
    computed on the worker thread)."""

    def __init__(self, runner: Runner, app, profile_name: str, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.runner, self.app, self.profile_name = runner, app, profile_name
        self.card = None
        self._shown: dict = {}  # the form's values as last filled from the card
        self.name = QLineEdit()
        self.greeting = QLineEdit()
        self.greeting.setToolTip("How you greet someone by name: {name} is where the name goes")
        self.bare = QLineEdit()
        self.closing = QLineEdit()
        self.formal_closing = QLineEdit()
        self.formal_closing.setToolTip("How you close to a 'Prof.' or 'Dr' you never wrote to")
        self.formality = QComboBox()
        self.formality.addItems(list(FORMALITIES))
        self.words = QSpinBox()
        self.words.setRange(1, 2000)
        self.habits = QLabel()
        self.habits.setWordWrap(True)
        self.phrases = QPlainTextEdit()
        self.phrases.setPlaceholderText("one phrase per line")
        self.phrases.setMaximumHeight(70)
        self.languages = QLineEdit()
        self.notes = QPlainTextEdit()
        self.notes.setPlaceholderText("anything the model should know, e.g. 'never use exclamation marks'")
        self.notes.setMaximumHeight(60)
        self.people = QTableWidget(0, 3)
        self.people.setHorizontalHeaderLabels(["Person", "Greeting", "Sign-off"])
        self.people.horizontalHeader().setStretchLastSection(True)
        self.people.verticalHeader().setVisible(False)
        self.people.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.people.setAccessibleName("How you greet and sign off to each person")
        self.save_btn = QPushButton("Save my changes")
        self.undo_btn = QPushButton("Back to the computed card")
        self.versions = QComboBox()
        self.versions.setAccessibleName("Earlier versions of your edits")
        self.restore_btn = QPushButton("Use this version")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.chart = CurveChart()
        self.curve_text = QLabel("")
        self.curve_text.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Signs as", self.name)
        form.addRow("Greeting", self.greeting)
        form.addRow("No name known", self.bare)
        form.addRow("Sign-off", self.closing)
        form.addRow("Sign-off, formal", self.formal_closing)
        form.addRow("Tone", self.formality)
        form.addRow("Typical words (email)", self.words)
        form.addRow("Habits (measured)", self.habits)
        form.addRow("Phrases you use", self.phrases)
        form.addRow("Languages", self.languages)
        form.addRow("Notes for the model", self.notes)
        buttons = QHBoxLayout()
        for w in (self.save_btn, self.undo_btn):
            buttons.addWidget(w)
        buttons.addStretch(1)
        buttons.addWidget(self.versions)
        buttons.addWidget(self.restore_btn)
        left = QVBoxLayout()
        self.title = QLabel("<b>Your style card</b>")
        left.addWidget(self.title)
        left.addLayout(form)
        left.addWidget(QLabel("Per person (from your mail to them; edit a cell to change it)"))
        left.addWidget(self.people, 1)
        left.addLayout(buttons)
        left.addWidget(self.status)
        right = QVBoxLayout()
        right.addWidget(QLabel("<b>How much you edit drafts</b> (median share of words changed, per week)"))
        right.addWidget(self.chart, 1)
        right.addWidget(self.curve_text)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 3)
        layout.addLayout(right, 2)
        self.save_btn.clicked.connect(self.save)
        self.undo_btn.clicked.connect(lambda: self.restore(0))
        self.restore_btn.clicked.connect(lambda: self.restore(self.versions.currentData()))
        self._stale = True  # computed when first shown: no job at start-up

    def set_profile(self, name: str) -> None:
        """Show another profile's card."""
        self.profile_name = name
        self.changed()

    def refresh(self) -> None:
        """Compute the card, its versions and the learning curve on the worker thread."""
        self._stale = False
        name = self.profile_name
        self.runner.start(
            lambda app, op: (app.style_card(name), app.style_history(name), app.learning_curve(name)),
            on_done=self._show,
            on_failed=self.status.setText,
            label="Reading your style",
        )

    def _show(self, result) -> None:
        card, versions, curve = result
        self.card = card
        self.title.setText(
            f"<b>Your style card</b> (from {card.documents} texts of yours"
            + (f"; your edits: version {card.version})" if card.version else ")")
        )
        self.name.setText(card.name)
        self.greeting.setText(
            card.greeting_template or (f"{card.greeting} {{name}}," if card.greeting else "")
        )
        self.bare.setText(card.bare_greeting)
        self.closing.setText(card.closing)
        self.formal_closing.setText(card.formal_closing)
        self.formality.setCurrentText(card.formality)
        self.words.setValue(card.typical_words.get("email") or card.typical_words.get("all") or 60)
        self.habits.setText(", ".join(habit_sentences(card.habits)) or "nothing unusual")
        self.phrases.setPlainText("\n".join(card.phrases))
        self.languages.setText(", ".join(card.languages))
        self.notes.setPlainText(card.notes)
        people = sorted(set(card.greetings_by_name) | set(card.closings_by_name))
        self.people.setRowCount(len(people))
        for i, who in enumerate(people):
            for j, text in enumerate(
                (who, card.greetings_by_name.get(who, ""), card.closings_by_name.get(who, ""))
            ):
                item = QTableWidgetItem(text)
                if j == 0:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.people.setItem(i, j, item)
        self.versions.clear()
        for v in versions:
            self.versions.addItem(
                f"version {v.version} ({v.created[:10]}): {', '.join(sorted(v.edits)) or 'no edits'}",
                v.version,
            )
        self.restore_btn.setEnabled(bool(versions))
        self._shown = self.form_values()
        self.chart.set_points(curve["weeks"])
        if curve["approved"]:
            self.curve_text.setText(
                f"{curve['approved']} of {curve['drafts']} drafts kept, "
                f"{100 * curve['approved_unedited_share']:.0f}% without a change; median edit "
                f"{100 * curve['median_edit']:.0f}% of the words."
            )
        else:
            self.curve_text.setText(f"{curve['drafts']} drafts so far, none kept yet.")

    def form_values(self) -> dict:
        """The card as the form shows it (the editable fields)."""
        assert self.card is not None
        greetings, closings = {}, {}
        for i in range(self.people.rowCount()):
            who = self.people.item(i, 0).text()
            g, c = self.people.item(i, 1).text().strip(), self.people.item(i, 2).text().strip()
            if g:
                greetings[who] = g
            if c:
                closings[who] = c
        words = dict(self.card.typical_words)
        words["email"] = self.words.value()
        return {
            "name": self.name.text().strip(),
            "greeting_template": self.greeting.text().strip(),
            "bare_greeting": self.bare.text().strip(),
            "closing": self.closing.text().strip(),
            "formal_closing": self.formal_closing.text().strip(),
            "formality": self.formality.currentText(),
            "typical_words": words,
            "phrases": [p.strip() for p in self.phrases.toPlainText().split("\n") if p.strip()],
            "languages": [x.strip() for x in self.languages.text().split(",") if x.strip()],
            "notes": self.notes.toPlainText().strip(),
            "greetings_by_name": greetings,
            "closings_by_name": closings,
        }

    def save(self) -> None:
        """Store the fields the user changed as a new version (a quick write on the Qt thread)."""
        if self.card is None:
            return
        edits = {k: v for k, v in self.form_values().items() if v != self._shown.get(k)}
        if not edits:
            self.status.setText("Nothing changed.")
            return
        try:
            card = self.app.edit_style(edits, self.profile_name)
        except Exception as exc:  # noqa: BLE001 - a bad edit is said on the page, nothing is stored
            self.status.setText(f"Not saved: {exc}")
            return
        self.status.setText(f"Saved as version {card.version}: drafts use it from now on.")

    def restore(self, version) -> None:
        """Make an earlier version's edits current (0: the computed card)."""
        if version is None:
            return
        try:
            card = self.app.revert_style(int(version), self.profile_name)
        except Exception as exc:  # noqa: BLE001 - said on the page
            self.status.setText(str(exc))
            return
        self.status.setText(
            "Back to the card computed from your writing."
            if version == 0
            else f"The edits of version {version} are current again (version {card.version})."
        )
