"""The log of every draft generated: request, exemplars, model, output and the user's final text."""

from __future__ import annotations

import json
from typing import Optional

import sqlite_utils

from .util import inserted_id, now_iso, writing


def log_generation(
    db: sqlite_utils.Database,
    profile_id: int,
    *,
    instruction: str,
    incoming: str,
    exemplar_ids: list[int],
    prompt: str,
    model: str,
    adapter: str,
    params: dict,
    output: str,
    prompt_tokens: int,
    completion_tokens: int,
    ttft_s: float,
    total_s: float,
    tokens_per_s: float,
) -> int:
    """Record one generation; return its id."""
    with writing(db):
        return inserted_id(
            db.table("generations").insert(
                {
                    "profile_id": profile_id,
                    "instruction": instruction,
                    "incoming": incoming,
                    "exemplar_ids": json.dumps(exemplar_ids),
                    "prompt": prompt,
                    "model": model,
                    "adapter": adapter,
                    "params": json.dumps(params),
                    "output": output,
                    "final_text": None,
                    "document_id": None,
                    "status": "new",
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "ttft_s": ttft_s,
                    "total_s": total_s,
                    "tokens_per_s": tokens_per_s,
                    "created": now_iso(),
                }
            )
        )


def set_final_text(
    db: sqlite_utils.Database,
    generation_id: int,
    final_text: str,
    document_id: Optional[int] = None,
    edit_distance: Optional[int] = None,
    status: str = "accepted",
) -> None:
    """Store what the user finally kept of a generation (the learning loop's feedback)."""
    with writing(db):
        db.table("generations").update(
            generation_id,
            {
                "final_text": final_text,
                "document_id": document_id,
                "edit_distance": edit_distance,
                "status": status,
            },
        )


def generation_outputs(db: sqlite_utils.Database, profile_id: int) -> set[str]:
    """The whitespace-normalised texts a model generated for a profile (for provenance checks)."""
    return {
        " ".join((r[0] or "").split())
        for r in db.execute("SELECT output FROM generations WHERE profile_id = ?", [profile_id])
    }


def get_generation(db: sqlite_utils.Database, generation_id: int) -> Optional[dict]:
    """One generation row, with exemplar_ids and params decoded."""
    rows = list(db.table("generations").rows_where("id = ?", [generation_id]))
    if not rows:
        return None
    row = rows[0]
    row["exemplar_ids"] = json.loads(row["exemplar_ids"] or "[]")
    row["params"] = (
        json.loads(row["params"] or "{}") if isinstance(row.get("params"), str) else row.get("params")
    )
    return row


def count_generations(db: sqlite_utils.Database, profile_id: int) -> int:
    """How many drafts were generated for a profile."""
    return db.execute("SELECT count(*) FROM generations WHERE profile_id = ?", [profile_id]).fetchone()[0]


def feedback_rows(
    db: sqlite_utils.Database, profile_id: int
) -> list[tuple[str, str, Optional[int], str, str]]:
    """(created, status, edit_distance, output, final_text) of every draft of a profile, oldest first."""
    return [
        (r[0], r[1] or "new", r[2], r[3] or "", r[4] or "")
        for r in db.execute(
            "SELECT created, status, edit_distance, output, final_text FROM generations WHERE profile_id = ? "
            "ORDER BY created, id",
            [profile_id],
        )
    ]


def edited_approvals(db: sqlite_utils.Database, profile_id: int) -> list[dict]:
    """Drafts the user approved after changing them: instruction, incoming, output (the model's), final_text
    (the user's) and document_id, oldest first."""
    return [
        {"instruction": r[0], "incoming": r[1] or "", "output": r[2], "final_text": r[3], "document_id": r[4]}
        for r in db.execute(
            "SELECT instruction, incoming, output, final_text, document_id FROM generations "
            "WHERE profile_id = ? AND status IN ('accepted', 'sent') AND final_text IS NOT NULL "
            "AND coalesce(edit_distance, 1) > 0 ORDER BY created, id",
            [profile_id],
        )
    ]


def recent_approvals(db: sqlite_utils.Database, profile_id: int, limit: int) -> list[tuple[dict, str, str]]:
    """(params, output, final_text) of the newest ``limit`` drafts the user accepted or sent, newest first."""
    return [
        (json.loads(r[0] or "{}"), r[1] or "", r[2] or "")
        for r in db.execute(
            "SELECT params, output, final_text FROM generations WHERE profile_id = ? "
            "AND status IN ('accepted', 'sent') AND final_text IS NOT NULL ORDER BY created DESC, id DESC "
            "LIMIT ?",
            [profile_id, limit],
        )
    ]
