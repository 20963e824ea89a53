"""Regenerate samples/persona.mbox: a made-up persona (Priya Raman) written for this project.

Run: python packaging/make_sample_mailbox.py  (the .mbox is committed; this documents its origin)
"""
from __future__ import annotations

import mailbox
from email.message import EmailMessage
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from pathlib import Path

ME = "Priya Raman <priya@example.org>"
SENT = [
    ("Re: Tuesday's site "
     "visit", "Marco", "Hey Marco —\n\nTuesday works. I'll bring the updated bike-lane drawings and the parking counts from last week. Could we start at the north gate at 9? The light is better there for photos.\n\nCheers,\nPriya"),
    ("Budget notes for the riverside "
     "plan", "Ana", "Hey Ana —\n\nQuick heads-up: the riverside numbers came in about 8% over. Nothing dramatic, mostly the lighting. I've marked two places where we could trim without anyone noticing. Happy to walk you through it on Thursday.\n\nCheers,\nPriya"),
    ("Re: Thank you!", "Jonas", "Hey Jonas —\n\nThat's very kind of you, thank you. Honestly the workshop "
                                "only worked because your team showed up with so many good questions. Let's do a second round in spring?\n\nCheers,\nPriya"),
    ("Running late", "Marco", "Hey Marco —\n\nStuck behind a tram, so I'll be ten minutes late. Start "
                              "without me, I'll catch up.\n\nCheers,\nPriya"),
    ("Re: Can you review the "
     "survey?", "Lena", "Hey Lena —\n\nHappy to. I read it on the train: questions 4 and 7 ask the same thing twice, and question 12 is a bit leading (\"Don't you agree that...\"). Otherwise it's clear and short, which is exactly what people will answer.\n\nCheers,\nPriya"),
    ("Re: Conference in "
     "Lyon", "Sophie", "Hey Sophie —\n\nI'd love to come, but the dates clash with our council hearing. Could I send a short recorded talk instead? Ten minutes on the school-street pilot, with the before/after counts.\n\nCheers,\nPriya"),
    ("Draft for the "
     "council", "Ana", "Hey Ana —\n\nAttached is my first go at the council summary. I kept it to one page and put the three decisions they need to make at the top. Tear it apart, I won't mind.\n\nCheers,\nPriya"),
    ("Re: Coffee next "
     "week?", "Tom", "Hey Tom —\n\nYes please! Wednesday after 3 or Friday morning both work. The place by the canal does a decent flat white.\n\nCheers,\nPriya"),
    ("Re: Data request", "Lena", "Hey Lena —\n\nThe pedestrian counts are in the shared folder under "
                                 "2024/counts. The raw sensor files are huge, so I'd start with the hourly summaries. Shout if anything looks odd — sensor 3 had a bad week in March.\n\nCheers,\nPriya"),
    ("Re: Sorry for the "
     "delay", "Jonas", "Hey Jonas —\n\nNo worries at all, these things take the time they take. Friday is fine for the revised plan.\n\nCheers,\nPriya"),
    ("Volunteers for "
     "Saturday", "Team", "Hey all —\n\nWe still need four people for the Saturday street count, 8 to 12. Coffee and pastries are on me. Reply here and I'll put you on the sheet.\n\nCheers,\nPriya"),
    ("Re: Job application", "Sophie", "Hey Sophie —\n\nThanks for thinking of me! I'm happy where I am for "
                                      "now, but I'll pass the posting on to two people who'd be great for it.\n\nCheers,\nPriya"),
    ("Re: Trees on Elm "
     "Street", "Marco", "Hey Marco —\n\nGood catch. The plan shows twelve trees but the utility map only leaves room for nine. Let's ask the water team before we promise anything to the residents.\n\nCheers,\nPriya"),
    ("Re: Interview "
     "request", "Ana", "Hey Ana —\n\nSure, I can talk to the journalist. I'd rather keep it to the pilot results and not speculate about next year's budget. Can you send me her questions in advance?\n\nCheers,\nPriya"),
    ("Re: Happy birthday!", "Tom", "Hey Tom —\n\nThank you! It was a quiet one: cake, a long walk, an early "
                                   "night. Exactly what I wanted.\n\nCheers,\nPriya"),
    ("Holiday cover", "Lena", "Hey Lena —\n\nI'm off from the 12th to the 23rd. Marco has the keys to the "
                              "sensor boxes and Ana can sign anything urgent. I'll check email once or twice, no more.\n\nCheers,\nPriya"),
    ("Re: Slides for "
     "Monday", "Jonas", "Hey Jonas —\n\nSlides look great. Two small things: the map on slide 5 is missing a legend, and I'd move the cost table to the appendix. People glaze over at tables.\n\nCheers,\nPriya"),
    ("Re: Meeting "
     "notes", "Sophie", "Hey Sophie —\n\nThanks for writing these up so quickly. One correction: we agreed on a six-month pilot, not three. Otherwise spot on.\n\nCheers,\nPriya"),
    ("Re: Bike parking "
     "complaint", "Marco", "Hey Marco —\n\nI called the resident back. She's mostly upset that nobody told her in advance, which is fair. Let's put a notice up two weeks before any install from now on.\n\nCheers,\nPriya"),
    ("Re: Lunch talk", "Ana", "Hey Ana —\n\nCount me in for the lunch talk. I can do twenty minutes on what "
                              "we learned from the school streets, with lots of photos and very few numbers.\n\nCheers,\nPriya"),
    ("Re: Invoice", "Tom", "Hey Tom —\n\nPaid this morning, it should reach you by Thursday. Sorry it took a "
                           "while, our finance system had a rough week.\n\nCheers,\nPriya"),
    ("Re: Welcome "
     "aboard", "Lena", "Hey Lena —\n\nSo glad you're joining us! First week is mostly meeting people and walking the sites. Bring good shoes.\n\nCheers,\nPriya"),
]
OTHERS = [
    ("Tuesday's site "
     "visit", "Marco Bianchi <marco@example.org>", "Hi Priya,\n\nCan we do the site visit on Tuesday morning?\n\nMarco"),
    ("Newsletter: planning "
     "digest", "Digest <news@example.com>", "This week in planning: ten stories you may have missed."),
]


