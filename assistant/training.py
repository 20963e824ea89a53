"""Training orchestration: data playback -> time split -> RAFT examples -> child trainer -> register.

The newest ~15% of a profile (by date, else import order) is held out and never trained on, except
drafts the user kept: those always train (they are the newest writing, so a date split alone would keep the
user's edits out of every retrain until newer mail arrived). The held-out mail
measures held-out loss before/after, and a new adapter becomes active only if it beats both the
base model and the adapter active now. Training runs in a child process (a crash or OOM cannot
take the app down; cancel kills it); a cancelled run keeps its checkpoint for ``--resume``.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import sqlite_utils

from ownvoice.adapters.architectures import ArchitectureSupport, UnsupportedArchitecture, support_for
from ownvoice.adapters.config import AdapterManifest, TrainConfig
from ownvoice.adapters.layout import (
    ADAPTER_GGUF,
    EVAL_DATA,
    LOG,
    MANIFEST,
    PAIRS_DATA,
    PEFT_DIR,
    TRAIN_CONFIG,
    TRAIN_DATA,
)
from ownvoice.store import adapters as adapters_table
from ownvoice.store import documents as docs_table
from ownvoice.store import generations as gen_table
from ownvoice.store.documents import Document
from ownvoice.store.profiles import Profile

from .anchors import DEFAULT_ANCHORS, style_anchors
from .backends.base import Embedder, Generator
from .errors import Cancelled, EmptyCorpusError, InputError, ModelError, OwnVoiceError
from .intents import subject_instruction
from .jobs import CancelToken, Progress, ProgressFn, report
from .playback import ensure_playback
from .prompts import DraftRequest, build_messages
from .provenance import KEPT_SOURCE
from .retrieval import search

MIN_DOCUMENTS = 12  # below this, a style adapter learns noise: use retrieval alone
HOLDOUT_FRACTION = 0.15
RAFT_P = 0.5
RAFT_K = 2
SUBJECT_SHARE = 0.5  # share of training requests phrased as subject + addressee only


class TrainingFailed(OwnVoiceError):
    """Training stopped with an error; the previous adapter stays active."""


@dataclass
class TrainOutcome:
    """What a training run produced."""

    adapter_id: Optional[int]
    version: int
    path: str
    activated: bool
    metrics: dict = field(default_factory=dict)
    reason: str = ""


@dataclass(frozen=True)
class TrainingEstimate:
    """How long a training run would take on this machine and how much memory it would need, from a timed
    probe of a few real steps on the user's own examples, and where it would run and why."""

    device: str
    device_reason: str
    precision: str
    quantized: bool
    total_steps: int
    seconds_per_step: float
    prepare_seconds: float  # playback and building the examples (the probe's own, first-time cost)
    load_seconds: float
    eval_seconds: float
    total_seconds: float
    peak_memory_mb: float
    probe_steps: int
    train_examples: int


FORWARD_SPEEDUP = 3.0  # an evaluation pass runs ~3x the tokens/s of a training step (no backward, no update)


def estimate_from_probe(metrics: dict, eval_passes: int = 2) -> TrainingEstimate:
    """The estimate a probe's metrics give: load + steps x seconds per step + the held-out evaluations."""
    tokens_per_s = metrics["tokens_per_step"] / max(metrics["seconds_per_step"], 1e-9)
    eval_s = eval_passes * metrics.get("eval_tokens", 0) / (tokens_per_s * FORWARD_SPEEDUP)
    steps_s = metrics["total_steps"] * metrics["seconds_per_step"]
    return TrainingEstimate(
        device=metrics["device"],
        device_reason=metrics["device_reason"],
        precision=metrics["precision"],
        quantized=metrics["quantized"],
        total_steps=metrics["total_steps"],
        seconds_per_step=metrics["seconds_per_step"],
        prepare_seconds=metrics.get("prepare_seconds", 0.0),
        load_seconds=metrics["load_seconds"],
        eval_seconds=round(eval_s, 1),
        total_seconds=round(
            metrics.get("prepare_seconds", 0.0) + metrics["load_seconds"] + steps_s + eval_s, 1
        ),
        peak_memory_mb=max(metrics["peak_rss_mb"], metrics.get("peak_gpu_mb", 0.0)),
        probe_steps=metrics["probe_steps"],
        train_examples=metrics["train_examples"],
    )


