"""Profiles: one per person/voice; every document, embedding and adapter belongs to one."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Optional

import sqlite_utils

from .util import now_iso, writing


@dataclass
class Profile:
    """A profile row."""

    id: int
    name: str
    display_name: str = ""
    addresses: list[str] = field(default_factory=list)
    model: str = ""


def _row_to_profile(row: dict) -> Profile:
    return Profile(
        id=row["id"],
        name=row["name"],
        display_name=row.get("display_name") or "",
        addresses=json.loads(row.get("addresses") or "[]"),
        model=row.get("model") or "",
    )


def get_profile(db: sqlite_utils.Database, name: str) -> Optional[Profile]:
    """Return the profile called ``name`` or None."""
    rows = list(db.table("profiles").rows_where("name = ?", [name]))
    return _row_to_profile(rows[0]) if rows else None


def get_profile_by_id(db: sqlite_utils.Database, profile_id: int) -> Optional[Profile]:
    """Return the profile with this id or None."""
    rows = list(db.table("profiles").rows_where("id = ?", [profile_id]))
    return _row_to_profile(rows[0]) if rows else None


def ensure_profile(db: sqlite_utils.Database, name: str) -> Profile:
    """Return the profile called ``name``, creating it if needed."""
    existing = get_profile(db, name)
    if existing:
        return existing
    with writing(db):
        db.table("profiles").insert(
            {"name": name, "display_name": "", "addresses": "[]", "model": "", "created": now_iso()}
        )
    return get_profile(db, name)  # type: ignore[return-value]


def list_profiles(db: sqlite_utils.Database) -> list[Profile]:
    """All profiles, by name."""
    return [_row_to_profile(r) for r in db.table("profiles").rows_where(order_by="name")]


def update_profile(db: sqlite_utils.Database, profile_id: int, **fields) -> None:
    """Update some columns of a profile (addresses as a list)."""
    if "addresses" in fields:
        fields["addresses"] = json.dumps(sorted({a.lower() for a in fields["addresses"]}))
    with writing(db):
        db.table("profiles").update(profile_id, fields)


def rename_profile(db: sqlite_utils.Database, profile_id: int, new_name: str) -> None:
    """Rename a profile."""
    update_profile(db, profile_id, name=new_name)


def delete_profile(db: sqlite_utils.Database, profile_id: int) -> None:
    """Erase a profile with its documents, revisions, embeddings and generations."""
    with writing(db):
        doc_ids = "SELECT id FROM documents WHERE profile_id = ?"
        db.execute(f"DELETE FROM embeddings WHERE document_id IN ({doc_ids})", [profile_id])
        db.execute(f"DELETE FROM revisions WHERE document_id IN ({doc_ids})", [profile_id])
        db.execute("DELETE FROM generations WHERE profile_id = ?", [profile_id])
        db.execute("DELETE FROM documents WHERE profile_id = ?", [profile_id])
        for extra in ("adapters", "playback", "style_cards"):
            if db[extra].exists():
                db.execute(f"DELETE FROM {extra} WHERE profile_id = ?", [profile_id])
        db.execute("DELETE FROM profiles WHERE id = ?", [profile_id])
