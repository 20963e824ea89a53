"""``ownvoice self-check``: this installation (a pip install or the frozen build) end to end, as a user's
clicks would drive it, in a real window on a throwaway data home: the window shows, the Import page
imports mail, the compose panel drafts with exemplars, the Training page trains a few steps.

It runs on the Qt thread and waits by spinning the event loop; the work itself runs on the app's one
worker, exactly as it does for a user. Nothing of the user's own data home is read or written.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from ownvoice.assistant.errors import OwnVoiceError


@dataclass(frozen=True)
class SelfCheck:
    """What the check saw at each stage (seconds are wall-clock on this machine)."""

    window_shown: bool
    imported: int
    import_s: float
    draft_words: int
    draft_exemplars: int
    draft_s: float
    draft_status: str
    training_steps: int
    adapter_versions: int
    training_status: str
    training_s: float

    def as_dict(self) -> dict:
        """Plain data for ``--json``."""
        return asdict(self)

    @property
    def passed(self) -> bool:
        """Every stage did its job."""
        return (
            self.window_shown
            and self.imported > 0
            and self.draft_words > 0
            and self.draft_exemplars > 0
            and self.training_steps > 0
            and self.adapter_versions > 0
        )


def _wait(qapp, done: Callable[[], bool], timeout_s: float, what: str) -> float:
    """Spin the event loop until ``done()``; the seconds it took (OwnVoiceError past ``timeout_s``)."""
    from PySide6.QtCore import QEventLoop

    start = time.monotonic()
    while not done():
        if time.monotonic() - start > timeout_s:
            raise OwnVoiceError(f"self-check: {what} did not finish within {timeout_s:.0f} s")
        qapp.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 100)
    return time.monotonic() - start


def run_self_check(mail: Path, addresses: list[str], steps: int = 2, timeout_s: float = 1800) -> SelfCheck:
    """Import ``mail``, draft a reply and train ``steps`` steps through the real screens (Qt thread)."""
    from .app import OwnVoiceGui

    with tempfile.TemporaryDirectory(prefix="ownvoice-self-check-") as home:
        gui = OwnVoiceGui(home)
        qapp, win = gui.qapp, gui.window
        try:
            _wait(qapp, win.isVisible, 30, "showing the window")
            page = win.welcome
            page.add_paths([Path(mail)])
            page.addresses.setText(", ".join(addresses))
            page.start_import()
            import_s = _wait(qapp, lambda: page.op is None, timeout_s, "the import")
            imported = win.library.list.count()
            win.tabs.setCurrentWidget(win.write_split)
            compose = win.compose
            compose.instruction.setText("say yes and suggest a Thursday evening")
            compose.start_draft()
            draft_s = _wait(qapp, lambda: compose.op is None, timeout_s, "the draft")
            words = len(win.editor.body.toPlainText().split())
            training = win.show_training()
            training.steps.setValue(steps)
            training.start()
            training_s = _wait(qapp, lambda: training.op is None, timeout_s, "the training")
            return SelfCheck(
                window_shown=True,
                imported=imported,
                import_s=round(import_s, 1),
                draft_words=words,
                draft_exemplars=compose.exemplars.count(),
                draft_s=round(draft_s, 1),
                draft_status=compose.status.text(),
                training_steps=len(training.losses),
                adapter_versions=training.table.rowCount(),
                training_status=training.eta.text(),
                training_s=round(training_s, 1),
            )
        finally:
            gui.quit()
            gui.app.close()
