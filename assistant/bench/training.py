"""Training speed: OwnVoice's trainer vs a plain transformers+peft loop on the same data, same objective.

The data is shaped like OwnVoice's own training examples (RAFT: a prompt in the model's chat template with
two past mails as exemplars and the request, the mail as the response), so prompts are several times longer
than responses, as they are when a user trains. Both loops put the loss on response tokens only; the plain
loop does it the usual way (labels -100 on the prompt, logits for every position), runs with torch's
default threading and no gradient checkpointing (fp32 on the CPU here; ``tests/device/cuda_check.py`` runs
the same loop on a GPU, its dtype and device the two optional arguments after the step count).

Where the run is bf16 (a CPU with native bf16 or CUDA), the same run is repeated in fp32 and both adapters'
held-out loss (computed in fp32 on rows the runs never saw) is compared: bf16 must stay within 1%.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

from .corpus import text

STEPS = 12
ROWS = 32
EVAL_ROWS = 8
BF16_TOLERANCE = 0.01  # bf16's held-out loss within 1% of fp32's

PLAIN_LOOP = r"""
import json, sys, time, resource, torch
from transformers import AutoModelForCausalLM, AutoTokenizer
from peft import LoraConfig, get_peft_model
base, data, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
dtype, device = getattr(torch, (sys.argv[4:] or ["float32"])[0]), (sys.argv[5:] or ["cpu"])[0]
cuda = device == "cuda"
tok = AutoTokenizer.from_pretrained(base)
tok.pad_token = tok.pad_token or tok.eos_token
model = AutoModelForCausalLM.from_pretrained(base, dtype=dtype).to(device)
targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, target_modules=targets, task_type="CAUSAL_LM"))
rows = [json.loads(l) for l in open(data)]
opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=5e-4)
if cuda:
    torch.cuda.reset_peak_memory_stats(); torch.cuda.synchronize()
t, c = time.perf_counter(), time.process_time(); ntok = 0
for s in range(steps):
    batch = rows[(s * 4) % len(rows):(s * 4) % len(rows) + 4]
    enc = tok([r["prompt"] + r["response"] for r in batch], return_tensors="pt", padding=True,
              truncation=True, max_length=768)
    labels = enc["input_ids"].clone()
    for i, r in enumerate(batch):
        labels[i, :len(tok(r["prompt"])["input_ids"])] = -100
    labels[enc["attention_mask"] == 0] = -100
    enc = {k: v.to(device) for k, v in enc.items()}
    out = model(**enc, labels=labels.to(device))
    out.loss.backward(); opt.step(); opt.zero_grad()
    ntok += int(enc["attention_mask"].sum())
if cuda:
    torch.cuda.synchronize()
