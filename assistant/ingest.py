"""Import orchestration: read every path, then store all new documents in ONE transaction.

Reading comes first and writing last, so a file that turns out to be corrupt halfway, a cancel, or
a full disk leaves the store exactly as it was. Embeddings are computed afterwards (they are
derived data: a cancelled embedding pass is simply resumed by the next import or draft).
"""

from __future__ import annotations

import collections
import dataclasses
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import sqlite_utils

from ownvoice.store import documents as docs_table
from ownvoice.store.documents import Document
from ownvoice.store.profiles import Profile, update_profile

from .errors import InputError, StorageError
from .importers import Foreign, Own, Skip, read_path
from .importers.sources import MAX_BODY_CHARS, shown_path
from .jobs import CancelToken, ProgressFn, report


@dataclass
class ImportSummary:
    """What an import did."""

    imported: int = 0
    duplicates: int = 0
    not_users: int = 0
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    new_ids: list[int] = field(default_factory=list)
    failed_files: list[tuple[str, str]] = field(default_factory=list)
    embedding_error: str = ""  # the mail is stored, but its search vectors could not be (disk full...)

    def as_dict(self) -> dict:
        """JSON-friendly form."""
        return {
            "imported": self.imported,
            "duplicates": self.duplicates,
            "not_users": self.not_users,
            "unreadable": len(self.unreadable),
            "unreadable_reasons": [f"{w}: {r}" for w, r in self.unreadable],
            "failed_files": [f"{w}: {r}" for w, r in self.failed_files],
            "embedding_error": self.embedding_error,
        }


_SIGNOFF_NAME = re.compile(r"^[A-Z][a-zA-Z'\-]{1,20}( [A-Z][a-zA-Z'\-]{1,20})?$")


def guess_display_name(sender_names: Iterable[str], bodies: Iterable[str]) -> str:
    """The user's name: the commonest From display name, else the commonest sign-off line."""
    names = collections.Counter(n.strip().strip('"') for n in sender_names if n and n.strip())
    if names:
        return names.most_common(1)[0][0]
    last_lines: collections.Counter[str] = collections.Counter()
    for body in bodies:
        lines = [ln.strip() for ln in body.strip().split("\n") if ln.strip()]
        if lines and _SIGNOFF_NAME.match(lines[-1]):
            last_lines[lines[-1]] += 1
    if last_lines:
        name, n = last_lines.most_common(1)[0]
        if n >= 2:
            return name
    return ""


def _valid(text: Optional[str]) -> str:
    return (text or "").encode("utf-8", "replace").decode("utf-8")  # a lone surrogate becomes '?'


def _valid_text(doc: Document) -> Document:
    """The document with every text field valid UTF-8 (what SQLite stores and hashing needs)."""
    return dataclasses.replace(
        doc,
        body=_valid(doc.body),
        subject=_valid(doc.subject),
        kind=_valid(doc.kind),
        recipients=_valid(doc.recipients),
        context=_valid(doc.context),
        message_id=_valid(doc.message_id),
        in_reply_to=_valid(doc.in_reply_to),
        sent_at=_valid(doc.sent_at) if doc.sent_at is not None else None,
        origin=(doc.origin or "").encode("utf-8", "backslashreplace").decode("utf-8"),
    )


def import_paths(
    db: sqlite_utils.Database,
    profile: Profile,
    paths: list[Path],
    addresses: Optional[list[str]] = None,
    progress: Optional[ProgressFn] = None,
    cancel: Optional[CancelToken] = None,
) -> ImportSummary:
    """Read ``paths`` and add the user's new documents to ``profile``; all-or-nothing per call."""
    wanted = {a.lower() for a in (addresses or profile.addresses or [])}
    summary = ImportSummary()
    found: list = []
    sender_names: list[str] = []
    seen = docs_table.existing_hashes(db, profile.id)
    from ownvoice.store.util import content_hash

    for path in paths:
        path = Path(path)
        try:
            for item in read_path(path, wanted):
                if cancel:
                    cancel.check()
                if (
                    isinstance(item, Own) and len(item.doc.body) > MAX_BODY_CHARS
                ):  # one limit for every format
                    item = Skip(
                        item.doc.origin or shown_path(path),
                        f"text too long for a personal message ({len(item.doc.body):,} characters)",
                    )
                if isinstance(item, Own):
                    item = Own(_valid_text(item.doc), item.sender_name)
                    h = content_hash(item.doc.subject, item.doc.body)
                    if h in seen:
                        summary.duplicates += 1
                    else:
                        seen.add(h)
                        found.append(item.doc)
                        if item.sender_name:
                            sender_names.append(item.sender_name)
                elif isinstance(item, Foreign):
                    summary.not_users += 1
                elif isinstance(item, Skip):
                    summary.unreadable.append((item.where, item.reason))
                report(
                    progress,
                    "reading",
                    len(found) + summary.duplicates + summary.not_users + len(summary.unreadable),
                )
        except InputError as exc:
            summary.failed_files.append((shown_path(path), str(exc)))
        except OSError as exc:  # e.g. a Maildir whose new/ cannot be listed
            summary.failed_files.append(
                (shown_path(path), f"{shown_path(path)}: cannot be read ({exc.strerror or exc})")
            )
    if len(paths) == len(summary.failed_files) and summary.failed_files:
        raise InputError("; ".join(reason for _, reason in summary.failed_files))
    if cancel:
        cancel.check()
    try:
        summary.new_ids = docs_table.insert_documents(db, profile.id, found)
    except sqlite3.OperationalError as exc:
        raise StorageError(f"could not write to the store ({exc}); nothing was imported") from exc
    summary.imported = len(summary.new_ids)
    report(progress, "storing", summary.imported, summary.imported)
    changes: dict[str, object] = {}
    if wanted and set(wanted) - set(profile.addresses):
        changes["addresses"] = sorted(set(profile.addresses) | wanted)
    if not profile.display_name:
        name = guess_display_name(sender_names, (d.body for d in found))
        if name:
            changes["display_name"] = name
    if changes:
        update_profile(db, profile.id, **changes)
    return summary
