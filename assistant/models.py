"""Model files: validating GGUFs, reading what they are, and the models the user added (finding the ones
other apps downloaded is ``model_scan``; fetching new ones, ``model_download``)."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sqlite_utils

from ownvoice.store.util import now_iso, writing

from .backends.defaults import default_gguf_path
from .errors import ModelError

GGUF_MAGIC = b"GGUF"


@dataclass
class ModelInfo:
    """A generation model the user can pick: its file and what it is."""

    name: str
    path: str
    architecture: str
    size: int
    default: bool = False
    parameters: int = 0
    quant: str = ""
    sha256: str = ""  # filled by OwnVoice.models_overview
    # profile name -> {"versions": [...], "active": version or None}, filled by OwnVoice.models_overview
    adapters: dict = field(default_factory=dict)


@dataclass(frozen=True)
class GGUFFacts:
    """What a GGUF header says about the model in it."""

    architecture: str
    name: str
    kind: str  # general.type: 'model', 'adapter' or '' (older files)
    parameters: int
    quant: str


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


def describe_gguf(path: Path) -> GGUFFacts:
    """Architecture, name, parameter count and quantization from a GGUF's header (after check_gguf)."""
    check_gguf(path)
    import gguf

    from ownvoice.adapters.gguf_header import GGUFHeaderError, read_header

    try:
        header = read_header(path)
    except (GGUFHeaderError, OSError) as exc:
        raise ModelError(f"{path}: corrupt GGUF ({exc})") from exc
    meta = header.metadata
    file_type = meta.get("general.file_type")
    try:
        quant = (
            gguf.LlamaFileType(int(file_type)).name.removeprefix("MOSTLY_") if file_type is not None else ""
        )
    except ValueError:
        quant = ""
    if not quant and header.tensors:  # no file type: the type most of the weights have
        counts: dict[str, int] = {}
        for shape, kind in header.tensors.values():
            try:
                name = gguf.GGMLQuantizationType(kind).name
            except ValueError:
                name = str(kind)
            counts[name] = counts.get(name, 0) + int(np.prod(shape))
        quant = max(counts, key=lambda k: counts[k])
    return GGUFFacts(
        architecture=str(meta.get("general.architecture") or ""),
        name=str(meta.get("general.name") or path.stem),
        kind=str(meta.get("general.type") or ""),
        parameters=header.parameters,
        quant=quant,
    )


def add_model(db: sqlite_utils.Database, path: Path) -> ModelInfo:
    """Register a GGUF the user has (checked: GGUF signature, a model not an adapter, an architecture)."""
    path = path.expanduser().resolve()
    facts = describe_gguf(path)
    if facts.kind == "adapter":
        raise ModelError(f"{path}: this is a LoRA adapter, not a model")
    if not facts.architecture:
        raise ModelError(f"{path}: the GGUF does not say its architecture")
    st = path.stat()
    info = ModelInfo(
        name=facts.name,
        path=str(path),
        architecture=facts.architecture,
        size=st.st_size,
        parameters=facts.parameters,
        quant=facts.quant,
    )
    with writing(db):
        db.execute("DELETE FROM models WHERE path = ?", [info.path])
        db.table("models").insert(
            {
                "path": info.path,
                "name": info.name,
                "architecture": info.architecture,
                "size": info.size,
                "parameters": info.parameters,
                "quant": info.quant,
                "added": now_iso(),
            }
        )
    return info


def list_models(db: sqlite_utils.Database) -> list[ModelInfo]:
    """The embedded default first, then the models the user added (a file that is gone is still listed)."""
    default = default_gguf_path()
    facts = describe_gguf(default)
    out = [
        ModelInfo(
            "SmolLM2-135M-Instruct (embedded)",
            str(default),
            facts.architecture,
            default.stat().st_size,
            True,
            facts.parameters,
            facts.quant,
        )
    ]
    for row in db.table("models").rows_where(order_by="id"):
        out.append(
            ModelInfo(
                row["name"],
                row["path"],
                row["architecture"],
                row["size"],
                parameters=row.get("parameters") or 0,
                quant=row.get("quant") or "",
            )
        )
    return out


def remove_model(db: sqlite_utils.Database, path: str) -> None:
    """Forget an added model (the file stays where it is)."""
    with writing(db):
        db.execute("DELETE FROM models WHERE path = ?", [str(Path(path).expanduser().resolve())])


def remember_sha256(db: sqlite_utils.Database, info: ModelInfo, sha256: str) -> None:
    """Keep an added model's sha256 with the file's mtime: computed again only when the file changes."""
    with writing(db):
        db.execute(
            "UPDATE models SET sha256 = ?, sha_mtime_ns = ? WHERE path = ?",
            [sha256, Path(info.path).stat().st_mtime_ns, info.path],
        )


def stored_sha256(db: sqlite_utils.Database, info: ModelInfo) -> str:
    """The kept sha256 of an added model while its file is unchanged, else ''."""
    row = db.execute("SELECT sha256, sha_mtime_ns FROM models WHERE path = ?", [info.path]).fetchone()
    try:
        unchanged = row is not None and row[1] == Path(info.path).stat().st_mtime_ns
    except OSError:
        return ""
    return row[0] or "" if unchanged else ""
