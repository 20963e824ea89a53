"""The trainer's CUDA path, checked on a machine with an NVIDIA GPU (CI has none; see README.md here).

``data DIR`` (here, on the CPU): training rows shaped like OwnVoice's RAFT examples (the training bench's),
held-out rows and preference pairs. On the GPU machine:

- ``trainer BASE.gguf DIR``: OwnVoice's trainer on the real model in bf16, fp32, NF4 QLoRA, with preference
  pairs and with the automatic choices; a plain transformers+peft loop beside it; the training worker end to
  end (NF4, checkpoints, llama.cpp adapter export), its adapter files copied to $OUT.
- ``throughput DIR TOKENIZER_DIR``: tokens/s and peak GPU memory at SmolLM2-135M's and SmolLM2-1.7B's shapes
  (random weights; throughput does not depend on them): the plain loop, and ours with the prompt run without
  gradients (split) and in the single pass, bf16 and NF4.

Each stage's result (or its traceback) goes to $OUT/results.json as it finishes.
"""

import json
import os
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path

OUT = Path(os.environ.get("OUT") or "/tmp/out")
STEPS = int(os.environ.get("STEPS", "40"))
R: dict = {}
KEEP = (
    "device quantized precision gradient_checkpointing prompt_gradients tokens_per_s train_seconds steps "
    "eval_loss_base eval_loss_adapter peak_rss_mb preference_pairs load_seconds cpu_s_per_token"
).split()
SHAPES = {  # config.json changes from SmolLM2-135M's
    "135m": {},
    "1.7b": {
        "hidden_size": 2048,
        "intermediate_size": 8192,
        "num_hidden_layers": 24,
        "num_attention_heads": 32,
        "num_key_value_heads": 32,
        "head_dim": 64,
    },
}


def stage(name: str, fn) -> None:
    """Run one stage, record its result or traceback, write the results so far."""
    t = time.perf_counter()
    try:
        R[name] = fn()
    except BaseException:  # noqa: BLE001 - reported, and the next stage runs
        R[name] = {"error": traceback.format_exc()[-4000:]}
    R[name + "_wall_s"] = round(time.perf_counter() - t, 2)
    print(f"== {name} ({R[name + '_wall_s']} s): {json.dumps(R[name])[:3000]}", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(R, indent=1))


def make_data(out: Path) -> None:
    """Training rows, held-out rows and preference pairs in the embedded model's chat template."""
    import tempfile

    from ownvoice.assistant.app import OwnVoice
    from ownvoice.assistant.bench.training import training_rows

    generator = OwnVoice(tempfile.mkdtemp()).generator()
    out.mkdir(parents=True, exist_ok=True)
    (out / "rows.jsonl").write_text("\n".join(json.dumps(r) for r in training_rows(generator, 64)))
    (out / "held_out.jsonl").write_text("\n".join(json.dumps(r) for r in training_rows(generator, 8, 1)))
    pairs = [
        {
            "prompt": r["prompt"],
            "chosen": r["response"],
            "rejected": r["response"].replace("Best,\nAlex", "Regards,\nSam"),
        }
        for r in training_rows(generator, 8, 2)
    ]
    (out / "pairs.jsonl").write_text("\n".join(json.dumps(p) for p in pairs))


def environment() -> dict:
    """Versions, the GPU and its memory."""
    import bitsandbytes
    import peft
    import torch
    import transformers

    free, total = torch.cuda.mem_get_info()
    return {
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "peft": peft.__version__,
        "bitsandbytes": bitsandbytes.__version__,
        "gpu": torch.cuda.get_device_name(0),
        "free_gib": round(free / 2**30, 1),
        "total_gib": round(total / 2**30, 1),
        "cpus": os.cpu_count(),
    }


def choices(base: Path) -> dict:
    """What the trainer picks by itself on this machine, and why."""
    from ownvoice.adapters.resources import choose_precision, free_memory_bytes
    from ownvoice.adapters.trainer import choose_device, choose_nf4, device_reason

    model_bytes = sum(f.stat().st_size for f in base.glob("*.safetensors"))
    dev = choose_device("auto")
    nf4 = choose_nf4("auto", dev, model_bytes)
    return {
        "device": dev,
        "nf4_auto": nf4,
        "nf4_for_a_100GB_model": choose_nf4("auto", dev, 100 * 2**30),
        "precision": choose_precision("auto", dev),
        "free_memory_bytes": free_memory_bytes(dev),
        "reason": device_reason(dev, nf4, model_bytes),
    }


