"""Model backends behind two small interfaces, with a registry so more can be added.

``get_generator("llama-cpp", path)`` / ``get_embedder("sentence-transformers", path)``;
``get_generator("openai-compatible", path, base_url=...)`` drafts on a remote engine (llama-server, vLLM).
"""

from __future__ import annotations

from collections.abc import Callable

from .base import Embedder, Generator, GenParams, GenStats

GENERATORS: dict[str, Callable[..., Generator]] = {}
EMBEDDERS: dict[str, Callable[..., Embedder]] = {}


def register_generator(name: str, factory: Callable[..., Generator]) -> None:
    """Make a generator backend available under ``name``."""
    GENERATORS[name] = factory


def register_embedder(name: str, factory: Callable[..., Embedder]) -> None:
    """Make an embedder backend available under ``name``."""
    EMBEDDERS[name] = factory


def _llama(model_path: str, **kw) -> Generator:
    from .llama_cpp_backend import LlamaCppGenerator

    return LlamaCppGenerator(model_path, **kw)


def _st(model_path: str, **kw) -> Embedder:
    from .st_embedder import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(model_path, **kw)


def _remote(model_path: str, **kw) -> Generator:
    from .openai_remote import OpenAICompatibleGenerator

    return OpenAICompatibleGenerator(model_path, **kw)


register_generator("llama-cpp", _llama)
register_generator("openai-compatible", _remote)
register_embedder("sentence-transformers", _st)


def get_generator(backend: str, model_path: str, **kw) -> Generator:
    """Instantiate a registered generator backend."""
    if backend not in GENERATORS:
        raise KeyError(f"unknown generator backend {backend!r}; known: {sorted(GENERATORS)}")
    return GENERATORS[backend](model_path, **kw)


def get_embedder(backend: str, model_path: str, **kw) -> Embedder:
    """Instantiate a registered embedder backend."""
    if backend not in EMBEDDERS:
        raise KeyError(f"unknown embedder backend {backend!r}; known: {sorted(EMBEDDERS)}")
    return EMBEDDERS[backend](model_path, **kw)


__all__ = [
    "Embedder",
    "GenParams",
    "GenStats",
    "Generator",
    "get_embedder",
    "get_generator",
    "register_embedder",
    "register_generator",
]
