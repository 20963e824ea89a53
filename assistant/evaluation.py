"""Style evaluation: time split -> playback instructions -> drafts per condition -> metrics -> report.

Conditions share the held-out instructions, seed and token budget: base (model alone), rag
(retrieval from the training part only), lora (adapter trained on the training part only),
rag+lora, best-of-n (n candidates of the best available setup, reranked by the style scorer).
"""
from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ownvoice.store import adapters as adapters_table
from ownvoice.store import documents as docs_table

from .jobs import ProgressFn, report
from .metrics import bleu_chrf, diversity, greets_self, length_ratio, novelty, paired_bootstrap, rouge, training_ngrams
from .playback import ensure_playback
from .prompts import DraftRequest
from .stylometry import fit_style_model
from .training import split_documents

ALL_CONDITIONS = ["base", "rag", "lora", "rag+lora", "best-of-n"]


@dataclass
class EvalConfig:
    """What to evaluate."""

    conditions: list[str] = field(default_factory=lambda: list(ALL_CONDITIONS))
    limit: int = 25
    seed: int = 0
    n_best: int = 4
    k: int = 4
    train_steps: int = 0
    train_epochs: float = 3.0
    playback_model: bool = True
    negative_texts: list[str] = field(default_factory=list)
    n_generic: int = 20


def _draft(app, prof, doc, instruction: str, use_rag: bool, use_adapter: bool, seed: int, allowed: set[int],
           max_tokens: Optional[int] = None) -> str:
    req = DraftRequest(instruction=instruction, incoming=doc.context or "", use_rag=use_rag, use_adapter=use_adapter,
                       seed=seed, k=4, max_tokens=max_tokens)
    app.apply_adapter(prof, use_adapter)
    app.generator().llm.reset()  # same prompt cache state for every condition: reproducible drafts
    return app.composer().draft(prof, req, allowed=allowed, log=False).text


def _aggregate(rows: list[dict]) -> dict:
    keys = ["rouge1", "rougeL", "bleu", "chrf", "style", "style_masked", "length_ratio", "novelty"]
    out = {k: statistics.fmean(r[k] for r in rows) for k in keys}
    out["diversity"] = diversity([r["draft"] for r in rows])
    out["greets_self"] = sum(r["greets_self"] for r in rows) / len(rows)
    out["copied_8gram"] = sum(r["novelty"] < 1.0 for r in rows) / len(rows)
    return out


def run_eval(app, profile_name: str, cfg: EvalConfig, progress: Optional[ProgressFn] = None) -> dict:
    """Evaluate the conditions on a profile's held-out mail; return the report dict."""
    start = time.perf_counter()
    prof = app.profile(profile_name, create=False)
    app.embed(prof)
    docs = docs_table.list_documents(app.db, prof.id)
    train_docs, test_docs = split_documents(docs)
    test_docs = test_docs[: cfg.limit]
    allowed = {d.id for d in train_docs}
    gen = app.generator()
    playback = ensure_playback(app.db, prof.id, docs, gen if cfg.playback_model else None, progress)
    own_name = app.composer().style_name(prof)
    # generic model prose as negatives: the base model's drafts for training instructions
    generic = [_draft(app, prof, d, playback[d.id], False, False, cfg.seed, allowed)
               for d in train_docs[: cfg.n_generic]]
    negatives = list(cfg.negative_texts) + generic
    user_train = [d.body for d in train_docs]
    style_full = fit_style_model(user_train, negatives, masked=False, seed=cfg.seed)
    style_masked = fit_style_model(user_train, negatives, masked=True, seed=cfg.seed)
    grams = training_ngrams(user_train)
    needs_adapter = any("lora" in c for c in cfg.conditions)
    adapter_info = None
    if needs_adapter:
        active = adapters_table.active_adapter(app.db, prof.id)
        if active is None or set(active.metrics.get("held_out_ids", [])) & allowed:
            outcome = app.train(prof.name, progress=progress, steps=cfg.train_steps, epochs=cfg.train_epochs,
                                playback_model=cfg.playback_model, seed=cfg.seed)
            if not outcome.activated:  # evaluate it anyway, and say so
                adapters_table.set_active(app.db, prof.id, outcome.adapter_id)
            adapter_info = {"version": outcome.version, "activated_by_rule": outcome.activated,
                            "reason": outcome.reason, **outcome.metrics}
        else:
            adapter_info = {"version": active.version, **active.metrics}
    results: dict[str, list[dict]] = {}
    total = len(test_docs) * len(cfg.conditions)
    done = 0
    for cond in cfg.conditions:
        rows = []
        for doc in test_docs:
            instr = playback[doc.id]
            if cond == "best-of-n":
                use_lora = needs_adapter
                cands = [_draft(app, prof, doc, instr, True, use_lora, cfg.seed + i, allowed) for i in range(cfg.n_best)]
                draft = max(zip(style_full.score(cands), cands))[1]
            else:
                draft = _draft(app, prof, doc, instr, "rag" in cond, "lora" in cond, cfg.seed, allowed)
            row = {"document_id": doc.id, "instruction": instr, "draft": draft, "reference": doc.body,
                   **rouge(draft, doc.body), **bleu_chrf(draft, doc.body), "length_ratio": length_ratio(draft, doc.body),
                   "novelty": novelty(draft, grams), "greets_self": greets_self(draft, own_name)}
            rows.append(row)
            done += 1
            report(progress, "drafting", done, total)
        styles = style_full.score([r["draft"] for r in rows])
        masked = style_masked.score([r["draft"] for r in rows])
        for r, s, m in zip(rows, styles, masked):
            r["style"], r["style_masked"] = s, m
        results[cond] = rows
    app.apply_adapter(prof, False)
    held = [d.body for d in test_docs]
    reference = {"style": statistics.fmean(style_full.score(held)),
                 "style_masked": statistics.fmean(style_masked.score(held))}
    summary = {c: _aggregate(rows) for c, rows in results.items()}
    base_rows = results.get("base")
    ci = {}
    if base_rows:
        for c, rows in results.items():
            if c != "base":
                ci[c] = {m: paired_bootstrap([r[m] for r in rows], [r[m] for r in base_rows], seed=cfg.seed)
                         for m in ("rougeL", "style", "style_masked")}
    trusted = base_rows is None or reference["style"] > summary["base"]["style"]
    return {
        "profile": prof.name, "documents": len(docs), "train": len(train_docs), "test": len(test_docs),
        "conditions": cfg.conditions, "seed": cfg.seed, "n_best": cfg.n_best,
        "negatives": {"human_texts": len(cfg.negative_texts), "generic_model_texts": len(generic)},
        "own_name": own_name, "adapter": adapter_info, "summary": summary, "reference_heldout": reference,
        "style_trusted": trusted, "ci_vs_base": ci, "seconds": round(time.perf_counter() - start, 1),
        "rows": results,
    }