wall, cpu = time.perf_counter() - t, time.process_time() - c
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
gpu = {"gpu_peak_mib": torch.cuda.max_memory_allocated() / 2**20} if cuda else {}
print(json.dumps({"tokens_per_s": ntok / wall, "cpu_s_per_token": cpu / ntok, "peak_rss_mb": peak, **gpu}))
"""

OURS = (
    "import json,sys; from pathlib import Path; from ownvoice.adapters.config import TrainConfig; "
    "from ownvoice.adapters.trainer import train; m = train(TrainConfig.load(Path(sys.argv[1])), "
    "Path(sys.argv[2]), lambda e: None); print(json.dumps(m))"
)


def training_rows(generator, n: int = ROWS, seed: int = 0) -> list[dict]:
    """Rows shaped like OwnVoice's RAFT examples, in ``generator``'s chat template."""
    from ..prompts import system_text

    rng = random.Random(seed)

    def mail() -> str:
        return f"Hi Sam,\n\n{text(rng, rng.randint(40, 90))}\n\nBest,\nAlex"

    rows = []
    for _ in range(n):
        messages = [{"role": "system", "content": system_text("Alex", "email")}]
        for _ in range(2):
            messages += [
                {"role": "user", "content": f"Write an email: {text(rng, 8)}"},
                {"role": "assistant", "content": mail()},
            ]
        messages.append({"role": "user", "content": f"Write an email: {text(rng, 8)}"})
        rows.append({"prompt": generator.format_chat(messages), "response": mail()})
    return rows


def _child(code: str, args: list[str], env: dict | None = None) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, env=env
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def ours_config(app, data: Path, out: Path, steps: int = STEPS, precision: str = "auto", eval_file: str = ""):
    """The TrainConfig OwnVoice uses for this data (CPU; bf16 where native, else fp32; auto checkpointing)."""
    from ownvoice.adapters.config import TrainConfig

    from ..backends.defaults import default_gguf_path

    return TrainConfig(
        base_gguf=str(default_gguf_path()),
        out_dir=str(out),
        cache_dir=str(app.cache_dir()),
        train_file=str(data),
        max_steps=steps,
        device="cpu",
        quantize="none",
        checkpoint_every=0,
        precision=precision,
        eval_file=eval_file,
    )


def run_ours(app, tmp: Path, precision: str = "auto") -> dict:
    """Our trainer in a child process with the environment the app gives its training worker."""
    import os

    from ownvoice.adapters.base_model import cached_base_dir
    from ownvoice.adapters.resources import worker_env

    from ..backends.defaults import default_gguf_path

    base = cached_base_dir(default_gguf_path(), app.cache_dir())
    data, held_out = tmp / "rows.jsonl", tmp / "held_out.jsonl"
    if not data.exists():
        data.write_text("\n".join(json.dumps(r) for r in training_rows(app.generator())))
        held_out.write_text("\n".join(json.dumps(r) for r in training_rows(app.generator(), EVAL_ROWS, 1)))
    cfg = ours_config(app, data, tmp / f"run-{precision}", precision=precision, eval_file=str(held_out))
    cfg.save(tmp / f"cfg-{precision}.json")
    env = {**os.environ, **worker_env(cfg.thread_count())}
    return _child(OURS, [str(tmp / f"cfg-{precision}.json"), str(base)], env)


def run(app, runs: int) -> dict:
    """Tokens/s, CPU-seconds per token and peak RSS of both loops, and their ratio."""
    from ownvoice.adapters.base_model import cached_base_dir

    from ..backends.defaults import default_gguf_path

    base = cached_base_dir(default_gguf_path(), app.cache_dir())
    tmp = Path(tempfile.mkdtemp())
    ours = run_ours(app, tmp)
    plain = _child(PLAIN_LOOP, [str(base), str(tmp / "rows.jsonl"), str(STEPS)])
    keep = (
        "tokens_per_s",
        "cpu_s_per_token",
        "peak_rss_mb",
        "precision",
        "gradient_checkpointing",
        "threads",
    )
    out = {
        "steps": STEPS,
        "ownvoice": {k: ours[k] for k in keep if k in ours},
        "plain": {k: round(v, 5) if isinstance(v, float) else v for k, v in plain.items()},
        "ratio": round(ours["tokens_per_s"] / plain["tokens_per_s"], 2),
    }
    if ours.get("precision") == "bf16":
        fp32 = run_ours(app, tmp, "fp32")
        rel = abs(ours["eval_loss_adapter"] - fp32["eval_loss_adapter"]) / fp32["eval_loss_adapter"]
        out["bf16_check"] = {
            "held_out_loss_bf16": round(ours["eval_loss_adapter"], 5),
            "held_out_loss_fp32": round(fp32["eval_loss_adapter"], 5),
            "relative_difference": round(rel, 5),
            "within_tolerance": rel <= BF16_TOLERANCE,
            "fp32_tokens_per_s": fp32["tokens_per_s"],
        }
    return out


def markdown(r: dict) -> str:
    """Table of both loops."""
    o, p = r["ownvoice"], r["plain"]
    return (
        f"| trainer ({r['steps']} steps, batch 4, r=8) | tokens/s | CPU-s per 1k tokens | peak RSS (MB) |\n"
        "|---|---|---|---|\n"
        f"| OwnVoice ({o.get('precision')}, checkpointing "
        f"{'on' if o.get('gradient_checkpointing') else 'off'}, "
        f"{o.get('threads')} threads) | {o['tokens_per_s']:.0f} | {o['cpu_s_per_token'] * 1000:.1f} | "
        f"{o['peak_rss_mb']:.0f} |\n"
        f"| plain transformers+peft loop | {p['tokens_per_s']:.0f} | {p['cpu_s_per_token'] * 1000:.1f} | "
        f"{p['peak_rss_mb']:.0f} |\n\nratio OwnVoice/plain tokens/s: {r['ratio']:.2f}"
        + _bf16_line(r.get("bf16_check"))
    )


def _bf16_line(check: dict | None) -> str:
    if not check:
        return ""
    return (
        f"\n\nbf16 vs fp32 (same steps, held-out loss in fp32): {check['held_out_loss_bf16']:.4f} vs "
        f"{check['held_out_loss_fp32']:.4f} ({check['relative_difference'] * 100:.2f}%, tolerance "
        f"{BF16_TOLERANCE * 100:.0f}%); fp32 run {check['fp32_tokens_per_s']:.0f} tokens/s"
    )
