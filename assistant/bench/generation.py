"""Drafting vs raw llama-cpp-python on the same GGUF and prompt: decode speed and time to first token."""

from __future__ import annotations

import statistics
import time

from ..prompts import DraftRequest
from .corpus import bench_profile


def run(app, runs: int) -> dict:
    """Tokens/s and first-token seconds, OwnVoice's drafting path vs the raw library on its final prompt."""
    prof = bench_profile(app)
    gen = app.generator()
    req = DraftRequest("write about the workshop for parents", k=4, max_tokens=96, seed=1, use_adapter=False)
    app_tps, app_ttft, raw_tps, raw_ttft = [], [], [], []
    for _ in range(runs):
        gen.reset()
        res = app.composer().draft(prof, req, log=False)
        app_tps.append(res.stats.tokens_per_s)
        app_ttft.append(res.stats.ttft_s)
        gen.llm.reset()
        t0 = time.perf_counter()
        first, n = None, 0
        for _ in gen.llm.create_completion(
            res.prompt, max_tokens=res.stats.completion_tokens, seed=1, stream=True, temperature=0.7
        ):
            n += 1
            if first is None:
                first = time.perf_counter() - t0
        total = time.perf_counter() - t0
        raw_tps.append((n - 1) / (total - first) if n > 1 and first is not None else 0.0)
        raw_ttft.append(first or 0.0)
        gen.llm.reset()
    m = statistics.median
    ours = {"tokens_per_s": round(m(app_tps), 1), "ttft_s": round(m(app_ttft), 3)}
    raw = {"tokens_per_s": round(m(raw_tps), 1), "ttft_s": round(m(raw_ttft), 3)}
    return {
        "ownvoice": ours,
        "raw": raw,
        "ratio": round(ours["tokens_per_s"] / raw["tokens_per_s"], 2) if raw["tokens_per_s"] else 0.0,
    }


def markdown(r: dict) -> str:
    """Table of the two paths."""
    return (
        "| path | tokens/s | first token (s) |\n|---|---|---|\n"
        f"| OwnVoice draft (RAG, k=4), cold cache | {r['ownvoice']['tokens_per_s']:.1f} | "
        f"{r['ownvoice']['ttft_s']:.3f} |\n"
        f"| raw llama-cpp-python, same prompt, cold | {r['raw']['tokens_per_s']:.1f} | "
        f"{r['raw']['ttft_s']:.3f} |\n"
        f"\nratio OwnVoice/raw tokens/s: {r['ratio']:.2f}"
    )
