"""Training child process: ``python -m ownvoice.adapters.worker CONFIG.json``.

Runs on its own process (a crash or OOM cannot take the app down; cancel = kill). Prints one JSON
object per line on stdout: loading / eval / step / checkpoint / exported / done, or error with a
kind (data, arch, oom, device, internal) and a message meant for the user.
"""

from __future__ import annotations

import json
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import TrainConfig


def _emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def _skip_bitsandbytes_unless_nf4(cfg: TrainConfig) -> None:
    """Keep peft from importing bitsandbytes (~2 s of this child's start) in a run that cannot use 4-bit NF4.

    peft imports bitsandbytes whenever it is installed, so a run ``trainer.may_choose_nf4`` rules out marks
    the module absent before peft is imported.
    """
    from .trainer import choose_device, may_choose_nf4

    if not may_choose_nf4(cfg.quantize, choose_device(cfg.device)):
        sys.modules.setdefault("bitsandbytes", None)  # type: ignore[arg-type]


def run(config_path: Path) -> int:
    """Train, export to GGUF, write the manifest; return the exit code."""
    import os
    import signal

    from .trainer import STOP

    signal.signal(signal.SIGTERM, lambda *_: STOP.set())  # the parent's Cancel: stop after the current step
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import logging

    logging.getLogger("bitsandbytes").setLevel(logging.ERROR)
    from .architectures import UnsupportedArchitecture, support_for
    from .base_model import cached_base_dir, file_sha256, gguf_architecture
    from .config import AdapterManifest, TrainConfig
    from .export import ExportError, export_gguf
    from .layout import ADAPTER_GGUF, MANIFEST, PEFT_DIR
    from .trainer import Stopped, TrainingError, train

    cfg = TrainConfig.load(config_path)
    try:
        _skip_bitsandbytes_unless_nf4(cfg)
        gguf = Path(cfg.base_gguf)
        sha = cfg.base_sha256 or file_sha256(gguf)
        arch = gguf_architecture(gguf)
        try:  # refuse early an architecture we cannot train or llama.cpp cannot take an adapter for
            support_for(arch["architecture"])
        except UnsupportedArchitecture as exc:
            raise TrainingError("arch", str(exc)) from exc
        _emit({"event": "preparing", "message": "dequantizing the GGUF (cached after the first time)"})
        base_dir = cached_base_dir(gguf, Path(cfg.cache_dir), sha)
        metrics = train(cfg, base_dir, _emit)
        if cfg.probe_steps:  # the estimate's timed probe: nothing to export
            _emit({"event": "done", "metrics": metrics})
            return 0
        out = Path(cfg.out_dir)
        try:
            export_gguf(out / PEFT_DIR, out / ADAPTER_GGUF, arch, cfg.alpha)
        except ExportError as exc:
            raise TrainingError("arch", str(exc)) from exc
        _emit({"event": "exported", "path": str(out / ADAPTER_GGUF)})
        manifest = AdapterManifest(
            base_gguf=str(gguf),
            base_sha256=sha,
            architecture=arch["architecture"],
            r=cfg.r,
            alpha=cfg.alpha,
            target_modules=cfg.target_modules,
            train_examples=metrics["train_examples"],
            eval_examples=metrics["eval_examples"],
            steps=metrics["steps"],
            epochs=cfg.epochs,
            device=metrics["device"],
            quantized=metrics["quantized"],
            eval_loss_base=metrics["eval_loss_base"],
            eval_loss_adapter=metrics["eval_loss_adapter"],
            eval_loss_previous=metrics.get("eval_loss_previous"),
            train_seconds=metrics["train_seconds"],
            tokens_per_s=metrics["tokens_per_s"],
            peak_rss_mb=metrics["peak_rss_mb"],
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            extra={
                k: metrics[k]
                for k in ("preference_pairs", "pair_loss_first", "pair_loss_last", "continued")
                if k in metrics
            },
        )
        manifest.save(out / MANIFEST)
        _emit({"event": "done", "metrics": metrics, "manifest": str(out / MANIFEST)})
        return 0
    except Stopped as exc:
        _emit({"event": "stopped", "step": exc.step})
        return 5
    except TrainingError as exc:
        _emit({"event": "error", "kind": exc.kind, "message": str(exc)})
        return 3
    except MemoryError:
        _emit(
            {
                "event": "error",
                "kind": "oom",
                "message": "out of memory: close other programs or lower max length",
            }
        )
        return 3
    except Exception as exc:  # noqa: BLE001 - report, never hang the parent
        _emit(
            {
                "event": "error",
                "kind": "internal",
                "message": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(),
            }
        )
        return 4


if __name__ == "__main__":
    sys.exit(run(Path(sys.argv[1])))
