"""Offline email: reading the mail being answered, and writing the reply as a standards-correct .eml."""

from __future__ import annotations

import mailbox
import os
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid
from pathlib import Path
from typing import Optional

from .errors import InputError
from .importers.cleaning import split_reply
from .importers.messages import body_text, parse_bytes
from .importers.sources import MAX_MESSAGE_BYTES

PASTED_HEADERS = ("from:", "to:", "subject:", "date:", "cc:")


@dataclass
class Incoming:
    """The mail the user is replying to."""

    body: str  # its newest text
    thread: str = ""  # the older, quoted part of the thread
    sender: str = ""  # 'Name <addr>'
    sender_name: str = ""
    sender_addr: str = ""
    subject: str = ""
    message_id: str = ""
    references: str = ""
    to: str = ""

    def prompt_text(self) -> str:
        """The text put into the prompt (sender, subject, newest text; quoted history not re-quoted)."""
        head = []
        if self.sender:
            head.append(f"From: {self.sender}")
        if self.subject:
            head.append(f"Subject: {self.subject}")
        return ("\n".join(head) + "\n\n" if head else "") + self.body

    @property
    def first_name(self) -> str:
        """Sender's first name if the display name has one."""
        from .postprocess import recipient_first_name

        return recipient_first_name(self.sender_name) or "" if self.sender_name else ""


def _from_message(msg) -> Incoming:
    own, quoted = split_reply(body_text(msg))
    pairs = getaddresses([str(msg.get("From", ""))])
    name, addr = pairs[0] if pairs else ("", "")
    return Incoming(
        body=own,
        thread=quoted,
        sender=str(msg.get("From", "")).strip(),
        sender_name=name,
        sender_addr=addr,
        subject=str(msg.get("Subject", "")).strip(),
        message_id=str(msg.get("Message-ID", "")).strip(),
        references=str(msg.get("References", "")).strip(),
        to=str(msg.get("To", "")).strip(),
    )


def read_incoming(path: Path) -> Incoming:
    """Read a .eml file the user wants to answer."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.stat().st_size > MAX_MESSAGE_BYTES:
        raise InputError(f"{path}: too large to be a mail to answer")
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise InputError(f"{path}: a binary file, not an email")
    return _from_message(parse_bytes(data))


def parse_pasted(text: str) -> Incoming:
    """A mail pasted as text: with headers (From:/Subject:...) it is parsed as a message, else taken as
    body."""
    stripped = text.lstrip()
    if stripped.lower().startswith(PASTED_HEADERS):
        head, sep, _ = stripped.partition("\n\n")
        if sep and all(":" in ln for ln in head.split("\n") if ln.strip() and not ln[:1].isspace()):
            return _from_message(parse_bytes(stripped.encode("utf-8")))
    own, quoted = split_reply(text)
    return Incoming(body=own, thread=quoted)


def reply_subject(subject: str) -> str:
    """'Re: ' + subject, without stacking prefixes."""
    s = subject.strip()
    return s if s.lower().startswith("re:") else f"Re: {s}" if s else "Re:"


def build_reply(
    body: str,
    incoming: Optional[Incoming],
    from_addr: str = "",
    from_name: str = "",
    to: str = "",
    subject: str = "",
) -> EmailMessage:
    """A UTF-8 reply message with To, Subject, In-Reply-To and References set from the original."""
    msg = EmailMessage()
    if from_addr:
        msg["From"] = f"{from_name} <{from_addr}>" if from_name else from_addr
    recipient = to or (incoming.sender if incoming else "")
    if recipient:
        msg["To"] = recipient
    msg["Subject"] = subject or (reply_subject(incoming.subject) if incoming else "")
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=(from_addr.split("@")[1] if "@" in from_addr else "ownvoice.local"))
    if incoming and incoming.message_id:
        msg["In-Reply-To"] = incoming.message_id
        msg["References"] = (incoming.references + " " + incoming.message_id).strip()
    msg["X-Unsent"] = "1"  # Outlook/Thunderbird open it as a draft to send
    msg.set_content(body, charset="utf-8")
    return msg


def write_eml(msg: EmailMessage, path: Path) -> Path:
    """Write a message to a .eml file (private to the user)."""
    path = Path(path)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(bytes(msg))
    return path


def append_to_mbox(msg: EmailMessage, path: Path) -> Path:
    """Append a message to a local mbox 'Drafts' file Thunderbird can open."""
    path = Path(path)
    new = not path.exists()
    box = mailbox.mbox(str(path), create=True)
    box.lock()
    try:
        box.add(mailbox.mboxMessage(msg))
        box.flush()
    finally:
        box.unlock()
        box.close()
    if new:
        os.chmod(path, 0o600)
    return path


def mailto_url(body: str, to: str = "", subject: str = "") -> str:
    """A mailto: link that opens the user's mail client with the draft."""
    from urllib.parse import quote

    addr = getaddresses([to])[0][1] if to else ""
    return f"mailto:{quote(addr)}?subject={quote(subject)}&body={quote(body)}"


_LEAD = ("ask", "tell", "thank", "reply", "write", "email", "let", "say", "remind", "invite", "send", "to")


def suggest_subject(instruction: str, max_words: int = 7) -> str:
    """A subject line for a new mail from its instruction ('ask Maria about the form' -> 'About the form')."""
    words = instruction.strip().rstrip(".!?").split()
    while words and words[0].lower() in _LEAD:
        words = words[1:]
        if words and words[0][:1].isupper() and len(words) > 1:  # the addressee's name
            words = words[1:]
    text = " ".join(words[:max_words])
    return text[:1].upper() + text[1:] if text else ""
