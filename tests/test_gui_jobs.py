"""The desktop app as a newcomer meets it: first-run import from the GUI, changes from another process,
a draft waiting behind training, menus and shortcuts (real widgets, real store, real models)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from PySide6.QtCore import Qt

from tests.conftest import running_gui
from tests.test_mail_stores import make_thunderbird_home

pytestmark = pytest.mark.slow  # real models (GGUF, MiniLM, torch) or real processes


@pytest.fixture
def fresh_gui(qtbot, home, tmp_path, persona_mbox, monkeypatch):
    """The GUI on an empty home, with a Thunderbird profile in the user's (temp) home folder."""
    fake_home = make_thunderbird_home(tmp_path, persona_mbox)
    monkeypatch.setenv("HOME", str(fake_home))
    with running_gui(qtbot, home) as g:
        yield g


def test_first_run_imports_thunderbird_sent_mail_from_the_gui(fresh_gui, qtbot):
    win = fresh_gui.window
    page = win.welcome
    assert win.tabs.currentWidget() is page  # nothing to write like yet: the import page comes first
    found = [page.sources.item(i).text() for i in range(page.sources.count())]
    assert any("Local Folders/Sent" in f for f in found)
    # keep one store (the IMAP copy holds the same mail) and say which address is the user's
    for i in range(1, page.sources.count()):
        page.sources.item(i).setCheckState(Qt.CheckState.Unchecked)
    page.addresses.setText("priya@example.org")
    page.import_btn.click()
    assert not page.import_btn.isEnabled() and page.cancel_btn.isEnabled()
    qtbot.waitUntil(lambda: page.op is None, timeout=120000)
    kept = int(page.summary.text().split("Kept ")[1].split(" ")[0])
    assert kept >= 20 and "written by others" in page.summary.text()
    assert page.write_btn.isVisible()
    page.write_btn.click()
    assert win.tabs.currentWidget() is win.write_split
    assert win.library.list.count() == kept
    assert fresh_gui.app.profile().addresses == ["priya@example.org"]


@pytest.mark.scenario
def test_cli_import_while_the_app_runs_appears_in_the_library(fresh_gui, qtbot, home, persona_mbox):
    win = fresh_gui.window
    assert win.library.list.count() == 0
    env = dict(os.environ, OWNVOICE_HOME=str(home))
    prof = fresh_gui.app.profile().name
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ownvoice.assistant.cli",
            "import",
            str(persona_mbox),
            "--profile",
            prof,
            "--quiet",
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    qtbot.waitUntil(lambda: win.library.list.count() > 0, timeout=5000)  # no click: the window noticed
    assert win.library.list.count() == fresh_gui.app.library(fresh_gui.app.profile().id, limit=5000).__len__()


def test_draft_while_training_runs_says_it_waits_and_why(fresh_gui, qtbot, persona_mbox):
    win, runner = fresh_gui.window, fresh_gui.runner
    gate = threading.Event()
    training = runner.start(lambda app, op: gate.wait(60), label="Training")
    qtbot.waitUntil(lambda: training.running, timeout=5000)
    win.tabs.setCurrentWidget(win.write_split)
    win.compose.instruction.setText("say yes and suggest a Thursday evening")
    win.compose.draft_btn.click()
    status = win.compose.status.text()
    assert status.startswith("Waiting: training must finish first"), status
    assert "Training running" in win.status_area.text() and "Draft waiting" in win.status_area.text()
    win.compose.stop_btn.click()  # a waiting draft is taken off the queue at once
    qtbot.waitUntil(lambda: win.compose.op is None, timeout=3000)
    assert "cancelled before it started" in win.compose.status.text()
    gate.set()
    qtbot.waitUntil(lambda: not runner.jobs(), timeout=5000)
    assert "Jobs: idle" in win.status_area.text()


def test_menus_and_shortcuts_reach_every_screen(fresh_gui, qtbot):
    win = fresh_gui.window
    menus = [a.text() for a in win.menuBar().actions()]
    assert menus == ["&File", "&Edit", "&Draft", "&View"]
    assert win.new_action.shortcut().toString() == "Ctrl+N"
    assert win.find_action.shortcut().toString() == "Ctrl+F"
    assert win.draft_action.shortcut().toString() == "Ctrl+Return"
    win.find_action.trigger()
    assert win.tabs.currentWidget() is win.write_split
    win.draft_action.trigger()  # nothing asked yet: focus goes to the request, no job starts
    assert win.compose.op is None and "Say what the mail should do" in win.compose.status.text()
    assert "Model: " in win.status_area.text() and "no adapter" in win.status_area.text()


