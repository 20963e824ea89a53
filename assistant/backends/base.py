"""The two small interfaces every model backend implements: Generator and Embedder."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..errors import ModelError
from ..jobs import CancelToken, ProgressFn

# The chat format for a GGUF without a chat template (a base model): the system text, then each request and
# each mail under a heading, a mail ending with the end-of-text token, and the prompt ending where the next
# mail begins. Training renders its prompts through the same generator, so an adapter learns this format.
PLAIN_TEMPLATE = (
    "{% for m in messages %}"
    "{% if m['role'] == 'system' %}{{ m['content'] }}\n\n"
    "{% elif m['role'] == 'user' %}### Request\n{{ m['content'] }}\n\n"
    "{% else %}### Mail\n{{ m['content'] }}{{ eos_token }}\n\n{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}### Mail\n{% endif %}"
)


@dataclass
class Guide:
    """Soft constraints on decoding, built from the request's facts (see assistant.guidance).

    ``require``: one tuple of surface forms per fact the text must state; while a fact is missing its first
    tokens
    get ``strength`` added to their logits (after ``delay_tokens``, ramping up over ``ramp_tokens``), and a
    fact
    once begun is completed. ``lead`` facts get the push from the first token.
    ``avoid``: words never to produce (weekdays and months nobody mentioned). ``avoid_digits``: no digits at
    all
    (nothing in the request has a number, so any number would be invented). ``numbers``: the digit strings
    that
    may be written (those of the request and the mail answered); a digit run that is not the start of one of
    them
    is never begun or extended ('4 pm' when '3 pm' was asked, '2013' when only '2' and '15' were mentioned).
    ``name_penalty``: a capitalised word in mid-sentence is a name; one nobody mentioned (not in
    ``known_words``)
    is made less likely ('Barcelona' when Berlin or Munich was asked).
    """

    require: list[tuple[str, ...]] = field(default_factory=list)
    lead: list[tuple[str, ...]] = field(
        default_factory=list
    )  # said first (yes/no): pushed from the first token
    avoid: list[str] = field(default_factory=list)
    avoid_digits: bool = False
    numbers: list[str] = field(default_factory=list)
    known_words: list[str] = field(default_factory=list)  # lower-case words a capitalised word may be
    name_penalty: float = 0.0  # taken off a capitalised word mid-sentence that is none of ``known_words``
    strength: float = 0.0
    delay_tokens: int = 6
    ramp_tokens: int = 16


@dataclass
class GenParams:
    """Sampling settings for one generation."""

    max_tokens: int = 256
    min_tokens: int = 0  # end-of-text is suppressed before this many tokens (length control)
    words_first: int = 0  # no blank token among the first this many: the body begins with words
    temperature: float = 0.7
    top_p: float = 0.9
    top_k: int = 40
    repeat_penalty: float = 1.1
    seed: int = 0
    stop: list[str] = field(default_factory=list)
    guide: Optional[Guide] = None
    static_prefix_chars: int = 0  # the prompt's head shared by every draft of a profile: its state is kept


@dataclass
class GenStats:
    """Timings of the last generation."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    ttft_s: float = 0.0
    total_s: float = 0.0
    mean_logprob: float = 0.0  # of the sampled tokens under the unguided model: how natural the text is
    reused_tokens: int = 0  # prompt tokens whose state was already computed (kept prefix or live cache)

    @property
    def tokens_per_s(self) -> float:
        """Decode speed after the first token."""
        decode = self.total_s - self.ttft_s
        return (self.completion_tokens - 1) / decode if decode > 0 and self.completion_tokens > 1 else 0.0


class Generator(ABC):
    """A text generator over chat messages."""

    name: str = ""
    model_path: str = ""
    last_stats: GenStats

    @abstractmethod
    def format_chat(self, messages: Sequence[dict]) -> str:
        """The prompt text for ``messages`` in the model's own chat template (generation prompt added)."""

    @abstractmethod
    def count_tokens(self, text: str) -> int:
        """Number of tokens ``text`` takes."""

    @abstractmethod
    def stream(self, prompt: str, params: GenParams, cancel: Optional[CancelToken] = None) -> Iterator[str]:
        """Yield the completion of ``prompt`` piece by piece; fills ``last_stats``."""

    def reset(self) -> None:
        """Forget any cached prompt state (the next generation starts fresh: reproducible per seed)."""

    def warm(self, prefix: str) -> None:
        """Prepare for prompts starting with ``prefix`` (its state computed and kept if the backend can)."""

    @property
    def context_length(self) -> int:
        """Tokens the context holds."""
        return 2048

    @property
    def adapter_name(self) -> str:
        """Name of the active adapter, '' when none."""
        return ""

    def set_adapter(self, path: Optional[str], scale: float = 1.0) -> None:
        """Apply the LoRA adapter at ``path`` with ``scale`` (None: none); prompt state is reset."""
        if path is not None:
            raise ModelError(f"the {self.name or 'current'} generator cannot apply LoRA adapters")

    def unload_adapter(self, path: str) -> None:
        """Forget a loaded adapter (taking it off first if it is applied)."""

    @property
    def loaded_adapters(self) -> list[str]:
        """Paths of the adapters loaded on this model."""
        return []


class Embedder(ABC):
    """A sentence embedder returning L2-normalised float32 vectors."""

    name: str = ""

    @abstractmethod
    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 32,
        progress: Optional[ProgressFn] = None,
        cancel: Optional[CancelToken] = None,
    ) -> np.ndarray:
        """Vectors [len(texts), dim], normalised."""
