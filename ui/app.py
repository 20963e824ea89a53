"""GUI start-up: QApplication, single instance, main window, tray and quick-compose popup.

The start-up path imports neither torch nor transformers (models load on the worker thread at the
first draft), so the window appears in well under a second.
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Optional

from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon

from .icons import app_icon
from .main_window import MainWindow
from .quick_popup import QuickPopup
from .single_instance import InstanceServer, send_command
from .theme import apply_theme
from .workers import Runner


class OwnVoiceGui:
    """Everything the running GUI owns (Qt thread)."""

    def __init__(self, home: Optional[str] = None, show_window: bool = True) -> None:
        from ownvoice.assistant.app import OwnVoice

        existing = QApplication.instance()
        self.qapp: QApplication = (
            existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
        )
        self.qapp.setApplicationName("OwnVoice")
        self.qapp.setWindowIcon(app_icon())
        self.theme = apply_theme(self.qapp)
        self.qapp.setQuitOnLastWindowClosed(not QSystemTrayIcon.isSystemTrayAvailable())
        self.app = OwnVoice(home)  # the one core of this data home, for the app's whole life
        self.runner = Runner(self.app)
        self.app.profile(create=True)  # first run: the app needs a profile to write into
        self.window = MainWindow(self.app, self.runner)
        prof = self.app.profile()
        self.popup = QuickPopup(self.runner, self.app, prof.name, prof.id)
        self.window.settings.profile_changed.connect(self._profile_changed)
        self.server = InstanceServer(str(self.app.home))
        self.server.command.connect(self.handle)
        self.tray = self._make_tray()
        self.runner.events.changed.connect(
            lambda c: self._fill_profile_menu() if (c.profiles or c.settings) else None
        )
        self.hotkey = self._start_hotkey()
        if show_window:
            self.window.show()

    def _make_tray(self) -> QSystemTrayIcon:
        tray = QSystemTrayIcon(app_icon(), self.qapp)
        tray.setToolTip("OwnVoice")
        menu = QMenu()
        menu.addAction("Quick compose", self.popup.popup)
        menu.addAction("Open OwnVoice", self.show_window)
        self.profile_menu = menu.addMenu("Profile")
        self._fill_profile_menu()
        menu.addSeparator()
        menu.addAction("Quit", self.quit)
        tray.setContextMenu(menu)
        self.tray_menu = menu
        tray.activated.connect(
            lambda reason: self.popup.popup() if reason == QSystemTrayIcon.ActivationReason.Trigger else None
        )
        if QSystemTrayIcon.isSystemTrayAvailable():
            tray.show()
        return tray

    def _fill_profile_menu(self) -> None:
        self.profile_menu.clear()
        for p in self.app.list_profiles():
            act = self.profile_menu.addAction(
                p.name, functools.partial(self.window.settings.profiles.setCurrentText, p.name)
            )
            act.setCheckable(True)
            act.setChecked(p.name == self.app.settings.default_profile)

    def _profile_changed(self, name: str) -> None:
        prof = self.app.profile(name)
        self.popup.profile_name, self.popup.profile_id = prof.name, prof.id
        self._fill_profile_menu()

    def _start_hotkey(self):
        if not self.app.settings.hotkey_enabled:
            return None
        try:
            from pynput import keyboard  # optional: global hotkeys where the platform allows it
        except Exception:  # noqa: BLE001 - global hotkeys are optional
            return None
        from PySide6.QtCore import QMetaObject, Qt

        listener = keyboard.GlobalHotKeys(
            {
                self.app.settings.hotkey: lambda: QMetaObject.invokeMethod(
                    self.popup, "show", Qt.ConnectionType.QueuedConnection
                )
            }
        )
        listener.start()
        return listener

    def handle(self, command: str) -> None:
        """A command from a later launch ('show' or 'quick')."""
        if command == "quick":
            self.popup.popup()
        else:
            self.show_window()

    def show_window(self) -> None:
        """Bring the main window up."""
        self.window.show()
        self.window.raise_()
        self.window.activateWindow()

    def quit(self) -> None:
        """Save, stop the worker, quit."""
        self.window.editor.save_now()
        for op in list(self.runner._running):
            op.cancel.cancel()
        self.runner.wait(10000)
        self.runner.close()
        self.server.close()
        self.qapp.quit()


def run(home: Optional[str] = None, command: str = "show") -> int:
    """Start the GUI, or hand ``command`` to the instance already running."""
    from PySide6.QtCore import QCoreApplication

    if QApplication.instance() is None:
        QApplication(sys.argv[:1])
    from ownvoice.assistant.paths import data_home

    home = str(data_home(home))
    if send_command(home, command):
        return 0
    from ownvoice.assistant.errors import OwnVoiceError

    try:
        gui = OwnVoiceGui(home, show_window=(command == "show"))
    except (
        OwnVoiceError
    ) as exc:  # e.g. the disk is full: said in a window, not only on a terminal nobody sees
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.critical(None, "OwnVoice", f"OwnVoice cannot start: {exc}")
        return 2
    if command == "quick":
        gui.popup.popup()
    code = QCoreApplication.exec()
    gui.server.close()
    return code


if __name__ == "__main__":
    sys.exit(run(os.environ.get("OWNVOICE_HOME")))