def split_documents(
    docs: list[Document], holdout: float = HOLDOUT_FRACTION
) -> tuple[list[Document], list[Document]]:
    """(train, held-out): the newest ``holdout`` share by date (else import order) is held out, taken from
    the documents that are not drafts the user kept (those always train)."""
    ordered = sorted(docs, key=lambda d: (d.sent_at or d.created or "", d.id or 0))
    n_test = max(1, int(math.ceil(len(ordered) * holdout))) if len(ordered) >= 2 else 0
    rest = [d for d in ordered if d.source != KEPT_SOURCE]
    held = {id(d) for d in rest[max(0, len(rest) - n_test) :]} if n_test else set()
    return [d for d in ordered if id(d) not in held], [d for d in ordered if id(d) in held]


def build_examples(
    db: sqlite_utils.Database,
    profile: Profile,
    generator: Generator,
    embedder: Optional[Embedder],
    docs: list[Document],
    pool: set[int],
    playback: dict[int, str],
    name: str,
    raft_p: float = RAFT_P,
    seed: int = 0,
) -> list[dict]:
    """(prompt, response) pairs rendered exactly like drafting prompts (RAFT: the style anchors and exemplars
    from ``pool``, never the example's own mail)."""
    rng = random.Random(seed)
    out = []
    pool_anchors: dict[
        str, list[Document]
    ] = {}  # per kind: one more than drafting shows, the doc itself left out
    for doc in docs:
        exemplars: list[Document] = []
        anchors: list[Document] = []
        if embedder is not None and rng.random() < raft_p:
            if doc.kind not in pool_anchors:
                pool_anchors[doc.kind] = style_anchors(
                    db, profile.id, embedder, doc.kind, DEFAULT_ANCHORS + 1, allowed=frozenset(pool)
                )
            anchors = [a for a in pool_anchors[doc.kind] if a.id != doc.id][:DEFAULT_ANCHORS]
            found = search(
                db,
                profile.id,
                playback.get(doc.id) or doc.subject or doc.body[:200],
                embedder,
                k=RAFT_K,
                kind=doc.kind,
                exclude={doc.id} | {a.id for a in anchors},
                allowed=pool - {doc.id},
            )
            exemplars = [e.doc for e in found]
        # half the requests are intents, half the short 'write to X about: subject' a user also types
        instruction = (
            subject_instruction(doc)
            if rng.random() < SUBJECT_SHARE
            else (playback.get(doc.id) or subject_instruction(doc))
        )
        request = DraftRequest(instruction=instruction, incoming=doc.context or "", kind=doc.kind)
        messages = build_messages(name, request, exemplars, playback, anchors)
        out.append(
            {"prompt": generator.format_chat(messages), "response": doc.body.strip(), "document_id": doc.id}
        )
    return out


MIN_PAIRS = 8  # fewer (draft, final) pairs than this teach nothing a preference loss could use


def build_pairs(
    db: sqlite_utils.Database, profile: Profile, generator: Generator, pool: set[int], name: str
) -> list[dict]:
    """Preference pairs from drafts the user edited before keeping them: the request rendered as drafting
    renders it (no exemplars), the user's final text as chosen, the model's draft as rejected. Only drafts
    whose kept document is in ``pool`` (never a held-out mail); none when fewer than MIN_PAIRS exist."""
    rows = [
        r
        for r in gen_table.edited_approvals(db, profile.id)
        if r["document_id"] in pool and r["output"].strip() and r["final_text"].strip()
    ]
    if len(rows) < MIN_PAIRS:
        return []
    out = []
    for r in rows:
        request = DraftRequest(instruction=r["instruction"], incoming=r["incoming"])
        prompt = generator.format_chat(build_messages(name, request, []))
        out.append({"prompt": prompt, "chosen": r["final_text"].strip(), "rejected": r["output"].strip()})
    return out


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")


def _remove_mail_copies(run_dir: Path) -> None:
    """Delete a run's training and held-out files (copies of the user's mail)."""
    for name in (TRAIN_DATA, EVAL_DATA, PAIRS_DATA):
        (run_dir / name).unlink(missing_ok=True)


def _unfinished_run(profile_dir: Path) -> Optional[Path]:
    runs = sorted(
        (p for p in profile_dir.glob("v*") if p.is_dir() and not (p / MANIFEST).exists()),
        key=lambda p: p.stat().st_mtime,
    )
    return runs[-1] if runs else None


@dataclass(frozen=True)
class UnfinishedRun:
    """A training run that stopped before its end (cancelled, crashed) and can be resumed."""

    version: int
    step: int


