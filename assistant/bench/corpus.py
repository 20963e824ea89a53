"""Synthetic text and the small embedded profile the benchmarks draft from."""

from __future__ import annotations

import random

WORDS = (
    "meeting budget report thanks tuesday friday draft plan council trees bike survey numbers photos team "
    "coffee workshop parents school street pilot counts sensor lunch talk slides invoice review notes"
).split()


def text(rng: random.Random, n: int) -> str:
    """``n`` random words from a small vocabulary."""
    return " ".join(rng.choice(WORDS) for _ in range(n))


def bench_profile(app):
    """A profile of 30 synthetic mails, embedded (made once per bench home)."""
    from ownvoice.store import documents as D

    prof = app.profile("bench-gen", create=True)
    if not D.list_documents(app.db, prof.id):
        rng = random.Random(0)
        D.insert_documents(
            app.db,
            prof.id,
            [
                D.Document(body=f"Hi Sam,\n\n{text(rng, 40)}.\n\nBest,\nAlex", subject=text(rng, 4))
                for _ in range(30)
            ],
        )
        app.embed(prof)
    return prof
