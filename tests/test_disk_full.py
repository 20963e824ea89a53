"""A full disk (SQLite's own page limit stands in for it) loses nothing the user wrote and says what happened."""

from __future__ import annotations

import pytest

from ownvoice.assistant.errors import StorageError
from ownvoice.assistant.prompts import DraftRequest


def _fill(db) -> None:
    """No page more, and the free pages used up: every growing write fails as on a full disk."""
    import sqlite3

    db.execute("CREATE TABLE IF NOT EXISTS _filler (b BLOB)")
    db.conn.commit()
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")
    for size in (1 << 16, 1 << 12, 1 << 8, 16):
        try:
            while True:
                db.execute("INSERT INTO _filler VALUES (zeroblob(?))", [size])
                db.conn.commit()
        except sqlite3.OperationalError:
            db.conn.rollback()


def _unfill(db) -> None:
    db.execute("PRAGMA max_page_count = 1073741823")


def test_draft_on_a_full_disk_still_gives_its_text_and_says_it_was_not_recorded(persona_app):
    app = persona_app
    app.embed(app.profile("priya"))
    _fill(app.db)
    long_mail = (
        "From: Ana <ana@example.org>\nSubject: Plans\n\n" + "We went over the plans for the garden again. " * 200
    )
    result = app.draft(
        DraftRequest("say yes and suggest a Thursday evening", incoming=long_mail, max_tokens=40, candidates=1), "priya"
    )
    assert result.text.strip() and result.generation_id == 0
    assert "disk is full" in result.save_error and "nothing was lost" in result.save_error
    assert result.as_dict()["save_error"] == result.save_error
    with pytest.raises(StorageError, match="disk is full"):
        app.save_text(app.profile("priya").id, None, "Big", "word " * 50000)
    _unfill(app.db)
    assert app.save_text(app.profile("priya").id, None, "Big", "word " * 50000) > 0


def test_editor_keeps_the_text_and_retries_when_the_disk_is_full(app, qtbot):
    from ownvoice.ui.editor import Editor

    prof = app.profile("priya", create=True)
    ed = Editor(app, prof.id)
    qtbot.addWidget(ed)
    _fill(app.db)
    ed.body.setPlainText("word " * 50000)
    assert ed.save_now() is None
    assert "disk is full" in ed.save_error and ed.banner.text().startswith("Not saved:")
    assert ed.body.toPlainText().startswith("word word")  # nothing the user wrote is lost
    _unfill(app.db)
    qtbot.waitUntil(lambda: ed.document_id is not None, timeout=3000)  # the retry timer saves it
    assert ed.save_error == "" and not ed.banner.text().startswith("Not saved")
    assert app.get_document(ed.document_id).body.startswith("word word")
