"""Render screenshots of the main window, compose mid-stream, the training page and the quick popup.

Usage: xvfb-run -a python packaging/screenshots.py docs/screenshots   (or QT_QPA_PLATFORM=offscreen)
Uses a throw-away data home and a throw-away $HOME in which the sample persona's mbox is laid out as a
Thunderbird profile's Sent folder: the first-run page finds it and imports it for real. The real
embedded model drafts; the Write tab is shot at 1024x640 and 1920x1080 in the light and dark themes;
a real LoRA training run (24 steps, shot at step 12, then cancelled) feeds the training page.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TRAINING_STEPS = 24  # the real run the training screenshot shows
SHOT_AT_STEP = 12  # taken mid-run, with that many real loss points on the curve


def main(out: Path) -> None:
    """Write the PNGs into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    home = tempfile.mkdtemp(prefix="ownvoice-shots-")
    user_home = Path(tempfile.mkdtemp(prefix="ownvoice-shots-user-"))
    sent = user_home / ".thunderbird" / "a1b2c3.default-release" / "Mail" / "Local Folders"
    sent.mkdir(parents=True)
    shutil.copy(REPO / "samples" / "persona.mbox", sent / "Sent")
    os.environ["HOME"] = str(user_home)
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from ownvoice.ui.app import OwnVoiceGui
    from ownvoice.ui.theme import apply_theme

    os.environ["OWNVOICE_THEME"] = "light"
    gui = OwnVoiceGui(home)

    def pump(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    pump(300)
    gui.window.grab().save(str(out / "first_run_import.png"))  # the page a new user sees first
    page = gui.window.welcome
    page.addresses.setText("priya@example.org")
    page.start_import()
    while page.op is not None:
        pump(100)
    pump(200)
    gui.window.grab().save(str(out / "first_run_imported.png"))
    page.write_btn.click()
    pump(300)
    gui.window.grab().save(str(out / "main_window.png"))
    gui.window.tabs.setCurrentWidget(gui.window.models)  # the models page: this machine's fit, as measured
    while gui.runner.busy:
        pump(100)
    pump(200)
    gui.window.grab().save(str(out / "models_page.png"))
    gui.window.tabs.setCurrentWidget(gui.window.write_split)
    pump(200)
    panel = gui.window.compose
    panel.incoming_box.setPlainText((REPO / "samples" / "incoming.eml").read_text())
    panel.instruction.setText("say yes and suggest a Thursday evening")
    shots = {"mid": False}

    def on_update(text: str) -> None:
        if not shots["mid"] and len(text.split()) >= 8:
            shots["mid"] = True
            gui.window.grab().save(str(out / "compose_streaming.png"))

    panel.start_draft()
    panel.op.signals.update.connect(on_update)
    while panel.op is not None:
        pump(100)
    pump(200)
    gui.window.grab().save(str(out / "compose_done.png"))
    # the user changes a word and accepts: the Style page's learning curve shows the edit
    editor = gui.window.editor
    editor.body.setPlainText(editor.body.toPlainText().replace("Thursday", "Thursday at 7", 1))
    panel.accept()
    gui.window.tabs.setCurrentWidget(gui.window.style_page)
    while gui.runner.busy:
        pump(100)
    pump(300)
    gui.window.grab().save(str(out / "style_page.png"))
    gui.window.tabs.setCurrentWidget(gui.window.write_split)
    pump(200)
    gui.window.library.list.setCurrentRow(1)  # the reading pane shows a past mail next to the draft
    for theme in ("light", "dark"):
        apply_theme(QApplication.instance(), theme)
        for w, h in ((1024, 640), (1920, 1080)):
            gui.window.resize(w, h)
            pump(400)
            gui.window.grab().save(str(out / f"write_{w}x{h}_{theme}.png"))
    apply_theme(QApplication.instance(), "light")
    gui.window.resize(1100, 680)
    pump(300)
    # a real, short training run on the persona: the curve and ETA are the trainer's own progress events
    page = gui.window.show_training()
    page.steps.setValue(TRAINING_STEPS)
    page.start()
    while page.op is not None and len(page.losses) < SHOT_AT_STEP:
        pump(200)
    pump(300)
    gui.window.grab().save(str(out / "training_page.png"))
    page.cancel()
    while page.op is not None:
        pump(200)
    gui.popup.popup()
    gui.popup.instruction.setText("tell Lena the counts are in the shared folder")
    gui.popup.start()
    while gui.popup.op is not None:
        pump(100)
    pump(200)
    gui.popup.grab().save(str(out / "quick_popup.png"))
    gui.server.close()
    QApplication.instance().quit()
    print("wrote", sorted(p.name for p in out.glob("*.png")))


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
