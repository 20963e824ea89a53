"""Finding the GGUFs that LM Studio, Ollama, GPT4All, Jan and the HF cache keep, on each OS's layout (fake
folder trees holding real small GGUF files)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ownvoice.assistant.model_scan import scan_models
from tests.gguf_files import write_gguf


def _ollama(root: Path, model: str, tag: str, namespace: str = "library") -> Path:
    blob_sha = f"{abs(hash((model, tag))):064x}"[:64]
    blob = write_gguf(root / "blobs" / f"sha256-{blob_sha}", name=model)
    licence_sha = "ab" * 32
    (root / "blobs" / f"sha256-{licence_sha}").write_text("licence text")
    manifest = root / "manifests" / "registry.ollama.ai" / namespace / model / tag
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text(
        json.dumps(
            {
                "layers": [
                    {"mediaType": "application/vnd.ollama.image.license", "digest": f"sha256:{licence_sha}"},
                    {"mediaType": "application/vnd.ollama.image.model", "digest": f"sha256:{blob_sha}"},
                ]
            }
        )
    )
    return blob


def _hf(hub: Path, repo: str, file: str) -> Path:
    folder = hub / f"models--{repo.replace('/', '--')}"
    blob = write_gguf(folder / "blobs" / "0123abcd", name=repo)
    snap = folder / "snapshots" / "rev1" / file
    snap.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(os.path.relpath(blob, snap.parent), snap)
    return snap


def _lay_out(home: Path, system: str) -> dict[str, Path]:
    """One model per app where ``system`` keeps it, plus files that must not be listed."""
    if system == "Windows":
        gpt4all = home / "AppData" / "Local" / "nomic.ai" / "GPT4All"
        jan = home / "AppData" / "Roaming" / "Jan" / "data" / "llamacpp" / "models" / "qwen"
    elif system == "Darwin":
        gpt4all = home / "Library" / "Application Support" / "nomic.ai" / "GPT4All"
        jan = home / "Library" / "Application Support" / "Jan" / "data" / "models" / "qwen"
    else:
        gpt4all = home / ".local" / "share" / "nomic.ai" / "GPT4All"
        jan = home / ".config" / "Jan" / "data" / "llamacpp" / "models" / "qwen"
    lms = home / ".lmstudio" / "models" / "bartowski" / "Llama-3.2-1B-Instruct-GGUF"
    paths = {
        "lmstudio": write_gguf(lms / "Llama-3.2-1B-Instruct-Q4_K_M.gguf", name="llama"),
        "gpt4all": write_gguf(gpt4all / "Phi-3-mini-4k-instruct.Q4_0.gguf", arch="phi3", name="phi"),
        "jan": write_gguf(jan / "model.gguf", arch="qwen2", name="qwen"),
        "ollama": _ollama(home / ".ollama" / "models", "llama3.2", "1b"),
        "hf": _hf(home / ".cache" / "huggingface" / "hub", "Qwen/Qwen2.5-0.5B-Instruct-GGUF", "q4.gguf"),
        # a split model lists its first part only
        "split": write_gguf(lms / "big-00001-of-00002.gguf", name="big"),
    }
    write_gguf(lms / "big-00002-of-00002.gguf", name="big2")
    (lms / "notes.gguf").write_text("not a model, despite the name")  # no GGUF signature
    (lms / "README.md").write_text("hello")
    return paths


@pytest.mark.parametrize("system", ["Linux", "Darwin", "Windows"])
def test_scan_finds_each_apps_models_on_each_os(tmp_path, system):
    home = tmp_path / "home"
    paths = _lay_out(home, system)
    env = {}  # defaults: every app's folder derived from the home
    found = scan_models(home, system, env)
    by_app = {(f.app, f.name): f.path for f in found}
    assert by_app[("LM Studio", "Llama-3.2-1B-Instruct-Q4_K_M.gguf")] == paths["lmstudio"]
    assert by_app[("LM Studio", "big-00001-of-00002.gguf")] == paths["split"]
    assert by_app[("GPT4All", "Phi-3-mini-4k-instruct.Q4_0.gguf")] == paths["gpt4all"]
    assert by_app[("Jan", "model.gguf")] == paths["jan"]
    assert by_app[("Ollama", "llama3.2:1b")] == paths["ollama"]
    assert by_app[("Hugging Face cache", "Qwen/Qwen2.5-0.5B-Instruct-GGUF/q4.gguf")] == paths["hf"]
    # nothing else: not the second split part, not the fake .gguf, not the licence blob, not the HF blob twice
    assert len(found) == 6, found


def test_scan_follows_the_apps_environment_variables(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    ollama = tmp_path / "elsewhere" / "ollama"
    blob = _ollama(ollama, "mistral", "7b-instruct", namespace="someone")
    hub = tmp_path / "hfcache"
    snap = _hf(hub, "org/model", "m.gguf")
    found = scan_models(home, "Linux", {"OLLAMA_MODELS": str(ollama), "HF_HUB_CACHE": str(hub)})
    assert {(f.app, f.name, f.path) for f in found} == {
        ("Ollama", "someone/mistral:7b-instruct", blob),
        ("Hugging Face cache", "org/model/m.gguf", snap),
    }


def test_scan_survives_broken_trees(tmp_path):
    home = tmp_path / "home"
    root = home / ".ollama" / "models"
    (root / "manifests" / "registry.ollama.ai" / "library" / "x").mkdir(parents=True)
    (root / "manifests" / "registry.ollama.ai" / "library" / "x" / "latest").write_text("{not json")
    lms = home / ".lmstudio" / "models"
    lms.mkdir(parents=True)
    os.mkfifo(lms / "pipe.gguf")  # never opened
    os.symlink(lms / "missing.gguf", lms / "dangling.gguf")
    assert scan_models(home, "Linux", {}) == []
