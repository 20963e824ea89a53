"""First-run detection of the mail a user already has (Thunderbird profiles, ~/Maildir)."""

from __future__ import annotations

import shutil

from ownvoice.assistant.mail_stores import find_mail_stores


def make_thunderbird_home(tmp_path, persona_mbox):
    """A home folder laid out as Thunderbird leaves it: a profile with Local Folders and an IMAP account."""
    prof = tmp_path / "home" / ".thunderbird" / "x1y2z3.default-release"
    local = prof / "Mail" / "Local Folders"
    imap = prof / "ImapMail" / "imap.example.org" / "INBOX.sbd"
    for d in (local, imap):
        d.mkdir(parents=True)
    shutil.copy(persona_mbox, local / "Sent")
    (local / "Sent.msf").write_text("// index")
    (local / "Inbox").write_text("From someone\n")  # not the user's writing: never offered
    shutil.copy(persona_mbox, imap / "Sent Items")
    (imap / "Empty Sent").write_text("")
    return tmp_path / "home"


def test_finds_thunderbird_sent_folders_and_nothing_else(tmp_path, persona_mbox):
    home = make_thunderbird_home(tmp_path, persona_mbox)
    (home / "Maildir" / ".Sent" / "cur").mkdir(parents=True)
    stores = find_mail_stores(home)
    labels = [s.label for s in stores]
    assert labels == [
        "Thunderbird · default-release · Local Folders/Sent",
        "Thunderbird · default-release · imap.example.org/INBOX.sbd/Sent Items",
        "Maildir · Sent",
    ]
    assert stores[0].size == persona_mbox.stat().st_size
    assert find_mail_stores(tmp_path / "nobody") == []
