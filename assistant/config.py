"""Settings: a dataclass saved as JSON in the data home (unknown keys ignored, schema versioned)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from .paths import CONFIG_FILENAME

SCHEMA_VERSION = 1


@dataclass
class Settings:
    """User settings (empty model paths mean the embedded defaults)."""

    schema_version: int = SCHEMA_VERSION
    default_profile: str = "default"
    generator_backend: str = "llama-cpp"  # or "openai-compatible": draft on a remote engine (remote_*)
    remote_url: str = ""  # e.g. http://gpu-box:8080 (llama-server) or http://gpu-box:8000 (vLLM)
    remote_api_key: str = ""
    remote_model: str = ""  # the base model's name on the engine (vLLM), '' for llama-server
    remote_adapters: dict = field(default_factory=dict)  # local adapter file -> its id (llama-server) or name
    model_path: str = ""
    embedder_backend: str = "sentence-transformers"
    embedder_path: str = ""
    n_ctx: int = 4096
    recency_weight: float = 0.0
    temperature: float = 0.7
    hotkey_enabled: bool = False
    auto_retrain: bool = (
        True  # the desktop app retrains when it pays (retrain.RetrainRule), never a first time
    )
    hotkey: str = "<ctrl>+<alt>+o"
    last_documents: dict = field(default_factory=dict)  # profile name -> document open in the editor
    extra: dict = field(default_factory=dict)


def load_settings(home: Path) -> Settings:
    """Read settings from the data home (defaults when absent or unreadable)."""
    path = home / CONFIG_FILENAME
    if not path.exists():
        return Settings()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return Settings()
    known = {f.name for f in fields(Settings)}
    return Settings(**{k: v for k, v in data.items() if k in known})


def save_settings(home: Path, settings: Settings) -> None:
    """Write settings atomically, private to the user."""
    path = home / CONFIG_FILENAME
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(asdict(settings), fh, indent=2)
    os.replace(tmp, path)
