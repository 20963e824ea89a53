"""The LoRA/QLoRA training loop. Runs in the training child process (see worker.py), never in the app.

Plain PyTorch loop over peft: AdamW, linear warm-up/decay, gradient accumulation, loss on response
tokens only, seeded. Progress goes to an ``emit`` callback as dicts (the worker prints them as JSON
lines). Checkpoints hold the adapter and optimizer state as safetensors plus a JSON step record
(never pickle), so ``resume`` continues where a cancelled run stopped.
"""

from __future__ import annotations

import contextlib
import json
import math
import resource
import statistics
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Optional

from .config import TrainConfig
from .dataset import Encoded, SplitBatch, batches, collate, collate_split, encode, end_of_turn, read_examples
from .layout import CHECKPOINT_DIR, CHECKPOINT_OPTIM, CHECKPOINT_STATE, PEFT_DIR

Emit = Callable[[dict], None]
MIN_TRAIN_EXAMPLES = 8


STOP = threading.Event()  # set by the worker's SIGTERM handler: checkpoint after this step and stop


class Stopped(Exception):
    """Training stopped on request; the checkpoint at ``step`` lets a resume continue."""

    def __init__(self, step: int) -> None:
        super().__init__(f"stopped at step {step}")
        self.step = step


class TrainingError(Exception):
    """A training problem with a kind: data, arch, oom, device."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def peak_rss_mb() -> float:
    """Peak resident memory of this process (MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def choose_device(pref: str) -> str:
    """cpu or cuda, from a preference (auto picks CUDA when present)."""
    import torch

    if pref == "cuda" and not torch.cuda.is_available():
        raise TrainingError("device", "CUDA was asked for but no CUDA GPU is available")
    if pref in ("cpu", "cuda"):
        return pref
    return "cuda" if torch.cuda.is_available() else "cpu"


def may_choose_nf4(quantize: str, device: str) -> bool:
    """Whether a run may train in 4-bit NF4: when asked for, or by ``auto`` on a CUDA GPU."""
    return quantize == "nf4" or (quantize == "auto" and device != "cpu")


def choose_nf4(quantize: str, device: str, model_bytes: int) -> bool:
    """QLoRA (4-bit NF4) or not: on CUDA when the bf16 model would not fit comfortably."""
    if not may_choose_nf4(quantize, device):
        return False
    if quantize == "nf4":
        return True
    import torch

    free, _total = torch.cuda.mem_get_info()
    return model_bytes // 2 * 4 > free  # bf16 weights + LoRA states + activations ~ 4x the weights


def continuable(cfg: TrainConfig) -> bool:
    """Whether ``cfg.start_adapter_dir`` holds LoRA weights of this run's shape (rank, alpha, modules)."""
    saved = Path(cfg.start_adapter_dir) / "adapter_config.json" if cfg.start_adapter_dir else None
    if saved is None or not saved.is_file():
        return False
    try:
        old = json.loads(saved.read_text())
    except (OSError, ValueError):
        return False
    return (
        old.get("r") == cfg.r
        and float(old.get("lora_alpha", -1)) == float(int(cfg.alpha))
        and sorted(old.get("target_modules") or []) == sorted(cfg.target_modules)
    )


def _lora_model(model, cfg: TrainConfig, go_on: bool = False):
    """The model with LoRA layers: fresh ones, or (``go_on``) the start adapter's, trainable again."""
    from peft import LoraConfig, PeftModel, get_peft_model

    if go_on:
        return PeftModel.from_pretrained(model, cfg.start_adapter_dir, is_trainable=True)

    lcfg = LoraConfig(
        r=cfg.r,
        lora_alpha=int(cfg.alpha),
        lora_dropout=cfg.dropout,
        target_modules=cfg.target_modules,
        bias="none",
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, lcfg)


def split_response_loss(model, batch: SplitBatch):
    """Summed cross-entropy over the response tokens and their count, the prompt run without gradients.

    The prompt (system text, exemplars, the mail answered: most of every example's tokens) is run once
    under ``no_grad`` and only its keys and values are kept; the response is run on top of them with
    gradients. The forward pass, so the loss, is exactly the full pass's; the adapter learns from the
    response positions only, as Transformer-XL's stop-gradient memory does, and nothing of the prompt is
    stored for the backward pass (less memory, and no backward through it).
    """
    import torch

    with torch.no_grad():
        prefix = model(
            input_ids=batch.prompt_ids, attention_mask=batch.prompt_mask, use_cache=True, logits_to_keep=1
        ).past_key_values
    logits = model(
        input_ids=batch.response_ids,
        attention_mask=torch.cat([batch.prompt_mask, batch.response_mask], dim=1),
        position_ids=batch.response_positions,
        past_key_values=prefix,
        use_cache=False,
    ).logits.float()
    loss = torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.size(-1)), batch.targets.reshape(-1), ignore_index=-100, reduction="sum"
    )
    return loss, int((batch.targets != -100).sum())


