"""Documents (the user's own emails and notes) and their autosave revisions."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

import sqlite_utils

from .util import content_hash, inserted_id, now_iso, writing

KINDS = ("email", "note")
# provenance: 'draft' is model output the user has not accepted or sent; it is shown in the library but is
# never
# the user's writing (no exemplar, no style statistic, no training example)
SOURCES = ("typed", "imported", "accepted", "sent", "draft")
USER_SOURCES = ("typed", "imported", "accepted", "sent")
USER_WRITING_SQL = "source IN ('typed', 'imported', 'accepted', 'sent')"


@dataclass
class Document:
    """A document row (``id`` is 0 until stored)."""

    body: str
    subject: str = ""
    kind: str = "email"
    recipients: str = ""
    context: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    source: str = "imported"
    origin: str = ""
    sent_at: Optional[str] = None
    id: int = 0
    profile_id: Optional[int] = None
    created: str = ""
    updated: str = ""
    content_hash: str = ""
    generation_id: Optional[int] = None
    extra: dict = field(default_factory=dict, compare=False)


_COLUMNS = [
    "profile_id",
    "kind",
    "subject",
    "body",
    "recipients",
    "context",
    "message_id",
    "in_reply_to",
    "source",
    "origin",
    "sent_at",
    "created",
    "updated",
    "content_hash",
    "generation_id",
]


def row_to_document(row: dict) -> Document:
    """Build a Document from a row dict."""
    values: dict[str, Any] = {k: row.get(k) for k in ["id", *_COLUMNS]}
    return Document(**values)


def _row(doc: Document, profile_id: int) -> dict:
    stamp = now_iso()
    data = {k: v for k, v in asdict(doc).items() if k in _COLUMNS}
    data.update(
        profile_id=profile_id,
        created=doc.created or stamp,
        updated=doc.updated or stamp,
        content_hash=content_hash(doc.subject, doc.body),
    )
    return data


def existing_hashes(db: sqlite_utils.Database, profile_id: int) -> set[str]:
    """The content hashes already stored for a profile."""
    return {r[0] for r in db.execute("SELECT content_hash FROM documents WHERE profile_id = ?", [profile_id])}


def insert_documents(db: sqlite_utils.Database, profile_id: int, docs: Iterable[Document]) -> list[int]:
    """Insert new documents in one transaction, skipping duplicates; return the new ids."""
    seen = existing_hashes(db, profile_id)
    new_ids: list[int] = []
    with writing(db):
        for doc in docs:
            row = _row(doc, profile_id)
            if row["content_hash"] in seen:
                continue
            seen.add(row["content_hash"])
            new_ids.append(inserted_id(db.table("documents").insert(row)))
    return new_ids


def add_document(db: sqlite_utils.Database, profile_id: int, doc: Document) -> int:
    """Insert one document (duplicates allowed to return the existing id); return its id."""
    row = _row(doc, profile_id)
    found = db.execute(
        "SELECT id FROM documents WHERE profile_id = ? AND content_hash = ?",
        [profile_id, row["content_hash"]],
    ).fetchone()
    if found:
        return found[0]
    with writing(db):
        return inserted_id(db.table("documents").insert(row))


def save_draft(
    db: sqlite_utils.Database,
    profile_id: int,
    document_id: Optional[int],
    subject: str,
    body: str,
    kind: str = "email",
    source: str = "typed",
    recipients: str = "",
    context: str = "",
    generation_id: Optional[int] = None,
) -> int:
    """Autosave: create or update a document and append a revision; return the document id.

    A document holding a generation's text (``generation_id``) is saved as a 'draft' until it is accepted or
    sent.
    """
    stamp = now_iso()
    if generation_id is not None and source == "typed":
        source = "draft"
    with writing(db):
        if document_id is None:
            doc = Document(
                body=body,
                subject=subject,
                kind=kind,
                source=source,
                recipients=recipients,
                context=context,
                generation_id=generation_id,
            )
            row = _row(doc, profile_id)
            # a typed draft may legitimately repeat older text: make its hash unique per row
            row["content_hash"] = f"{row['content_hash']}:{uuid.uuid4().hex}"
            document_id = inserted_id(db.table("documents").insert(row))
        else:
            changes: dict[str, Any] = {
                "subject": subject,
                "body": body,
                "updated": stamp,
                "recipients": recipients,
                "content_hash": f"{content_hash(subject, body)}:{document_id}",
            }
            if generation_id is not None:
                changes["generation_id"] = generation_id
                if source == "draft":
                    changes["source"] = "draft"
            db.table("documents").update(document_id, changes)
        db.table("revisions").insert(
            {"document_id": document_id, "subject": subject, "body": body, "saved_at": stamp}
        )
    return document_id


def revisions(db: sqlite_utils.Database, document_id: int) -> list[dict]:
    """Autosave history of a document, oldest first."""
    return list(db.table("revisions").rows_where("document_id = ?", [document_id], order_by="id"))


def get_document(db: sqlite_utils.Database, document_id: int) -> Optional[Document]:
    """Fetch one document."""
    rows = list(db.table("documents").rows_where("id = ?", [document_id]))
    return row_to_document(rows[0]) if rows else None


def get_documents(db: sqlite_utils.Database, ids: list[int]) -> dict[int, Document]:
    """Fetch several documents by id."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    return {
        r["id"]: row_to_document(r) for r in db.table("documents").rows_where(f"id IN ({marks})", list(ids))
    }


