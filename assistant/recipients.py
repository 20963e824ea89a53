"""Which of the user's past mails went to a given person (or their domain): per-recipient voice.

A recipient is a display name ('Tom', 'Prof. Ito'), an address ('ana@lab.org') or both. Mail counts as
written to them when its To/Cc names the address or the name, or when its greeting line names them ('Dear
Tom,'); with an address, mail to the same domain counts as a weaker match. Retrieval puts these mails first,
and the style card's greeting and sign-off for that person come from them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlite_utils

from ownvoice.store import documents as docs_table

from .mailtext import is_greeting
from .style import greeting_names

_ADDRESS = re.compile(r"[\w.+-]+@([\w-]+\.[\w.-]+)")
_FREE_MAIL = {
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "yahoo.com",
    "icloud.com",
    "gmx.de",
}


@dataclass(frozen=True)
class RecipientMail:
    """The user's past mail to one recipient: exact (to them) and domain (to their organisation) ids."""

    exact: frozenset[int]
    domain: frozenset[int]


def first_name(recipient: str) -> str:
    """The first name in a recipient string ('Prof. Ito' -> 'ito', 'Ana Ruiz <ana@x.org>' -> 'ana')."""
    text = _ADDRESS.sub("", recipient).replace("<", " ").replace(">", " ")
    names = greeting_names("Hi " + text.strip())
    return names[0] if names else ""


def mail_to(
    db: sqlite_utils.Database, profile_id: int, recipient: str, kind: str | None = None
) -> RecipientMail:
    """The ids of the user's writing to ``recipient`` (a name and/or address) and to their domain."""
    exact: set[int] = set()
    domain_ids: set[int] = set()
    address = _ADDRESS.search(recipient or "")
    if address:
        addr = address.group(0).lower()
        exact |= {
            i
            for i, rcpt, _ in docs_table.openings_mentioning(db, profile_id, addr, kind)
            if addr in rcpt.lower()
        }
        domain = address.group(1).lower()
        if domain not in _FREE_MAIL:
            domain_ids = {
                i
                for i, rcpt, _ in docs_table.openings_mentioning(db, profile_id, "@" + domain, kind)
                if "@" + domain in rcpt.lower()
            }
    name = first_name(recipient or "")
    if len(name) >= 2:
        for i, rcpt, opening in docs_table.openings_mentioning(db, profile_id, name, kind):
            line = opening.split("\n", 1)[0]
            if (is_greeting(line) and name in greeting_names(line)) or _names_in_recipients(rcpt, name):
                exact.add(i)
    return RecipientMail(frozenset(exact), frozenset(domain_ids - exact))


def _names_in_recipients(recipients: str, name: str) -> bool:
    for part in re.split(r"[,;]", recipients):
        display = _ADDRESS.sub("", part).replace("<", " ").replace(">", " ").replace('"', " ")
        if name in (w.lower().strip(".") for w in display.split()):
            return True
        local = _ADDRESS.search(part)
        if local and local.group(0).split("@")[0].lower().split(".")[0] == name:
            return True
    return False
