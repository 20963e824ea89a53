"""sentence-transformers embedder (default: the packaged all-MiniLM-L6-v2), offline by default.

A search embeds one short query, where sentence-transformers' own encode spends a quarter of its ~13 ms
around the model (sorting, feature dicts, per-batch conversions). For a few texts on a plain mean-pooling
model the tokenizer and the transformer are called directly; the first such call is checked against the
library's own encode and the direct path is dropped for good if they differ.

Faster still, for a BERT model with a cache folder: llama.cpp runs an F16 GGUF copy of the same weights
(``bert_gguf``; 3.6-3.8 ms against torch's 10.5-11 ms for one query here, idle). Its first vectors are
checked against the library's (cosine >= ``ENGINE_AGREEMENT``, else it is dropped for good), and every text
is tokenized both ways: a text llama.cpp's WordPiece splits differently (a 300-letter "word" is one [UNK] to
the library), or one longer than the model's window, takes the torch path, so each vector is the library's.
"""

from __future__ import annotations

import atexit
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
FEW = 8  # up to this many texts take the direct path
AGREEMENT = 1e-4  # largest difference from the library's own vectors for the direct path to be kept
ENGINE_AGREEMENT = 0.9999  # least cosine of the llama.cpp copy's vectors to the library's (F16 gave 0.999999)
# (model folder, cache folder) -> llama_cpp.Llama over the GGUF copy in that cache, or None where it failed
_ENGINES: dict[tuple[str, str], Any] = {}
_ENGINE_LOCK = threading.Lock()  # a llama.cpp context serves one call at a time, whichever embedder asks


class SentenceTransformerEmbedder(Embedder):
    """Embedder over a local sentence-transformers model folder."""

    def __init__(self, model_path: str, name: Optional[str] = None, cache_dir: Optional[Path] = None) -> None:
        self.model_path = str(model_path)
        self.cache_dir = cache_dir
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
        self._direct: Optional[bool] = None if _mean_pooled(self.model) else False  # None: not yet checked
        self._engine_ok: Optional[bool] = None if self._direct is None and cache_dir else False

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 32,
        progress: Optional[ProgressFn] = None,
        cancel: Optional[CancelToken] = None,
    ) -> np.ndarray:
        """Normalised vectors, computed in batches (cancellable between batches)."""
        texts = list(texts)
        if texts and len(texts) <= FEW and self._engine_ok is not False:
            vecs = self._encode_engine(texts)
            if vecs is not None:
                return vecs
        if texts and len(texts) <= FEW and self._direct is not False:
            vecs = self._encode_direct(texts)
            if self._direct is None:
                self._direct = bool(np.abs(vecs - self._encode_batches(texts, batch_size)).max() <= AGREEMENT)
            if self._direct:
                return vecs
        return self._encode_batches(texts, batch_size, progress, cancel)

    def _engine(self):
        """The llama.cpp model over the GGUF copy of this folder (None where it cannot be made)."""
        from .bert_gguf import cached_bert_gguf, is_bert_folder

        key = (self.model_path, str(self.cache_dir))
        with _LOCK:
            if key not in _ENGINES:
                folder = Path(self.model_path)
                engine = None
                if self.cache_dir is not None and is_bert_folder(folder):
                    try:
                        import llama_cpp

                        from .llama_cpp_backend import _threads

                        gguf_path = cached_bert_gguf(folder, Path(self.cache_dir))
                        engine = llama_cpp.Llama(
                            model_path=str(gguf_path),
                            embedding=True,
                            n_ctx=self.model[0].max_seq_length,
                            n_threads=_threads(),
                            verbose=False,
                        )
                    except (OSError, ValueError, KeyError, RuntimeError):
                        engine = None  # the torch path embeds as before
                if engine is not None and not any(_ENGINES.values()):
                    atexit.register(_close_engines)  # before the interpreter takes llama_cpp's module away
                _ENGINES[key] = engine
            return _ENGINES[key]

    def _encode_engine(self, texts: list[str]) -> Optional[np.ndarray]:
        """Vectors from the llama.cpp copy, or None where a text must take the torch path."""
        engine = self._engine()
        if engine is None:
            self._engine_ok = False
            return None
        window = self.model[0].max_seq_length
        with _ENGINE_LOCK:
            for text in texts:
                ids = engine.tokenize(text.encode("utf-8"), add_bos=True, special=False)
                if len(ids) > window or ids != self.model.tokenizer(text)["input_ids"]:
                    return None
            vecs = np.asarray([engine.embed(text, normalize=True) for text in texts], dtype=np.float32)
        if self._engine_ok is None:
            library = self._encode_batches(texts, len(texts))
            self._engine_ok = bool(np.min(np.sum(vecs * library, axis=1)) >= ENGINE_AGREEMENT)
            if not self._engine_ok:
                return None
        return vecs

    def _encode_direct(self, texts: list[str]) -> np.ndarray:
        """Tokenizer + transformer + mean pooling + normalisation, without the library's encode loop."""
        import torch

        first = self.model[0]
        with torch.inference_mode():
            batch = self.model.tokenizer(
                texts, padding=True, truncation=True, max_length=first.max_seq_length, return_tensors="pt"
            )
            hidden = first.auto_model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1).numpy().astype(np.float32)

    def _encode_batches(
        self,
        texts: list[str],
        batch_size: int,
        progress: Optional[ProgressFn] = None,
        cancel: Optional[CancelToken] = None,
    ) -> np.ndarray:
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


def _close_engines() -> None:
    """Free the llama.cpp copies (at interpreter exit)."""
    with _LOCK:
        for engine in _ENGINES.values():
            if engine is not None:
                engine.close()
        _ENGINES.clear()


def _mean_pooled(model) -> bool:
    """True for a transformer + mean pooling (+ normalisation) model, the layout the direct path computes."""
    try:
        modules = list(model)
        pooling = modules[1].get_config_dict()
        first = modules[0]
        first.auto_model, first.max_seq_length, model.tokenizer  # noqa: B018 - present on this layout
    except (AttributeError, IndexError, TypeError):
        return False
    kinds = [type(m).__name__ for m in modules]
    return (
        kinds[:2] == ["Transformer", "Pooling"]
        and pooling.get("pooling_mode") == "mean"
        and (kinds[2:] in ([], ["Normalize"]))
    )
