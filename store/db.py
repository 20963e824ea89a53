"""Opening the database and its schema.

Schema changes are named migration functions (sqlite-utils ``Migrations``), applied in order at
open. WAL mode lets readers (the GUI's library view) run while a writer works. Every multi-row write
happens inside ``util.writing(db)``: BEGIN IMMEDIATE takes the write lock first, so a second writer
waits out ``busy_timeout`` instead of failing when its read lock cannot be upgraded, and a crash or a
bad input never leaves half an import behind.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import sqlite_utils
from sqlite_utils.migrations import Migrations

DB_SCHEMA_SET = "ownvoice"
migrations = Migrations(DB_SCHEMA_SET)


@migrations()
def m001_profiles(db: sqlite_utils.Database) -> None:
    db.table("profiles").create(
        {"id": int, "name": str, "display_name": str, "addresses": str, "model": str, "created": str},
        pk="id",
        not_null={"name"},
        defaults={"addresses": "[]", "display_name": ""},
    )
    db.table("profiles").create_index(["name"], unique=True)


@migrations()
def m002_documents(db: sqlite_utils.Database) -> None:
    db.table("documents").create(
        {
            "id": int,
            "profile_id": int,
            "kind": str,  # email | note
            "subject": str,
            "body": str,
            "recipients": str,
            "context": str,  # the incoming mail this document answers, if any
            "message_id": str,
            "in_reply_to": str,
            "source": str,  # typed | imported | accepted
            "origin": str,  # file the document came from
            "sent_at": str,  # ISO date of the original, if known
            "created": str,
            "updated": str,
            "content_hash": str,
        },
        pk="id",
        foreign_keys=[("profile_id", "profiles", "id")],
        not_null={"profile_id", "kind", "body", "source", "content_hash"},
        defaults={"subject": "", "recipients": "", "context": "", "message_id": "", "in_reply_to": ""},
    )
    db.table("documents").create_index(["profile_id", "content_hash"], unique=True)
    db.table("documents").create_index(["profile_id", "sent_at"])
    db.table("documents").enable_fts(["subject", "body"], create_triggers=True, tokenize="porter")


@migrations()
def m003_revisions(db: sqlite_utils.Database) -> None:
    db.table("revisions").create(
        {"id": int, "document_id": int, "subject": str, "body": str, "saved_at": str},
        pk="id",
        foreign_keys=[("document_id", "documents", "id")],
    )
    db.table("revisions").create_index(["document_id"])


@migrations()
def m004_embeddings(db: sqlite_utils.Database) -> None:
    db.table("embeddings").create(
        {"document_id": int, "model": str, "dim": int, "vector": bytes, "content_hash": str},
        pk=("document_id", "model"),
        foreign_keys=[("document_id", "documents", "id")],
    )


@migrations()
def m005_generations(db: sqlite_utils.Database) -> None:
    db.table("generations").create(
        {
            "id": int,
            "profile_id": int,
            "instruction": str,
            "incoming": str,
            "exemplar_ids": str,
            "prompt": str,
            "model": str,
            "adapter": str,
            "params": str,
            "output": str,
            "final_text": str,
            "document_id": int,
            "prompt_tokens": int,
            "completion_tokens": int,
            "ttft_s": float,
            "total_s": float,
            "tokens_per_s": float,
            "created": str,
        },
        pk="id",
        foreign_keys=[("profile_id", "profiles", "id")],
    )


@migrations()
def m006_models(db: sqlite_utils.Database) -> None:
    db.table("models").create(
        {"id": int, "path": str, "name": str, "architecture": str, "size": int, "added": str},
        pk="id",
    )
    db.table("models").create_index(["path"], unique=True)


@migrations()
def m007_adapters(db: sqlite_utils.Database) -> None:
    db.table("adapters").create(
        {
            "id": int,
            "profile_id": int,
            "version": int,
            "path": str,
            "base_sha256": str,
            "base_gguf": str,
            "metrics": str,
            "active": int,
            "created": str,
        },
        pk="id",
        foreign_keys=[("profile_id", "profiles", "id")],
        defaults={"active": 0},
    )
    db.table("adapters").create_index(["profile_id", "version"], unique=True)


@migrations()
def m008_playback(db: sqlite_utils.Database) -> None:
    db.table("playback").create(
        {
            "document_id": int,
            "profile_id": int,
            "instruction": str,
            "method": str,
            "model": str,
            "created": str,
        },
        pk="document_id",
        foreign_keys=[("document_id", "documents", "id")],
    )


def demote_generated_documents(db: sqlite_utils.Database) -> int:
    """Typed documents that are a generation's text (verbatim, or as first saved) become drafts; return how
    many.

    Editor and quick-compose documents holding model output were never approved by the user: they must not be
    exemplars or training data.
    """
    before = db.execute("SELECT count(*) FROM documents WHERE source = 'draft'").fetchone()[0]
    db.execute("""
        UPDATE documents SET source = 'draft', generation_id = (
            SELECT g.id FROM generations g WHERE g.profile_id = documents.profile_id AND (
                trim(g.output) = trim(documents.body) OR trim(g.output) = (
                    SELECT trim(r.body) FROM revisions r WHERE r.document_id = documents.id
                    ORDER BY r.id LIMIT 1))
            ORDER BY g.id DESC LIMIT 1)
        WHERE source = 'typed' AND EXISTS (
            SELECT 1 FROM generations g WHERE g.profile_id = documents.profile_id AND (
                trim(g.output) = trim(documents.body) OR trim(g.output) = (
                    SELECT trim(r.body) FROM revisions r WHERE r.document_id = documents.id
                    ORDER BY r.id LIMIT 1)))
    """)
    return db.execute("SELECT count(*) FROM documents WHERE source = 'draft'").fetchone()[0] - before


@migrations()
def m009_provenance(db: sqlite_utils.Database) -> None:
    """Model output is not the user's writing: drafts link to their generation; old leaky playback goes."""
    db.table("documents").add_column("generation_id", int)
    db.table("generations").add_column("edit_distance", int)
    db.table("generations").add_column("status", str)  # new | accepted | sent
    demote_generated_documents(db)
    db.execute("UPDATE generations SET status = CASE WHEN final_text IS NULL THEN 'new' ELSE 'accepted' END")
    # heuristic playback instructions used to carry the mail's first sentence (the answer's own text)
    db.execute("DELETE FROM playback WHERE method = 'heuristic'")


