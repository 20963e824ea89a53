"""Reading import sources: mbox, Maildir, .eml, folders of .txt/.md, JSONL.

Every reader yields ``Item``s: a Document ready to store, or a ``Skip`` saying which message could
not be used and why. A whole file that is not what it claims (binary, not an mbox, unreadable)
raises InputError before anything is yielded, so the caller can report it and store nothing.
"""

from __future__ import annotations

import json
import mailbox
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

from ownvoice.assistant.errors import InputError
from ownvoice.store.documents import Document

from .cleaning import normalize_newlines, split_reply, unwrap_paragraphs
from .messages import message_to_document, parse_bytes, sender_addresses, sender_name

MAX_MESSAGE_BYTES = 2_000_000  # a personal mail's text never needs more; bigger = attachments/spam
MAX_BODY_CHARS = 50_000  # one limit for every format, applied by ingest.import_paths
MAX_TEXT_FILE_BYTES = 5_000_000
SNIFF_BYTES = 65536
TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
EML_SUFFIXES = {".eml", ".msg822"}
MBOX_SUFFIXES = {".mbox", ".mbx"}


@dataclass
class Skip:
    """One message or file that was not imported, and why."""

    where: str
    reason: str


@dataclass
class Foreign:
    """A message written by someone else (filtered out by --from)."""

    where: str
    sender_name: str = ""


@dataclass
class Own:
    """A document of the user's, with the sender's display name when known."""

    doc: Document
    sender_name: str = ""


Item = Union[Own, Skip, Foreign]


def _sniff(path: Path) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from exc


def _looks_binary(head: bytes) -> bool:
    if b"\x00" in head:
        return True
    if not head:
        return False
    control = sum(1 for b in head if b < 9 or 13 < b < 32)
    return control / len(head) > 0.05


BINARY_MAGIC = (
    b"%PDF",
    b"PK\x03\x04",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"\x7fELF",
    b"GGUF",
    b"SQLite format",
)


def _binary_further_on(path: Path, head: bytes) -> bool:
    """A file whose start looks like text may still be binary later on (the whole file is checked, in
    chunks)."""
    if len(head) < SNIFF_BYTES or path.stat().st_size > MAX_TEXT_FILE_BYTES * 4:
        return False  # all of it was in the head already, or an mbox too big to scan twice
    with open(path, "rb") as fh:
        fh.seek(SNIFF_BYTES)
        while chunk := fh.read(1 << 20):
            if b"\x00" in chunk:
                return True
    return False


def shown_path(path: Path | str) -> str:
    """A path as text that is always valid UTF-8 (undecodable bytes of a file name shown escaped)."""
    return os.fsencode(str(path)).decode("utf-8", "backslashreplace")


