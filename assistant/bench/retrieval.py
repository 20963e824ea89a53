"""Top-4 retrieval latency at growing library sizes against raw numpy cosine over the same vectors."""

from __future__ import annotations

import random
import statistics
import time

from .corpus import text

SIZES = (1000, 10000, 100000)
DIM = 384


def run(app, runs: int, sizes: tuple[int, ...] = SIZES) -> dict:
    """{size: {"ms", "raw_numpy_ms"}}: the hybrid search (embedding the query included) vs encode + cosine."""
    import numpy as np

    from ownvoice.assistant.retrieval import search
    from ownvoice.store import documents as D
    from ownvoice.store import embeddings as E

    emb = app.embedder()
    rng = random.Random(0)
    nrng = np.random.default_rng(0)
    out: dict = {}
    for size in sizes:
        prof = app.profile(f"bench-ret-{size}", create=True)
        have = len(D.list_documents(app.db, prof.id))
        if have < size:  # synthetic mail, random unit vectors (embedding 100k texts would take an hour)
            docs = [D.Document(body=f"{text(rng, 30)} {i}", subject=text(rng, 3)) for i in range(size - have)]
            ids = D.insert_documents(app.db, prof.id, docs)
            vecs = nrng.standard_normal((len(ids), DIM)).astype("float32")
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            E.store_embeddings(app.db, emb.name, ids, vecs)
        search(app.db, prof.id, "budget report", emb, k=4)  # warm the vector cache
        ids_arr, mat = E.load_matrix(app.db, prof.id, emb.name)
        times, raw = [], []
        for _ in range(max(runs, 5)):
            q = text(rng, 6)
            t0 = time.perf_counter()
            search(app.db, prof.id, q, emb, k=4)
            times.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            qv = emb.encode([q])[0]
            np.argsort(-(mat @ qv))[:4]
            raw.append((time.perf_counter() - t0) * 1000)
        out[str(size)] = {
            "ms": round(statistics.median(times), 2),
            "raw_numpy_ms": round(statistics.median(raw), 2),
        }
    return out


def markdown(r: dict) -> str:
    """Table of latencies per size."""
    rows = [
        "| documents | top-4 hybrid search, median (ms) | raw encode + numpy cosine (ms) |",
        "|---|---|---|",
    ]
    rows += [
        f"| {size} | {v['ms']:.1f} | {v['raw_numpy_ms']:.1f} |" for size, v in r.items() if size.isdigit()
    ]
    return "\n".join(rows)