def response_loss(model, ids, mask, labels):
    """Summed cross-entropy over response tokens only, and their count.

    The vocabulary projection (49k x hidden for SmolLM2) is applied only at the positions that carry
    loss (``logits_to_keep``): the prompt's logits are never materialised, which cuts peak memory
    several-fold, since prompts (exemplars, incoming mail) are much longer than the responses.
    """
    import torch

    shift_labels = labels[:, 1:]
    keep = torch.nonzero((shift_labels != -100).any(dim=0), as_tuple=False).flatten()
    logits = model(input_ids=ids, attention_mask=mask, logits_to_keep=keep).logits.float()
    target = shift_labels[:, keep]
    loss = torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.size(-1)), target.reshape(-1), ignore_index=-100, reduction="sum"
    )
    return loss, int((target != -100).sum())


PAIR_FIELDS = ("prompt", "chosen", "rejected")


def sequence_logp(model, item: Encoded, pad_id: int, device: str):
    """Summed log-probability of an example's response given its prompt (a tensor, with gradients when on)."""
    ids, mask, labels = (t.to(device) for t in collate([item], pad_id))
    loss_sum, _ = response_loss(model, ids, mask, labels)
    return -loss_sum


def dpo_loss(policy_chosen, policy_rejected, ref_chosen: float, ref_rejected: float, beta: float):
    """Direct Preference Optimization's loss for one pair (Rafailov et al. 2023, eq. 7):
    -log sigmoid(beta * ((log pi(chosen) - log ref(chosen)) - (log pi(rejected) - log ref(rejected))))."""
    import torch

    margin = (policy_chosen - ref_chosen) - (policy_rejected - ref_rejected)
    return -torch.nn.functional.logsigmoid(beta * margin)


def reference_logps(
    model, pairs: list[tuple[Encoded, Encoded]], pad_id: int, device: str
) -> list[tuple[float, float]]:
    """The base model's (chosen, rejected) log-probabilities, computed once before training (a fresh LoRA
    adds nothing, so the model before training is DPO's reference)."""
    import torch

    with torch.no_grad():
        return [
            (float(sequence_logp(model, c, pad_id, device)), float(sequence_logp(model, r, pad_id, device)))
            for c, r in pairs
        ]


def bf16_autocast(precision: str, device: str) -> Callable[[], AbstractContextManager]:
    """A context factory: bf16 autocast for a CPU run in bf16 (CUDA runs hold bf16 weights), else nothing."""
    import torch

    if precision == "bf16" and device == "cpu":
        return lambda: torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext


def eval_loss(
    model,
    items: list[Encoded],
    pad_id: int,
    device: str,
    batch_size: int = 4,
    autocast: Callable[[], AbstractContextManager] = contextlib.nullcontext,
) -> Optional[float]:
    """Token-weighted mean loss on response tokens (fp32 unless ``autocast`` says otherwise)."""
    import torch

    if not items:
        return None
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in batches(items, batch_size, 0, 0, shuffle=False):
            ids, mask, labels = (t.to(device) for t in collate(batch, pad_id))
            with autocast():
                loss, n = response_loss(model, ids, mask, labels)
            total += float(loss)
            count += n
    model.train()
    return total / max(count, 1)