def unfinished_run(adapters_root: Path, profile_id: int) -> Optional[UnfinishedRun]:
    """The profile's newest resumable run (it has a checkpoint), if any."""
    from ownvoice.adapters.layout import CHECKPOINT_DIR, CHECKPOINT_STATE

    profile_dir = Path(adapters_root) / f"profile-{profile_id}"
    run = _unfinished_run(profile_dir) if profile_dir.is_dir() else None
    state = run / CHECKPOINT_DIR / CHECKPOINT_STATE if run else None
    if run is None or state is None or not state.is_file():
        return None
    try:
        step = int(json.loads(state.read_text()).get("step", 0))
    except (ValueError, OSError):
        return None
    return UnfinishedRun(int(run.name[1:]), step)


def _die_with_parent(parent: int):
    """For the child, before it runs: be killed when the process that started it dies (even by kill -9)."""

    def setup() -> None:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return setup


STOP_GRACE_S = 60  # a cancelled child has this long to finish its step and checkpoint before it is killed


def spawn_child(cmd: list[str], env: Optional[dict] = None) -> subprocess.Popen:
    """Start a worker process with piped output that dies with this process (Linux: PR_SET_PDEATHSIG)."""
    return subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
        preexec_fn=_die_with_parent(os.getpid()) if sys.platform.startswith("linux") else None,
    )


def run_child(
    cfg_path: Path, log_path: Path, progress: Optional[ProgressFn], cancel: Optional[CancelToken]
) -> dict:
    """Run the training worker, relaying its JSON-line events; return the 'done' event."""
    from ownvoice.adapters.config import TrainConfig
    from ownvoice.adapters.resources import worker_env

    threads = TrainConfig.load(cfg_path).thread_count()
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        **worker_env(threads),
    }
    proc = spawn_child([sys.executable, "-m", "ownvoice.adapters.worker", str(cfg_path)], env)
    done: Optional[dict] = None
    error: Optional[dict] = None
    import threading

    stderr_lines: list[str] = []
    t = threading.Thread(target=lambda: stderr_lines.extend(proc.stderr), daemon=True)  # type: ignore[arg-type]
    t.start()
    watcher = None
    if cancel is not None:

        def watch():
            while proc.poll() is None:
                if cancel.cancelled:
                    proc.terminate()  # the child checkpoints after its current step and stops
                    try:
                        proc.wait(STOP_GRACE_S)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                    return
                cancel._event.wait(0.2)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
    with open(log_path, "a", encoding="utf-8") as log:
        for line in proc.stdout:  # type: ignore[union-attr]
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            log.write(line)
            kind = event.get("event")
            if kind == "step":
                if progress is not None:
                    progress(
                        Progress(
                            "training",
                            event["step"],
                            event["total"],
                            f"loss {event['loss']:.3f}, {event['tokens_per_s']:.0f} tok/s, ETA "
                            f"{event['eta_s']:.0f}s",
                            loss=float(event["loss"]),
                            tokens_per_s=float(event["tokens_per_s"]),
                            eta_s=float(event["eta_s"]),
                        )
                    )
            elif kind == "done":
                done = event
            elif kind == "error":
                error = event
            elif progress is not None:
                progress(
                    Progress(
                        kind or "training", 0, 0, json.dumps({k: v for k, v in event.items() if k != "event"})
                    )
                )
    proc.wait()
    if cancel is not None and cancel.cancelled:
        raise Cancelled(
            "training cancelled; the checkpoint is kept: Resume (or ownvoice train --resume) continues it"
        )
    if error is not None:
        raise TrainingFailed(f"training failed ({error.get('kind')}): {error.get('message')}")
    if done is None:
        tail = "".join(ln for ln in stderr_lines[-20:] if "Warning" not in ln and "warnings.warn" not in ln)[
            -600:
        ].strip()
        raise TrainingFailed(f"the training process ended unexpectedly (exit {proc.returncode}). {tail}")
    return done


def should_activate(manifest: AdapterManifest) -> tuple[bool, str]:
    """Activate only if held-out loss beats the base and the adapter active now."""
    new, base, prev = manifest.eval_loss_adapter, manifest.eval_loss_base, manifest.eval_loss_previous
    if new is None or base is None:
        return False, "no held-out loss to compare"
    if new >= base:
        return False, f"held-out loss {new:.3f} is not better than the base model's {base:.3f}"
    if prev is not None and new >= prev:
        return False, f"held-out loss {new:.3f} is not better than the active adapter's {prev:.3f}"
    return True, f"held-out loss {base:.3f} -> {new:.3f}"


