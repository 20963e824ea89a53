"""A scripted generator and a hashing embedder, registered as the "fake" backends for fast unit tests.

They stand in for llama.cpp and MiniLM behind the same registry the app uses, so prompts, compose,
post-processing and the CLI are tested in milliseconds; the real models are covered by the tests marked
``slow``. The generator replays the replies a test scripts (in order, the last one repeated), streaming them
word by word with the engine's rules: stop strings end the text, ``max_tokens`` caps it, cancel stops it.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ownvoice.assistant.backends import register_embedder, register_generator
from ownvoice.assistant.backends.base import Embedder, Generator, GenParams, GenStats
from ownvoice.assistant.jobs import CancelToken, ProgressFn, report

FAKE = "fake"


@dataclass
class Script:
    """What the fake generator says, and what it was asked (shared by every fake generator made)."""

    replies: list[str] = field(default_factory=lambda: ["Thanks, that works for me.\n\nBest,\n"])
    prompts: list[str] = field(default_factory=list)
    params: list[GenParams] = field(default_factory=list)
    adapters: list[Optional[str]] = field(default_factory=list)

    def next_reply(self) -> str:
        """The next scripted reply (the last one once the script is used up)."""
        n = len(self.prompts) - 1
        return self.replies[min(n, len(self.replies) - 1)]


SCRIPT = Script()


def _tokens(text: str) -> list[str]:
    return re.findall(r"\S+\s*|\s+", text)


class FakeGenerator(Generator):
    """Replays ``SCRIPT.replies``; a token is a word with the space after it."""

    name = FAKE

    def __init__(self, model_path: str, **_: object) -> None:
        self.model_path = model_path
        self.last_stats = GenStats()
        self._adapter: Optional[str] = None

    def format_chat(self, messages: Sequence[dict]) -> str:
        """Role-tagged turns and an open assistant turn."""
        turns = "".join(f"<|{m['role']}|>\n{m['content']}\n" for m in messages)
        return turns + "<|assistant|>\n"

    def count_tokens(self, text: str) -> int:
        """Words and whitespace runs, as the fake streams them."""
        return len(_tokens(text))

    def stream(self, prompt: str, params: GenParams, cancel: Optional[CancelToken] = None) -> Iterator[str]:
        """Yield the next scripted reply word by word, cut at a stop string or ``max_tokens``."""
        SCRIPT.prompts.append(prompt)
        SCRIPT.params.append(params)
        SCRIPT.adapters.append(self._adapter)
        text = SCRIPT.next_reply()
        cut = min((text.find(s) for s in params.stop if s and s in text), default=len(text))
        pieces = _tokens(text[:cut])[: params.max_tokens]
        self.last_stats = GenStats(
            prompt_tokens=self.count_tokens(prompt),
            completion_tokens=len(pieces),
            ttft_s=0.001,
            total_s=0.002,
            mean_logprob=-1.0,
        )
        for piece in pieces:
            if cancel is not None and cancel.cancelled:
                return
            yield piece

    @property
    def adapter_name(self) -> str:
        """The applied adapter's path ('' when none)."""
        return self._adapter or ""

    def set_adapter(self, path: Optional[str], scale: float = 1.0) -> None:
        """Remember the adapter (the fake's text does not depend on it)."""
        self._adapter = path


class HashingEmbedder(Embedder):
    """Bag of hashed words in 256 dimensions: texts sharing words are near, deterministic, no model."""

    name = FAKE
    dim = 256

    def __init__(self, model_path: str = "", **_: object) -> None:
        self.model_path = model_path

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 32,
        progress: Optional[ProgressFn] = None,
        cancel: Optional[CancelToken] = None,
    ) -> np.ndarray:
        """One normalised vector per text."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i, zlib.crc32(word.encode()) % self.dim] += 1.0
        report(progress, "embedding", len(texts), len(texts))
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)


def register() -> None:
    """Make the fakes available as backend "fake"."""
    register_generator(FAKE, FakeGenerator)
    register_embedder(FAKE, HashingEmbedder)