def _save_checkpoint(model, optimizer, scheduler, step: int, epoch: int, out: Path, before: dict) -> None:
    """Save the adapter, optimizer and scheduler at ``step``, with ``before``: the evaluations made before the
    first step (base and previous adapter's held-out loss, the pairs' reference log-probabilities), which a
    resume reuses instead of computing them again."""
    from safetensors.torch import save_file

    ck = out / CHECKPOINT_DIR
    ck.mkdir(parents=True, exist_ok=True, mode=0o700)
    model.save_pretrained(str(ck / PEFT_DIR), safe_serialization=True)
    tensors, meta = {}, {}
    for pid, st in optimizer.state_dict()["state"].items():
        for name, val in st.items():
            if hasattr(val, "shape") and val.dim() > 0:
                tensors[f"{pid}.{name}"] = val.detach().cpu().contiguous()
            else:
                meta[f"{pid}.{name}"] = float(val)
    save_file(tensors, str(ck / CHECKPOINT_OPTIM))
    (ck / CHECKPOINT_STATE).write_text(
        json.dumps(
            {
                "step": step,
                "epoch": epoch,
                "scalars": meta,
                "scheduler": scheduler.state_dict(),
                "before": before,
            }
        )
    )


def _evaluations_before(out: Path, eval_examples: int, pairs: int) -> dict:
    """The checkpoint's evaluations before the first step, if they were made on as many held-out examples and
    preference pairs as this run has ({} otherwise: evaluate again)."""
    path = out / CHECKPOINT_DIR / CHECKPOINT_STATE
    if not path.is_file():
        return {}
    before = json.loads(path.read_text()).get("before") or {}
    same = before.get("eval_examples") == eval_examples and len(before.get("ref_logps", [])) == pairs
    return before if same else {}


def _load_checkpoint(model, optimizer, scheduler, out: Path) -> tuple[int, int]:
    import torch
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    ck = out / CHECKPOINT_DIR
    if not (ck / CHECKPOINT_STATE).is_file():
        return 0, 0
    state = json.loads((ck / CHECKPOINT_STATE).read_text())
    weights = load_file(str(ck / PEFT_DIR / "adapter_model.safetensors"))
    set_peft_model_state_dict(model, weights)
    tensors = load_file(str(ck / CHECKPOINT_OPTIM))
    opt_state = optimizer.state_dict()
    new_state: dict = {}
    for key, val in tensors.items():
        pid, name = key.split(".", 1)
        new_state.setdefault(int(pid), {})[name] = val
    for key, val in state["scalars"].items():
        pid, name = key.split(".", 1)
        new_state.setdefault(int(pid), {})[name] = torch.tensor(val)
    opt_state["state"] = new_state
    optimizer.load_state_dict(opt_state)
    scheduler.load_state_dict(state["scheduler"])
    return int(state["step"]), int(state["epoch"])