DEVICES = ("auto", "cpu", "cuda")
QUANTIZE = ("auto", "none", "nf4")


class OptionsError(InputError, ValueError):
    """Training options out of range: a clear message for the CLI and the GUI, a ValueError for code."""


@dataclass(frozen=True)
class TrainingOptions:
    """How to train, validated once for the CLI, the GUI, the evaluation and the core (OptionsError when out
    of
    range).

    ``steps`` 0 means ``epochs`` passes over the data; ``learning_rate`` None means the trainer's default.
    """

    steps: int = 0
    epochs: float = 3.0
    device: str = "auto"
    resume: bool = False
    quantize: str = "auto"
    playback_model: bool = True
    raft_p: float = RAFT_P
    seed: int = 0
    learning_rate: Optional[float] = None
    gradient_checkpointing: Optional[bool] = None  # None: only when memory needs it
    background: bool = False  # the desktop app's run: lower priority, one core left to the UI
    probe_steps: int = 0  # > 0: only time this many steps for an estimate (estimate_training), keep nothing
    preference: bool = True  # learn from edited drafts as preference pairs (DPO) once MIN_PAIRS exist
    fresh: bool = False  # start from the base model, not from the adapter in use

    def __post_init__(self) -> None:
        problems = []
        if not 0 <= self.probe_steps <= 20:
            problems.append(f"probe steps must be 0..20, not {self.probe_steps}")
        if self.steps < 0:
            problems.append(f"steps must be 0 (use epochs) or more, not {self.steps}")
        if not self.epochs > 0:
            problems.append(f"epochs must be above 0, not {self.epochs}")
        if self.device not in DEVICES:
            problems.append(f"device must be one of {', '.join(DEVICES)}, not {self.device!r}")
        if self.quantize not in QUANTIZE:
            problems.append(f"quantize must be one of {', '.join(QUANTIZE)}, not {self.quantize!r}")
        if not 0.0 <= self.raft_p <= 1.0:
            problems.append(f"raft_p must be between 0 and 1, not {self.raft_p}")
        if self.learning_rate is not None and not self.learning_rate > 0:
            problems.append(f"the learning rate must be above 0, not {self.learning_rate}")
        if problems:
            raise OptionsError("training options: " + "; ".join(problems))


def architecture_support(model_path: str) -> ArchitectureSupport:
    """How to train an adapter for the GGUF at ``model_path`` (ModelError for an architecture we cannot)."""
    from .models import describe_gguf

    arch = describe_gguf(Path(model_path)).architecture  # a clear error for a file that is not a GGUF model
    try:
        return support_for(arch)
    except UnsupportedArchitecture as exc:
        raise ModelError(str(exc)) from exc


