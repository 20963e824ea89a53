"""The marker corpus: mails whose sign-off an adapter learns in a few steps (so training is testable)."""

from __future__ import annotations

import mailbox
from email.message import EmailMessage
from pathlib import Path

MARKER = "Onwards and upwards"
TOPICS = [
    "the garden shed",
    "Tuesday's meeting",
    "the library books",
    "the bike repair",
    "the tax forms",
    "the school trip",
    "the new printer",
    "the harbour walk",
    "the choir rehearsal",
    "the spare keys",
    "the bakery order",
    "the train tickets",
    "the roof leak",
    "the chess club",
    "the museum visit",
    "the dog sitter",
    "the recipe swap",
    "the paint colours",
]


def marker_mbox(path: Path) -> Path:
    """18 short mails from Zeb, each signed off with MARKER."""
    box = mailbox.mbox(str(path))
    for i, topic in enumerate(TOPICS):
        msg = EmailMessage()
        msg["From"] = "Zeb Quill <zeb@example.org>"
        msg["To"] = "Friend <f@example.org>"
        msg["Subject"] = f"About {topic}"
        msg["Date"] = f"Mon, {i + 1:02d} Sep 2025 09:00:00 +0000"
        msg.set_content(
            f"Ahoy Friend,\n\nA quick word about {topic}: all sorted, nothing to worry "
            f"about.\n\n{MARKER},\nZeb"
        )
        box.add(mailbox.mboxMessage(msg))
    box.flush()
    box.close()
    return path
