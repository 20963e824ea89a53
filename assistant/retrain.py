"""Retrain when it pays: enough new writing of the user's, an idle machine on mains power, then a new adapter
that is kept in use only if it drafts the user's held-out mail better than the one in use.

The rule (``RetrainRule``) is checked by ``retrain_due``; ``retrain_if_it_pays`` trains at low priority
(background: a core left to the desktop), then drafts the new version's held-out mails (the newest of the
user's writing, never trained on) with the leak-free request (subject, addressee, the mail answered) under
the new adapter and under the one in use, and promotes the new version only if its mean ROUGE-L against
the user's real mail is higher. Held-out loss alone does not decide: a lower loss need not mean better
drafts. The previous version stays in the list, one click (``ownvoice adapters use``) away.
"""

from __future__ import annotations

import os
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

from ownvoice.store import adapters as adapters_table
from ownvoice.store import documents as docs_table

from .intents import addressee, subject_instruction
from .jobs import CancelToken, ProgressFn, report
from .metrics import rouge
from .prompts import DraftRequest


@dataclass(frozen=True)
class RetrainRule:
    """When a background retrain is worth it."""

    min_new_documents: int = 20  # new writing of the user's (imported, typed, accepted) since the last run
    max_load_per_core: float = 0.5  # the 1-minute load average per core must be below this (idle machine)
    require_mains_power: bool = True  # not on battery (where that can be told)
    steps: int = 0  # training steps (0: the trainer's default epochs)
    eval_mails: int = 8  # held-out mails drafted to compare the new adapter with the one in use


@dataclass(frozen=True)
class RetrainDecision:
    """Whether to retrain now, and why (or why not)."""

    due: bool
    reason: str
    new_documents: int


@dataclass
class RetrainResult:
    """What a retrain did: the decision, the new version, both adapters' scores, and whether it was
    promoted."""

    decision: RetrainDecision
    version: Optional[int] = None
    adapter_id: Optional[int] = None
    promoted: bool = False
    score_new: Optional[float] = None
    score_previous: Optional[float] = None  # the adapter in use before (None: the plain model)
    previous_version: Optional[int] = None
    reason: str = ""
    metrics: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """Plain JSON-able data."""
        return asdict(self)


def on_mains_power(root: Path = Path("/sys/class/power_supply")) -> Optional[bool]:
    """True on mains power, False on battery, None where it cannot be told (no power supply information)."""
    try:
        supplies = list(root.iterdir())
    except OSError:
        return None
    mains = [s for s in supplies if (s / "type").is_file() and (s / "type").read_text().strip() == "Mains"]
    if not mains:
        batteries = [
            s for s in supplies if (s / "type").is_file() and (s / "type").read_text().strip() == "Battery"
        ]
        return None if not batteries else False
    return any((s / "online").is_file() and (s / "online").read_text().strip() == "1" for s in mains)


def load_per_core() -> float:
    """The 1-minute load average per core."""
    try:
        return os.getloadavg()[0] / max(1, os.cpu_count() or 1)
    except OSError:
        return 0.0


def retrain_due(
    db,
    profile_id: int,
    base_sha256: str,
    rule: RetrainRule,
    load: Optional[float] = None,
    mains: Optional[bool] = None,
) -> RetrainDecision:
    """Whether the rule says to retrain now (``load``/``mains``: measured here when None)."""
    latest = max(
        (a for a in adapters_table.list_adapters(db, profile_id) if a.base_sha256 == base_sha256),
        key=lambda a: a.created,
        default=None,
    )
    new = docs_table.count_since(db, profile_id, latest.created if latest else "")
    if new < rule.min_new_documents:
        return RetrainDecision(
            False, f"{new} new texts since the last training; waiting for {rule.min_new_documents}", new
        )
    load = load_per_core() if load is None else load
    if load > rule.max_load_per_core:
        return RetrainDecision(False, f"the computer is busy (load {load:.2f} per core)", new)
    mains = on_mains_power() if mains is None else mains
    if rule.require_mains_power and mains is False:
        return RetrainDecision(False, "on battery: training waits for mains power", new)
    return RetrainDecision(True, f"{new} new texts since the last training", new)