def set_source(db: sqlite_utils.Database, document_id: int, source: str) -> None:
    """Change a document's provenance (e.g. a draft the user accepted)."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    with writing(db):
        db.table("documents").update(document_id, {"source": source, "updated": now_iso()})


def list_documents(
    db: sqlite_utils.Database,
    profile_id: int,
    kind: Optional[str] = None,
    source: Optional[str] = None,
    limit: Optional[int] = None,
    writing_only: bool = True,
) -> list[Document]:
    """A profile's documents, oldest first (by original date, else by insertion); drafts only when not
    ``writing_only``."""
    where: list[str] = ["profile_id = ?"]
    args: list[Any] = [profile_id]
    if writing_only:
        where.append(USER_WRITING_SQL)
    if kind:
        where.append("kind = ?")
        args.append(kind)
    if source:
        where.append("source = ?")
        args.append(source)
    rows = db.table("documents").rows_where(
        " AND ".join(where), args, order_by="coalesce(sent_at, created), id", limit=limit
    )
    return [row_to_document(r) for r in rows]


def delete_document(db: sqlite_utils.Database, document_id: int) -> None:
    """Delete a document with its revisions and embeddings."""
    with writing(db):
        db.execute("DELETE FROM embeddings WHERE document_id = ?", [document_id])
        db.execute("DELETE FROM revisions WHERE document_id = ?", [document_id])
        db.execute("UPDATE generations SET document_id = NULL WHERE document_id = ?", [document_id])
        db.execute("DELETE FROM documents WHERE id = ?", [document_id])


_FTS_TOKEN = re.compile(r"\w+", re.UNICODE)


# words nearly every mail has: OR-ing them matches the whole library, and ranking every match is what made
# BM25 slow (183 ms at 100k documents); they carry nothing about which past mail is relevant
FTS_STOPWORDS = frozenset(
    "a about all also am an and any are as at be been but by can could did do does dear for from had has "
    "have he hello her hey hi him his how i if in into is it its just let me more my no not of on or our "
    "out please she so some than thank thanks that the their them then there these they this to up us was "
    "we were what when which who will with would yes you your best regards cheers".split()
)


# In a large library a term most documents contain has almost no BM25 weight (its IDF is near zero) but
# ranking its matches costs a bm25() call per match: such terms are left out of the query. The share is
# counted with FTS5 itself (the same porter stemming as the index) and cached until the library changes.
LARGE_LIBRARY = 2000
COMMON_TERM_SHARE = 0.1
_TERM_DOCS: dict[tuple, int] = {}


def content_terms(text: str, max_terms: int = 12) -> list[str]:
    """The distinct content words of ``text`` (lower-case, stop words dropped), at most ``max_terms``."""
    terms: list[str] = []
    for tok in _FTS_TOKEN.findall(text.lower()):
        if len(tok) > 1 and tok not in terms and tok not in FTS_STOPWORDS:
            terms.append(tok)
    return terms[:max_terms]


def _discriminating(db: sqlite_utils.Database, terms: list[str]) -> list[str]:
    """``terms`` without those in more than COMMON_TERM_SHARE of a large library's documents."""
    size = db.execute("SELECT max(rowid) FROM documents").fetchone()[0] or 0
    if size < LARGE_LIBRARY:
        return terms
    if len(_TERM_DOCS) > 5000:
        _TERM_DOCS.clear()
    keep = []
    for term in terms:
        key = (id(db), size, term)
        if key not in _TERM_DOCS:
            _TERM_DOCS[key] = db.execute(
                "SELECT count(*) FROM documents_fts WHERE documents_fts MATCH ?", [f'"{term}"']
            ).fetchone()[0]
        if _TERM_DOCS[key] <= COMMON_TERM_SHARE * size:
            keep.append(term)
    return keep


