"""The desktop app with real widgets (offscreen Qt), a real temp store and the real embedded model."""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys

import pytest

from ownvoice.store import documents as D  # noqa: E402
from ownvoice.store import generations as G  # noqa: E402
from tests.conftest import SAMPLES, import_persona_as_default, running_gui  # noqa: E402

pytestmark = pytest.mark.slow  # real models (GGUF, MiniLM, torch) or real processes


@pytest.fixture
def gui(qtbot, home, persona_mbox):
    """The running GUI on a temp home with the persona imported."""
    import_persona_as_default(home, persona_mbox)
    with running_gui(qtbot, home) as g:
        yield g


def test_typing_in_the_editor_is_autosaved_with_revisions(gui, qtbot):
    ed = gui.window.editor
    ed.subject.setText("Garden")
    qtbot.keyClicks(ed.body, "Tomatoes by the wall")
    qtbot.waitUntil(lambda: ed.document_id is not None, timeout=3000)
    qtbot.keyClicks(ed.body, ", basil by the door.")
    qtbot.waitUntil(lambda: D.get_document(gui.app.db, ed.document_id).body.endswith("door."), timeout=3000)
    revs = D.revisions(gui.app.db, ed.document_id)
    assert len(revs) >= 2 and revs[-1]["body"] == "Tomatoes by the wall, basil by the door."
    doc = D.get_document(gui.app.db, ed.document_id)
    assert doc.source == "typed" and doc.subject == "Garden"


def test_compose_with_pasted_mail_streams_a_draft_with_exemplars_then_accept(gui, qtbot):
    panel, ed = gui.window.compose, gui.window.editor
    panel.incoming_box.setPlainText((SAMPLES / "incoming.eml").read_text())
    assert ed.to.text() == "Ana Costa <ana@example.org>"
    assert ed.subject.text() == "Re: Workshop on the school-street pilot"
    shown = panel.incoming_box.toPlainText()  # the raw message is shown readably: no MIME headers
    assert shown.startswith("From: Ana Costa") and "Message-ID" not in shown and "Content-Type" not in shown
    panel.instruction.setText("say yes and suggest a Thursday")
    updates = []
    ed.body.textChanged.connect(lambda: updates.append(ed.body.toPlainText()))
    with qtbot.waitSignal(panel.drafted, timeout=120000) as blocker:
        qtbot.mouseClick(
            panel.draft_btn, __import__("PySide6.QtCore", fromlist=["Qt"]).Qt.MouseButton.LeftButton
        )
        assert panel.stop_btn.isEnabled()  # the event loop is free while the model runs
    result = blocker.args[0]
    assert len(set(updates)) >= 3  # streamed, not pasted at the end
    assert ed.body.toPlainText() == result.text and result.text.startswith("Hey Ana —")
    assert panel.exemplars.count() == len(result.exemplars) == 4
    assert "parents' association" in result.prompt
    # the draft is kept, but as a draft: not the user's writing until accepted
    kept = D.get_document(gui.app.db, ed.document_id)
    assert kept.source == "draft" and kept.generation_id == result.generation_id
    assert ed.document_id not in {d.id for d in D.list_documents(gui.app.db, kept.profile_id)}
    assert len(ed.body.extraSelections()) >= len(result.unsupported)  # invented specifics are highlighted
    # the user edits, then accepts: the final text is stored with the generation, as their own writing
    ed.body.setPlainText(result.text + "\nP.S. I'll bring the photos.")
    qtbot.mouseClick(
        panel.accept_btn, __import__("PySide6.QtCore", fromlist=["Qt"]).Qt.MouseButton.LeftButton
    )
    row = G.get_generation(gui.app.db, result.generation_id)
    assert row["final_text"].endswith("P.S. I'll bring the photos.")
    doc = D.get_document(gui.app.db, row["document_id"])
    assert doc.source == "accepted" and doc.body == row["final_text"]
    # exported .eml parses back with the right headers
    msg = email.message_from_bytes(
        bytes(panel.reply_message("priya@example.org", "Priya Raman")), policy=email.policy.default
    )
    assert (
        msg["Subject"] == "Re: Workshop on the school-street pilot"
        and msg["In-Reply-To"] == "<incoming-1@example.org>"
    )
    assert msg["References"] == "<incoming-1@example.org>" and msg["To"] == "Ana Costa <ana@example.org>"
    assert msg.get_content().rstrip("\n") == ed.body.toPlainText()


