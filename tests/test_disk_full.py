"""A full disk (SQLite's own page limit stands in for it) loses nothing the user wrote and says what
happened."""

from __future__ import annotations

import pytest

from ownvoice.assistant.errors import StorageError
from ownvoice.assistant.prompts import DraftRequest

pytestmark = pytest.mark.slow  # real models (GGUF, MiniLM, torch) or real processes


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
        "From: Ana <ana@example.org>\nSubject: Plans\n\n"
        + "We went over the plans for the garden again. " * 200
    )
    result = app.draft(
        DraftRequest(
            "say yes and suggest a Thursday evening", incoming=long_mail, max_tokens=40, candidates=1
        ),
        "priya",
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


# ---- a real full disk: a small tmpfs (the tests run as root, in CI too)
# ------------------------------------------
@pytest.fixture
def small_disk(tmp_path):
    """A 12 MB file system of its own, unmounted afterwards."""
    import subprocess

    mnt = tmp_path / "disk"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m,mode=0700", "tmpfs", str(mnt)], check=True)
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill_disk(mnt) -> None:
    """Write a filler file until the file system has no byte left."""
    with open(mnt / "filler", "wb", buffering=0) as fh:  # unbuffered: close() has nothing left to write
        try:
            while True:
                fh.write(b"\0" * 4096)
        except OSError:
            pass
    import shutil

    assert shutil.disk_usage(mnt).free < 4096


def _own_mail(path):
    path.write_text(
        "From me Mon Jun  3 10:00:00 2024\nFrom: Priya <priya@example.org>\nSubject: One more\n\n"
        "A new note of mine that should wait until there is room for it.\n\nPriya\n",
        encoding="utf-8",
    )
    return path


def _cli(home, *args):
    import os
    import subprocess
    import sys

    env = dict(os.environ, OWNVOICE_HOME=str(home))
    return subprocess.run(
        [sys.executable, "-m", "ownvoice.assistant.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.scenario
def test_opening_the_store_on_a_full_disk_is_a_clear_error_and_loses_nothing(small_disk, persona_mbox):
    home = small_disk / "home"
    assert _cli(home, "import", str(persona_mbox), "--from", "priya@example.org", "--quiet").returncode == 0
    _fill_disk(small_disk)
    for command in (["stats"], ["search", "workshop"], ["draft", "say yes", "--max-tokens", "10"]):
        run = _cli(home, *command)
        assert run.returncode == 2, run.stderr
        assert (
            "disk is full" in run.stderr
            and "nothing was lost" in run.stderr
            and "Traceback" not in run.stderr
        )
    (small_disk / "filler").unlink()
    run = _cli(home, "stats")
    assert run.returncode == 0 and "22 documents" in run.stdout and "22 embedded" in run.stdout


def test_import_search_draft_and_training_when_the_disk_fills_up_while_the_app_runs(
    small_disk, persona_mbox, tmp_path
):
    """The app's store is open (as in the GUI) when the disk fills: each job says so and nothing is lost."""
    from ownvoice.assistant.app import OwnVoice

    app = OwnVoice(small_disk / "home")
    app.import_paths([persona_mbox], "priya", ["priya@example.org"])
    before = app.stats()[0]
    _fill_disk(small_disk)
    with pytest.raises(StorageError, match="disk is full"):
        app.import_paths([_own_mail(tmp_path / "new.mbox")], "priya", ["priya@example.org"])
    assert app.stats()[0] == before  # nothing half-imported
    found = app.search("a workshop for the parents", "priya", k=3)
    assert len(found) == 3  # searching needs no space
    result = app.draft(
        DraftRequest("say yes and suggest a Thursday evening", max_tokens=30, candidates=1), "priya"
    )
    assert result.text.strip() and "disk is full" in result.save_error  # the draft is shown, not recorded
    with pytest.raises(
        StorageError, match="training stopped, the active adapter is unchanged: the disk is full"
    ):
        app.train("priya", steps=2, playback_model=False)
    assert app.list_adapters(app.profile("priya").id) == []
    (small_disk / "filler").unlink()
    summary = app.import_paths([_own_mail(tmp_path / "new.mbox")], "priya", ["priya@example.org"])
    assert summary.imported == 1 and app.stats()[0]["embedded"] == before["embedded"] + 1
    assert app.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    app.close()


@pytest.mark.scenario
def test_the_desktop_app_on_a_full_disk_says_so_in_a_window(small_disk, persona_mbox, qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from ownvoice.ui.app import run

    home = small_disk / "home"
    assert _cli(home, "import", str(persona_mbox), "--from", "priya@example.org", "--quiet").returncode == 0
    _fill_disk(small_disk)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *rest: shown.append(text))
    assert run(str(home)) == 2
    assert len(shown) == 1 and "cannot start" in shown[0] and "the disk is full" in shown[0]


def test_a_full_disk_leaves_no_partial_embedder_copy_and_queries_take_the_torch_path(small_disk):
    from ownvoice.assistant.backends import st_embedder
    from ownvoice.assistant.backends.bert_gguf import cached_bert_gguf
    from ownvoice.assistant.backends.defaults import default_embedder_path

    cache = small_disk / "cache"  # 12 MB: the 46 MB copy cannot be written
    with pytest.raises(OSError):
        cached_bert_gguf(default_embedder_path(), cache)
    assert list(cache.iterdir()) == []  # no partial copy left to fill the disk
    emb = st_embedder.SentenceTransformerEmbedder(str(default_embedder_path()), cache_dir=cache)
    query = ["a workshop for the parents"]
    assert float((emb.encode(query) * emb._encode_batches(query, 1)).sum()) > 0.9999
    assert emb._engine_ok is False and list(cache.iterdir()) == []