def detect_kind(path: Path) -> str:
    """Say what an import path is: maildir, folder, mbox, eml, jsonl or text (else InputError)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InputError(f"{shown_path(path)}: no such file or folder") from None
    except OSError as exc:
        raise InputError(f"{shown_path(path)}: cannot be read ({exc.strerror or exc})") from None
    if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):  # a FIFO would block the import forever
        raise InputError(
            f"{shown_path(path)}: not a regular file (a pipe, socket or device): skipped without reading"
        )
    if path.is_dir():
        if (path / "cur").is_dir() and (path / "new").is_dir():
            return "maildir"
        return "folder"
    head = _sniff(path)
    suffix = path.suffix.lower()
    if _looks_binary(head) or head.startswith(BINARY_MAGIC) or _binary_further_on(path, head):
        raise InputError(f"{path}: this is a binary file, not mail or text (nothing was imported from it)")
    if not head.strip():
        raise InputError(f"{path}: the file is empty")
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in EML_SUFFIXES:
        return "eml"
    if suffix in MBOX_SUFFIXES or (suffix == "" and head.startswith(b"From ")):
        if not head.startswith(b"From "):
            raise InputError(
                f"{path}: not a valid mbox file: it must start with a 'From ' line (is it corrupt or another "
                f"format?)"
            )
        return "mbox"
    if suffix in TEXT_SUFFIXES:
        return "text"
    if head.startswith(b"From "):
        return "mbox"
    first = head.split(b"\n", 1)[0]
    if b":" in first and first.split(b":", 1)[0].replace(b"-", b"").isalnum():
        return "eml"
    raise InputError(f"{path}: unsupported file type (use mbox, Maildir, .eml, .txt/.md or JSONL)")


def _from_message_bytes(data: bytes, where: str, addresses: set[str]) -> Item:
    if len(data) > MAX_MESSAGE_BYTES:
        return Skip(where, f"message too large ({len(data) // 1024} KB)")
    try:
        msg = parse_bytes(data)
        if msg.defects and not msg.get("From") and not msg.get("Subject") and not msg.get_payload():
            return Skip(where, "unparseable message")
        if addresses:
            senders = sender_addresses(msg)
            if not senders or not (set(senders) & addresses):
                return Foreign(where, sender_name(msg))
        doc = message_to_document(msg, where)
    except Exception as exc:  # noqa: BLE001 - one bad message must not stop the import
        return Skip(where, f"unreadable message ({type(exc).__name__}: {exc})")
    if not doc.body.strip():
        return Skip(where, "no text of the user's own (empty, or only quoted text)")
    return Own(doc, sender_name(msg))  # the body limit is applied to every format in ingest


def _read_box(box: mailbox.Mailbox, keys: list, where_of, addresses: set[str]) -> Iterator[Item]:
    for n, key in enumerate(keys, 1):
        where = where_of(n, key)
        try:
            data = box.get_bytes(key)
        except Exception as exc:  # noqa: BLE001 - an unreadable message is a counted skip
            yield Skip(where, f"truncated or unreadable ({exc})")
            continue
        yield _from_message_bytes(data, where, addresses)
    box.close()


def read_mbox(path: Path, addresses: set[str]) -> Iterator[Item]:
    """Messages of an mbox file."""
    try:
        box = mailbox.mbox(str(path), create=False)
        keys = box.keys()
    except (OSError, mailbox.Error) as exc:
        raise InputError(f"{path}: cannot be read as an mbox ({exc})") from exc
    yield from _read_box(box, keys, lambda n, key: f"{path}#{n}", addresses)


def _plain_file_problem(path: Path, inside: Path) -> str:
    """Why ``path`` must not be opened ('' when it is a regular file in ``inside``): a FIFO would block
    forever."""
    try:
        if path.is_symlink() and not path.resolve().is_relative_to(inside.resolve()):
            return "a link to a file outside the imported folder (not followed)"
        mode = path.stat().st_mode
    except OSError as exc:  # a dangling or looping link, a file gone meanwhile
        return f"cannot be read ({exc.strerror or exc})"
    if stat.S_ISDIR(mode):
        return "a folder where a message belongs"
    if not stat.S_ISREG(mode):
        return "not a regular file (a pipe, socket or device): skipped without reading"
    return ""


def read_maildir(path: Path, addresses: set[str]) -> Iterator[Item]:
    """Messages of a Maildir folder (new/ then cur/, sorted); anything but a regular file is skipped
    unopened."""
    for sub in ("new", "cur"):
        folder = Path(path) / sub
        if not folder.is_dir():
            continue
        for name in sorted(os.listdir(folder)):  # an unlistable new/ raises OSError: the caller says so
            if name.startswith("."):
                continue
            child = folder / name
            where = shown_path(child)
            problem = _plain_file_problem(child, Path(path))
            if problem:
                yield Skip(where, problem)
                continue
            try:
                if child.stat().st_size > MAX_MESSAGE_BYTES:
                    yield Skip(where, f"message too large ({child.stat().st_size // 1024} KB)")
                    continue
                data = child.read_bytes()
            except OSError as exc:
                yield Skip(where, f"truncated or unreadable ({exc.strerror or exc})")
                continue
            yield _from_message_bytes(data, where, addresses)


def read_eml(path: Path, addresses: set[str]) -> Iterator[Item]:
    """A single .eml message."""
    if path.stat().st_size > MAX_MESSAGE_BYTES:
        yield Skip(str(path), f"message too large ({path.stat().st_size // 1024} KB)")
        return
    yield _from_message_bytes(path.read_bytes(), str(path), addresses)


def _decode_text(data: bytes) -> str:
    for cs in ("utf-8", "cp1252", "latin-1"):
        try:
            return data.decode(cs)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


def read_text(path: Path) -> Iterator[Item]:
    """A .txt/.md file as one note (first line starting with '# ' becomes the subject)."""
    if path.stat().st_size > MAX_TEXT_FILE_BYTES:
        yield Skip(str(path), f"file too large for a note ({path.stat().st_size // 1_000_000} MB)")
        return
    text = normalize_newlines(_decode_text(path.read_bytes()))
    subject = path.stem
    if text.startswith("# "):
        first, _, rest = text.partition("\n")
        subject, text = first[2:].strip(), rest.strip()
    if not text:
        yield Skip(str(path), "empty file")
        return
    yield Own(Document(body=unwrap_paragraphs(text), subject=subject, kind="note", origin=str(path)))


def read_jsonl(path: Path) -> Iterator[Item]:
    """One JSON object a line with ``email`` (or ``body``/``text``), optional ``subject``, ``date``,
    ``to``."""
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            where = f"{path}:{n}"
            if not raw.strip():
                continue
            if len(raw) > MAX_MESSAGE_BYTES:
                yield Skip(where, f"line too large ({len(raw) // 1024} KB)")
                continue
            try:
                obj = json.loads(_decode_text(raw))
            except json.JSONDecodeError as exc:
                yield Skip(where, f"not valid JSON ({exc.msg})")
                continue
            except (RecursionError, ValueError) as exc:  # nested thousands deep, a 5,000-digit number
                yield Skip(where, f"JSON beyond the limits of a mail record ({type(exc).__name__})")
                continue
            if not isinstance(obj, dict):
                yield Skip(where, "not a JSON object")
                continue
            text = obj.get("email") or obj.get("body") or obj.get("text")
            if not isinstance(text, str) or not text.strip():
                yield Skip(where, "no 'email' text field")
                continue
            own, quoted = split_reply(text)
            if not own.strip():
                yield Skip(where, "no text of the user's own (only quoted text)")
                continue
            yield Own(
                Document(
                    body=own,
                    subject=str(obj.get("subject") or ""),
                    kind=str(obj.get("kind") or "email"),
                    recipients=str(obj.get("to") or ""),
                    context=str(obj.get("context") or quoted or ""),
                    origin=where,
                    sent_at=str(obj["date"]) if obj.get("date") else None,
                )
            )


def read_path(path: Path, addresses: set[str]) -> Iterator[Item]:
    """Yield the items of one import path (a folder is walked recursively, sorted)."""
    kind = detect_kind(path)
    if kind == "mbox":
        yield from read_mbox(path, addresses)
    elif kind == "maildir":
        yield from read_maildir(path, addresses)
    elif kind == "eml":
        yield from read_eml(path, addresses)
    elif kind == "text":
        yield from read_text(path)
    elif kind == "jsonl":
        yield from read_jsonl(path)
    else:
        for root, dirs, files in os.walk(path, onerror=lambda exc: None):
            dirs.sort()
            for d in list(dirs):  # a Maildir inside the folder is read as one box, not walked into
                sub = Path(root) / d
                if (sub / "cur").is_dir() and (sub / "new").is_dir():
                    dirs.remove(d)
                    try:
                        yield from read_maildir(sub, addresses)
                    except OSError as exc:
                        yield Skip(shown_path(sub), f"cannot be read ({exc.strerror or exc})")
            for name in sorted(files):
                if name.startswith("."):
                    continue
                child = Path(root) / name
                if child.is_symlink() and not child.resolve().is_relative_to(Path(path).resolve()):
                    yield Skip(
                        shown_path(child), "a link to a file outside the imported folder (not followed)"
                    )
                    continue
                try:
                    yield from read_path(child, addresses)
                except InputError as exc:
                    yield Skip(shown_path(child), str(exc).split(": ", 1)[-1])
                except OSError as exc:  # an unreadable Maildir or file inside the folder: skip it, go on
                    yield Skip(shown_path(child), f"cannot be read ({exc.strerror or exc})")


def count_hint(path: Path) -> Optional[int]:
    """A cheap size hint for the progress bar (bytes of the file), or None."""
    try:
        return path.stat().st_size if path.is_file() else None
    except OSError:
        return None