def search_fts(
    db: sqlite_utils.Database,
    profile_id: int,
    text: str,
    limit: int = 50,
    kind: Optional[str] = None,
    writing_only: bool = True,
) -> list[tuple[int, float]]:
    """BM25 full-text search: (document id, bm25 score, higher is better), best first."""
    terms = _discriminating(db, content_terms(text))
    if not terms:
        return []
    query = " OR ".join(f'"{t}"' for t in terms)
    sql = (
        "SELECT d.id, -bm25(documents_fts) AS score FROM documents_fts "
        "JOIN documents d ON d.rowid = documents_fts.rowid "
        "WHERE documents_fts MATCH ? AND d.profile_id = ?"
    )
    args: list = [query, profile_id]
    if writing_only:
        sql += " AND d." + USER_WRITING_SQL
    if kind:
        sql += " AND d.kind = ?"
        args.append(kind)
    sql += " ORDER BY bm25(documents_fts) LIMIT ?"
    args.append(limit)
    return [(r[0], float(r[1])) for r in db.execute(sql, args)]


def counts(db: sqlite_utils.Database, profile_id: int) -> dict:
    """Per-profile counts by kind and source."""
    out: dict[str, Any] = {"documents": 0, "by_kind": {}, "by_source": {}}
    for kind, source, n in db.execute(
        "SELECT kind, source, count(*) FROM documents WHERE profile_id = ? GROUP BY kind, source",
        [profile_id],
    ):
        out["documents"] += n
        out["by_kind"][kind] = out["by_kind"].get(kind, 0) + n
        out["by_source"][source] = out["by_source"].get(source, 0) + n
    return out


def openings_mentioning(
    db: sqlite_utils.Database, profile_id: int, needle: str, kind: Optional[str] = None
) -> list[tuple[int, str, str]]:
    """(id, recipients, first 80 characters of the body) of the user's writing whose recipients or opening
    mention ``needle`` (case-insensitive): the candidates for 'mail to this person'."""
    like = "%" + needle.lower().replace("%", "").replace("_", "") + "%"
    sql = (
        "SELECT id, coalesce(recipients, ''), substr(ltrim(body), 1, 80) FROM documents "
        f"WHERE profile_id = ? AND {USER_WRITING_SQL} "
        "AND (lower(recipients) LIKE ? OR lower(substr(ltrim(body), 1, 80)) LIKE ?)"
    )
    args: list[Any] = [profile_id, like, like]
    if kind:
        sql += " AND kind = ?"
        args.append(kind)
    return [(int(r[0]), r[1], r[2]) for r in db.execute(sql, args)]


def count_since(db: sqlite_utils.Database, profile_id: int, since: str) -> int:
    """How many pieces of the user's writing were stored at or after ``since`` (ISO time; '' counts all)."""
    return db.execute(
        f"SELECT count(*) FROM documents WHERE profile_id = ? AND {USER_WRITING_SQL} AND created >= ?",
        [profile_id, since],
    ).fetchone()[0]
