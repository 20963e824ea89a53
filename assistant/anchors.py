"""Style anchors: a few of the user's most typical mails, the same at the head of every draft's prompt.

Retrieval finds the past mails closest to a request; they carry the topic. The anchors carry the voice
whatever the request: the mails of a kind closest to the mean of the user's vectors, among those of
ordinary length for the user. Being the same for every draft of a profile, system text + anchors are a
prompt head whose model state the generator computes once and keeps (see the llama.cpp backend's
PrefixStates), so a quick draft processes only its retrieved exemplars and the request.

They change only when the user's writing does (the cache follows the embeddings' stamp), and they come
from the user's own writing like every exemplar: never a draft, never the document being edited.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import sqlite_utils

from ownvoice.store import documents as docs_table
from ownvoice.store import embeddings as emb_table
from ownvoice.store.documents import Document

from .backends.base import Embedder
from .retrieval import profile_matrix

DEFAULT_ANCHORS = 2
CANDIDATES = 24  # the most central mails looked at for ordinary length
MAX_ANCHOR_WORDS = 160  # an anchor is a whole short mail, not one clipped in the middle

_CACHE: dict[tuple, list[int]] = {}


def style_anchors(
    db: sqlite_utils.Database,
    profile_id: int,
    embedder: Optional[Embedder],
    kind: str,
    n: int = DEFAULT_ANCHORS,
    exclude: frozenset[int] = frozenset(),
    allowed: Optional[frozenset[int]] = None,
) -> list[Document]:
    """The ``n`` most typical documents of ``kind`` in a profile (none without an embedder or writing)."""
    if n <= 0 or embedder is None:
        return []
    ids, mat, _ = profile_matrix(db, profile_id, embedder.name, kind)
    key = (id(db), profile_id, embedder.name, kind, n, exclude, allowed, emb_table.vectors_stamp(db))
    if key not in _CACHE:
        if len(_CACHE) > 32:
            _CACHE.clear()
        _CACHE[key] = _choose(db, ids, mat, n, exclude, allowed)
    found = docs_table.get_documents(db, _CACHE[key])
    return [found[i] for i in _CACHE[key] if i in found]


def _choose(
    db: sqlite_utils.Database,
    ids: np.ndarray,
    mat: np.ndarray,
    n: int,
    exclude: frozenset[int],
    allowed: Optional[frozenset[int]],
) -> list[int]:
    keep = np.array(
        [int(i) not in exclude and (allowed is None or int(i) in allowed) for i in ids], dtype=bool
    )
    if not keep.any():
        return []
    ids, mat = ids[keep], mat[keep]
    centre = mat.mean(axis=0)
    centre /= float(np.linalg.norm(centre)) or 1.0
    order = np.argsort(-(mat @ centre), kind="stable")[:CANDIDATES]
    docs = docs_table.get_documents(db, [int(ids[i]) for i in order])
    central = [docs[int(ids[i])] for i in order if int(ids[i]) in docs]
    words = sorted(len(d.body.split()) for d in central)
    median = words[len(words) // 2] if words else 0
    ordinary = [
        d for d in central if 0.5 * median <= len(d.body.split()) <= min(2 * median, MAX_ANCHOR_WORDS)
    ]
    return [d.id for d in (ordinary or central)[:n]]
