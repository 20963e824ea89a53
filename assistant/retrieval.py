"""Style-exemplar retrieval: hybrid BM25 + vector search, fused, de-duplicated, diversified.

1. candidates from FTS5 BM25 and from cosine similarity (MiniLM vectors), top ``pool`` each;
2. reciprocal-rank fusion (k=60) of the two rankings, plus an optional recency boost;
3. near-duplicates (cosine >= 0.95 to a better candidate) dropped;
4. maximal marginal relevance picks ``k`` that are relevant yet different from each other.
Vectors of a profile are cached in memory and refreshed when the store gains documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import sqlite_utils

from ownvoice.store import documents as docs_table
from ownvoice.store import embeddings as emb_table
from ownvoice.store.documents import Document

from .backends.base import Embedder
from .jobs import CancelToken, ProgressFn, report

RRF_K = 60
NEAR_DUPLICATE = 0.95


@dataclass
class Exemplar:
    """A retrieved document with its scores."""

    doc: Document
    score: float
    bm25_rank: Optional[int] = None
    vector_rank: Optional[int] = None
    cosine: float = 0.0


def document_text(subject: str, body: str) -> str:
    """The text embedded for a document."""
    return f"{subject}\n{body}".strip() if subject else body


def embed_missing(
    db: sqlite_utils.Database,
    profile_id: int,
    embedder: Embedder,
    progress: Optional[ProgressFn] = None,
    cancel: Optional[CancelToken] = None,
    batch_size: int = 64,
) -> int:
    """Embed the profile's documents that have no vector yet, saving batch by batch; return how many."""
    todo = emb_table.missing_embeddings(db, profile_id, embedder.name)
    done = 0
    for start in range(0, len(todo), batch_size):
        if cancel is not None:
            cancel.check()
        batch = todo[start : start + batch_size]
        vecs = embedder.encode([document_text(s, b) for _, s, b in batch], batch_size=batch_size)
        emb_table.store_embeddings(db, embedder.name, [i for i, _, _ in batch], vecs)
        done += len(batch)
        report(progress, "embedding", done, len(todo))
    if todo:
        _MATRIX_CACHE.clear()
    return done


_MATRIX_CACHE: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def _matrix(db: sqlite_utils.Database, profile_id: int, model: str, kind: Optional[str]):
    stamp = db.execute(
        "SELECT count(*), max(e.rowid) FROM embeddings e JOIN documents d ON d.id = e.document_id "
        "WHERE d.profile_id = ? AND e.model = ?",
        [profile_id, model],
    ).fetchone()
    key = (id(db), profile_id, model, kind, tuple(stamp))
    if key not in _MATRIX_CACHE:
        _MATRIX_CACHE.clear() if len(_MATRIX_CACHE) > 8 else None
        _MATRIX_CACHE[key] = emb_table.load_matrix(db, profile_id, model, kind)
    return _MATRIX_CACHE[key]


def _recency(docs: dict[int, Document]) -> dict[int, float]:
    order = sorted(docs, key=lambda i: (docs[i].sent_at or docs[i].created or "", i))
    n = max(1, len(order) - 1)
    return {doc_id: pos / n for pos, doc_id in enumerate(order)}


def search(
    db: sqlite_utils.Database,
    profile_id: int,
    query: str,
    embedder: Optional[Embedder],
    k: int = 4,
    kind: Optional[str] = None,
    exclude: Optional[set[int]] = None,
    pool: int = 40,
    mmr_lambda: float = 0.7,
    recency_weight: float = 0.0,
    allowed: Optional[set[int]] = None,
) -> list[Exemplar]:
    """The ``k`` best exemplars for ``query`` in a profile (``exclude``/``allowed`` filter ids)."""
    exclude = exclude or set()

    def ok(doc_id: int) -> bool:
        return doc_id not in exclude and (allowed is None or doc_id in allowed)

    bm25 = [i for i, _ in docs_table.search_fts(db, profile_id, query, limit=pool * 3, kind=kind) if ok(i)][
        :pool
    ]
    vec_rank: list[int] = []
    cos: dict[int, float] = {}
    qv = None
    if embedder is not None:
        ids, mat = _matrix(db, profile_id, embedder.name, kind)
        if len(ids):
            qv = embedder.encode([query])[0]
            sims = mat @ qv
            for pos in np.argsort(-sims):
                doc_id = int(ids[pos])
                if ok(doc_id):
                    vec_rank.append(doc_id)
                    cos[doc_id] = float(sims[pos])
                    if len(vec_rank) >= pool:
                        break
    fused: dict[int, float] = {}
    for rank, doc_id in enumerate(bm25):
        fused[doc_id] = fused.get(doc_id, 0.0) + 1.0 / (RRF_K + rank + 1)
    for rank, doc_id in enumerate(vec_rank):
        fused[doc_id] = fused.get(doc_id, 0.0) + 1.0 / (RRF_K + rank + 1)
    if not fused:
        return []
    docs = docs_table.get_documents(db, list(fused))
    if recency_weight:
        rec = _recency(docs)
        top = max(fused.values())
        for doc_id in fused:
            fused[doc_id] += recency_weight * top * rec.get(doc_id, 0.0)
    vecs = emb_table.vectors_for(db, fused, embedder.name) if embedder is not None else {}
    chosen = _mmr(fused, vecs, k, mmr_lambda)
    bm_pos = {d: r for r, d in enumerate(bm25)}
    vec_pos = {d: r for r, d in enumerate(vec_rank)}
    return [
        Exemplar(docs[d], fused[d], bm_pos.get(d), vec_pos.get(d), cos.get(d, 0.0))
        for d in chosen
        if d in docs
    ]


def _mmr(scores: dict[int, float], vecs: dict[int, np.ndarray], k: int, lam: float) -> list[int]:
    ranked = sorted(scores, key=lambda d: -scores[d])
    top = scores[ranked[0]] or 1.0
    rel = {d: scores[d] / top for d in ranked}
    chosen: list[int] = []
    for d in ranked:  # drop near-duplicates of better candidates first
        v = vecs.get(d)
        if v is not None and any(
            vecs.get(c) is not None and float(v @ vecs[c]) >= NEAR_DUPLICATE for c in chosen
        ):
            continue
        chosen.append(d)
    candidates, picked = chosen, list[int]()
    while candidates and len(picked) < k:

        def value(d: int) -> float:
            v = vecs.get(d)
            sim = max((float(v @ vecs[p]) for p in picked if v is not None and p in vecs), default=0.0)
            return lam * rel[d] - (1 - lam) * sim

        best = max(candidates, key=value)
        picked.append(best)
        candidates = [c for c in candidates if c != best]
    return picked