@migrations()
def m010_model_facts(db: sqlite_utils.Database) -> None:
    """What the model manager shows of an added model: its file's sha256 (with the size and mtime it was
    computed for), parameter count and quantization."""
    for column, kind in (("sha256", str), ("sha_mtime_ns", int), ("parameters", int), ("quant", str)):
        db.table("models").add_column(column, kind)


@migrations()
def m011_style_cards(db: sqlite_utils.Database) -> None:
    """The user's edits of their style card, one row per version (the card itself is computed)."""
    db.table("style_cards").create(
        {"id": int, "profile_id": int, "version": int, "edits": str, "created": str},
        pk="id",
        foreign_keys=[("profile_id", "profiles", "id")],
    )
    db.table("style_cards").create_index(["profile_id", "version"], unique=True)


class SerializedConnection(sqlite3.Connection):
    """A connection that one process's threads share safely: a statement waits while another thread is inside
    a write transaction (``util.writing`` holds ``lock`` for the whole transaction), so no thread's write ever
    lands in, or is rolled back with, another thread's transaction."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lock = threading.RLock()

    def execute(self, *args, **kwargs):
        """Execute one statement under the connection's lock."""
        with self.lock:
            return super().execute(*args, **kwargs)

    def executemany(self, *args, **kwargs):
        """Execute one statement for many rows under the lock."""
        with self.lock:
            return super().executemany(*args, **kwargs)

    def executescript(self, *args, **kwargs):
        """Execute a script under the lock."""
        with self.lock:
            return super().executescript(*args, **kwargs)

    def commit(self) -> None:
        """Commit under the lock."""
        with self.lock:
            super().commit()

    def rollback(self) -> None:
        """Roll back under the lock."""
        with self.lock:
            super().rollback()

    def __enter__(self):
        # ``with conn:`` (sqlite-utils' inserts) is one transaction: hold the lock through it
        self.lock.acquire()
        return super().__enter__()

    def __exit__(self, *exc):
        try:
            return super().__exit__(*exc)
        finally:
            self.lock.release()


def open_db(path: Path | str) -> sqlite_utils.Database:
    """Open (creating if needed) the store at ``path``, private to the user, schema up to date."""
    path = Path(path)
    new = not path.exists()
    if new:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # create the file 0600 before SQLite touches it
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        os.close(fd)
    conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False, factory=SerializedConnection)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA busy_timeout=30000")
    db.execute("PRAGMA synchronous=NORMAL")
    migrations.apply(db)
    for suffix in ("", "-wal", "-shm"):
        side = Path(str(path) + suffix)
        if side.exists():
            os.chmod(side, 0o600)
    return db