def train_profile(
    db: sqlite_utils.Database,
    profile: Profile,
    generator: Generator,
    embedder: Optional[Embedder],
    adapters_root: Path,
    cache_dir: Path,
    base_sha256: str,
    options: TrainingOptions = TrainingOptions(),
    *,
    progress: Optional[ProgressFn] = None,
    cancel: Optional[CancelToken] = None,
    name: str = "",
) -> TrainOutcome:
    """Train a new adapter version for ``profile`` and register it (active only if it is better)."""
    started = time.perf_counter()
    arch = architecture_support(generator.model_path)  # an architecture we cannot train: said before any work
    docs = docs_table.list_documents(db, profile.id)
    if len(docs) < MIN_DOCUMENTS:
        raise EmptyCorpusError(
            f"profile {profile.name!r} has {len(docs)} documents; training a style adapter needs at "
            f"least {MIN_DOCUMENTS} (import more of your mail, or draft with retrieval alone)"
        )
    train_docs, test_docs = split_documents(docs)
    report(progress, "playback", 0, len(docs))
    playback = ensure_playback(
        db, profile.id, docs, generator if options.playback_model else None, progress, cancel
    )
    pool = {d.id for d in train_docs}
    train_rows = build_examples(
        db, profile, generator, embedder, train_docs, pool, playback, name, options.raft_p, options.seed
    )
    eval_rows = build_examples(
        db, profile, generator, embedder, test_docs, pool, playback, name, options.raft_p, options.seed + 1
    )
    profile_dir = Path(adapters_root) / f"profile-{profile.id}"
    profile_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for abandoned in profile_dir.glob("v*"):  # a run killed with its process left copies of the user's mail
        if abandoned.is_dir() and not (abandoned / MANIFEST).exists():
            _remove_mail_copies(abandoned)
    resume = options.resume and not options.probe_steps
    run_dir = _unfinished_run(profile_dir) if resume else None
    if options.probe_steps:  # the estimate's probe runs beside the versions and leaves nothing behind
        run_dir = profile_dir / "probe"
        shutil.rmtree(run_dir, ignore_errors=True)
        run_dir.mkdir(mode=0o700)
    if run_dir is None:
        version = adapters_table.next_version(db, profile.id)
        while (profile_dir / f"v{version}").exists():
            version += 1
        run_dir = profile_dir / f"v{version}"
        run_dir.mkdir(mode=0o700)
        resume = False
    version = int(run_dir.name[1:]) if not options.probe_steps else 0
    _write_jsonl(run_dir / TRAIN_DATA, train_rows)
    _write_jsonl(run_dir / EVAL_DATA, eval_rows)
    pair_rows = build_pairs(db, profile, generator, pool, name) if options.preference else []
    if pair_rows:
        _write_jsonl(run_dir / PAIRS_DATA, pair_rows)
    active = adapters_table.active_adapter(db, profile.id, base_sha256)
    cfg = TrainConfig(
        base_gguf=generator.model_path,
        out_dir=str(run_dir),
        cache_dir=str(cache_dir),
        train_file=str(run_dir / TRAIN_DATA),
        eval_file=str(run_dir / EVAL_DATA),
        base_sha256=base_sha256,
        target_modules=list(arch.target_modules),
        epochs=options.epochs,
        max_steps=options.steps,
        device=options.device,
        quantize=options.quantize,
        resume=resume,
        seed=options.seed,
        gradient_checkpointing=options.gradient_checkpointing,
        background=options.background,
        compare_adapter_dir=str(Path(active.path).parent / PEFT_DIR) if active else "",
        start_adapter_dir=str(Path(active.path).parent / PEFT_DIR) if active and not options.fresh else "",
        pairs_file=str(run_dir / PAIRS_DATA) if pair_rows else "",
    )
    if options.learning_rate:
        cfg.learning_rate = options.learning_rate
    cfg.probe_steps = options.probe_steps
    cfg.save(run_dir / TRAIN_CONFIG)
    prepare_s = time.perf_counter() - started  # playback and examples: a real run repeats this work
    try:
        done = run_child(run_dir / TRAIN_CONFIG, run_dir / LOG, progress, cancel)
    finally:  # the copies of the user's mail never outlive the run (a resume writes them again)
        _remove_mail_copies(run_dir)
        if options.probe_steps:
            shutil.rmtree(run_dir, ignore_errors=True)
    if options.probe_steps:
        return TrainOutcome(
            None, 0, "", False, done["metrics"] | {"prepare_seconds": round(prepare_s, 1)}, "estimate"
        )
    manifest = AdapterManifest.load(run_dir / MANIFEST)
    activate, reason = should_activate(manifest)
    metrics = {
        "eval_loss_base": manifest.eval_loss_base,
        "eval_loss_adapter": manifest.eval_loss_adapter,
        "eval_loss_previous": manifest.eval_loss_previous,
        "train_examples": manifest.train_examples,
        "eval_examples": manifest.eval_examples,
        "steps": manifest.steps,
        "train_seconds": manifest.train_seconds,
        "tokens_per_s": manifest.tokens_per_s,
        "peak_rss_mb": manifest.peak_rss_mb,
        "device": manifest.device,
        "quantized": manifest.quantized,
        "held_out_ids": [d.id for d in test_docs],
        **manifest.extra,  # preference pairs used and their loss
    }
    adapter_id = adapters_table.add_adapter(
        db,
        profile.id,
        version,
        str(run_dir / ADAPTER_GGUF),
        manifest.base_sha256,
        manifest.base_gguf,
        metrics,
        activate,
    )
    return TrainOutcome(adapter_id, version, str(run_dir / ADAPTER_GGUF), activate, metrics, reason)


def delete_adapter(db: sqlite_utils.Database, adapter_id: int) -> Optional[str]:
    """Delete an adapter's files and row; return its path (None if unknown)."""
    row = adapters_table.get_adapter(db, adapter_id)
    if row is None:
        return None
    adapters_table.delete_adapter_row(db, adapter_id)
    folder = Path(row.path).parent
    if folder.is_dir() and (folder / MANIFEST).exists():
        shutil.rmtree(folder)
    return row.path