def train(cfg: TrainConfig, base_dir: Path, emit: Emit) -> dict:
    """Train a LoRA on cfg.train_file; save peft weights under cfg.out_dir/peft; return the metrics."""
    import torch

    from .resources import (
        ThreadGovernor,
        activation_bytes,
        choose_precision,
        free_memory_bytes,
        lower_priority,
        needs_checkpointing,
    )

    started = time.perf_counter()
    torch.manual_seed(cfg.seed)
    if cfg.background:
        lower_priority()
    threads = cfg.thread_count()
    torch.set_num_threads(threads)
    governor = ThreadGovernor(threads, torch.set_num_threads)
    device = choose_device(cfg.device)
    model_bytes = sum(f.stat().st_size for f in Path(base_dir).glob("*.safetensors"))
    nf4 = choose_nf4(cfg.quantize, device, model_bytes)
    precision = choose_precision(cfg.precision, device)
    shape = json.loads((Path(base_dir) / "config.json").read_text())
    activations = activation_bytes(
        cfg.batch_size,
        cfg.max_length,
        int(shape.get("num_hidden_layers", 32)),
        int(shape.get("hidden_size", 4096)),
    )
    checkpointing = needs_checkpointing(
        cfg.gradient_checkpointing, model_bytes, activations, free_memory_bytes(device)
    )
    emit(
        {
            "event": "loading",
            "device": device,
            "quantized": nf4,
            "precision": precision,
            "gradient_checkpointing": checkpointing,
            "threads": threads,
        }
    )
    from .base_model import load_base

    try:
        model, tok = load_base(base_dir, device, nf4, checkpointing)
    except torch.cuda.OutOfMemoryError as exc:  # pragma: no cover - CUDA only
        raise TrainingError("oom", f"the GPU ran out of memory loading the model ({exc})") from exc
    eot = end_of_turn(tok)
    train_items = [encode(tok, ex, cfg.max_length, eot) for ex in read_examples(Path(cfg.train_file))]
    eval_items = (
        [encode(tok, ex, cfg.max_length, eot) for ex in read_examples(Path(cfg.eval_file))]
        if cfg.eval_file
        else []
    )
    pairs = [
        (
            encode(tok, {"prompt": ex["prompt"], "response": ex["chosen"]}, cfg.max_length, eot),
            encode(tok, {"prompt": ex["prompt"], "response": ex["rejected"]}, cfg.max_length, eot),
        )
        for ex in (read_examples(Path(cfg.pairs_file), PAIR_FIELDS) if cfg.pairs_file else [])
    ]
    if len(train_items) < MIN_TRAIN_EXAMPLES:
        raise TrainingError(
            "data", f"only {len(train_items)} training examples; at least {MIN_TRAIN_EXAMPLES} needed"
        )
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else 0
    out = Path(cfg.out_dir)
    metrics: dict = {
        "device": device,
        "quantized": nf4,
        "precision": precision,
        "gradient_checkpointing": checkpointing,
        "threads": threads,
        "train_examples": len(train_items),
        "eval_examples": len(eval_items),
        "preference_pairs": len(pairs),
    }
    autocast = bf16_autocast(precision, device)  # the steps only: held-out losses are fp32 whatever the run's
    # precision, so adapters trained in bf16 and in fp32 compare on one scale (promotion, the bench's check)
    split = cfg.prompt_gradients is False or (cfg.prompt_gradients is None and not checkpointing)
    metrics["prompt_gradients"] = not split
    metrics["load_seconds"] = round(time.perf_counter() - started, 2)
    kept = _evaluations_before(out, len(eval_items), len(pairs)) if cfg.resume else {}
    if cfg.probe_steps:  # a timed probe for the estimate: no evaluation, a few steps, nothing saved
        metrics["eval_tokens"] = sum(len(e.input_ids) for e in eval_items)
    elif "eval_loss_base" in kept:  # a resumed run: the same held-out examples were evaluated before
        metrics["eval_loss_base"] = kept["eval_loss_base"]
        emit({"event": "eval", "which": "base", "loss": metrics["eval_loss_base"], "kept": True})
    else:
        metrics["eval_loss_base"] = eval_loss(model, eval_items, pad_id, device)
        emit({"event": "eval", "which": "base", "loss": metrics["eval_loss_base"]})
    if cfg.compare_adapter_dir and Path(cfg.compare_adapter_dir).is_dir() and not cfg.probe_steps:
        if "eval_loss_previous" in kept:
            metrics["eval_loss_previous"] = kept["eval_loss_previous"]
        else:
            from peft import PeftModel

            prev = PeftModel.from_pretrained(model, cfg.compare_adapter_dir)
            metrics["eval_loss_previous"] = eval_loss(prev, eval_items, pad_id, device)
            model = prev.unload()
        emit({"event": "eval", "which": "previous", "loss": metrics["eval_loss_previous"]})
    if "ref_logps" in kept:
        ref_logps = [(float(c), float(r)) for c, r in kept["ref_logps"]]
    else:
        ref_logps = reference_logps(model, pairs, pad_id, device) if pairs and not cfg.probe_steps else []
    before = {
        "eval_examples": len(eval_items),
        **{k: metrics[k] for k in ("eval_loss_base", "eval_loss_previous") if k in metrics},
        "ref_logps": [list(r) for r in ref_logps],
    }
    pair_losses: list[float] = []
    metrics["continued"] = continuable(cfg)
    model = _lora_model(model, cfg, metrics["continued"])
    if cfg.start_adapter_dir:
        emit({"event": "start", "from": "previous adapter" if metrics["continued"] else "base model"})
    model.train()
    steps_per_epoch = math.ceil(len(train_items) / cfg.batch_size / cfg.grad_accum)
    total = cfg.max_steps or max(1, int(math.ceil(steps_per_epoch * cfg.epochs)))
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    warm = max(1, int(total * cfg.warmup_ratio))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: min(1.0, (s + 1) / warm) * max(0.0, (total - s) / max(1, total - warm))
        if s >= warm
        else (s + 1) / warm,
    )
    step, epoch = _load_checkpoint(model, optimizer, scheduler, out) if cfg.resume else (0, 0)
    if step:
        emit({"event": "resumed", "step": step, "epoch": epoch})
    governor.check()  # what others took while the model loaded decides the first step's threads
    start, cpu_start, tokens, losses = time.perf_counter(), time.process_time(), 0, []
    step_seconds: list[float] = []
    done_tokens_at_start = 0
    if STOP.is_set():  # cancelled while loading: nothing to keep
        raise Stopped(step)
    while step < total:
        for bi, batch_group in enumerate(
            _grouped(batches(train_items, cfg.batch_size, cfg.seed, epoch), cfg.grad_accum)
        ):
            if step >= total:
                break
            if bi < (step - epoch * steps_per_epoch) and cfg.resume and bi < steps_per_epoch:
                continue  # skip batches already seen in this epoch before the resume point
            step_start = time.perf_counter()
            optimizer.zero_grad(set_to_none=True)
            n_target = sum(e.n_target for b in batch_group for e in b)
            step_loss = 0.0
            try:
                for batch in batch_group:
                    with autocast():
                        if split and all(e.n_prompt >= 2 for e in batch):
                            loss_sum, _ = split_response_loss(model, collate_split(batch, pad_id).to(device))
                        else:
                            ids, mask, labels = (t.to(device) for t in collate(batch, pad_id))
                            loss_sum, _ = response_loss(model, ids, mask, labels)
                    loss = loss_sum / max(n_target, 1)
                    loss.backward()
                    step_loss += float(loss.detach())
                    tokens += sum(len(e.input_ids) for e in batch)
                if ref_logps:  # one preference pair per step, in turn: the user's final text over the draft
                    i = step % len(pairs)
                    chosen, rejected = pairs[i]
                    ref_chosen, ref_rejected = ref_logps[i]
                    with autocast():
                        pair_loss = dpo_loss(
                            sequence_logp(model, chosen, pad_id, device),
                            sequence_logp(model, rejected, pad_id, device),
                            ref_chosen,
                            ref_rejected,
                            cfg.pair_beta,
                        )
                    (cfg.pair_weight * pair_loss).backward()
                    pair_losses.append(float(pair_loss.detach()))
                    tokens += len(chosen.input_ids) + len(rejected.input_ids)
            except torch.cuda.OutOfMemoryError as exc:  # pragma: no cover - CUDA only
                raise TrainingError(
                    "oom", "the GPU ran out of memory: lower the batch size or max length"
                ) from exc
            except RuntimeError as exc:
                if "out of memory" in str(exc).lower() or "not enough memory" in str(exc).lower():
                    raise TrainingError("oom", f"out of memory during training ({exc})") from exc
                raise
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            scheduler.step()
            step += 1
            step_seconds.append(time.perf_counter() - step_start)
            if cfg.probe_steps and step >= min(cfg.probe_steps, total):  # a run shorter than the probe
                return _probe_metrics(metrics, step_seconds, tokens, total, device, nf4, model_bytes)
            governor.check()
            losses.append(step_loss)
            elapsed = time.perf_counter() - start
            tps = (tokens - done_tokens_at_start) / elapsed if elapsed > 0 else 0.0
            eta = elapsed / max(1, len(losses)) * (total - step)
            emit(
                {
                    "event": "step",
                    "step": step,
                    "total": total,
                    "loss": round(step_loss, 4),
                    "tokens_per_s": round(tps, 1),
                    "eta_s": round(eta, 1),
                    "lr": scheduler.get_last_lr()[0],
                }
            )
            if STOP.is_set() and step < total:  # a cancel: keep every finished step for Resume
                _save_checkpoint(model, optimizer, scheduler, step, epoch, out, before)
                emit({"event": "checkpoint", "step": step})
                raise Stopped(step)
            if cfg.checkpoint_every and step % cfg.checkpoint_every == 0 and step < total:
                _save_checkpoint(model, optimizer, scheduler, step, epoch, out, before)
                emit({"event": "checkpoint", "step": step})
        epoch += 1
    train_s = time.perf_counter() - start
    cpu_s = time.process_time() - cpu_start
    model.save_pretrained(str(out / PEFT_DIR), safe_serialization=True)
    metrics["eval_loss_adapter"] = eval_loss(model, eval_items, pad_id, device)
    emit({"event": "eval", "which": "adapter", "loss": metrics["eval_loss_adapter"]})
    metrics.update(
        steps=step,
        epochs=cfg.epochs,
        train_seconds=round(train_s, 2),
        tokens_per_s=round(tokens / train_s, 1) if train_s > 0 else 0.0,
        cpu_s_per_token=round(cpu_s / tokens, 6) if tokens else 0.0,
        peak_rss_mb=round(peak_rss_mb(), 1),
        threads_used=sorted(governor.used),
        final_loss=losses[-1] if losses else None,
    )
    if pair_losses:  # DPO's loss starts at log 2 (0.693) and falls as the adapter prefers the user's texts
        metrics["pair_loss_first"] = round(pair_losses[0], 4)
        metrics["pair_loss_last"] = round(statistics.fmean(pair_losses[-min(5, len(pair_losses)) :]), 4)
    if device == "cuda":  # pragma: no cover - CUDA only
        metrics["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    return metrics


def _probe_metrics(
    metrics: dict,
    step_seconds: list[float],
    tokens: int,
    total: int,
    device: str,
    nf4: bool,
    model_bytes: int,
) -> dict:
    """What a timed probe measured: seconds per step (the first, which warms up, left out when there are
    more), tokens per step, the steps the real run would take, peak memory, and why this device."""
    timed = step_seconds[1:] or step_seconds
    metrics.update(
        probe_steps=len(step_seconds),
        seconds_per_step=round(sum(timed) / len(timed), 3),
        tokens_per_step=round(tokens / len(step_seconds), 1),
        total_steps=total,
        peak_rss_mb=round(peak_rss_mb(), 1),
        device_reason=device_reason(device, nf4, model_bytes),
    )
    if device == "cuda":  # pragma: no cover - CUDA only
        import torch

        metrics["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    return metrics


def device_reason(device: str, nf4: bool, model_bytes: int) -> str:
    """Why training runs where it does (the choice choose_device and choose_nf4 made)."""
    size_gb = model_bytes / 1e9
    if device != "cuda":
        return (
            f"no CUDA GPU here: plain LoRA on the CPU ({size_gb:.1f} GB of fp32 weights, bf16 autocast where "
            "the CPU multiplies bf16 natively)"
        )
    if nf4:
        return (
            f"CUDA GPU: the model ({size_gb / 2:.1f} GB in bf16, ~4x that while training) does not fit in "
            "the GPU's free memory, so 4-bit NF4 QLoRA"
        )
    return f"CUDA GPU: bf16 LoRA (the model, {size_gb / 2:.1f} GB in bf16, fits in the GPU's free memory)"


def _grouped(items: list, n: int) -> list[list]:
    return [items[i : i + n] for i in range(0, len(items), n)]
