"""The pinned PySide6 survives the signal traffic the app makes (a refcount bug in 6.12.0 aborted after ~570
emits)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # real processes (a child app killed, a Qt process emitting)

EMITTER = r"""
from PySide6.QtCore import QCoreApplication, QObject, Signal

class S(QObject):
    b = Signal(bool)
    s = Signal(str)
    o = Signal(object)
    i = Signal(int)

app = QCoreApplication([])
src, seen = S(), [0]
for sig in (src.b, src.s, src.o, src.i):
    sig.connect(lambda *_: seen.__setitem__(0, seen[0] + 1))
for n in range(20000):
    src.b.emit(n % 2 == 0)
    src.s.emit("piece %d" % n)
    src.o.emit({"n": n})
    src.i.emit(n)
print(seen[0])
"""


def test_twenty_thousand_emits_of_each_kind_in_one_process():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    run = subprocess.run(
        [sys.executable, "-c", EMITTER], capture_output=True, text=True, env=env, timeout=300
    )
    assert run.returncode == 0, run.stderr[-2000:]  # an abort (bool_dealloc) ends the child, not the test run
    assert int(run.stdout.strip()) == 80000


@pytest.mark.scenario
def test_several_long_drafts_stream_in_a_row_in_the_gui(qtbot, home, persona_mbox):
    """Streaming emits once per piece: three long drafts in a row stay alive and each ends with its result."""
    from tests.conftest import import_persona_as_default, running_gui

    import_persona_as_default(home, persona_mbox)
    with running_gui(qtbot, home) as gui:
        panel, pieces = gui.window.compose, []
        gui.window.tabs.setCurrentWidget(gui.window.write_split)
        for n, request in enumerate(
            (
                "tell Lena about the trees on Elm Street in detail",
                "write a long update on the school-street pilot",
                "thank Marco for the slides and explain the plan",
            )
        ):
            panel.instruction.setText(request)
            panel.draft_btn.click()
            panel.op.signals.update.connect(lambda text: pieces.append(text))
            qtbot.waitUntil(lambda: panel.op is None, timeout=180000)
            assert gui.window.editor.body.toPlainText().strip(), n
        assert len(pieces) >= 30  # many streamed updates went through Qt signals
