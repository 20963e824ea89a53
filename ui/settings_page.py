"""Settings: profiles (create, rename, delete after confirmation), model, data folder, own addresses,
hotkey."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)

from ownvoice.assistant.errors import OwnVoiceError


class SettingsPage(QWidget):
    """Edits the settings and profiles (Qt thread; all writes are tiny)."""

    profile_changed = Signal(str)

    def __init__(self, app, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.app = app
        self.profiles = QComboBox()
        self.new_btn, self.rename_btn, self.delete_btn = (
            QPushButton("New…"),
            QPushButton("Rename…"),
            QPushButton("Delete…"),
        )
        self.model = QComboBox()
        self.browse_btn = QPushButton("Choose GGUF…")
        self.scan_btn = QPushButton("Find models on this computer")
        self.addresses = QLineEdit(placeholderText="you@example.org, other@example.org")
        self.hotkey = QCheckBox("Global quick-compose hotkey (needs pynput)")
        self.auto_retrain = QCheckBox(
            "Retrain my style by itself when there is enough new writing and the computer is idle"
        )
        self.auto_retrain.setToolTip(
            "A new adapter is kept only if it drafts your latest mail better than the one in use; "
            "the first training is always yours to start"
        )
        self.hotkey_keys = QLineEdit()
        prow = QHBoxLayout()
        for w in (self.profiles, self.new_btn, self.rename_btn, self.delete_btn):
            prow.addWidget(w)
        mrow = QHBoxLayout()
        for w in (self.model, self.browse_btn, self.scan_btn):
            mrow.addWidget(w)
        form = QFormLayout(self)
        form.addRow("Profile", prow)
        form.addRow("Model", mrow)
        form.addRow("Data folder", QLabel(str(app.home)))
        form.addRow("My addresses", self.addresses)
        form.addRow(self.hotkey, self.hotkey_keys)
        form.addRow(self.auto_retrain)
        self.reload()
        self.profiles.currentTextChanged.connect(self._switch)
        self.new_btn.clicked.connect(self._new)
        self.rename_btn.clicked.connect(self._rename)
        self.delete_btn.clicked.connect(self._delete)
        self.model.currentIndexChanged.connect(self._model_chosen)
        self.browse_btn.clicked.connect(self._browse)
        self.scan_btn.clicked.connect(self._scan)
        self.addresses.editingFinished.connect(self._save_addresses)
        self.hotkey.toggled.connect(self._save_hotkey)
        self.auto_retrain.toggled.connect(self._save_auto_retrain)
        self.hotkey_keys.editingFinished.connect(self._save_hotkey)

    def reload(self) -> None:
        """Refill every field from the store and settings."""
        s = self.app.settings
        self.profiles.blockSignals(True)
        self.profiles.clear()
        names = [p.name for p in self.app.list_profiles()] or [s.default_profile]
        self.profiles.addItems(names)
        self.profiles.setCurrentText(s.default_profile)
        self.profiles.blockSignals(False)
        self.model.blockSignals(True)
        self.model.clear()
        for m in self.app.list_models():
            self.model.addItem(m.name, m.path)
        idx = self.model.findData(self.app.model_path)
        self.model.setCurrentIndex(max(idx, 0))
        self.model.blockSignals(False)
        prof = next((p for p in self.app.list_profiles() if p.name == s.default_profile), None)
        self.addresses.setText(", ".join(prof.addresses) if prof else "")
        self.hotkey.setChecked(s.hotkey_enabled)
        self.auto_retrain.blockSignals(True)
        self.auto_retrain.setChecked(s.auto_retrain)
        self.auto_retrain.blockSignals(False)
        self.hotkey_keys.setText(s.hotkey)

    def _switch(self, name: str) -> None:
        if name:
            self.app.settings.default_profile = name
            self.app.save_settings()
            self.reload()
            self.profile_changed.emit(name)

    def _new(self) -> None:
        name, ok = QInputDialog.getText(self, "New profile", "Name:")
        if ok and name.strip():
            try:
                self.app.create_profile(name)
            except OwnVoiceError as exc:
                QMessageBox.warning(self, "OwnVoice", str(exc))
                return
            self._switch(name.strip())

    def _rename(self) -> None:
        prof = self.app.profile()
        name, ok = QInputDialog.getText(self, "Rename profile", "New name:", text=prof.name)
        if ok and name.strip() and name.strip() != prof.name:
            try:
                self.app.rename_profile(prof.id, name)
            except OwnVoiceError as exc:
                QMessageBox.warning(self, "OwnVoice", str(exc))
                return
            self._switch(name.strip())

    def _delete(self) -> None:
        prof = self.app.profile()
        answer = QMessageBox.question(
            self,
            "Delete profile",
            f"Erase profile '{prof.name}' with all its documents, embeddings and adapters? This cannot be "
            f"undone.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.app.delete_profile(prof.id)
        remaining = [p.name for p in self.app.list_profiles()]
        if not remaining:
            self.app.profile("default", create=True)  # the app always has a profile to write into
        self._switch(remaining[0] if remaining else "default")

    def _model_chosen(self, idx: int) -> None:
        path = self.model.itemData(idx)
        if path:
            self._use(path)

    def _use(self, path: str) -> None:
        try:
            self.app.use_model(Path(path))  # the core's Changes refresh the status area and the models page
        except Exception as exc:  # noqa: BLE001 - shown in a dialog
            QMessageBox.warning(self, "OwnVoice", str(exc))

    def _add_model(self, path: str) -> None:
        try:
            self.app.add_model(path)
        except Exception as exc:  # noqa: BLE001 - shown in a dialog
            QMessageBox.warning(self, "OwnVoice", str(exc))
            return
        self.reload()

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a GGUF model", "", "GGUF (*.gguf)")
        if path:
            self._add_model(path)

    def _scan(self) -> None:
        found = self.app.scan_models()
        if not found:
            QMessageBox.information(
                self,
                "OwnVoice",
                "No GGUF models found in LM Studio, Ollama, GPT4All, Jan or the Hugging Face cache.",
            )
            return
        labels = [f"{f.name}  ({f.app})" for f in found]
        item, ok = QInputDialog.getItem(self, "Models found", "Add:", labels, editable=False)
        if ok and item:
            self._add_model(str(found[labels.index(item)].path))

    def _save_addresses(self) -> None:
        addrs = [a.strip() for a in self.addresses.text().split(",") if "@" in a]
        self.app.set_addresses(self.app.profile().id, addrs)

    def _save_auto_retrain(self, on: bool) -> None:
        self.app.settings.auto_retrain = on
        self.app.save_settings()

    def _save_hotkey(self, *_) -> None:
        self.app.settings.hotkey_enabled = self.hotkey.isChecked()
        self.app.settings.hotkey = self.hotkey_keys.text().strip() or self.app.settings.hotkey
        self.app.save_settings()