def test_training_page_shows_stages_minutes_and_the_first_loss_point(fresh_gui):
    from ownvoice.assistant.jobs import Progress

    page = fresh_gui.window.show_training()
    page._progress(Progress("preparing", 0, 0))
    assert page.eta.text() == "Preparing the base model…" and page.bar.maximum() == 0  # busy, never "100%"
    page._progress(Progress("training", 1, 24, "", loss=2.5, tokens_per_s=150.0, eta_s=410.0))
    assert page.eta.text() == "Training: step 1 of 24 · loss 2.500 · 150 tokens/s · about 7 min left"
    xs, ys = page.curve.getData()
    assert list(xs) == [1] and list(ys) == [2.5]
    assert page.curve.opts["symbol"] == "o"  # one point is visible


def test_start_fresh_asks_for_the_base_model_and_the_result_says_where_a_run_began(
    fresh_gui, qtbot, monkeypatch
):
    from ownvoice.assistant.training import TrainOutcome

    asked = []

    def train(name, progress=None, cancel=None, options=None):  # the core's training, which has its own tests
        asked.append(options)
        return TrainOutcome(1, len(asked), "", True, {"continued": not options.fresh}, "held-out loss 3 -> 2")

    monkeypatch.setattr(fresh_gui.app, "train", train)
    page = fresh_gui.window.show_training()
    assert not page.fresh.isChecked()  # by default a retrain goes on from what the adapter in use learned
    page.start_btn.click()
    qtbot.waitUntil(lambda: page.op is None, timeout=10000)
    assert not asked[0].fresh
    assert page.eta.text() == "Activated: held-out loss 3 -> 2 (went on from the adapter in use)"
    page.fresh.setChecked(True)
    page.start_btn.click()
    qtbot.waitUntil(lambda: page.op is None, timeout=10000)
    assert asked[1].fresh and page.eta.text() == "Activated: held-out loss 3 -> 2"


def test_dark_and_light_themes_and_a_usable_layout_at_1024x640(fresh_gui, qtbot):
    from PySide6.QtGui import QPalette

    from ownvoice.ui.theme import apply_theme

    qapp, win = fresh_gui.qapp, fresh_gui.window
    assert apply_theme(qapp, "dark") == "dark"
    assert qapp.palette().color(QPalette.ColorRole.Window).lightness() < 60
    assert qapp.palette().color(QPalette.ColorRole.Text).lightness() > 200
    assert apply_theme(qapp, "light") == "light"
    assert qapp.palette().color(QPalette.ColorRole.Window).lightness() > 200
    win.tabs.setCurrentWidget(win.write_split)
    win.resize(1024, 640)
    qtbot.wait(100)
    assert win.editor.body.width() >= 300  # the editor keeps the most room
    assert win.compose.width() <= 420
    assert (
        win.library.list.horizontalScrollBar().isHidden()
        or not win.library.list.horizontalScrollBar().isVisible()
    )


@pytest.mark.scenario
def test_cancel_keeps_the_steps_done_and_resume_continues_from_there(
    fresh_gui, qtbot, persona_mbox, shared_cache
):
    """A real training run on the persona: Cancel checkpoints after the current step, Resume goes on from
    it."""
    app, win = fresh_gui.app, fresh_gui.window
    app.import_paths([persona_mbox], app.profile().name, ["priya@example.org"])
    page = win.show_training()
    assert not page.resume_btn.isEnabled()
    page.steps.setValue(4)
    page.start_btn.click()
    qtbot.waitUntil(lambda: len(page.losses) >= 1, timeout=300000)
    page.cancel_btn.click()
    qtbot.waitUntil(lambda: page.op is None, timeout=120000)
    assert page.unfinished is not None and 1 <= page.unfinished.step < 4
    stopped_at = page.unfinished.step
    assert page.eta.text() == f"Cancelled at step {stopped_at}: Resume continues from there."
    assert page.resume_btn.isEnabled() and f"from step {stopped_at}" in page.resume_btn.text()
    assert not list(app.home.rglob("train.jsonl"))  # no copy of the user's mail left behind
    page.resume_btn.click()
    qtbot.waitUntil(lambda: page.op is None, timeout=300000)
    assert page.table.rowCount() == 1 and page.unfinished is None
    assert app.list_adapters(app.profile().id)[0].metrics["steps"] == 4
    assert len(page.losses) == 4 - stopped_at  # only the remaining steps were trained
    assert page.bar.value() == page.bar.maximum()


