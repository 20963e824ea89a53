"""Light and dark themes: follow the system's colour scheme unless the user (or OWNVOICE_THEME) picks one.

Fusion with an explicit palette looks the same on every platform and lets the dark theme be real
(a light platform style with a dark palette leaves white boxes behind).
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("system", "light", "dark")


def system_is_dark() -> bool:
    """True when the desktop asks for a dark colour scheme."""
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    return scheme is not None and scheme() == Qt.ColorScheme.Dark


def dark_palette() -> QPalette:
    """A dark palette with readable contrast."""
    p = QPalette()
    window, base, text, accent = (
        QColor(37, 37, 40),
        QColor(28, 28, 30),
        QColor(230, 230, 230),
        QColor(86, 148, 224),
    )
    for role, color in (
        (QPalette.ColorRole.Window, window),
        (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base),
        (QPalette.ColorRole.AlternateBase, window),
        (QPalette.ColorRole.Text, text),
        (QPalette.ColorRole.Button, QColor(50, 50, 54)),
        (QPalette.ColorRole.ButtonText, text),
        (QPalette.ColorRole.ToolTipBase, base),
        (QPalette.ColorRole.ToolTipText, text),
        (QPalette.ColorRole.Highlight, accent),
        (QPalette.ColorRole.HighlightedText, QColor(255, 255, 255)),
        (QPalette.ColorRole.PlaceholderText, QColor(150, 150, 150)),
        (QPalette.ColorRole.Link, accent),
        (QPalette.ColorRole.BrightText, QColor(255, 90, 90)),
    ):
        p.setColor(role, color)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(120, 120, 120))
    return p


def apply_theme(qapp: QApplication, theme: str = "") -> str:
    """Apply 'light', 'dark' or 'system' (default: $OWNVOICE_THEME, else system); return the one applied."""
    theme = (theme or os.environ.get("OWNVOICE_THEME") or "system").lower()
    dark = system_is_dark() if theme not in ("light", "dark") else theme == "dark"
    qapp.setStyle("Fusion")
    qapp.setPalette(dark_palette() if dark else qapp.style().standardPalette())
    return "dark" if dark else "light"
