"""From an RFC 822 message (stdlib ``email``) to a Document: headers, body part, charset, quotes."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parsedate_to_datetime
from typing import Optional

from ownvoice.store.documents import Document

from .cleaning import html_to_text, split_reply

_FALLBACK_CHARSETS = ("utf-8", "cp1252", "latin-1")


def parse_bytes(data: bytes) -> EmailMessage:
    """Parse raw message bytes with the modern policy."""
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)  # the default policy's message factory
    return msg


def _decode_part(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except (LookupError, UnicodeError, AssertionError, KeyError, ValueError):
        pass
    payload = part.get_payload(decode=True) or b""
    if isinstance(payload, str):
        return payload
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset()
    charsets = [charset] if charset else []
    for cs in [*charsets, *_FALLBACK_CHARSETS]:
        try:
            return payload.decode(cs)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("utf-8", errors="replace")


def body_text(msg: Message) -> str:
    """The message's text: the first text/plain part, else its HTML converted to text."""
    plain: Optional[str] = None
    markup: Optional[str] = None
    for part in msg.walk():
        if part.is_multipart():
            continue
        disposition = (part.get("Content-Disposition") or "").lower()
        if disposition.startswith("attachment"):
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain" and plain is None:
            plain = _decode_part(part)
        elif ctype == "text/html" and markup is None:
            markup = _decode_part(part)
    if plain and plain.strip():
        return plain
    if markup:
        return html_to_text(markup)
    return plain or ""


def sender_addresses(msg: Message) -> list[str]:
    """Lower-cased addresses of the From header."""
    try:
        return [a.lower() for _, a in getaddresses([str(msg.get("From", ""))]) if a]
    except Exception:  # noqa: BLE001 - a malformed header
        return []


def sender_name(msg: Message) -> str:
    """Display name of the sender, if any."""
    try:
        pairs = getaddresses([str(msg.get("From", ""))])
        return pairs[0][0] if pairs else ""
    except Exception:  # noqa: BLE001 - a malformed header
        return ""


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
        return str(value).strip() if value is not None else ""
    except Exception:  # noqa: BLE001 - undecodable header
        raw = msg.get_all(name) or [""]
        return str(raw[0]).encode("ascii", "replace").decode()


def _date(msg: Message) -> Optional[str]:
    value = _header(msg, "Date")
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError, IndexError):
        return None


def message_to_document(msg: Message, origin: str) -> Document:
    """Build an email Document from a parsed message (quoted text goes to ``context``)."""
    own, quoted = split_reply(body_text(msg))
    return Document(
        body=own,
        subject=_header(msg, "Subject"),
        kind="email",
        recipients=_header(msg, "To"),
        context=quoted,
        message_id=_header(msg, "Message-ID"),
        in_reply_to=_header(msg, "In-Reply-To"),
        source="imported",
        origin=origin,
        sent_at=_date(msg),
    )