def test_quick_command_reaches_the_running_instance(gui, qtbot, home):
    assert not gui.popup.isVisible()
    env = {**os.environ, "OWNVOICE_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen([sys.executable, "-m", "ownvoice.assistant.cli", "quick"], env=env)
    qtbot.waitUntil(gui.popup.isVisible, timeout=30000)
    assert proc.wait(30) == 0  # it handed over and exited instead of starting a second app


def test_quick_popup_drafts_saves_and_copies(gui, qtbot):
    from PySide6.QtGui import QGuiApplication

    pop = gui.popup
    pop.popup()
    pop.instruction.setText("tell Lena the counts are in the shared folder")
    pop.start()
    qtbot.waitUntil(lambda: pop.result is not None, timeout=120000)
    assert pop.output.toPlainText() == pop.result.text
    saved = D.get_document(gui.app.db, pop.saved_document)
    assert saved.body == pop.result.text and saved.source == "draft"  # not copied yet: not the user's writing
    pop.output.setPlainText(pop.result.text + "\nSee you!")
    pop.copy_and_close()
    assert QGuiApplication.clipboard().text() == pop.result.text + "\nSee you!" and not pop.isVisible()
    saved = D.get_document(gui.app.db, pop.saved_document)
    row = G.get_generation(gui.app.db, pop.result.generation_id)
    assert saved.source == "accepted" and saved.body.endswith("See you!") and row["status"] == "sent"
    assert row["edit_distance"] == 2 and row["final_text"] == saved.body


def test_tray_menu_and_training_page(gui):
    labels = [a.text() for a in gui.tray_menu.actions() if a.text()]
    assert labels[:2] == ["Quick compose", "Open OwnVoice"] and "Quit" in labels
    assert [a.text() for a in gui.profile_menu.actions()] == ["priya"]
    page = gui.window.show_training()
    assert page.table.rowCount() == 0 and page.start_btn.isEnabled()


@pytest.mark.scenario
def test_training_page_estimates_before_training(gui, qtbot, shared_cache):
    page = gui.window.show_training()
    page.steps.setValue(4)
    page.estimate_btn.click()
    assert not page.start_btn.isEnabled() and page.cancel_btn.isEnabled()
    qtbot.waitUntil(lambda: page.op is None, timeout=300000)
    text = page.eta.text()
    assert text.startswith("Training here would take about") and "(4 steps at" in text, text
    assert "GB of memory" in text and "no CUDA GPU here" in text
    assert page.table.rowCount() == 0 and page.start_btn.isEnabled()  # the probe kept nothing


def test_gui_start_up_imports_no_torch(home):
    code = (
        "import sys, os; os.environ['QT_QPA_PLATFORM']='offscreen'; from ownvoice.ui.app import OwnVoiceGui; "
        "g = OwnVoiceGui(os.environ['OWNVOICE_HOME']); g.qapp.processEvents(); "
        "print([m for m in ('torch','transformers','peft','sentence_transformers','llama_cpp') if m in "
        "sys.modules]); "
        "g.server.close()"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "OWNVOICE_HOME": str(home)},
    ).stdout
    assert out.strip().splitlines()[-1] == "[]"


TRAY_SCRIPT = r"""
import os, subprocess, sys, time
tray_host = subprocess.Popen(["trayer", "--edge", "top", "--widthtype", "request", "--height", "24"])
time.sleep(1.0)
from PySide6.QtWidgets import QApplication, QSystemTrayIcon
app = QApplication(sys.argv[:1])
assert QSystemTrayIcon.isSystemTrayAvailable(), "no tray host"
from ownvoice.ui.app import OwnVoiceGui
g = OwnVoiceGui(os.environ["OWNVOICE_HOME"], show_window=False)
app.processEvents()
assert g.tray.isVisible(), "tray icon not shown"
actions = {a.text(): a for a in g.tray_menu.actions()}
actions["Quick compose"].trigger()
app.processEvents()
assert g.popup.isVisible() and not g.window.isVisible()
actions["Open OwnVoice"].trigger()
app.processEvents()
assert g.window.isVisible()
print("TRAY-OK", sorted(k for k in actions if k))
g.server.close()
tray_host.terminate()
"""


