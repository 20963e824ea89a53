"""Style evaluation: time split -> instructions per protocol -> drafts per condition -> metrics -> report.

Protocols (never mixed in one report):
- ``subject`` (default, leak-free): the instruction for a held-out mail is what a user knows before
  writing it: the subject, the addressee (the To: header's first name; for data without headers, the
  name the mail greets) and the mail being answered when it is a reply. Nothing of its body text.
- ``playback``: the training-style instructions (the model's reverse instruction when usable, else the
  heuristic intent, which names up to three specifics of the mail). Easier; reported separately.

Conditions share the instructions, seed and token budget: base (model alone), rag (retrieval from
the training part only), lora (adapter trained on the training part only), rag+lora, best-of-n (n
candidates of the best setup, picked by the drafting reranker: fidelity + a character 3-gram
centroid; the authorship classifier that scores the report never picks). Reference rows beside them:
``instruction-echo`` (the instruction as the draft), ``nearest-past-mail`` (the most similar training
mail copied), ``reference`` (the user's own held-out mail: the ceiling) and ``other-writers`` (real
mail by other people, never seen by the style model: the floor).
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
from ownvoice.store.documents import Document

from .conditions import CONDITION_SETTINGS, condition_settings
from .facts import coverage, extract_facts
from .intents import addressee, subject_instruction
from .jobs import ProgressFn, report
from .metrics import (
    bleu_chrf,
    diversity,
    greets_self,
    length_ratio,
    novelty,
    paired_bootstrap,
    rouge,
    training_ngrams,
)
from .playback import ensure_playback
from .prompts import DraftRequest
from .retrieval import search
from .stylometry import fit_style_model
from .training import TrainingOptions, split_documents

ALL_CONDITIONS = list(CONDITION_SETTINGS)
PROTOCOLS = ("subject", "playback")
CI_METRICS = ("rougeL", "style", "style_masked", "facts", "prompt_tokens")
REFERENCE_ROWS = ["instruction-echo", "nearest-past-mail", "reference", "other-writers"]


@dataclass
class EvalConfig:
    """What to evaluate."""

    conditions: list[str] = field(default_factory=lambda: ["base", "rag", "lora", "rag+lora", "best-of-n"])
    protocol: str = "subject"
    limit: int = 25
    seed: int = 0
    n_best: int = 4
    train_steps: int = 0
    train_epochs: float = 3.0
    playback_model: bool = True
    negative_texts: list[str] = field(default_factory=list)
    n_generic: int = 20

    def __post_init__(self) -> None:
        if not self.conditions:
            raise ValueError(f"name at least one condition; known: {ALL_CONDITIONS}")
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {PROTOCOLS}, not {self.protocol!r}")
        unknown = set(self.conditions) - set(ALL_CONDITIONS)
        if unknown:
            raise ValueError(f"unknown conditions {sorted(unknown)}; known: {ALL_CONDITIONS}")


@dataclass
class Task:
    """One held-out mail and the request made for it."""

    doc: Document
    instruction: str
    incoming: str
    recipient: str


def make_tasks(docs: list[Document], protocol: str, playback: dict[int, str]) -> list[Task]:
    """The requests for the held-out mails under a protocol."""
    out = []
    for d in docs:
        instr = subject_instruction(d) if protocol == "subject" else playback[d.id]
        out.append(Task(d, instr, d.context or "", addressee(d)))
    return out


def _draft(
    app,
    prof,
    task: Task,
    condition: str,
    seed: int,
    allowed: set[int],
    candidates: Optional[int] = None,
) -> tuple[str, int]:
    """(draft, prompt tokens) for a task under a condition."""
    req = DraftRequest(
        instruction=task.instruction,
        incoming=task.incoming,
        seed=seed,
        recipient=task.recipient,
        **({"k": 4} | condition_settings(condition)),
    )
    if candidates is not None:
        req.candidates = candidates
    app.apply_adapter(prof, req.use_adapter)
    app.generator().reset()  # same prompt cache state for every condition: reproducible drafts
    result = app.composer().draft(prof, req, allowed=allowed, log=False)
    return result.text, result.stats.prompt_tokens


def _aggregate(rows: list[dict]) -> dict:
    keys = ["rouge1", "rougeL", "bleu", "chrf", "style", "style_masked", "length_ratio", "novelty", "facts"]
    out = {k: statistics.fmean(r[k] for r in rows) for k in keys}
    out["diversity"] = diversity([r["draft"] for r in rows])
    out["greets_self"] = sum(r["greets_self"] for r in rows) / len(rows)
    out["copied_8gram"] = sum(r["novelty"] < 1.0 for r in rows) / len(rows)
    if all("prompt_tokens" in r for r in rows):
        out["prompt_tokens"] = statistics.fmean(r["prompt_tokens"] for r in rows)
    return out


def _row(task: Task, draft: str, grams: set, own_name: str) -> dict:
    ref = task.doc.body
    return {
        "document_id": task.doc.id,
        "instruction": task.instruction,
        "draft": draft,
        "reference": ref,
        **rouge(draft, ref),
        **bleu_chrf(draft, ref),
        "length_ratio": length_ratio(draft, ref),
        "novelty": novelty(draft, grams),
        "greets_self": greets_self(draft, own_name),
        # fidelity: the share of the instruction's facts (names, times, yes/no, asks) the draft states
        "facts": coverage(extract_facts(task.instruction, task.recipient), draft).ratio,
    }


def ensure_adapter(app, prof, cfg: EvalConfig, allowed: set[int], progress) -> dict:
    """The active adapter if it never saw the held-out mail, else one trained now on ``allowed``; its
    metrics."""
    from .app import model_sha256

    active = adapters_table.active_adapter(app.db, prof.id, model_sha256(app.model_path))
    if active is None or set(active.metrics.get("held_out_ids", [])) & allowed:
        options = TrainingOptions(
            steps=cfg.train_steps, epochs=cfg.train_epochs, playback_model=cfg.playback_model, seed=cfg.seed
        )
        outcome = app.train(prof.name, progress=progress, options=options)
        if not outcome.activated:  # evaluate it anyway, and say so
            adapters_table.set_active(app.db, prof.id, outcome.adapter_id)
        return {
            "version": outcome.version,
            "activated_by_rule": outcome.activated,
            "reason": outcome.reason,
            **outcome.metrics,
        }
    return {"version": active.version, **active.metrics}


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
    tasks = make_tasks(test_docs, cfg.protocol, playback)
    # generic model prose as negatives: the base model's drafts for training-mail requests
    generic_tasks = make_tasks(train_docs[: cfg.n_generic], cfg.protocol, playback)
    generic = [_draft(app, prof, t, "base", cfg.seed, allowed, candidates=1)[0] for t in generic_tasks]
    # other writers: half trains the style model, the other half is the floor row it has never seen
    others = list(cfg.negative_texts)
    others_fit, others_floor = others[0::2], others[1::2]
    negatives = others_fit + generic
    user_train = [d.body for d in train_docs]
    style_full = fit_style_model(user_train, negatives, masked=False, seed=cfg.seed)
    style_masked = fit_style_model(user_train, negatives, masked=True, seed=cfg.seed)
    grams = training_ngrams(user_train)
    needs_adapter = any(condition_settings(c)["use_adapter"] for c in cfg.conditions)
    adapter_info = ensure_adapter(app, prof, cfg, allowed, progress) if needs_adapter else None
    results: dict[str, list[dict]] = {}
    total = len(tasks) * len(cfg.conditions)
    done = 0
    for cond in cfg.conditions:
        rows = []
        for task in tasks:
            draft, prompt_tokens = _draft(
                app,
                prof,
                task,
                cond,
                cfg.seed,
                allowed,
                candidates=cfg.n_best if cond == "best-of-n" else None,
            )
            rows.append(_row(task, draft, grams, own_name) | {"prompt_tokens": prompt_tokens})
            done += 1
            report(progress, "drafting", done, total)
        results[cond] = rows
    app.apply_adapter(prof, False)
    # reference rows: what trivial strategies and real people score
    echo = [_row(t, t.instruction, grams, own_name) for t in tasks]
    nearest = []
    for t in tasks:
        hits = search(
            app.db, prof.id, f"{t.instruction}\n{t.incoming}".strip(), app.embedder(), k=1, allowed=allowed
        )
        nearest.append(_row(t, hits[0].doc.body if hits else "", grams, own_name))
    reference = [_row(t, t.doc.body, grams, own_name) for t in tasks]
    results["instruction-echo"], results["nearest-past-mail"], results["reference"] = echo, nearest, reference
    if others_floor:
        results["other-writers"] = [
            _row(t, others_floor[i % len(others_floor)], grams, own_name) for i, t in enumerate(tasks)
        ]
    for rows in results.values():
        styles = style_full.score([r["draft"] or " " for r in rows])
        masked = style_masked.score([r["draft"] or " " for r in rows])
        for r, s, m in zip(rows, styles, masked, strict=True):
            r["style"], r["style_masked"] = s, m
    summary = {c: _aggregate(rows) for c, rows in results.items()}
    base_rows = results.get("base")
    # each condition against base, or against the first condition when base is not run
    against = "base" if base_rows else cfg.conditions[0]
    ci = {
        c: {
            m: paired_bootstrap([r[m] for r in results[c]], [r[m] for r in results[against]], seed=cfg.seed)
            for m in CI_METRICS
        }
        for c in cfg.conditions
        if c != against
    }
    ref_style = summary["reference"]["style"]
    trusted = (base_rows is None or ref_style > summary["base"]["style"]) and (
        "other-writers" not in summary or ref_style > summary["other-writers"]["style"]
    )
    return {
        "profile": prof.name,
        "protocol": cfg.protocol,
        "documents": len(docs),
        "train": len(train_docs),
        "test": len(test_docs),
        "conditions": cfg.conditions,
        "seed": cfg.seed,
        "n_best": cfg.n_best,
        "negatives": {
            "human_texts_fit": len(others_fit),
            "human_texts_floor": len(others_floor),
            "generic_model_texts": len(generic),
        },
        "own_name": own_name,
        "adapter": adapter_info,
        "summary": summary,
        "reference_heldout": {"style": ref_style, "style_masked": summary["reference"]["style_masked"]},
        "style_trusted": trusted,
        "ci_against": against,
        "ci": ci,
        "seconds": round(time.perf_counter() - start, 1),
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
    lines = [
        f"## {r['profile']} (protocol: {r['protocol']}): {r['test']} held-out mails (newest), "
        f"{r['train']} for retrieval/training",
        "",
        "| condition | ROUGE-1 | ROUGE-L | BLEU | chrF | style | style (masked) | length ratio | novelty | "
        "copied 8-gram | diversity | greets self | facts stated | prompt tokens |",
        "|---" * 14 + "|",
    ]
    for cond, s in r["summary"].items():
        name = f"*{cond}*" if cond in REFERENCE_ROWS else cond
        lines.append(
            f"| {name} | {s['rouge1']:.3f} | {s['rougeL']:.3f} | {s['bleu']:.1f} | {s['chrf']:.1f} | "
            f"{s['style']:.3f} | {s['style_masked']:.3f} | {s['length_ratio']:.2f} | {s['novelty']:.3f} | "
            f"{s['copied_8gram']:.0%} | {s['diversity']:.2f} | {s['greets_self']:.0%} | {s['facts']:.0%} | "
            + (f"{s['prompt_tokens']:.0f} |" if "prompt_tokens" in s else "- |")
        )
    n = r["negatives"]
    lines += [
        "",
        "*Italic rows* are references: the instruction itself as the draft, the most similar training "
        "mail copied, the user's own held-out mail (ceiling) and other people's real mail (floor).",
        f"Style scores trusted (held-out mail outscores the base model's drafts and other writers): "
        f"**{r['style_trusted']}**.",
        f"Style model negatives: {n['human_texts_fit']} texts by other people, {n['generic_model_texts']} "
        f"base-model drafts; {n['human_texts_floor']} further texts by other people form the floor row.",
        "",
    ]
    if r["ci"]:
        lines += [
            f"Paired bootstrap 95% intervals of the difference to {r['ci_against']}:",
            "",
            "| condition | ΔROUGE-L | Δstyle | Δstyle (masked) | Δfacts stated | Δprompt tokens |",
            "|---|---|---|---|---|---|",
        ]
        for cond, m in r["ci"].items():
            lines.append(
                "| "
                + cond
                + " | "
                + " | ".join(
                    f"{m[k]['mean']:+.3f} [{m[k]['lo']:+.3f}, {m[k]['hi']:+.3f}]"
                    if k != "prompt_tokens"
                    else f"{m[k]['mean']:+.0f} [{m[k]['lo']:+.0f}, {m[k]['hi']:+.0f}]"
                    for k in CI_METRICS
                )
                + " |"
            )
    if r.get("adapter"):
        a = r["adapter"]
        lines += [
            "",
            f"Adapter: v{a.get('version')}, held-out loss {a.get('eval_loss_base') or 0:.3f} -> "
            f"{a.get('eval_loss_adapter') or 0:.3f}, {a.get('steps')} steps, {a.get('train_seconds')} s.",
        ]
    lines.append(f"\nRun time: {r['seconds']} s.")
    return "\n".join(lines) + "\n"


def _chart(r: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    conds = list(r["summary"])
    fig, ax = plt.subplots(figsize=(9, 3.4))
    width = 0.38
    xs = range(len(conds))
    ax.bar([x - width / 2 for x in xs], [r["summary"][c]["rougeL"] for c in conds], width, label="ROUGE-L")
    ax.bar(
        [x + width / 2 for x in xs],
        [r["summary"][c]["style_masked"] for c in conds],
        width,
        label="style (masked)",
    )
    ax.set_xticks(list(xs), conds, rotation=20, fontsize=8)
    ax.set_title(f"{r['profile']} ({r['protocol']} protocol): {r['test']} held-out mails")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