def write_report(report_dict: dict, out: Path) -> Path:
    """report.json, report.md and chart.png in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report_dict, indent=2))
    (out / "report.md").write_text(markdown(report_dict))
    _chart(report_dict, out / "chart.png")
    return out / "report.md"


def markdown(r: dict) -> str:
    """The report as a markdown table."""
    lines = [f"## {r['profile']}: {r['test']} held-out mails (newest), {r['train']} for retrieval/training",
             "", "| condition | ROUGE-1 | ROUGE-L | BLEU | chrF | style | style (masked) | length ratio | novelty | "
             "copied 8-gram | diversity | greets self |", "|---" * 12 + "|"]
    for cond, s in r["summary"].items():
        lines.append(f"| {cond} | {s['rouge1']:.3f} | {s['rougeL']:.3f} | {s['bleu']:.1f} | {s['chrf']:.1f} | "
                     f"{s['style']:.3f} | {s['style_masked']:.3f} | {s['length_ratio']:.2f} | {s['novelty']:.3f} | "
                     f"{s['copied_8gram']:.0%} | {s['diversity']:.2f} | {s['greets_self']:.0%} |")
    ref = r["reference_heldout"]
    lines.append(f"| *user's own held-out mail* | | | | | {ref['style']:.3f} | {ref['style_masked']:.3f} | 1.00 | | | | |")
    lines += ["", f"Style scores trusted (held-out mail outscores the base model's drafts): **{r['style_trusted']}**.",
              f"Negatives for the style model: {r['negatives']['human_texts']} texts by other people, "
              f"{r['negatives']['generic_model_texts']} base-model drafts.", ""]
    if r["ci_vs_base"]:
        lines += ["Paired bootstrap 95% intervals of the difference to base:", "",
                  "| condition | ΔROUGE-L | Δstyle | Δstyle (masked) |", "|---|---|---|---|"]
        for cond, m in r["ci_vs_base"].items():
            lines.append("| " + cond + " | " + " | ".join(f"{m[k]['mean']:+.3f} [{m[k]['lo']:+.3f}, {m[k]['hi']:+.3f}]"
                                                         for k in ("rougeL", "style", "style_masked")) + " |")
    if r.get("adapter"):
        a = r["adapter"]
        lines += ["", f"Adapter: v{a.get('version')}, held-out loss {a.get('eval_loss_base') or 0:.3f} -> "
                      f"{a.get('eval_loss_adapter') or 0:.3f}, {a.get('steps')} steps, {a.get('train_seconds')} s."]
    lines.append(f"\nRun time: {r['seconds']} s.")
    return "\n".join(lines) + "\n"


def _chart(r: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    conds = list(r["summary"])
    fig, ax = plt.subplots(figsize=(7, 3.2))
    width = 0.38
    xs = range(len(conds))
    ax.bar([x - width / 2 for x in xs], [r["summary"][c]["rougeL"] for c in conds], width, label="ROUGE-L")
    ax.bar([x + width / 2 for x in xs], [r["summary"][c]["style"] for c in conds], width, label="style score")
    ax.axhline(r["reference_heldout"]["style"], color="grey", linestyle="--", label="style of user's held-out mail")
    ax.set_xticks(list(xs), conds)
    ax.set_title(f"{r['profile']}: {r['test']} held-out mails")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
