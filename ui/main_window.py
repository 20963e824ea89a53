"""The main window: Write (library | editor | compose), Import, Training, Models and Settings tabs; .eml drop
target.

Screens never tell each other to reload: every write goes through the one core, which tells what it
changed (``Changes``) on ``runner.events.changed``; each screen refreshes what it shows from that. The
window polls the store for other processes' commits (a CLI import) and the core turns them into changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QSplitter, QTabWidget, QWidget

from ownvoice.assistant.changes import Changes

from .auto_retrain import AutoRetrain
from .compose_panel import ComposePanel
from .editor import Editor
from .icons import app_icon
from .library import Library
from .models_page import ModelsPage
from .settings_page import SettingsPage
from .status_area import StatusArea
from .style_page import StylePage
from .welcome_page import WelcomePage
from .workers import Runner

if TYPE_CHECKING:  # imported when first shown: it pulls in pyqtgraph
    from .training_page import TrainingPage


class MainWindow(QMainWindow):
    """Top-level window (Qt thread). The Training page is built on first view (pyqtgraph stays unloaded)."""

    def __init__(self, app, runner: Runner, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.app, self.runner = app, runner
        self.setWindowTitle("OwnVoice")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        prof = app.profile()
        self.library = Library(app, prof.id)
        self.editor = Editor(app, prof.id)
        self.compose = ComposePanel(runner, self.editor, prof.name)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.library)
        split.addWidget(self.editor)
        split.addWidget(self.compose)
        for i, stretch in enumerate((2, 4, 3)):  # the editor gets the most room at any window size
            split.setStretchFactor(i, stretch)
        split.setSizes([230, 430, 360])
        self.tabs = QTabWidget()
        self.write_split = split
        self.tabs.addTab(split, "Write")
        self.welcome = WelcomePage(runner, app, prof.name, prof.id)
        self.tabs.addTab(self.welcome, "Import")
        self.training: Optional[TrainingPage] = None
        self._training_holder = QWidget()
        self.tabs.addTab(self._training_holder, "Training")
        self.style_page = StylePage(runner, app, prof.name)
        self.tabs.addTab(self.style_page, "Style")
        self.models = ModelsPage(runner, app)
        self.tabs.addTab(self.models, "Models")
        self.settings = SettingsPage(app)
        self.tabs.addTab(self.settings, "Settings")
        self.setCentralWidget(self.tabs)
        self.resize(1100, 680)
        self.setMinimumSize(900, 560)
        self.library.opened.connect(self.editor.open_document)
        self.library.opened.connect(self._remember_document)
        self.compose.exemplar_opened.connect(self.editor.open_document)
        self.settings.profile_changed.connect(self.switch_profile)
        self.welcome.start_writing.connect(lambda: self.tabs.setCurrentWidget(self.write_split))
        if not app.library(prof.id, limit=1):
            self.tabs.setCurrentWidget(self.welcome)  # first run: nothing to write like yet
        self._make_menus()
        self.tabs.currentChanged.connect(self._tab_changed)
        self.statusBar().showMessage(f"Profile: {prof.name} · data in {app.home}")
        self.status_area = StatusArea(app, runner, prof.id)
        self.statusBar().addPermanentWidget(self.status_area)
        self.editor.saved.connect(self._remember_document)
        self._reopen_last(prof.name)
        runner.events.changed.connect(self.apply_changes)
        self.auto_retrain = AutoRetrain(runner, app, lambda: self.compose.profile_name, self)
        self.auto_retrain.said.connect(lambda text: self.statusBar().showMessage(text, 30000))
        self.watch = QTimer(self)  # another process (a CLI import) changed the store: the core tells what
        self.watch.setInterval(self.WATCH_MS)
        self.watch.timeout.connect(self.check_store)
        self.watch.start()

    WATCH_MS = 1000

    def _make_menus(self) -> None:
        """File / Edit / Draft menus; their shortcuts work from every screen."""

        def add(menu, text: str, keys, slot) -> QAction:
            act = QAction(text, self)
            act.setShortcut(QKeySequence(keys))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            act.triggered.connect(slot)
            menu.addAction(act)
            self.addAction(act)
            return act

        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.new_action = add(file_menu, "&New document", QKeySequence.StandardKey.New, self._new_document)
        add(file_menu, "&Import mail…", "Ctrl+I", lambda: self.tabs.setCurrentWidget(self.welcome))
        add(file_menu, "Open .&eml to answer…", QKeySequence.StandardKey.Open, self.compose._open_dialog)
        file_menu.addSeparator()
        add(file_menu, "&Close window", QKeySequence.StandardKey.Close, self.close)
        edit_menu = bar.addMenu("&Edit")
        self.find_action = add(edit_menu, "&Find in my writing", QKeySequence.StandardKey.Find, self._find)
        draft_menu = bar.addMenu("&Draft")
        self.draft_action = add(draft_menu, "&Draft", "Ctrl+Return", self._draft)
        add(draft_menu, "&Regenerate", "Ctrl+R", lambda: self.compose.start_draft(seed_bump=True))
        add(draft_menu, "&Accept", "Ctrl+Shift+Return", lambda: self.compose.accept())
        add(draft_menu, "&Stop", "Escape", self.compose.stop)
        view_menu = bar.addMenu("&View")
        for i, name in enumerate(("Write", "Import", "Training", "Style", "Models", "Settings"), 1):
            add(view_menu, name, f"Alt+{i}", lambda _=False, n=i - 1: self.tabs.setCurrentIndex(n))

    def _new_document(self) -> None:
        self.tabs.setCurrentWidget(self.write_split)
        self.editor.save_now()
        self.editor.new_document()
        self.editor.subject.setFocus()

    def _find(self) -> None:
        self.tabs.setCurrentWidget(self.write_split)
        self.library.search.setFocus()
        self.library.search.selectAll()

    def _draft(self) -> None:
        self.tabs.setCurrentWidget(self.write_split)
        if not self.compose.instruction.text().strip():
            self.compose.instruction.setFocus()
        self.compose.start_draft()

    def check_store(self) -> bool:
        """Ask the core whether another process changed the store (its listeners refresh); True if it had."""
        return bool(self.app.poll_elsewhere())

    def apply_changes(self, changes: Changes) -> None:
        """Refresh each screen that shows what changed (Qt thread)."""
        if changes.documents:
            self.library.refresh()
        if changes.profiles or changes.models:
            self.settings.reload()
        if changes.models or changes.adapters or changes.settings:
            self.models.changed()
        if changes.documents or changes.style:
            self.style_page.changed()

    def _remember_document(self, document_id: int) -> None:
        prof = self.compose.profile_name
        if self.app.settings.last_documents.get(prof) != document_id:
            self.app.settings.last_documents[prof] = document_id
            self.app.save_settings()

    def _reopen_last(self, profile_name: str) -> None:
        """Relaunch where the user left off: the document last in the editor."""
        doc_id = self.app.settings.last_documents.get(profile_name)
        doc = self.app.get_document(doc_id) if doc_id else None
        if doc is not None and doc.profile_id == self.editor.profile_id:
            self.editor.open_document(doc.id)

    def _tab_changed(self, index: int) -> None:
        if self.tabs.widget(index) is self._training_holder and self.training is None:
            self.show_training()

    def show_training(self):
        """Build (once) and show the training page."""
        if self.training is None:
            from .training_page import TrainingPage

            prof = self.app.profile()
            self.training = TrainingPage(self.runner, self.app, prof.name, prof.id)
            idx = self.tabs.indexOf(self._training_holder)
            self.tabs.removeTab(idx)
            self.tabs.insertTab(idx, self.training, "Training")
        self.tabs.setCurrentWidget(self.training)
        return self.training

    def switch_profile(self, name: str) -> None:
        """Show another profile everywhere."""
        prof = self.app.profile(name)
        self.library.set_profile(prof.id)
        self.editor.set_profile(prof.id)
        self.compose.reset(prof.name)
        self._reopen_last(prof.name)
        if self.training is not None:
            self.training.set_profile(prof.name, prof.id)
        self.status_area.set_profile(prof.id)
        self.welcome.set_profile(prof.name, prof.id)
        self.style_page.set_profile(prof.name)
        self.statusBar().showMessage(f"Profile: {prof.name} · data in {self.app.home}")

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if event.mimeData().hasUrls() and any(
            u.toLocalFile().endswith(".eml") for u in event.mimeData().urls()
        ):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 (Qt name)
        for url in event.mimeData().urls():
            if url.toLocalFile().endswith(".eml"):
                self.compose.load_eml(Path(url.toLocalFile()))
                break

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self.editor.save_now()
        super().closeEvent(event)
