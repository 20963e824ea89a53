"""Model files: validating GGUFs, the user's added models, and finding GGUFs in the usual places."""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import sqlite_utils

from ownvoice.store.util import now_iso, writing

from .backends.defaults import default_gguf_path
from .errors import ModelError

GGUF_MAGIC = b"GGUF"


@dataclass
class ModelInfo:
    """A generation model the user can pick."""

    name: str
    path: str
    architecture: str
    size: int
    default: bool = False


def check_gguf(path: Path) -> None:
    """Raise ModelError unless ``path`` is a readable GGUF file."""
    if not path.exists():
        raise ModelError(f"{path}: model file not found")
    if not path.is_file():
        raise ModelError(f"{path}: not a file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise ModelError(f"{path}: cannot be read ({exc.strerror})") from exc
    if len(head) < 8 or head[:4] != GGUF_MAGIC:
        raise ModelError(f"{path}: not a GGUF model file (expected the 'GGUF' signature)")
    version = struct.unpack("<I", head[4:8])[0]
    if version not in (2, 3):
        raise ModelError(f"{path}: unsupported GGUF version {version}")


def gguf_metadata(
    path: Path, keys: tuple[str, ...] = ("general.architecture", "general.name", "general.type")
) -> dict:
    """Read a few string metadata fields of a GGUF (after check_gguf)."""
    check_gguf(path)
    from gguf import GGUFReader

    try:
        reader = GGUFReader(str(path))
    except Exception as exc:
        raise ModelError(f"{path}: corrupt GGUF ({exc})") from exc
    out = {}
    for key in keys:
        field = reader.fields.get(key)
        if field is not None and field.data:
            part = field.parts[field.data[0]]
            try:
                out[key] = bytes(part).decode("utf-8")
            except Exception:  # noqa: BLE001 - an unreadable GGUF header: reported, not raised
                out[key] = part.tolist()[0] if hasattr(part, "tolist") else str(part)
    return out


def add_model(db: sqlite_utils.Database, path: Path) -> ModelInfo:
    """Register a GGUF the user has (checked: GGUF signature, a model not an adapter)."""
    path = path.expanduser().resolve()
    meta = gguf_metadata(path)
    if meta.get("general.type") == "adapter":
        raise ModelError(f"{path}: this is a LoRA adapter, not a model")
    arch = meta.get("general.architecture", "")
    if not arch:
        raise ModelError(f"{path}: the GGUF does not say its architecture")
    info = ModelInfo(
        name=meta.get("general.name") or path.stem,
        path=str(path),
        architecture=arch,
        size=path.stat().st_size,
    )
    with writing(db):
        db.execute("DELETE FROM models WHERE path = ?", [info.path])
        db.table("models").insert(
            {
                "path": info.path,
                "name": info.name,
                "architecture": arch,
                "size": info.size,
                "added": now_iso(),
            }
        )
    return info


def list_models(db: sqlite_utils.Database) -> list[ModelInfo]:
    """The embedded default first, then the models the user added."""
    default = default_gguf_path()
    out = [ModelInfo("SmolLM2-135M-Instruct (embedded)", str(default), "llama", default.stat().st_size, True)]
    for row in db.table("models").rows_where(order_by="id"):
        out.append(ModelInfo(row["name"], row["path"], row["architecture"], row["size"]))
    return out


def remove_model(db: sqlite_utils.Database, path: str) -> None:
    """Forget an added model (the file stays where it is)."""
    with writing(db):
        db.execute("DELETE FROM models WHERE path = ?", [str(Path(path).expanduser().resolve())])


def usual_model_folders() -> list[Path]:
    """Folders where other local-LLM apps keep GGUF files."""
    home = Path.home()
    hf = Path(os.environ.get("HF_HOME", home / ".cache" / "huggingface")) / "hub"
    return [
        hf,
        home / ".lmstudio" / "models",
        home / ".cache" / "lm-studio" / "models",
        home / ".ollama" / "models",
        Path("/usr/share/ollama/.ollama/models"),
        home / ".local/share/nomic.ai/GPT4All",
    ]


def find_gguf_files(folders: Optional[list[Path]] = None, limit: int = 200) -> list[Path]:
    """GGUF files found in the usual places (Ollama blobs are recognised by their signature)."""
    found: list[Path] = []
    for folder in folders or usual_model_folders():
        if not folder.is_dir():
            continue
        for root, _dirs, files in os.walk(folder):
            for name in files:
                p = Path(root) / name
                if name.endswith(".gguf") or (name.startswith("sha256-") and "blobs" in root):
                    try:
                        with open(p, "rb") as fh:
                            if fh.read(4) == GGUF_MAGIC:
                                found.append(p)
                    except OSError:
                        continue
                if len(found) >= limit:
                    return found
    return found
