"""Drafting vs raw llama-cpp-python on the same GGUF and prompt: decode speed and time to first token.

Two figures: a draft from a cold cache (nothing kept) against the raw library on the same final prompt,
and a quick-compose draft as the popup makes it (the profile's prompt head prepared when the popup opened,
another draft in between so the live cache holds other text) against the raw library processing that
same full prompt cold (the popup's request: two retrieved mails after the two anchors). One candidate
per draft, so the first token timed is the one the user waits for.
"""

from __future__ import annotations

import statistics
import time

from ..prompts import QUICK_K, DraftRequest
from .corpus import bench_profile

QUICK = ["tell Ana the report comes Friday, not Wednesday", "ask Jonas to bring the projector on Monday"]
OTHER = "write about the workshop for parents"


def _raw(gen, prompt: str, max_tokens: int) -> tuple[float, float]:
    """(tokens/s, first-token seconds) of the raw library on ``prompt`` from an empty cache."""
    gen.llm.reset()
    t0 = time.perf_counter()
    first, n = None, 0
    for _ in gen.llm.create_completion(prompt, max_tokens=max_tokens, seed=1, stream=True, temperature=0.7):
        n += 1
        if first is None:
            first = time.perf_counter() - t0
    total = time.perf_counter() - t0
    gen.llm.reset()
    return ((n - 1) / (total - first) if n > 1 and first is not None else 0.0), (first or 0.0)


def run(app, runs: int) -> dict:
    """Tokens/s and first-token seconds, OwnVoice's drafting path vs the raw library on its final prompt."""
    prof = bench_profile(app)
    gen = app.generator()
    composer = app.composer()
    req = DraftRequest(OTHER, k=4, max_tokens=96, seed=1, use_adapter=False, candidates=1)
    app_tps, app_ttft, raw_tps, raw_ttft = [], [], [], []
    quick_ttft, quick_raw, reused, prompt_tokens = [], [], [], []
    for i in range(runs):
        gen.reset()
        gen.prefixes.clear()
        res = composer.draft(prof, req, log=False)
        app_tps.append(res.stats.tokens_per_s)
        app_ttft.append(res.stats.ttft_s)
        tps, ttft = _raw(gen, res.prompt, res.stats.completion_tokens)
        raw_tps.append(tps)
        raw_ttft.append(ttft)
        # quick compose: the popup prepared the head when it opened; another draft ran since
        gen.prefixes.clear()
        composer.warm(prof)
        composer.draft(
            prof, DraftRequest(OTHER, incoming="From: Sam\n\nCan you make it?", max_tokens=8), log=False
        )
        quick = DraftRequest(
            QUICK[i % len(QUICK)], k=QUICK_K, max_tokens=32, seed=1, use_adapter=False, candidates=1
        )
        res = composer.draft(prof, quick, log=False)
        quick_ttft.append(res.stats.ttft_s)
        reused.append(res.stats.reused_tokens)
        prompt_tokens.append(res.stats.prompt_tokens)
        quick_raw.append(_raw(gen, res.prompt, 1)[1])
    m = statistics.median
    ours = {"tokens_per_s": round(m(app_tps), 1), "ttft_s": round(m(app_ttft), 3)}
    raw = {"tokens_per_s": round(m(raw_tps), 1), "ttft_s": round(m(raw_ttft), 3)}
    quick_fig = {
        "ttft_s": round(m(quick_ttft), 3),
        "raw_cold_ttft_s": round(m(quick_raw), 3),
        "prompt_tokens": int(m(prompt_tokens)),
        "reused_tokens": int(m(reused)),
    }
    quick_fig["ttft_ratio"] = round(quick_fig["ttft_s"] / quick_fig["raw_cold_ttft_s"], 2)
    return {
        "ownvoice": ours,
        "raw": raw,
        "ratio": round(ours["tokens_per_s"] / raw["tokens_per_s"], 2) if raw["tokens_per_s"] else 0.0,
        "quick_compose": quick_fig,
    }


def markdown(r: dict) -> str:
    """Table of the paths."""
    q = r["quick_compose"]
    return (
        "| path | tokens/s | first token (s) |\n|---|---|---|\n"
        f"| OwnVoice draft (RAG, k=4, 2 anchors), cold cache | {r['ownvoice']['tokens_per_s']:.1f} | "
        f"{r['ownvoice']['ttft_s']:.3f} |\n"
        f"| raw llama-cpp-python, same prompt, cold | {r['raw']['tokens_per_s']:.1f} | "
        f"{r['raw']['ttft_s']:.3f} |\n"
        f"| quick-compose draft, prompt head kept ({q['reused_tokens']} of {q['prompt_tokens']} tokens) | | "
        f"{q['ttft_s']:.3f} |\n"
        f"| raw llama-cpp-python, that prompt, cold | | {q['raw_cold_ttft_s']:.3f} |\n"
        f"\nratio OwnVoice/raw tokens/s: {r['ratio']:.2f}; quick-compose first token / raw cold: "
        f"{q['ttft_ratio']:.2f}"
    )
