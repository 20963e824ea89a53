"""The user's edits of their style card, versioned: each edit (or undo) adds a version, none is rewritten."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Optional

import sqlite_utils

from .util import now_iso, writing


@dataclass
class CardVersion:
    """One stored version of a profile's card edits."""

    version: int
    edits: dict[str, Any]
    created: str


def _row(row: dict) -> CardVersion:
    return CardVersion(row["version"], json.loads(row["edits"] or "{}"), row["created"])


def current_edits(db: sqlite_utils.Database, profile_id: int) -> CardVersion:
    """The newest version of a profile's edits (version 0, no edits, when the user never edited)."""
    rows = list(
        db.table("style_cards").rows_where("profile_id = ?", [profile_id], order_by="version DESC", limit=1)
    )
    return _row(rows[0]) if rows else CardVersion(0, {}, "")


def card_version(db: sqlite_utils.Database, profile_id: int, version: int) -> Optional[CardVersion]:
    """One version of a profile's edits, or None."""
    rows = list(db.table("style_cards").rows_where("profile_id = ? AND version = ?", [profile_id, version]))
    return _row(rows[0]) if rows else None


def save_edits(db: sqlite_utils.Database, profile_id: int, edits: dict[str, Any]) -> int:
    """Store ``edits`` as the profile's next version; return its number."""
    with writing(db):
        version = current_edits(db, profile_id).version + 1
        db.table("style_cards").insert(
            {"profile_id": profile_id, "version": version, "edits": json.dumps(edits), "created": now_iso()}
        )
    return version


def history(db: sqlite_utils.Database, profile_id: int) -> list[CardVersion]:
    """Every version of a profile's edits, newest first."""
    return [
        _row(r)
        for r in db.table("style_cards").rows_where("profile_id = ?", [profile_id], order_by="version DESC")
    ]