def test_tray_icon_and_menu_under_xvfb_with_a_tray_host(home):
    import shutil

    assert shutil.which("xvfb-run") and shutil.which("trayer"), "make setup installs xvfb and trayer (Debian)"
    env = {**os.environ, "OWNVOICE_HOME": str(home), "QT_QPA_PLATFORM": "xcb"}
    proc = subprocess.run(
        ["xvfb-run", "-a", sys.executable, "-c", TRAY_SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert "TRAY-OK" in proc.stdout, proc.stdout + proc.stderr
    assert "['Open OwnVoice', 'Profile', 'Quick compose', 'Quit']" in proc.stdout


def test_autosave_timer_is_not_pushed_back_by_fast_typing(gui, qtbot):
    import time

    ed = gui.window.editor
    saves = []
    ed.saved.connect(saves.append)
    start = time.monotonic()
    while time.monotonic() - start < 2.5:  # a steady typist: a key every 100 ms, no pause
        qtbot.keyClicks(ed.body, "a")
        qtbot.wait(100)
    assert saves, "nothing saved during 2.5 s of continuous typing"
    first_save = D.get_document(gui.app.db, saves[0])
    assert first_save is not None and len(saves) >= 2


def test_leaving_the_editor_saves_at_once_and_relaunch_reopens_it(gui, qtbot, home):
    from ownvoice.ui.app import OwnVoiceGui

    ed = gui.window.editor
    ed.body.setFocus()
    qtbot.keyClicks(ed.body, "Notes for the council hearing")
    gui.window.compose.instruction.setFocus()  # focus leaves the editor: saved before the timer fires
    qtbot.waitUntil(lambda: ed.document_id is not None, timeout=500)
    doc_id = ed.document_id
    gui.window.close()
    again = OwnVoiceGui(str(home))
    qtbot.addWidget(again.window)
    try:
        assert again.window.editor.document_id == doc_id
        assert again.window.editor.body.toPlainText() == "Notes for the council hearing"
    finally:
        again.server.close()
        again.window.close()
        again.popup.close()


def test_imported_mail_is_read_only_and_buttons_follow_the_text(gui, qtbot):
    ed, panel = gui.window.editor, gui.window.compose
    assert (
        not panel.accept_btn.isEnabled() and not panel.export_btn.isEnabled()
    )  # nothing to accept or save yet
    assert not panel.regen_btn.isEnabled()
    imported = [d for d in D.list_documents(gui.app.db, ed.profile_id) if d.source == "imported"][0]
    ed.open_document(imported.id)
    assert ed.body.isReadOnly() and ed.banner.isVisible() and "read-only" in ed.banner.text()
    assert panel.export_btn.isEnabled() and not panel.accept_btn.isEnabled()
    ed.new_document()
    assert not ed.body.isReadOnly()
    qtbot.keyClicks(ed.body, "Hi")
    assert panel.accept_btn.isEnabled() and panel.copy_btn.isEnabled()


def test_profile_switch_resets_compose(gui, qtbot):
    panel = gui.window.compose
    panel.incoming_box.setPlainText((SAMPLES / "incoming.eml").read_text())
    panel.instruction.setText("say yes")
    assert panel.incoming is not None
    gui.app.create_profile("work")
    gui.window.settings._switch("work")
    assert panel.profile_name == "work" and panel.incoming is None
    assert (
        panel.instruction.text() == ""
        and panel.incoming_box.toPlainText() == ""
        and panel.exemplars.count() == 0
    )
    assert gui.window.editor.body.toPlainText() == "" and not panel.export_btn.isEnabled()


def test_renaming_a_profile_to_a_taken_name_is_a_clear_error(gui):
    from ownvoice.assistant.errors import ProfileError

    gui.app.create_profile("home")
    with pytest.raises(ProfileError, match="already a profile called 'home'"):
        gui.app.rename_profile(gui.app.profile("priya").id, "home")
    with pytest.raises(ProfileError, match="already"):
        gui.app.create_profile("priya")


def test_the_style_strength_slider_goes_into_the_request(gui):
    panel = gui.window.compose
    panel.instruction.setText("say yes")
    assert panel.request().strength == 1.0 and panel.strength_label.text() == "Your style: 100%"
    panel.strength.setValue(40)
    assert panel.request().strength == 0.4 and panel.strength_label.text() == "Your style: 40%"
    panel.strength.setValue(0)
    assert panel.request().strength == 0.0 and "plain model" in panel.strength_label.text()
    plain = panel.request().at_strength()
    assert not plain.use_rag and not plain.use_adapter
