"""The user's writing is only what the user wrote or approved.

Model output lives in ``generations``. A document that holds a generation's text is a 'draft' (shown in
the library, never an exemplar, a style statistic or a training example) until the user accepts it or
sends it (copy, export, mail app): then it becomes 'accepted' writing, and the generation keeps the
final text, the link to the document and the word-level edit distance between the two.
"""

from __future__ import annotations

from typing import Optional

import sqlite_utils

from ownvoice.store import documents as docs_table
from ownvoice.store import generations as gen_table

from .errors import InputError

APPROVALS = ("accepted", "sent")
KEPT_SOURCE = "accepted"  # the source of a document holding a draft the user accepted or sent


def edit_distance(a: str, b: str) -> int:
    """Word-level Levenshtein distance between two texts."""
    x, y = a.split(), b.split()
    prev = list(range(len(y) + 1))
    for i, wx in enumerate(x, 1):
        cur = [i] + [0] * len(y)
        for j, wy in enumerate(y, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (wx != wy))
        prev = cur
    return prev[-1]


def accept_generation(
    db: sqlite_utils.Database,
    profile_id: int,
    generation_id: int,
    final_text: str,
    *,
    document_id: Optional[int] = None,
    subject: str = "",
    recipients: str = "",
    kind: str = "email",
    how: str = "accepted",
) -> int:
    """Record that the user approved (``how``: accepted | sent) a draft as ``final_text``; return the document
    id."""
    if how not in APPROVALS:
        raise ValueError(f"unknown approval {how!r}")
    gen = gen_table.get_generation(db, generation_id)
    if gen is None or gen["profile_id"] != profile_id:
        raise InputError(f"no draft #{generation_id} in this profile")
    if not final_text.strip():
        raise InputError("the final text is empty: nothing to keep")
    document_id = docs_table.save_draft(
        db,
        profile_id,
        document_id,
        subject,
        final_text,
        kind=kind,
        source=KEPT_SOURCE,
        recipients=recipients,
        generation_id=generation_id,
    )
    docs_table.set_source(db, document_id, KEPT_SOURCE)
    gen_table.set_final_text(
        db, generation_id, final_text, document_id, edit_distance(gen["output"] or "", final_text), status=how
    )
    return document_id
