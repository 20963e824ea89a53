"""Import: what is kept from real-world mail, dedupe, and bad input that must not hurt the store."""

from __future__ import annotations

import json
import mailbox
import os
import stat

import pytest

from ownvoice.assistant.errors import InputError
from ownvoice.assistant.ingest import import_paths
from ownvoice.store import documents as D
from ownvoice.store.profiles import ensure_profile, get_profile


def _bodies(app, profile="alice"):
    prof = app.profile(profile)
    return {d.subject: d for d in D.list_documents(app.db, prof.id)}


def test_mixed_mbox_keeps_exactly_the_users_text(app, mixed_mbox):
    summary = app.import_paths([mixed_mbox], "alice", ["alice@example.com"], embed=False)
    assert (summary.imported, summary.not_users, len(summary.unreadable)) == (5, 2, 0)
    docs = _bodies(app)
    assert set(docs) == {"Lunch", "Report", "Cafe", "Re: Plans", "Signature"}
    assert docs["Lunch"].body == "Hi Bob,\n\nLunch on Friday at noon?\n\nCheers,\nAlice"
    # HTML-only mail becomes text; style block dropped
    assert docs["Report"].body == "Hi Carol,\n\nThe report is done.\n\nCheers,\nAlice"
    # Latin-1 decoded
    assert "café on Rue de la Paix" in docs["Cafe"].body and "naïve" in docs["Cafe"].body
    # quoted reply cut from the body, kept as context; greeting/sign-off stay
    assert docs["Re: Plans"].body == "Sounds good, see you there.\n\nCheers,\nAlice"
    assert docs["Re: Plans"].context.startswith("Shall we meet at 6?")
    # '-- ' signature block dropped, sign-off kept
    assert docs["Signature"].body.endswith("Cheers,\nAlice") and "ACME" not in docs["Signature"].body
    prof = get_profile(app.db, "alice")
    assert prof.addresses == ["alice@example.com"] and prof.display_name == "Alice Example"


def test_reimport_adds_nothing(app, mixed_mbox):
    app.import_paths([mixed_mbox], "alice", ["alice@example.com"], embed=False)
    again = app.import_paths([mixed_mbox], "alice", embed=False)  # addresses remembered by the profile
    assert again.imported == 0 and again.duplicates == 5 and again.not_users == 2
    assert app.db["documents"].count == 5


def test_without_from_everything_is_kept(app, mixed_mbox):
    summary = app.import_paths([mixed_mbox], "all", embed=False)
    assert summary.imported == 7 and summary.not_users == 0


def test_corrupt_mbox_and_binary_file_give_clear_errors_and_leave_store_intact(app, mixed_mbox, tmp_path):
    app.import_paths([mixed_mbox], "alice", ["alice@example.com"], embed=False)
    before = app.db["documents"].count
    corrupt = tmp_path / "broken.mbox"
    corrupt.write_bytes(b"this is not an mbox\nFrom: x\n\nhello\n")
    with pytest.raises(InputError, match="not a valid mbox"):
        app.import_paths([corrupt], "alice", embed=False)
    binary = tmp_path / "photo.mbox"
    binary.write_bytes(os.urandom(4096) + b"\x00" * 100)
    with pytest.raises(InputError, match="binary file"):
        app.import_paths([binary], "alice", embed=False)
    assert app.db["documents"].count == before
    assert app.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_one_bad_path_among_good_ones_is_reported_not_fatal(app, mixed_mbox, tmp_path):
    binary = tmp_path / "x.bin"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    summary = app.import_paths([mixed_mbox, binary], "alice", ["alice@example.com"], embed=False)
    assert summary.imported == 5
    assert len(summary.failed_files) == 1 and "binary" in summary.failed_files[0][1]


def test_truncated_mbox_imports_what_is_whole(app, mixed_mbox, tmp_path):
    data = mixed_mbox.read_bytes()
    cut = tmp_path / "cut.mbox"
    cut.write_bytes(data[: int(len(data) * 0.55)])
    summary = app.import_paths([cut], "alice", ["alice@example.com"], embed=False)
    assert 1 <= summary.imported < 5


def test_huge_message_is_skipped_with_reason(app, tmp_path):
    box = mailbox.mbox(str(tmp_path / "big.mbox"))
    box.add(mailbox.mboxMessage(b"From: a@x.org\nSubject: big\n\n" + b"word " * 600_000))
    box.add(mailbox.mboxMessage(b"From: a@x.org\nSubject: small\n\nHi there,\n\nok\n\nA"))
    box.flush()
    box.close()
    summary = app.import_paths([tmp_path / "big.mbox"], "a", embed=False)
    assert summary.imported == 1
    assert len(summary.unreadable) == 1 and "too large" in summary.unreadable[0][1]


def test_jsonl_maildir_eml_and_text_folder(app, tmp_path):
    jl = tmp_path / "mail.jsonl"
    jl.write_text(
        "\n".join(
            [
                json.dumps(
                    {
                        "email": "Dear Ann,\r\n\nThanks!\r\n\nBest,\r\n\nZoe",
                        "subject": "Re: hi",
                        "date": "2024-01-02",
                    }
                ),
                "{not json",
                json.dumps({"subject": "no body"}),
                json.dumps({"email": "Dear Ben,\n\nSee you.\n\nBest,\n\nZoe", "subject": "later"}),
            ]
        )
    )
    md = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    md.add(mailbox.MaildirMessage(b"From: Zoe <z@x.org>\nSubject: md\n\nHello from maildir.\n\nZoe"))
    md.close()
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "idea.md").write_text("# Garden plan\n\nTomatoes by the wall.\n")
    (notes / "one.eml").write_bytes(b"From: Zoe <z@x.org>\nSubject: eml\n\nA single eml.\n\nZoe")
    summary = app.import_paths([jl, tmp_path / "Maildir", notes], "zoe", embed=False)
    assert summary.imported == 5
    assert len(summary.unreadable) == 2
    docs = _bodies(app, "zoe")
    assert (
        docs["Re: hi"].body == "Dear Ann,\n\nThanks!\n\nBest,\n\nZoe"
        and docs["Re: hi"].sent_at == "2024-01-02"
    )
    assert docs["Garden plan"].kind == "note" and docs["Garden plan"].body == "Tomatoes by the wall."
    assert docs["md"].body.startswith("Hello from maildir")
    assert get_profile(app.db, "zoe").display_name == "Zoe"


def test_import_is_all_or_nothing_when_cancelled(app, mixed_mbox):
    from ownvoice.assistant.errors import Cancelled
    from ownvoice.assistant.jobs import CancelToken

    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        app.import_paths([mixed_mbox], "alice", embed=False, cancel=token)
    assert app.db["documents"].count == 0


def test_store_files_are_private(app, mixed_mbox):
    app.import_paths([mixed_mbox], "alice", embed=False)
    assert stat.S_IMODE(os.stat(app.home).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(app.home / "ownvoice.db").st_mode) == 0o600


def test_full_disk_error_keeps_store(app, mixed_mbox, monkeypatch):
    import sqlite3

    from ownvoice.assistant.errors import StorageError
    from ownvoice.store import documents as docs_mod

    def full(*a, **k):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(docs_mod, "insert_documents", full)
    with pytest.raises(StorageError, match="disk is full"):
        import_paths(app.db, ensure_profile(app.db, "alice"), [mixed_mbox])
    assert app.db["documents"].count == 0
