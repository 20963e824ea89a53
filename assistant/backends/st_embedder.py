"""sentence-transformers embedder (default: the packaged all-MiniLM-L6-v2), offline by default."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

import numpy as np

from ..errors import ModelError
from ..jobs import CancelToken, ProgressFn, report
from .base import Embedder

_CACHE: dict[str, Any] = {}
_LOCK = threading.Lock()


class SentenceTransformerEmbedder(Embedder):
    """Embedder over a local sentence-transformers model folder."""

    def __init__(self, model_path: str, name: Optional[str] = None) -> None:
        self.model_path = str(model_path)
        self.name = name or Path(model_path).name
        with _LOCK:
            if self.model_path not in _CACHE:
                # never reach for a hub at run time unless the user set things up to do so
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                import logging

                # bitsandbytes (pulled in by transformers) warns about an optional hub kernel it cannot fetch
                logging.getLogger("bitsandbytes").setLevel(logging.ERROR)
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()

                try:
                    _CACHE[self.model_path] = SentenceTransformer(self.model_path, device="cpu")
                except Exception as exc:
                    raise ModelError(f"{model_path}: cannot load the embedding model ({exc})") from exc
        self.model = _CACHE[self.model_path]

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 32,
        progress: Optional[ProgressFn] = None,
        cancel: Optional[CancelToken] = None,
    ) -> np.ndarray:
        """Normalised vectors, computed in batches (cancellable between batches)."""
        texts = list(texts)
        out = []
        for start in range(0, len(texts), batch_size):
            if cancel is not None:
                cancel.check()
            batch = texts[start : start + batch_size]
            out.append(
                np.asarray(
                    self.model.encode(
                        batch,
                        batch_size=batch_size,
                        normalize_embeddings=True,
                        convert_to_numpy=True,
                        show_progress_bar=False,
                    ),
                    dtype=np.float32,
                )
            )
            report(progress, "embedding", min(start + batch_size, len(texts)), len(texts))
        if not out:
            return np.zeros((0, self.model.get_sentence_embedding_dimension() or 0), dtype=np.float32)
        return np.vstack(out)
