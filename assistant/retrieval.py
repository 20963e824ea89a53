"""Style-exemplar retrieval: hybrid BM25 + vector search, fused, de-duplicated, diversified.

1. candidates from FTS5 BM25 and from cosine similarity (MiniLM vectors), top ``pool`` each;
2. reciprocal-rank fusion (k=60) of the two rankings, plus an optional recency boost;
3. near-duplicates (cosine >= 0.95 to a better candidate) dropped;
4. maximal marginal relevance picks ``k`` that are relevant yet different from each other.
Vectors of a profile are cached in memory and refreshed when the store's embeddings change.

Speed (``ownvoice bench retrieval``): the BM25 query runs on a helper thread while the query is embedded
(SQLite and torch both release the GIL), the vector ranking takes only the top of an argpartition, and the
cache's freshness check is O(1) (temp triggers count this connection's changes; PRAGMA data_version
others' commits) instead of counting a profile's vectors. numpy's BLAS runs single-threaded in this
process: the vector product is memory-bound, and a second pool of spinning BLAS threads beside torch's
doubled the query's embedding time on two cores (52 vs 23 ms measured for product + encode at 100k).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
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
# mail to the recipient (then their domain) rises among the relevant candidates without pushing the most
# relevant mail out (the model follows the exemplar nearest the request most); at least one is always shown
RECIPIENT_BOOST = 0.25
DOMAIN_BOOST = 0.1


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


_MATRIX_CACHE: dict[tuple, tuple[np.ndarray, np.ndarray, dict[int, int]]] = {}
_FTS_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ownvoice-bm25")


_BLAS_LIMIT: list = []


def profile_matrix(
    db: sqlite_utils.Database, profile_id: int, model: str, kind: Optional[str]
) -> tuple[np.ndarray, np.ndarray, dict[int, int]]:
    """(ids, vectors, id -> row) of a profile, cached until any embedding is added or removed."""
    if not _BLAS_LIMIT:
        from threadpoolctl import threadpool_limits

        _BLAS_LIMIT.append(threadpool_limits(1, "blas"))  # for the process's lifetime
    key = (id(db), profile_id, model, kind, emb_table.vectors_stamp(db))
    if key not in _MATRIX_CACHE:
        _MATRIX_CACHE.clear() if len(_MATRIX_CACHE) > 8 else None
        ids, mat = emb_table.load_matrix(db, profile_id, model, kind)
        _MATRIX_CACHE[key] = (ids, mat, {int(d): i for i, d in enumerate(ids)})
    return _MATRIX_CACHE[key]


def _top(sims: np.ndarray, n: int) -> np.ndarray:
    """Positions of the ``n`` largest similarities, best first."""
    if n >= len(sims):
        return np.argsort(-sims)
    part = np.argpartition(-sims, n)[:n]
    return part[np.argsort(-sims[part])]


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
    to_recipient: frozenset[int] = frozenset(),
    to_domain: frozenset[int] = frozenset(),
) -> list[Exemplar]:
    """The ``k`` best exemplars for ``query`` in a profile (``exclude``/``allowed`` filter ids); mail written
    to the recipient (then to their domain) comes first, the most relevant of it."""
    exclude = exclude or set()

    def ok(doc_id: int) -> bool:
        return doc_id not in exclude and (allowed is None or doc_id in allowed)

    fts = _FTS_THREAD.submit(docs_table.search_fts, db, profile_id, query, pool * 3, kind)
    vec_rank: list[int] = []
    cos: dict[int, float] = {}
    ids, mat = np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
    row_of: dict[int, int] = {}
    sims_of: Optional[np.ndarray] = None
    if embedder is not None:
        ids, mat, row_of = profile_matrix(db, profile_id, embedder.name, kind)
        if len(ids):
            sims = mat @ embedder.encode([query])[0]
            sims_of = sims
            filtered_out = len(exclude) + (max(0, len(ids) - len(allowed)) if allowed is not None else 0)
            for pos in _top(sims, pool + filtered_out):
                doc_id = int(ids[pos])
                if ok(doc_id):
                    vec_rank.append(doc_id)
                    cos[doc_id] = float(sims[pos])
                    if len(vec_rank) >= pool:
                        break
    bm25 = [i for i, _ in fts.result() if ok(i)][:pool]
    fused: dict[int, float] = {}
    for rank, doc_id in enumerate(bm25):
        fused[doc_id] = fused.get(doc_id, 0.0) + 1.0 / (RRF_K + rank + 1)
    for rank, doc_id in enumerate(vec_rank):
        fused[doc_id] = fused.get(doc_id, 0.0) + 1.0 / (RRF_K + rank + 1)
    if to_recipient or to_domain:
        _prefer(fused, [(to_recipient, RECIPIENT_BOOST), (to_domain, DOMAIN_BOOST)], ok, k, row_of, sims_of)
    if not fused:
        return []
    docs = docs_table.get_documents(db, list(fused))
    if recency_weight:
        rec = _recency(docs)
        top = max(fused.values())
        for doc_id in fused:
            fused[doc_id] += recency_weight * top * rec.get(doc_id, 0.0)
    vecs = {d: mat[row_of[d]] for d in fused if d in row_of}
    missing = [d for d in fused if d not in row_of]  # e.g. a draft's vector (drafts are not in the matrix)
    if embedder is not None and missing:
        vecs.update(emb_table.vectors_for(db, missing, embedder.name))
    chosen = _mmr(fused, vecs, k, mmr_lambda)
    preferred = [d for d in sorted(fused, key=lambda d: -fused[d]) if d in to_recipient or d in to_domain]
    if preferred and chosen and not any(d in to_recipient or d in to_domain for d in chosen):
        chosen = [*chosen[: k - 1], preferred[0]] if len(chosen) >= k else [*chosen, preferred[0]]
    bm_pos = {d: r for r, d in enumerate(bm25)}
    vec_pos = {d: r for r, d in enumerate(vec_rank)}
    return [
        Exemplar(docs[d], fused[d], bm_pos.get(d), vec_pos.get(d), cos.get(d, 0.0))
        for d in chosen
        if d in docs
    ]


def _mmr(scores: dict[int, float], vecs: dict[int, np.ndarray], k: int, lam: float) -> list[int]:
    """Near-duplicates of better candidates dropped, then ``k`` picked by maximal marginal relevance."""
    ranked = sorted(scores, key=lambda d: -scores[d])
    top = scores[ranked[0]] or 1.0
    with_vec = [d for d in ranked if d in vecs]
    pos = {d: i for i, d in enumerate(with_vec)}
    mat = np.stack([vecs[d] for d in with_vec]) if with_vec else np.zeros((0, 1), dtype=np.float32)
    sim = mat @ mat.T  # every pairwise cosine at once (vectors are normalised)
    chosen: list[int] = []
    kept_rows: list[int] = []
    for d in ranked:
        i = pos.get(d)
        if i is not None and kept_rows and float(sim[i, kept_rows].max()) >= NEAR_DUPLICATE:
            continue
        chosen.append(d)
        if i is not None:
            kept_rows.append(i)
    candidates, picked = chosen, list[int]()
    while candidates and len(picked) < k:
        picked_rows = [pos[p] for p in picked if p in pos]

        def value(d: int, rows: list[int] = picked_rows) -> float:
            i = pos.get(d)
            closest = float(sim[i, rows].max()) if i is not None and rows else 0.0
            return lam * scores[d] / top - (1 - lam) * closest

        best = max(candidates, key=value)
        picked.append(best)
        candidates = [c for c in candidates if c != best]
    return picked


def _prefer(
    fused: dict[int, float],
    groups: list[tuple[frozenset[int], float]],
    ok,
    k: int,
    row_of: dict[int, int],
    sims: Optional[np.ndarray],
) -> None:
    """Raise the preferred ids' scores by ``boost`` x the best score; the ``k`` most similar of each group
    join the candidates even when neither ranking found them."""
    top = max(fused.values(), default=1.0 / (RRF_K + 1))
    for ids, boost in groups:
        usable = [d for d in ids if ok(d)]
        if sims is not None:
            usable.sort(key=lambda d: -float(sims[row_of[d]]) if d in row_of else 1.0)
        for rank, doc_id in enumerate(usable):
            if doc_id in fused:
                fused[doc_id] += boost * top
            elif rank < k:
                fused[doc_id] = boost * top + 1.0 / (RRF_K + rank + 1) * 0.5
