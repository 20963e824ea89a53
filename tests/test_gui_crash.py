"""A kill -9 while the user types loses at most the last second (real editor in a child process, real
store)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.slow  # real processes (a child app killed, a Qt process emitting)

TYPIST = r"""
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from ownvoice.assistant.app import OwnVoice
from ownvoice.ui.editor import Editor

qapp = QApplication([])
app = OwnVoice(sys.argv[1])
prof = app.profile("priya", create=True)
ed = Editor(app, prof.id)
ed.show()
ed.body.setFocus()
typed = 0

def key():
    global typed
    QTest.keyClick(ed.body, "abcdefghij"[typed % 10])
    typed += 1
    print(typed, time.time(), flush=True)  # what the user has typed, and when

timer = QTimer(interval=15)
timer.timeout.connect(key)
timer.start()
qapp.exec()
"""


def test_kill_9_while_typing_loses_at_most_the_last_second(home):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", OWNVOICE_HOME=str(home))
    child = subprocess.Popen(
        [sys.executable, "-c", TYPIST, str(home)], env=env, stdout=subprocess.PIPE, text=True
    )
    typed: list[tuple[int, float]] = []
    assert child.stdout is not None
    while not typed or typed[-1][0] < 250:  # ~4 s of fast typing: several autosaves happen
        line = child.stdout.readline()
        assert line, "the typing child died"
        n, t = line.split()
        typed.append((int(n), float(t)))
    child.send_signal(signal.SIGKILL)
    killed_at = time.time()
    typed += [
        (int(n), float(t)) for n, t in (ln.split() for ln in child.stdout.read().splitlines() if ln.strip())
    ]
    child.wait(10)
    from ownvoice.assistant.app import OwnVoice

    app = OwnVoice(home)
    docs = app.library(app.profile("priya").id, limit=10)
    assert len(docs) == 1
    saved = len(docs[0].body)
    must_have = max(n for n, t in typed if t <= killed_at - 1.0)  # typed more than a second before the kill
    assert saved >= must_have, (
        f"saved {saved} characters, but {must_have} were typed over a second before the kill"
    )
    assert docs[0].body == ("abcdefghij" * 100)[:saved]  # what was saved is exactly what was typed
    app.close()
