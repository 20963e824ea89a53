"""The local endpoint under concurrent clients vs raw llama-cpp-python completions of the same prompts."""

from __future__ import annotations

import time

from .corpus import bench_profile

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


def run(app, runs: int) -> dict:
    """``ownvoice serve`` under SERVE_CLIENTS concurrent clients on loopback vs the same number of raw
    llama-cpp-python completions of the same prompts from as many threads (one context: serialized too)."""
    import json
    import threading
    import urllib.request

    from .serve.http_server import DraftService, make_server

    prof = bench_profile(app)
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

    def figures(lat: list[float], errs: int, wall: float) -> dict:
        return {
            "ok": len(lat),
            "errors": errs,
            "requests_per_s": round(len(lat) / wall, 3) if wall else 0.0,
            "p50_s": round(_percentile(lat, 0.5), 2),
            "p95_s": round(_percentile(lat, 0.95), 2),
        }

    out = {
        "clients": SERVE_CLIENTS,
        "requests_per_client": runs,
        "serve": figures(served, served_errors, served_wall),
        "raw": figures(direct, direct_errors, direct_wall),
    }
    if served and direct:
        out["p50_ratio"] = round(_percentile(served, 0.5) / _percentile(direct, 0.5), 2)
    return out


def markdown(r: dict) -> str:
    """Table: served drafts vs raw completions of the same prompts."""
    rows = [
        f"{r['clients']} concurrent clients x {r['requests_per_client']} requests each, loopback",
        "",
        "| path | requests ok | errors | requests/s | p50 latency (s) | p95 latency (s) |",
        "|---|---|---|---|---|---|",
    ]
    names = {
        "serve": "ownvoice serve (drafts: retrieval, up to 4 checked candidates)",
        "raw": "raw llama-cpp-python, the same final prompts and lengths",
    }
    for key, name in names.items():
        f = r[key]
        rows.append(
            f"| {name} | {f['ok']} | {f['errors']} | {f['requests_per_s']:.2f} | {f['p50_s']:.2f} | "
            f"{f['p95_s']:.2f} |"
        )
    if "p50_ratio" in r:
        rows.append(f"\nratio serve/raw p50 latency: {r['p50_ratio']:.2f}")
    return "\n".join(rows)
