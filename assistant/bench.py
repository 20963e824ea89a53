"""Performance benchmarks, each against the raw library in the same run (median of several runs).

``ownvoice bench [generation retrieval import startup training]`` prints markdown tables.
"""

from __future__ import annotations

import mailbox
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

from .prompts import DraftRequest

WORDS = (
    "meeting budget report thanks tuesday friday draft plan council trees bike survey numbers photos team "
    "coffee workshop parents school street pilot counts sensor lunch talk slides invoice review notes"
).split()


def machine() -> str:
    """One line describing this machine."""
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = platform.processor() or platform.machine()
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, Python {platform.python_version()}"


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _bench_profile(app):
    """A profile of 30 synthetic mails, embedded (made once per bench home)."""
    from ownvoice.store import documents as D

    prof = app.profile("bench-gen", create=True)
    if not D.list_documents(app.db, prof.id):
        rng = random.Random(0)
        D.insert_documents(
            app.db,
            prof.id,
            [
                D.Document(body=f"Hi Sam,\n\n{_text(rng, 40)}.\n\nBest,\nAlex", subject=_text(rng, 4))
                for _ in range(30)
            ],
        )
        app.embed(prof)
    return prof


def bench_generation(app, runs: int) -> str:
    """Drafting path vs raw llama-cpp-python on the same GGUF and prompt, with and without adapter."""
    prof = _bench_profile(app)
    gen = app.generator()
    req = DraftRequest("write about the workshop for parents", k=4, max_tokens=96, seed=1, use_adapter=False)
    rows = []
    app_tps, app_ttft, raw_tps, raw_ttft = [], [], [], []
    for _ in range(runs):
        res = app.composer().draft(prof, req, log=False)
        app_tps.append(res.stats.tokens_per_s)
        app_ttft.append(res.stats.ttft_s)
        prompt = res.prompt
        gen.llm.reset()
        t0 = time.perf_counter()
        first, n = None, 0
        for _ in gen.llm.create_completion(
            prompt, max_tokens=res.stats.completion_tokens, seed=1, stream=True, temperature=0.7
        ):
            n += 1
            if first is None:
                first = time.perf_counter() - t0
        total = time.perf_counter() - t0
        raw_tps.append((n - 1) / (total - first) if n > 1 and first is not None else 0.0)
        raw_ttft.append(first or 0.0)
        gen.llm.reset()
    m = statistics.median
    rows.append(("OwnVoice draft (RAG, k=4)", m(app_tps), m(app_ttft)))
    rows.append(("raw llama-cpp-python, same prompt", m(raw_tps), m(raw_ttft)))
    out = ["| path | tokens/s | first token (s) |", "|---|---|---|"]
    out += [f"| {name} | {tps:.1f} | {ttft:.3f} |" for name, tps, ttft in rows]
    out.append(f"\nratio app/raw tokens/s: {rows[0][1] / rows[1][1]:.2f}" if rows[1][1] else "")
    return "\n".join(out)


def bench_retrieval(app, runs: int, sizes=(1000, 10000, 100000)) -> str:
    """Top-k latency at growing corpus sizes (synthetic corpus, vectors random-unit to skip embedding)."""
    import numpy as np

    from ownvoice.assistant.retrieval import search
    from ownvoice.store import documents as D
    from ownvoice.store import embeddings as E

    emb = app.embedder()
    out = ["| documents | top-4 latency median (ms) | raw numpy cosine top-4 (ms) |", "|---|---|---|"]
    rng = random.Random(0)
    nrng = np.random.default_rng(0)
    for size in sizes:
        prof = app.profile(f"bench-ret-{size}", create=True)
        have = len(D.list_documents(app.db, prof.id))
        if have < size:
            ids = D.insert_documents(
                app.db,
                prof.id,
                [D.Document(body=f"{_text(rng, 30)} {i}", subject=_text(rng, 3)) for i in range(size - have)],
            )
            vecs = nrng.standard_normal((len(ids), 384)).astype("float32")
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            E.store_embeddings(app.db, emb.name, ids, vecs)
        search(app.db, prof.id, "budget report", emb, k=4)  # warm caches
        times, raw = [], []
        ids_arr, mat = E.load_matrix(app.db, prof.id, emb.name)
        for _ in range(runs):
            q = _text(rng, 6)
            t0 = time.perf_counter()
            search(app.db, prof.id, q, emb, k=4)
            times.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            qv = emb.encode([q])[0]
            np.argsort(-(mat @ qv))[:4]
            raw.append((time.perf_counter() - t0) * 1000)
        out.append(f"| {size} | {statistics.median(times):.1f} | {statistics.median(raw):.1f} |")
    return "\n".join(out)


