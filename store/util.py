"""Small helpers shared by the store's table modules."""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone

_WS = re.compile(r"\s+")


def now_iso() -> str:
    """UTC now as ISO-8601 text."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def content_hash(subject: str, body: str) -> str:
    """Hash of a document's text, insensitive to whitespace and case (dedupe key)."""
    norm = _WS.sub(" ", f"{subject or ''}\n{body or ''}").strip().lower()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()
