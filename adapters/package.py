"""Adapter versions written out for other engines: llama.cpp's GGUF, or peft's safetensors folder (vLLM,
LoRAX).

Only safetensors, GGUF and JSON files are ever copied (never a pickle). A peft export carries the base
model's Hugging Face config and tokenizer files beside it (``base-config/``), so the serving side can
check it has the same base.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Optional

from .layout import ADAPTER_GGUF, MANIFEST, PEFT_DIR

FORMATS = ("gguf", "peft")
BASE_FILES = (
    "config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
)


class PackageError(Exception):
    """The adapter cannot be written in that format (the message says why)."""


def export_adapter(version_dir: Path, fmt: str, out_dir: Path, base_dir: Optional[Path] = None) -> list[Path]:
    """Write one adapter version to ``out_dir`` as ``fmt``; return the files written."""
    version_dir, out_dir = Path(version_dir), Path(out_dir)
    if fmt not in FORMATS:
        raise PackageError(f"unknown format {fmt!r}: use {' or '.join(FORMATS)}")
    if out_dir.exists() and any(out_dir.iterdir()):
        raise PackageError(f"{out_dir} is not empty: pick a new folder")
    if fmt == "gguf":
        sources = [version_dir / ADAPTER_GGUF, version_dir / MANIFEST]
    else:
        peft = version_dir / PEFT_DIR
        sources = [peft / "adapter_config.json", peft / "adapter_model.safetensors", version_dir / MANIFEST]
    missing = [p.name for p in sources if not p.is_file()]
    if missing:
        raise PackageError(
            f"the adapter folder {version_dir} lacks {', '.join(missing)} (damaged or cut short)"
        )
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    written = []
    for src in sources:
        written.append(Path(shutil.copy2(src, out_dir / src.name)))
    if fmt == "peft":
        if base_dir is None or not (Path(base_dir) / "config.json").is_file():
            raise PackageError(
                "the base model's Hugging Face config is not on this machine (it is made by training)"
            )
        (out_dir / "base-config").mkdir(mode=0o700)
        for name in BASE_FILES:
            if (Path(base_dir) / name).is_file():
                written.append(Path(shutil.copy2(Path(base_dir) / name, out_dir / "base-config" / name)))
    return written
