"""Adapter versions per profile (files live in the data home; rows say which is active).

An adapter file inside the data home is recorded relative to the store's folder, so a data home that is moved
or restored from a backup elsewhere keeps its adapters; rows read back with absolute paths.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import sqlite_utils

from .util import inserted_id, now_iso, writing


@dataclass
class AdapterRow:
    """One adapter version."""

    id: int
    profile_id: int
    version: int
    path: str
    base_sha256: str
    base_gguf: str
    metrics: dict
    active: bool
    created: str


def _store_folder(db: sqlite_utils.Database) -> Optional[Path]:
    """The folder of the store's file (None for an in-memory store)."""
    file = db.execute("PRAGMA database_list").fetchone()[2]
    return Path(file).resolve().parent if file else None


def _stored_path(db: sqlite_utils.Database, path: str) -> str:
    folder = _store_folder(db)
    resolved = Path(path).resolve()
    if folder is not None and resolved.is_relative_to(folder):
        return resolved.relative_to(folder).as_posix()
    return str(path)


def _row(db: sqlite_utils.Database, r: dict) -> AdapterRow:
    folder = _store_folder(db)
    path = r["path"]
    if folder is not None and not Path(path).is_absolute():
        path = str(folder / path)
    return AdapterRow(
        r["id"],
        r["profile_id"],
        r["version"],
        path,
        r["base_sha256"],
        r["base_gguf"],
        json.loads(r["metrics"] or "{}"),
        bool(r["active"]),
        r["created"],
    )


def next_version(db: sqlite_utils.Database, profile_id: int) -> int:
    """The version number the next adapter of a profile gets."""
    row = db.execute("SELECT max(version) FROM adapters WHERE profile_id = ?", [profile_id]).fetchone()
    return (row[0] or 0) + 1


def add_adapter(
    db: sqlite_utils.Database,
    profile_id: int,
    version: int,
    path: str,
    base_sha256: str,
    base_gguf: str,
    metrics: dict,
    activate: bool,
) -> int:
    """Register an adapter version (optionally making it the active one for its base model)."""
    with writing(db):
        if activate:
            db.execute(
                "UPDATE adapters SET active = 0 WHERE profile_id = ? AND base_sha256 = ?",
                [profile_id, base_sha256],
            )
        return inserted_id(
            db.table("adapters").insert(
                {
                    "profile_id": profile_id,
                    "version": version,
                    "path": _stored_path(db, path),
                    "base_sha256": base_sha256,
                    "base_gguf": base_gguf,
                    "metrics": json.dumps(metrics),
                    "active": int(activate),
                    "created": now_iso(),
                }
            )
        )


def list_adapters(db: sqlite_utils.Database, profile_id: int) -> list[AdapterRow]:
    """A profile's adapters, newest first."""
    return [
        _row(db, r)
        for r in db.table("adapters").rows_where("profile_id = ?", [profile_id], order_by="version desc")
    ]


def get_adapter(db: sqlite_utils.Database, adapter_id: int) -> Optional[AdapterRow]:
    """One adapter row."""
    rows = list(db.table("adapters").rows_where("id = ?", [adapter_id]))
    return _row(db, rows[0]) if rows else None


def active_adapter(
    db: sqlite_utils.Database, profile_id: int, base_sha256: Optional[str] = None
) -> Optional[AdapterRow]:
    """The active adapter of a profile for the base model ``base_sha256`` (None: for any base), if any."""
    where = "profile_id = ? AND active = 1"
    params: list = [profile_id]
    if base_sha256 is not None:
        where, params = where + " AND base_sha256 = ?", [*params, base_sha256]
    rows = list(db.table("adapters").rows_where(where, params, order_by="version desc"))
    return _row(db, rows[0]) if rows else None


def set_active(
    db: sqlite_utils.Database, profile_id: int, adapter_id: Optional[int], base_sha256: Optional[str] = None
) -> None:
    """Make one adapter the active one for its base model; None: no adapter for ``base_sha256`` (for every
    base when that is None too). Each base model keeps its own active adapter, so switching models and back
    finds the adapter that was in use."""
    with writing(db):
        if adapter_id is not None:
            row = db.execute(
                "SELECT base_sha256 FROM adapters WHERE id = ? AND profile_id = ?", [adapter_id, profile_id]
            ).fetchone()
            if row is None:
                return
            base_sha256 = row[0]
        if base_sha256 is None:
            db.execute("UPDATE adapters SET active = 0 WHERE profile_id = ?", [profile_id])
        else:
            db.execute(
                "UPDATE adapters SET active = 0 WHERE profile_id = ? AND base_sha256 = ?",
                [profile_id, base_sha256],
            )
        if adapter_id is not None:
            db.execute("UPDATE adapters SET active = 1 WHERE id = ?", [adapter_id])


def delete_adapter_row(db: sqlite_utils.Database, adapter_id: int) -> None:
    """Remove an adapter's row."""
    with writing(db):
        db.execute("DELETE FROM adapters WHERE id = ?", [adapter_id])


def get_playback(db: sqlite_utils.Database, ids: list[int]) -> dict[int, str]:
    """Cached playback instructions for documents."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    return {
        r[0]: r[1]
        for r in db.execute(
            f"SELECT document_id, instruction FROM playback WHERE document_id IN ({marks})", ids
        )
    }


def save_playback(db: sqlite_utils.Database, rows: list[dict]) -> None:
    """Cache playback instructions (document_id, profile_id, instruction, method, model)."""
    stamp = now_iso()
    with writing(db):
        db.table("playback").upsert_all([{**r, "created": stamp} for r in rows], pk="document_id")
