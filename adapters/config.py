"""Training configuration and adapter manifest: dataclasses saved as JSON.

Defaults are tuned for SmolLM2-135M on 2 CPU cores (see the notes in docs/training.md): a higher
learning rate than Panza's 8B settings (1e-5..1e-4) because a 135M model with r=8 moves little per
step; 3 epochs, r=8/alpha=16 on all attention and MLP projections.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Optional


class JsonFile:
    """Mixin for dataclasses saved as JSON (unknown keys ignored on load, so old files still load)."""

    def save(self, path: Path) -> None:
        """Write as JSON."""
        Path(path).write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")  # type: ignore[call-overload]

    @classmethod
    def load(cls, path: Path):
        """Read from JSON."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in data.items() if k in known})


TARGET_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


@dataclass
class TrainConfig(JsonFile):
    """Everything the training child process needs (paths are absolute)."""

    base_gguf: str
    out_dir: str
    cache_dir: str
    train_file: str
    eval_file: str = ""
    base_sha256: str = ""
    r: int = 8
    alpha: float = 16.0
    dropout: float = 0.05
    target_modules: list[str] = field(default_factory=lambda: list(TARGET_MODULES))
    learning_rate: float = 5e-4
    epochs: float = 3.0
    max_steps: int = 0  # > 0 overrides epochs
    batch_size: int = 4
    grad_accum: int = 1
    max_length: int = 768
    warmup_ratio: float = 0.06
    weight_decay: float = 0.0
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda
    quantize: str = "auto"  # auto | nf4 | none  (nf4 = QLoRA)
    gradient_checkpointing: Optional[bool] = None  # None: on only when memory needs it (adapters.resources)
    # None: the prompt runs without gradients (trainer.split_response_loss) unless checkpointing is on
    prompt_gradients: Optional[bool] = None
    precision: str = "auto"  # auto | bf16 | fp32 (auto: bf16 where the hardware runs it natively)
    resume: bool = False
    checkpoint_every: int = 25
    compare_adapter_dir: str = ""  # the active adapter's peft dir: its held-out loss is measured too
    # a peft dir whose LoRA weights the run starts from (the adapter in use: a retrain goes on from what it
    # learned); ignored, and the run starts fresh, when its rank, alpha or modules differ from this run's
    start_adapter_dir: str = ""
    threads: int = 0  # 0: every core (a background run: all but one)
    background: bool = False  # started by the desktop app: lower priority, a core left to the UI
    probe_steps: int = (
        0  # > 0: a timed probe for the estimate (this many steps, no evaluation, nothing saved)
    )
    pairs_file: str = ""  # preference pairs (prompt, chosen = the user's final text, rejected = the draft)
    pair_beta: float = 0.1  # DPO's beta: how far the adapter may move from the base model on the pairs
    pair_weight: float = 1.0  # the DPO loss's weight beside the supervised loss, one pair per step

    def thread_count(self) -> int:
        """Threads the run uses: ``threads``, else every core (all but one for a background run)."""
        from .resources import training_threads

        return self.threads or training_threads(self.background)


@dataclass
class AdapterManifest(JsonFile):
    """What an exported adapter is, what it was trained on, and how it did."""

    base_gguf: str
    base_sha256: str
    architecture: str
    r: int
    alpha: float
    target_modules: list[str]
    train_examples: int
    eval_examples: int
    steps: int
    epochs: float
    device: str
    quantized: bool
    eval_loss_base: Optional[float] = None
    eval_loss_adapter: Optional[float] = None
    eval_loss_previous: Optional[float] = None
    train_seconds: float = 0.0
    tokens_per_s: float = 0.0
    peak_rss_mb: float = 0.0
    created: str = ""
    extra: dict = field(default_factory=dict)
