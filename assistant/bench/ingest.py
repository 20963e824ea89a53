"""Import: parsing an mbox vs the standard library reading the same file, and embedding a library into the
store vs raw sentence-transformers encoding the same texts."""

from __future__ import annotations

import mailbox
import random
import statistics
import tempfile
import time
from pathlib import Path

from .corpus import text

MESSAGES = 10000
EMBED_DOCS = 512


def _mbox(path: Path, n: int, rng: random.Random) -> None:
    box = mailbox.mbox(str(path))
    for _ in range(n):
        box.add(
            mailbox.mboxMessage(
                (
                    f"From: Me <me@x.org>\nTo: You <you@x.org>\nSubject: {text(rng, 4)}\n"
                    f"Date: Mon, 01 Sep 2025 09:00:00 +0000\n\nHi,\n\n{text(rng, 50)}\n\n"
                    f"On Mon, You wrote:\n> {text(rng, 20)}\n\nBest,\nMe\n"
                ).encode()
            )
        )
    box.flush()
    box.close()


def run(app, runs: int, n: int = MESSAGES) -> dict:
    """Messages/s (ours: parse, clean, strip quotes and signatures; raw: stdlib parse and get the body) and
    texts/s (ours: from the store, encoded, vectors saved; raw: encode alone)."""
    import email
    import email.policy

    from ownvoice.assistant.importers import Own, read_path
    from ownvoice.assistant.retrieval import document_text, embed_missing
    from ownvoice.store import documents as D

    rng = random.Random(0)
    path = Path(tempfile.mkdtemp()) / "big.mbox"
    _mbox(path, n, rng)
    ours, raw = [], []
    kept = 0
    for _ in range(runs):
        t0 = time.perf_counter()
        kept = sum(isinstance(it, Own) for it in read_path(path, {"me@x.org"}))
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for msg in mailbox.mbox(str(path), factory=None):
            parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
            part = parsed.get_body(("plain",))
            part.get_content() if part is not None else ""
        raw.append(time.perf_counter() - t0)
    prof = app.profile("bench-embed", create=True)
    docs = [D.Document(body=text(rng, 60), subject=text(rng, 3)) for _ in range(EMBED_DOCS)]
    D.insert_documents(app.db, prof.id, docs)
    emb = app.embedder()
    t0 = time.perf_counter()
    embed_missing(app.db, prof.id, emb)
    store_s = time.perf_counter() - t0
    texts = [document_text(d.subject, d.body) for d in docs]
    t0 = time.perf_counter()
    emb.model.encode(texts, batch_size=64, normalize_embeddings=True)
    encode_s = time.perf_counter() - t0
    parse, stdlib = n / statistics.median(ours), n / statistics.median(raw)
    return {
        "messages": n,
        "kept": kept,
        "parse_messages_per_s": round(parse),
        "stdlib_parse_messages_per_s": round(stdlib),
        "parse_ratio": round(parse / stdlib, 2),
        "embed_into_store_texts_per_s": round(EMBED_DOCS / store_s),
        "raw_encode_texts_per_s": round(EMBED_DOCS / encode_s),
        "embed_ratio": round(encode_s / store_s, 2),
    }


def markdown(r: dict) -> str:
    """Table of rates."""
    return (
        "| step | OwnVoice | raw library | ratio |\n|---|---|---|---|\n"
        f"| parse a {r['messages']}-message mbox ({r['kept']} kept; ours also cleans quotes, signatures) "
        f"| {r['parse_messages_per_s']} messages/s | {r['stdlib_parse_messages_per_s']} messages/s (stdlib "
        f"email) | {r['parse_ratio']:.2f} |\n"
        f"| embed {EMBED_DOCS} documents (ours: read from the store, encode, save vectors) "
        f"| {r['embed_into_store_texts_per_s']} texts/s | {r['raw_encode_texts_per_s']} texts/s "
        f"(sentence-transformers encode) | {r['embed_ratio']:.2f} |"
    )
