"""Small helpers shared by the store's table modules."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime

import sqlite_utils

_WS = re.compile(r"\s+")


def inserted_id(table: sqlite_utils.db.Table) -> int:
    """The id of the row ``table`` has just inserted (``db.table(name).insert(row)``)."""
    pk = table.last_pk
    if pk is None:
        raise RuntimeError(f"no row was inserted into {table.name}")
    return int(pk)


def now_iso() -> str:
    """UTC now as ISO-8601 text."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def content_hash(subject: str, body: str) -> str:
    """Hash of a document's text, insensitive to whitespace and case (dedupe key)."""
    norm = _WS.sub(" ", f"{subject or ''}\n{body or ''}").strip().lower()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


@contextmanager
def writing(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A write transaction that takes the write lock first (BEGIN IMMEDIATE), so a second writer waits out the
    busy timeout instead of failing at once when its read lock cannot be upgraded; nested calls use
    savepoints.
    On a shared connection (``db.SerializedConnection``) the calling thread holds its lock until the end."""
    lock = getattr(db.conn, "lock", None)
    with lock if lock is not None else nullcontext():
        yield from _transaction(db)


def _transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        db.conn.execute("COMMIT")