def test_tab_reaches_every_control_from_the_text_boxes(fresh_gui, qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    win = fresh_gui.window
    win.tabs.setCurrentWidget(win.write_split)
    win.activateWindow()
    panel = win.compose

    def tab_chain(start, presses: int = 12) -> list:
        start.setFocus()
        qtbot.waitUntil(lambda: QApplication.focusWidget() is start, timeout=2000)
        seen = []
        for _ in range(presses):
            qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
            seen.append(QApplication.focusWidget())
        return seen

    from_request = tab_chain(panel.instruction)
    assert panel.incoming_box in from_request and panel.draft_btn in from_request
    assert win.editor.body.toPlainText() == "" and panel.incoming_box.toPlainText() == ""  # no tab typed
    from_editor = tab_chain(win.editor.body, 3)
    assert from_editor[0] is not win.editor.body


def test_library_reading_pane_shows_the_selected_mail(fresh_gui, persona_mbox):
    app, win = fresh_gui.app, fresh_gui.window
    app.import_paths([persona_mbox], app.profile().name, ["priya@example.org"])
    lib = win.library
    lib.refresh()  # the same connection imported: its own writes do not move PRAGMA data_version
    assert lib.list.count() >= 20 and lib.reader.toPlainText() == ""
    lib.list.setCurrentRow(0)
    doc = app.get_document(lib.list.item(0).data(0x0100))
    shown = lib.reader.toPlainText()
    assert shown.startswith(f"Subject: {doc.subject}") and doc.body in shown and "Kept as: imported" in shown
    assert lib.reader.isReadOnly()


def test_a_refresh_keeps_the_mail_being_read(fresh_gui, persona_mbox):
    app, lib = fresh_gui.app, fresh_gui.window.library
    app.import_paths([persona_mbox], app.profile().name, ["priya@example.org"])
    lib.refresh()
    lib.list.setCurrentRow(3)
    reading = lib.reader.toPlainText()
    lib.refresh()  # what the store watcher does when another process writes
    assert lib.list.currentRow() == 3 and lib.reader.toPlainText() == reading


def _open_on(path) -> int:
    """How many file descriptors of this process are open on ``path``."""
    target = os.path.realpath(path)
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.path.realpath(f"/proc/self/fd/{fd}") == target
        except OSError:
            continue
    return count


def test_one_core_behind_every_screen_and_job(fresh_gui, qtbot, home, persona_mbox):
    """A job on the worker runs on the window's own core (one store connection, no second one), and what it
    writes reaches the library and the status area through the core's Changes, with no store polling."""
    from ownvoice.assistant.changes import Changes

    gui, win = fresh_gui, fresh_gui.window
    win.watch.stop()  # nothing polls the store now: only the core's Changes can refresh the screens
    seen: list[Changes] = []
    gui.runner.events.changed.connect(seen.append)
    cores = []

    def job(core, op):
        cores.append(core)
        return core.import_paths([persona_mbox], core.profile().name, ["priya@example.org"], embed=False)

    gui.runner.start(job, label="Importing")
    qtbot.waitUntil(lambda: not gui.runner.busy, timeout=120000)
    assert cores == [gui.app]  # the worker has no core of its own
    qtbot.waitUntil(lambda: win.library.list.count() >= 20, timeout=5000)
    assert any(c.documents for c in seen) and not any(c.adapters for c in seen)
    assert _open_on(home / "ownvoice.db") == 1  # one connection for the window, the screens and the worker
    # a write from a screen (the Qt thread) is told the same way: switching the adapter off shows at once
    before = win.status_area.text()
    gui.app.set_active_adapter(gui.app.profile().id, None)
    assert seen[-1] == Changes(adapters=True) and win.status_area.text() == before
