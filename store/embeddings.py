"""Embedding vectors per (document, embedding model), stored as float32 blobs."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Optional

import numpy as np
import sqlite_utils

from .util import writing


def missing_embeddings(db: sqlite_utils.Database, profile_id: int, model: str) -> list[tuple[int, str, str]]:
    """(id, subject, body) of a profile's documents with no current vector for ``model``."""
    sql = (
        "SELECT d.id, d.subject, d.body FROM documents d LEFT JOIN embeddings e "
        "ON e.document_id = d.id AND e.model = ? "
        "WHERE d.profile_id = ? AND d.source != 'draft' "
        "AND (e.document_id IS NULL OR e.content_hash != d.content_hash) ORDER BY d.id"
    )
    return [(r[0], r[1] or "", r[2] or "") for r in db.execute(sql, [model, profile_id])]


def store_embeddings(db: sqlite_utils.Database, model: str, ids: list[int], vectors: np.ndarray) -> None:
    """Save vectors (one row per id) in one transaction."""
    vectors = np.asarray(vectors, dtype=np.float32)
    hashes = (
        {
            r[0]: r[1]
            for r in db.execute(
                f"SELECT id, content_hash FROM documents WHERE id IN ({','.join('?' * len(ids))})", list(ids)
            )
        }
        if ids
        else {}
    )
    rows = [
        {
            "document_id": i,
            "model": model,
            "dim": int(v.shape[0]),
            "vector": v.tobytes(),
            "content_hash": hashes.get(i, ""),
        }
        for i, v in zip(ids, vectors, strict=True)
    ]
    with writing(db):
        db.table("embeddings").upsert_all(rows, pk=("document_id", "model"))


_BUMP = "BEGIN UPDATE embedding_changes SET n = n + 1; END"
_CHANGES_SQL = (
    "CREATE TEMP TABLE IF NOT EXISTS embedding_changes (n INTEGER NOT NULL)",
    "INSERT INTO embedding_changes SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM embedding_changes)",
    f"CREATE TEMP TRIGGER IF NOT EXISTS embedding_inserted AFTER INSERT ON main.embeddings {_BUMP}",
    f"CREATE TEMP TRIGGER IF NOT EXISTS embedding_updated AFTER UPDATE ON main.embeddings {_BUMP}",
    f"CREATE TEMP TRIGGER IF NOT EXISTS embedding_deleted AFTER DELETE ON main.embeddings {_BUMP}",
    "CREATE TEMP TRIGGER IF NOT EXISTS document_moved AFTER UPDATE OF source, kind, profile_id "
    f"ON main.documents {_BUMP}",
)


def vectors_stamp(db: sqlite_utils.Database) -> tuple[int, int]:
    """Changes when any vector a profile's matrix holds may have changed: (other connections' commits,
    this connection's changes to embeddings or to a document's source, kind or profile). O(1)."""
    try:
        mine = db.execute("SELECT n FROM temp.embedding_changes").fetchone()[0]
    except sqlite3.OperationalError:  # first call on this connection: count from now on (temp triggers)
        for statement in _CHANGES_SQL:  # one by one: executescript would commit an open transaction
            db.execute(statement)
        mine = 0
    return db.execute("PRAGMA data_version").fetchone()[0], mine


def load_matrix(
    db: sqlite_utils.Database, profile_id: int, model: str, kind: Optional[str] = None
) -> tuple[np.ndarray, np.ndarray]:
    """All of a profile's vectors for ``model``: (ids [n], matrix [n, dim])."""
    sql = (
        "SELECT e.document_id, e.vector, e.dim FROM embeddings e JOIN documents d ON d.id = e.document_id "
        "WHERE d.profile_id = ? AND e.model = ? AND d.source != 'draft'"
    )
    args: list = [profile_id, model]
    if kind:
        sql += " AND d.kind = ?"
        args.append(kind)
    ids, vecs = [], []
    for doc_id, blob, dim in db.execute(sql + " ORDER BY e.document_id", args):
        ids.append(doc_id)
        vecs.append(np.frombuffer(blob, dtype=np.float32, count=dim))
    if not ids:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
    return np.asarray(ids, dtype=np.int64), np.vstack(vecs)


def vectors_for(db: sqlite_utils.Database, ids: Iterable[int], model: str) -> dict[int, np.ndarray]:
    """Vectors of the given documents for ``model``."""
    ids = list(ids)
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    sql = f"SELECT document_id, vector, dim FROM embeddings WHERE model = ? AND document_id IN ({marks})"
    return {r[0]: np.frombuffer(r[1], dtype=np.float32, count=r[2]) for r in db.execute(sql, [model, *ids])}