def ours(base: Path, data: Path, name: str, **over) -> dict:
    """OwnVoice's trainer in this process on CUDA (quantize none unless ``over`` says)."""
    import torch

    from ownvoice.adapters.config import TrainConfig
    from ownvoice.adapters.trainer import train

    kw: dict = dict(
        base_gguf="",
        out_dir=f"/tmp/ovwork/{name}",
        cache_dir="/tmp/ovcache",
        train_file=str(data / "rows.jsonl"),
        eval_file=str(data / "held_out.jsonl"),
        max_steps=STEPS,
        device="cuda",
        quantize="none",
        checkpoint_every=0,
    )
    kw.update(over)
    events: list = []
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    m = train(TrainConfig(**kw), base, events.append)
    out = {k: m[k] for k in KEEP if k in m}
    out["gpu_peak_mib"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    out["loading"] = next((e for e in events if e.get("event") == "loading"), None)
    return out


def plain(base: Path, data: Path, dtype: str) -> dict:
    """The plain transformers+peft loop in a child process."""
    from ownvoice.assistant.bench.training import PLAIN_LOOP

    p = subprocess.run(
        [sys.executable, "-c", PLAIN_LOOP, str(base), str(data / "rows.jsonl"), str(STEPS), dtype, "cuda"],
        capture_output=True,
        text=True,
    )
    if p.returncode:
        raise RuntimeError(p.stderr[-3000:])
    return json.loads(p.stdout.strip().splitlines()[-1])


def worker(gguf: Path, data: Path) -> dict:
    """The training worker end to end (NF4, checkpoints every 10 steps, export); adapter files to $OUT."""
    from ownvoice.adapters.config import TrainConfig

    out = Path("/tmp/ovwork/worker")
    cfg = TrainConfig(
        base_gguf=str(gguf),
        out_dir=str(out),
        cache_dir="/tmp/ovcache",
        train_file=str(data / "rows.jsonl"),
        eval_file=str(data / "held_out.jsonl"),
        max_steps=STEPS,
        quantize="nf4",
        checkpoint_every=10,
    )
    cfg.save(Path("/tmp/ovwork/worker.json"))
    p = subprocess.run(
        [sys.executable, "-m", "ownvoice.adapters.worker", "/tmp/ovwork/worker.json"],
        capture_output=True,
        text=True,
    )
    events = [json.loads(x) for x in p.stdout.splitlines() if x.startswith("{")]
    for f in ("adapter.gguf", "manifest.json"):
        if (out / f).exists():
            shutil.copy(out / f, OUT / f"nf4-{f}")
    return {
        "rc": p.returncode,
        "events": sorted({e.get("event") for e in events}),
        "last": events[-1] if events else None,
        "stderr_tail": p.stderr[-1500:],
    }


def random_base(shape: str, tokenizer_dir: Path) -> Path:
    """A bf16 model of this shape with random weights, SmolLM2's tokenizer and config otherwise."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    d = Path(f"/tmp/base-{shape}")
    if (d / "model.safetensors").exists():
        return d
    d.mkdir(parents=True, exist_ok=True)
    for f in tokenizer_dir.iterdir():
        shutil.copy(f, d / f.name)
    cfg = json.loads((d / "config.json").read_text())
    cfg.update(SHAPES[shape], dtype="bfloat16")
    (d / "config.json").write_text(json.dumps(cfg))
    torch.manual_seed(0)
    with torch.device("cuda"):
        model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(d), dtype=torch.bfloat16)
    model.save_pretrained(d)
    del model
    torch.cuda.empty_cache()
    return d


def check_trainer(gguf: Path, data: Path) -> None:
    """Every trainer mode on the real model, the plain loop, the worker."""
    from ownvoice.adapters.base_model import cached_base_dir, file_sha256

    stage("environment", environment)
    base = cached_base_dir(gguf, Path("/tmp/ovcache"), file_sha256(gguf))
    stage("choices", lambda: choices(base))
    stage("ours_bf16", lambda: ours(base, data, "bf16"))
    stage("ours_fp32", lambda: ours(base, data, "fp32", precision="fp32"))
    stage("ours_nf4", lambda: ours(base, data, "nf4", quantize="nf4"))
    stage("ours_bf16_pairs", lambda: ours(base, data, "pairs", pairs_file=str(data / "pairs.jsonl")))
    stage("ours_auto", lambda: ours(base, data, "auto", device="auto", quantize="auto"))
    stage("plain_bf16", lambda: plain(base, data, "bfloat16"))
    stage("plain_fp32", lambda: plain(base, data, "float32"))
    stage("worker_nf4_export", lambda: worker(gguf, data))


def check_throughput(data: Path, tokenizer_dir: Path) -> None:
    """Split vs single pass vs the plain loop at two model sizes, bf16 and NF4; what the defaults pick."""
    for shape in SHAPES:
        base = random_base(shape, tokenizer_dir)
        stage(f"plain_bf16_{shape}", lambda b=base: plain(b, data, "bfloat16"))
        for quantize in ("none", "nf4") if shape == "1.7b" else ("none",):
            for split in (True, False):
                name = f"ours_{quantize}_{'split' if split else 'single'}_{shape}"
                stage(
                    name,
                    lambda b=base, n=name, q=quantize, s=split: ours(
                        b, data, n, quantize=q, prompt_gradients=not s
                    ),
                )
        stage(
            f"ours_default_{shape}", lambda b=base: ours(b, data, "default", device="auto", quantize="auto")
        )


USAGE = "usage: cuda_check.py data DIR | trainer BASE.gguf DIR | throughput DIR TOKENIZER_DIR"

if __name__ == "__main__":
    mode, args = (sys.argv[1:2] or [""])[0], [Path(a) for a in sys.argv[2:]]
    runs = {"data": (make_data, 1), "trainer": (check_trainer, 2), "throughput": (check_throughput, 2)}
    if mode not in runs or len(args) != runs[mode][1]:
        sys.exit(USAGE)
    missing = [str(a) for a in args if mode != "data" and not a.exists()]
    if missing:
        sys.exit(f"not found: {', '.join(missing)}\n{USAGE}")
    runs[mode][0](*args)