def bench_import(app, runs: int, n: int = 10000) -> str:
    """Parsing a generated n-message mbox, and embedding throughput vs raw sentence-transformers."""
    from ownvoice.assistant.importers import Own, read_path

    tmp = Path(tempfile.mkdtemp())
    box = mailbox.mbox(str(tmp / "big.mbox"))
    rng = random.Random(0)
    for _ in range(n):
        box.add(
            mailbox.mboxMessage(
                (
                    f"From: Me <me@x.org>\nTo: You <you@x.org>\nSubject: {_text(rng, 4)}\n"
                    f"Date: Mon, 01 Sep 2025 09:00:00 +0000\n\nHi,\n\n{_text(rng, 50)}\n\n"
                    f"On Mon, You wrote:\n> {_text(rng, 20)}\n\nBest,\nMe\n"
                ).encode()
            )
        )
    box.flush()
    box.close()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        kept = sum(isinstance(it, Own) for it in read_path(tmp / "big.mbox", {"me@x.org"}))
        times.append(time.perf_counter() - t0)
    rate = n / statistics.median(times)
    texts = [_text(rng, 60) for _ in range(512)]
    emb = app.embedder()
    t0 = time.perf_counter()
    emb.encode(texts, batch_size=64)
    ours = len(texts) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    emb.model.encode(texts, batch_size=64, normalize_embeddings=True)
    raw = len(texts) / (time.perf_counter() - t0)
    return (
        f"| step | rate |\n|---|---|\n| parse {n}-message mbox ({kept} kept) | {rate:.0f} messages/s |\n"
        f"| embed (OwnVoice) | {ours:.0f} texts/s |\n| embed (raw sentence-transformers encode) | {raw:.0f} "
        f"texts/s |"
    )


def bench_startup(app, runs: int) -> str:
    """Launch to visible main window (offscreen Qt), and peak memory at idle, in a fresh process."""
    code = (
        "import time, resource, os, sys; t=time.perf_counter(); os.environ['QT_QPA_PLATFORM']='offscreen'; "
        "from ownvoice.ui.app import OwnVoiceGui; g=OwnVoiceGui(os.environ['OWNVOICE_HOME']); "
        "g.qapp.processEvents(); "
        "assert g.window.isVisible(); "
        "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024); "
        "g.server.close()"
    )
    times, mems = [], []
    home = tempfile.mkdtemp()
    for _ in range(runs):
        t0 = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env={**os.environ, "OWNVOICE_HOME": home},
        ).stdout.split()
        wall = time.perf_counter() - t0
        times.append(wall)
        mems.append(float(out[1]) if len(out) > 1 else 0.0)
    return (
        f"| measure | median of {runs} |\n|---|---|\n"
        f"| process start to visible window | {statistics.median(times):.2f} s |\n"
        f"| peak RSS at idle | {statistics.median(mems):.0f} MB |"
    )


