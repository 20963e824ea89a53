"""Render screenshots of the main window, compose mid-stream, the training page and the quick popup.

Usage: xvfb-run -a python packaging/screenshots.py docs/screenshots   (or QT_QPA_PLATFORM=offscreen)
Uses a throw-away data home with the sample persona; the real embedded model drafts and a real LoRA
training run (24 steps, shot at step 12, then cancelled) feeds the training page.
"""
from __future__ import annotations

import os
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
    from ownvoice.assistant.app import OwnVoice

    pre = OwnVoice(home)
    pre.import_paths([REPO / "samples" / "persona.mbox"], "default", ["priya@example.org"])
    pre.close()
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from ownvoice.ui.app import OwnVoiceGui

    gui = OwnVoiceGui(home)

    def pump(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    pump(300)
    gui.window.grab().save(str(out / "main_window.png"))
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
