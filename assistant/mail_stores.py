"""Where a user's sent mail already lives on this machine (Thunderbird profiles, ~/Maildir), for first-run
import.

Only folders of sent mail are offered: that is the user's own writing. Nothing is read beyond file names
and sizes until the user picks a store and imports it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

SENT_NAMES = {
    "sent",
    "sent mail",
    "sent messages",
    "sent items",
    "gesendet",
    "gesendete objekte",
    "envoyés",
    "éléments envoyés",
    "enviados",
    "inviata",
    "posta inviata",
    "verzonden",
}
_THUNDERBIRD_ROOTS = (
    ".thunderbird",
    ".var/app/org.mozilla.Thunderbird/.thunderbird",
    "snap/thunderbird/common/.thunderbird",
    "Library/Thunderbird/Profiles",
    "AppData/Roaming/Thunderbird/Profiles",
)
_MAX_DEPTH = 5


@dataclass(frozen=True)
class MailStore:
    """One folder of sent mail found on disk."""

    client: str
    path: Path
    label: str
    size: int


def _is_sent(name: str) -> bool:
    return name.strip().lower() in SENT_NAMES


def _sent_mboxes(mail_root: Path) -> list[Path]:
    """Thunderbird mbox files (no suffix, a sibling .msf index) named like a sent folder, under
    ``mail_root``."""
    out = []
    for dirpath, dirnames, filenames in os.walk(mail_root):
        if Path(dirpath).relative_to(mail_root).parts.__len__() >= _MAX_DEPTH:
            dirnames[:] = []
        for f in filenames:
            p = Path(dirpath) / f
            if not p.suffix and _is_sent(f) and p.is_file() and p.stat().st_size > 0:
                out.append(p)
    return sorted(out)


def find_mail_stores(home: Optional[Path] = None) -> list[MailStore]:
    """Sent-mail folders of Thunderbird profiles and a ~/Maildir under ``home`` (default: the user's home)."""
    home = Path(home) if home is not None else Path.home()
    found: list[MailStore] = []
    for rel in _THUNDERBIRD_ROOTS:
        root = home / rel
        if not root.is_dir():
            continue
        for profile in sorted(p for p in root.iterdir() if p.is_dir()):
            for sub in ("Mail", "ImapMail"):
                mail_root = profile / sub
                if not mail_root.is_dir():
                    continue
                for box in _sent_mboxes(mail_root):
                    where = box.relative_to(mail_root)
                    found.append(
                        MailStore(
                            "Thunderbird",
                            box,
                            f"Thunderbird · {profile.name.split('.')[-1]} · {'/'.join(where.parts)}",
                            box.stat().st_size,
                        )
                    )
    maildir = home / "Maildir"
    for name in (".Sent", ".Sent Items", "Sent"):
        box = maildir / name
        if (box / "cur").is_dir():
            size = sum(f.stat().st_size for f in (box / "cur").iterdir() if f.is_file())
            found.append(MailStore("Maildir", box, f"Maildir · {name.lstrip('.')}", size))
    return found