def held_out_score(app, profile, doc_ids: list[int], use_adapter: bool, seed: int = 0) -> float:
    """Mean ROUGE-L of drafts for held-out mails (leak-free requests) against the user's real mail."""
    docs = docs_table.get_documents(app.db, doc_ids)
    allowed = {d.id for d in docs_table.list_documents(app.db, profile.id)} - set(doc_ids)
    app.apply_adapter(profile, use_adapter)
    scores = []
    for doc_id in doc_ids:
        doc = docs[doc_id]
        request = DraftRequest(
            instruction=subject_instruction(doc),
            incoming=doc.context or "",
            recipient=addressee(doc),
            seed=seed,
            use_adapter=use_adapter,
            candidates=2,
        )
        app.generator().reset()
        text = app.composer().draft(profile, request, allowed=allowed, log=False).text
        scores.append(rouge(text, doc.body)["rougeL"])
    return statistics.fmean(scores) if scores else 0.0


def retrain_if_it_pays(
    app,
    profile_name: Optional[str] = None,
    rule: RetrainRule = RetrainRule(),
    force: bool = False,
    progress: Optional[ProgressFn] = None,
    cancel: Optional[CancelToken] = None,
    background: bool = True,
) -> RetrainResult:
    """Train a new adapter when the rule says so (``force``: now), and keep it in use only if it drafts the
    held-out mail better than the adapter in use (worker thread or CLI; training runs in a child process)."""
    from .app import model_sha256
    from .training import TrainingOptions

    prof = app.profile(profile_name)
    sha = model_sha256(app.model_path)
    decision = retrain_due(app.db, prof.id, sha, rule)
    if force:
        decision = RetrainDecision(True, "asked for", decision.new_documents)
    if not decision.due:
        return RetrainResult(decision, reason=decision.reason)
    previous = adapters_table.active_adapter(app.db, prof.id, sha)
    report(progress, "training", 0, 1)
    outcome = app.train(
        prof.name,
        progress=progress,
        cancel=cancel,
        options=TrainingOptions(steps=rule.steps, background=background, playback_model=False),
    )
    assert outcome.adapter_id is not None
    held_out = list(outcome.metrics.get("held_out_ids", []))[-rule.eval_mails :]
    report(progress, "comparing", 0, 2)
    promoted = False
    try:  # whatever stops the comparison (a cancel, an error), the adapter in use before stays in use
        adapters_table.set_active(app.db, prof.id, outcome.adapter_id, sha)
        new_score = held_out_score(app, prof, held_out, True)
        report(progress, "comparing", 1, 2)
        adapters_table.set_active(app.db, prof.id, previous.id if previous else None, sha)
        old_score = held_out_score(app, prof, held_out, previous is not None)
        report(progress, "comparing", 2, 2)
        promoted = new_score > old_score
    finally:
        keep = outcome.adapter_id if promoted else (previous.id if previous else None)
        adapters_table.set_active(app.db, prof.id, keep, sha)
        app.apply_adapter(prof, True)
    who = f"v{previous.version}" if previous else "the plain model"
    reason = (
        f"v{outcome.version} drafts your held-out mail better than {who} (ROUGE-L {new_score:.3f} vs "
        f"{old_score:.3f})"
        if promoted
        else f"v{outcome.version} is not better than {who} on your held-out mail (ROUGE-L {new_score:.3f} vs "
        f"{old_score:.3f}): kept {who}"
    )
    return RetrainResult(
        decision,
        outcome.version,
        outcome.adapter_id,
        promoted,
        round(new_score, 4),
        round(old_score, 4),
        previous.version if previous else None,
        reason,
        outcome.metrics,
    )
