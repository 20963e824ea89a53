"""Finding the GGUF models other local-LLM apps already downloaded (LM Studio, Ollama, GPT4All, Jan, the
Hugging Face cache), on Linux, macOS and Windows.

Each app keeps its files in its own layout; the folders are derived from a home folder, an operating system
name and an environment (all arguments, so a test lays out a fake tree for any platform on this machine):

- LM Studio: ``~/.lmstudio/models/PUBLISHER/REPO/FILE.gguf`` (older: ``~/.cache/lm-studio/models``).
- Ollama: ``$OLLAMA_MODELS`` or ``~/.ollama/models`` (Linux service: ``/usr/share/ollama/.ollama/models``).
  Files are content-addressed blobs ``blobs/sha256-HEX`` without an extension; the manifests under
  ``manifests/REGISTRY/NAMESPACE/MODEL/TAG`` say which blob is a model (media type
  ``application/vnd.ollama.image.model``) and give it its name ``MODEL:TAG``.
- GPT4All: ``~/.local/share/nomic.ai/GPT4All`` / ``~/Library/Application Support/nomic.ai/GPT4All`` /
  ``%LOCALAPPDATA%\\nomic.ai\\GPT4All``.
- Jan: ``~/jan/models`` (before 0.5), else its data folder (``~/.config/Jan/data``, ``~/Library/Application
  Support/Jan/data``, ``%APPDATA%\\Jan\\data``) under ``models`` or ``llamacpp/models``.
- Hugging Face cache: ``$HF_HUB_CACHE``, ``$HF_HOME/hub`` or ``~/.cache/huggingface/hub``; a file is
  ``models--ORG--NAME/snapshots/REV/FILE.gguf`` (a link into ``blobs/``).

A file counts only when it starts with the GGUF signature; split models' later parts
(``-00002-of-00003.gguf``) are not listed, and a file reached twice (a link and its blob) is listed once.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

GGUF_MAGIC = b"GGUF"
OLLAMA_MODEL_MEDIA = "application/vnd.ollama.image.model"
_LATER_SPLIT = re.compile(r"-0*([2-9]|[1-9]\d+)-of-\d+\.gguf$", re.IGNORECASE)


@dataclass(frozen=True)
class FoundModel:
    """A GGUF model another app keeps: where, which app, and the name that app shows."""

    path: Path
    app: str
    name: str


@dataclass(frozen=True)
class AppFolder:
    """A folder where one app keeps models."""

    app: str
    path: Path


def app_folders(home: Path, system: str, env: Mapping[str, str]) -> list[AppFolder]:
    """The model folders of the known apps for ``system`` ('Linux', 'Darwin' or 'Windows')."""
    home = Path(home)
    if system == "Windows":
        local = Path(env.get("LOCALAPPDATA", str(home / "AppData" / "Local")))
        roaming = Path(env.get("APPDATA", str(home / "AppData" / "Roaming")))
        gpt4all = [local / "nomic.ai" / "GPT4All"]
        jan_data = [roaming / "Jan" / "data"]
        ollama_default = [home / ".ollama" / "models"]
    elif system == "Darwin":
        support = home / "Library" / "Application Support"
        gpt4all = [support / "nomic.ai" / "GPT4All"]
        jan_data = [support / "Jan" / "data"]
        ollama_default = [home / ".ollama" / "models"]
    else:
        xdg_data = Path(env.get("XDG_DATA_HOME", str(home / ".local" / "share")))
        xdg_config = Path(env.get("XDG_CONFIG_HOME", str(home / ".config")))
        gpt4all = [xdg_data / "nomic.ai" / "GPT4All"]
        jan_data = [xdg_config / "Jan" / "data", xdg_data / "Jan" / "data"]
        ollama_default = [home / ".ollama" / "models", Path("/usr/share/ollama/.ollama/models")]
    hf_hub = (
        Path(env["HF_HUB_CACHE"])
        if env.get("HF_HUB_CACHE")
        else Path(env.get("HF_HOME", str(home / ".cache" / "huggingface"))) / "hub"
    )
    ollama = [Path(env["OLLAMA_MODELS"])] if env.get("OLLAMA_MODELS") else ollama_default
    out = [AppFolder("LM Studio", home / ".lmstudio" / "models")]
    out.append(AppFolder("LM Studio", home / ".cache" / "lm-studio" / "models"))
    out += [AppFolder("Ollama", p) for p in ollama]
    out += [AppFolder("GPT4All", p) for p in gpt4all]
    out.append(AppFolder("Jan", home / "jan" / "models"))
    for data in jan_data:
        out += [AppFolder("Jan", data / "models"), AppFolder("Jan", data / "llamacpp" / "models")]
    out.append(AppFolder("Hugging Face cache", hf_hub))
    return out


def is_gguf(path: Path) -> bool:
    """True when the file starts with the GGUF signature (special files are never opened)."""
    try:
        if not path.is_file():  # follows links; a FIFO or socket is not a file
            return False
        with open(path, "rb") as fh:
            return fh.read(4) == GGUF_MAGIC
    except OSError:
        return False


def _ollama_models(root: Path) -> Iterator[FoundModel]:
    manifests = root / "manifests"
    if not manifests.is_dir():
        return
    for dirpath, _dirs, files in os.walk(manifests):
        for tag in files:
            manifest = Path(dirpath) / tag
            try:
                layers = json.loads(manifest.read_text(encoding="utf-8")).get("layers", [])
            except (OSError, ValueError, AttributeError):
                continue
            model = Path(dirpath).name
            namespace = Path(dirpath).parent.name
            name = f"{model}:{tag}" if namespace == "library" else f"{namespace}/{model}:{tag}"
            for layer in layers if isinstance(layers, list) else []:
                if not isinstance(layer, dict) or layer.get("mediaType") != OLLAMA_MODEL_MEDIA:
                    continue
                digest = str(layer.get("digest", ""))
                blob = root / "blobs" / digest.replace(":", "-")
                if digest.startswith("sha256:") and is_gguf(blob):
                    yield FoundModel(blob, "Ollama", name)


def _hf_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).parts
    repo = parts[0].removeprefix("models--").replace("--", "/") if parts else ""
    return f"{repo}/{path.name}" if repo else path.name


def _gguf_files(folder: AppFolder) -> Iterator[FoundModel]:
    if folder.app == "Ollama":
        yield from _ollama_models(folder.path)
        return
    for dirpath, dirs, files in os.walk(folder.path):
        dirs[:] = [d for d in dirs if d != "blobs"]  # the HF cache's blobs are reached through snapshots
        for name in sorted(files):
            if not name.lower().endswith(".gguf") or _LATER_SPLIT.search(name):
                continue
            path = Path(dirpath) / name
            if not is_gguf(path):
                continue
            shown = _hf_name(path, folder.path) if folder.app == "Hugging Face cache" else name
            yield FoundModel(path, folder.app, shown)


def scan_models(
    home: Optional[Path] = None,
    system: Optional[str] = None,
    env: Optional[Mapping[str, str]] = None,
    limit: int = 500,
) -> list[FoundModel]:
    """GGUF models the local-LLM apps keep on this machine (or under ``home`` as ``system`` lays it out)."""
    import platform

    folders = app_folders(
        Path(home) if home is not None else Path.home(),
        system or platform.system(),
        os.environ if env is None else env,
    )
    found: list[FoundModel] = []
    seen: set[Path] = set()
    for folder in folders:
        if not folder.path.is_dir():
            continue
        for model in _gguf_files(folder):
            real = model.path.resolve()
            if real in seen:
                continue
            seen.add(real)
            found.append(model)
            if len(found) >= limit:
                return found
    return found