def bench_training(app, runs: int) -> str:
    """Training tokens/s and peak memory: OwnVoice's trainer vs a plain transformers+peft loop, same data."""
    import json

    code_plain = r"""
import json, sys, time, resource, torch
from transformers import AutoModelForCausalLM, AutoTokenizer
from peft import LoraConfig, get_peft_model
base, data, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
tok = AutoTokenizer.from_pretrained(base)
model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, target_modules=targets, task_type="CAUSAL_LM"))
rows = [json.loads(l) for l in open(data)]
opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=5e-4)
t = time.perf_counter(); ntok = 0
for s in range(steps):
    batch = rows[(s*4) % len(rows):(s*4) % len(rows) + 4]
    enc = tok([r["prompt"] + r["response"] for r in batch], return_tensors="pt", padding=True,
              truncation=True, max_length=768)
    out = model(**enc, labels=enc["input_ids"].masked_fill(enc["attention_mask"] == 0, -100))
    out.loss.backward(); opt.step(); opt.zero_grad()
    ntok += int(enc["attention_mask"].sum())
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"tokens_per_s": ntok / (time.perf_counter() - t), "peak_rss_mb": peak}))
"""
    from ownvoice.adapters.base_model import cached_base_dir
    from ownvoice.adapters.config import TrainConfig

    from .backends.defaults import default_gguf_path

    cache = app.cache_dir()
    base = cached_base_dir(default_gguf_path(), cache)
    tmp = Path(tempfile.mkdtemp())
    rng = random.Random(0)
    rows = [
        {
            "prompt": f"<|im_start|>user\nWrite an email: {_text(rng, 8)}<|im_end|>\n<|im_start|>assistant\n",
            "response": f"Hi Sam,\n\n{_text(rng, 60)}\n\nBest,\nAlex",
        }
        for _ in range(32)
    ]
    (tmp / "d.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    steps = 8
    cfg = TrainConfig(
        base_gguf=str(default_gguf_path()),
        out_dir=str(tmp / "run"),
        cache_dir=str(cache),
        train_file=str(tmp / "d.jsonl"),
        max_steps=steps,
        device="cpu",
        quantize="none",
        checkpoint_every=0,
    )
    cfg.save(tmp / "cfg.json")
    code_ours = (
        "import json,sys; from pathlib import Path; from ownvoice.adapters.config import TrainConfig; "
        "from ownvoice.adapters.trainer import train; m = train(TrainConfig.load(Path(sys.argv[1])), "
        "Path(sys.argv[2]), lambda e: None); print(json.dumps(m))"
    )
    ours = json.loads(
        subprocess.run(
            [sys.executable, "-c", code_ours, str(tmp / "cfg.json"), str(base)],
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    plain = json.loads(
        subprocess.run(
            [sys.executable, "-c", code_plain, str(base), str(tmp / "d.jsonl"), str(steps)],
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    return (
        f"| trainer ({steps} steps, batch 4, r=8) | tokens/s | peak RSS (MB) |\n|---|---|---|\n"
        f"| OwnVoice (adapters.trainer) | {ours['tokens_per_s']:.0f} | {ours['peak_rss_mb']:.0f} |\n"
        f"| plain transformers+peft loop | {plain['tokens_per_s']:.0f} | {plain['peak_rss_mb']:.0f} |"
    )


SERVE_CLIENTS = 4
SERVE_LIMIT_S = 900  # the load test stops sending after this long, whatever is left


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else 0.0


def _load(send, clients: int, per_client: int) -> tuple[list[float], int, float]:
    """``clients`` threads each calling ``send(i)`` ``per_client`` times: (latencies, errors, wall
    seconds)."""
    import threading

    latencies: list[float] = []
    errors = [0]
    deadline = time.monotonic() + SERVE_LIMIT_S

    def client(c: int) -> None:
        for j in range(per_client):
            if time.monotonic() > deadline:
                return
            t0 = time.perf_counter()
            try:
                send(c * per_client + j)
            except Exception:  # noqa: BLE001 - counted: the report says how many failed
                errors[0] += 1
                continue
            latencies.append(time.perf_counter() - t0)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors[0], time.perf_counter() - t0


def bench_serve(app, runs: int) -> str:
    """``ownvoice serve`` under SERVE_CLIENTS concurrent clients on loopback vs the same number of raw
    llama-cpp-python completions of the same prompts from as many threads (one context: serialized too)."""
    import json
    import threading
    import urllib.request

    from .serve.http_server import DraftService, make_server

    prof = _bench_profile(app)
    service = DraftService(app, prof.name)
    server = make_server(service, "bench-token", "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1/chat/completions"
    topics = ["the workshop for parents", "the budget report", "Friday's council meeting", "the bike survey"]
    prompts: dict[int, tuple[str, int]] = {}

    def send(i: int) -> None:
        body = {"model": prof.name, "messages": [{"role": "user", "content": f"write about {topics[i % 4]}"}]}
        body.update(seed=i, max_tokens=64)
        req = urllib.request.Request(
            url,
            json.dumps(body).encode(),
            {"Authorization": "Bearer bench-token", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=SERVE_LIMIT_S) as resp:
            answer = json.loads(resp.read())
        gen_id = answer["ownvoice"]["generation_id"]
        row = app.db.execute(
            "SELECT prompt, completion_tokens FROM generations WHERE id = ?", [gen_id]
        ).fetchone()
        prompts[i] = (row[0], row[1])

    try:
        served, served_errors, served_wall = _load(send, SERVE_CLIENTS, runs)
    finally:
        server.shutdown()
        server.server_close()
    gen, lock = app.generator(), threading.Lock()

    def raw(i: int) -> None:
        prompt, n = prompts[i]
        with lock:
            gen.llm.reset()
            gen.llm.create_completion(prompt, max_tokens=max(1, n), seed=i, temperature=0.7)

    direct, direct_errors, direct_wall = _load(raw, SERVE_CLIENTS, runs) if prompts else ([], 0, 0.0)
    rows = [
        (
            "ownvoice serve (drafts: retrieval, up to 4 checked candidates)",
            served,
            served_errors,
            served_wall,
        ),
        ("raw llama-cpp-python, the same final prompts and lengths", direct, direct_errors, direct_wall),
    ]
    out = [
        f"{SERVE_CLIENTS} concurrent clients x {runs} requests each, loopback",
        "",
        "| path | requests ok | errors | requests/s | p50 latency (s) | p95 latency (s) |",
        "|---|---|---|---|---|---|",
    ]
    for name, lat, errs, wall in rows:
        rate = len(lat) / wall if wall else 0.0
        p50, p95 = _percentile(lat, 0.5), _percentile(lat, 0.95)
        out.append(f"| {name} | {len(lat)} | {errs} | {rate:.2f} | {p50:.2f} | {p95:.2f} |")
    if served and direct:
        out.append(
            f"\nratio serve/raw p50 latency: {_percentile(served, 0.5) / _percentile(direct, 0.5):.2f}"
        )
    return "\n".join(out)


BENCHES = {
    "generation": bench_generation,
    "retrieval": bench_retrieval,
    "import": bench_import,
    "startup": bench_startup,
    "training": bench_training,
    "serve": bench_serve,
}


def run_benchmarks(
    which: Optional[list[str]] = None, runs: int = 3, out: Optional[str] = None, home: Optional[str] = None
) -> str:
    """Run the chosen benchmarks in a throw-away data home; return markdown."""
    from .app import OwnVoice

    app = OwnVoice(home or tempfile.mkdtemp(prefix="ownvoice-bench-"))
    parts = [f"Machine: {machine()}\n"]
    for name in which or list(BENCHES):
        t0 = time.perf_counter()
        parts.append(f"### {name}\n\n{BENCHES[name](app, runs)}\n\n(took {time.perf_counter() - t0:.0f} s)\n")
    text = "\n".join(parts)
    if out:
        Path(out).write_text(text)
    return text