def build(path: Path) -> None:
    """Write the sample mbox."""
    if path.exists():
        path.unlink()
    box = mailbox.mbox(str(path))
    start = datetime(2025, 3, 3, 9, 0, tzinfo=timezone.utc)
    for i, (subject, to, body) in enumerate(SENT):
        msg = EmailMessage()
        msg["From"] = ME
        msg["To"] = f"{to} <{to.lower()}@example.org>"
        msg["Subject"] = subject
        msg["Date"] = format_datetime(start + timedelta(days=3 * i))
        msg["Message-ID"] = f"<sample-{i}@example.org>"
        msg.set_content(body)
        box.add(mailbox.mboxMessage(msg))
    for j, (subject, sender, body) in enumerate(OTHERS):
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = ME
        msg["Subject"] = subject
        msg["Date"] = format_datetime(start + timedelta(days=2 * j + 1))
        msg["Message-ID"] = f"<other-{j}@example.org>"
        msg.set_content(body)
        box.add(mailbox.mboxMessage(msg))
    box.flush()
    box.close()


def build_incoming(path: Path) -> None:
    """Write samples/incoming.eml, a mail for the demo to answer."""
    msg = EmailMessage()
    msg["From"] = "Ana Costa <ana@example.org>"
    msg["To"] = ME
    msg["Subject"] = "Workshop on the school-street pilot"
    msg["Date"] = "Mon, 02 Jun 2025 10:12:00 +0000"
    msg["Message-ID"] = "<incoming-1@example.org>"
    msg.set_content("Hi Priya,\n\nWould you be up for running a short workshop on the school-street pilot "
                    "for the "
                    "parents' association next month? An hour, maybe less. They mostly want to know what "
                    "changed "
                    "and what comes next.\n\nThanks,\nAna")
    path.write_bytes(bytes(msg))


if __name__ == "__main__":
    here = Path(__file__).resolve().parent.parent / "samples"
    build(here / "persona.mbox")
    build_incoming(here / "incoming.eml")
    print("wrote", here)
