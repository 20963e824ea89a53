"""The SQLite store: schema, privacy, dedupe, revisions, generation log."""

from __future__ import annotations

import os
import stat

from ownvoice.store import documents as D
from ownvoice.store import generations as G
from ownvoice.store import open_db
from ownvoice.store.profiles import delete_profile, ensure_profile


def test_open_db_applies_migrations_wal_and_private(tmp_path):
    path = tmp_path / "sub" / "o.db"
    db = open_db(path)
    names = set(db.table_names())
    assert {
        "profiles",
        "documents",
        "revisions",
        "embeddings",
        "generations",
        "documents_fts",
        "models",
    } <= names
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    applied = [r["name"] for r in db["_sqlite_migrations"].rows]
    assert applied[0] == "m001_profiles"
    db.close()
    db2 = open_db(path)  # reopening applies nothing twice
    assert [r["name"] for r in db2["_sqlite_migrations"].rows] == applied


def test_insert_dedupes_per_profile_and_fts(tmp_path):
    db = open_db(tmp_path / "o.db")
    a, b = ensure_profile(db, "a"), ensure_profile(db, "b")
    docs = [
        D.Document(body="Hello there  Bob", subject="Hi"),
        D.Document(body="hello there bob", subject="hi"),
    ]
    assert len(D.insert_documents(db, a.id, docs)) == 1  # same text modulo case/space
    assert len(D.insert_documents(db, a.id, docs)) == 0
    assert len(D.insert_documents(db, b.id, docs)) == 1  # another profile may hold the same text
    hits = D.search_fts(db, a.id, "bob")
    assert len(hits) == 1 and D.get_document(db, hits[0][0]).profile_id == a.id


def test_save_draft_keeps_every_revision(tmp_path):
    db = open_db(tmp_path / "o.db")
    p = ensure_profile(db, "me")
    doc_id = D.save_draft(db, p.id, None, "Subj", "First")
    assert D.save_draft(db, p.id, doc_id, "Subj", "First words") == doc_id
    revs = D.revisions(db, doc_id)
    assert [r["body"] for r in revs] == ["First", "First words"]
    assert D.get_document(db, doc_id).body == "First words"


def test_generation_log_and_final_text(tmp_path):
    db = open_db(tmp_path / "o.db")
    p = ensure_profile(db, "me")
    gid = G.log_generation(
        db,
        p.id,
        instruction="x",
        incoming="",
        exemplar_ids=[3, 1],
        prompt="P",
        model="m",
        adapter="",
        params={"seed": 1},
        output="out",
        prompt_tokens=5,
        completion_tokens=2,
        ttft_s=0.1,
        total_s=0.2,
        tokens_per_s=10.0,
    )
    G.set_final_text(db, gid, "final")
    row = G.get_generation(db, gid)
    assert row["exemplar_ids"] == [3, 1] and row["final_text"] == "final" and row["output"] == "out"


def test_delete_profile_erases_everything(tmp_path):
    db = open_db(tmp_path / "o.db")
    p = ensure_profile(db, "me")
    doc_id = D.save_draft(db, p.id, None, "S", "Body")
    delete_profile(db, p.id)
    assert db["documents"].count == 0 and db["revisions"].count == 0 and db["profiles"].count == 0
    assert D.get_document(db, doc_id) is None


def _write_while_another_thread_rolls_back(db) -> list[str]:
    """Thread A inserts a profile, then fails and rolls back; meanwhile thread B inserts its own profile.
    Returns the profiles left."""
    import threading
    import time

    from ownvoice.store.util import writing

    a_inside, b_done = threading.Event(), threading.Event()

    def a() -> None:
        try:
            with writing(db):
                db["profiles"].insert({"name": "a-rolled-back", "addresses": "[]", "display_name": ""})
                a_inside.set()
                b_done.wait(0.5)  # B may not finish while A's transaction is open
                time.sleep(0.05)
                raise RuntimeError("A fails")
        except RuntimeError:
            pass

    def b() -> None:
        a_inside.wait(5)
        ensure_profile(db, "b-kept")
        b_done.set()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return [r["name"] for r in db["profiles"].rows]


def test_threads_sharing_the_store_never_write_into_each_others_transactions(tmp_path):
    """The GUI's one core shares its connection between the Qt thread and the worker: a write on one thread
    waits for the other's transaction instead of joining it (and being rolled back with it)."""
    db = open_db(tmp_path / "o.db")
    assert _write_while_another_thread_rolls_back(db) == ["b-kept"]
    db.close()


def test_control_a_plain_shared_connection_loses_the_other_threads_write(tmp_path):
    """Control: the same two threads on a plain sqlite3 connection (no lock): B's write lands inside A's
    transaction and is rolled back with it."""
    import sqlite3

    import sqlite_utils

    open_db(tmp_path / "o.db").close()
    db = sqlite_utils.Database(sqlite3.connect(str(tmp_path / "o.db"), check_same_thread=False))
    assert _write_while_another_thread_rolls_back(db) == []
    db.close()


def test_each_base_model_has_its_own_active_adapter(tmp_path):
    from ownvoice.store import adapters as A

    db = open_db(tmp_path / "s.db")
    pid = ensure_profile(db, "p").id
    a1 = A.add_adapter(db, pid, 1, str(tmp_path / "a1.gguf"), "sha-small", "small.gguf", {}, activate=True)
    b1 = A.add_adapter(db, pid, 2, str(tmp_path / "b1.gguf"), "sha-big", "big.gguf", {}, activate=True)
    # activating the big model's adapter left the small model's active
    assert A.active_adapter(db, pid, "sha-small").id == a1 and A.active_adapter(db, pid, "sha-big").id == b1
    a2 = A.add_adapter(db, pid, 3, str(tmp_path / "a2.gguf"), "sha-small", "small.gguf", {}, activate=True)
    assert A.active_adapter(db, pid, "sha-small").id == a2 and A.active_adapter(db, pid, "sha-big").id == b1
    A.set_active(db, pid, a1)  # back to the older one: only its own base changes
    assert A.active_adapter(db, pid, "sha-small").id == a1 and A.active_adapter(db, pid, "sha-big").id == b1
    A.set_active(db, pid, None, "sha-big")  # 'no adapter' for the big model only
    assert A.active_adapter(db, pid, "sha-big") is None and A.active_adapter(db, pid, "sha-small").id == a1
    assert A.active_adapter(db, pid, "sha-none") is None
    A.set_active(db, pid, None)  # no base named: none for any model
    assert A.active_adapter(db, pid) is None
