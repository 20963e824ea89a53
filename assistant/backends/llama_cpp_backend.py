"""llama.cpp generation (llama-cpp-python): the model's own chat template, streaming, LoRA hot-swap.

Loaded models are cached per (path, n_ctx) for the process, so switching profile or adapter never
reloads the base. Adapters are applied unmerged through llama.cpp's adapter API; several can be
loaded on one model and switched in microseconds.

Prompt reuse: a draft's prompt opens with a part that is the same for every draft of a profile (system text
and style anchors, ``GenParams.static_prefix_chars``). Its KV state is computed once per (model, adapter)
and kept (``PrefixStates``: the sequence's KV cells only, not llama-cpp-python's full-vocabulary score
rows), so a draft after any other prompt processes only its own exemplars and request. Such a prompt
always starts from that exact state, never from whatever the live cache shares with it: the rest is decoded
in one batch every time, so the same prompt and seed give the same draft (a token decoded alone or in
another batch split can come out a rounding apart and change what is sampled). A prompt streamed without a
head keeps llama-cpp-python's own reuse of the live cache.
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Optional, Self

from ..errors import ModelError
from ..jobs import CancelToken
from .base import PLAIN_TEMPLATE, Generator, GenParams, GenStats, Guide

_CACHE: dict[tuple[str, int], object] = {}
_CACHE_LOCK = threading.Lock()
DEFAULT_N_CTX = 4096


def _threads() -> int:
    return max(1, min(8, os.cpu_count() or 2))


def load_llama(path: str, n_ctx: int = DEFAULT_N_CTX):
    """Return a cached ``llama_cpp.Llama`` for ``path`` (ModelError when unusable)."""
    from ..models import check_gguf

    check_gguf(Path(path))
    key = (str(Path(path).resolve()), n_ctx)
    with _CACHE_LOCK:
        if key not in _CACHE:
            import llama_cpp

            try:
                _CACHE[key] = llama_cpp.Llama(
                    model_path=key[0],
                    n_ctx=n_ctx,
                    n_threads=_threads(),
                    n_batch=512,
                    verbose=False,
                )
            except (ValueError, RuntimeError) as exc:
                raise ModelError(f"{path}: llama.cpp could not load this model ({exc})") from exc
        return _CACHE[key]


LIVE_PROMPT = "_ownvoice_live_prompt"  # (adapter key, tokens) of the prompt the cache was prepared for


class LlamaCppGenerator(Generator):
    """Generator over a GGUF file through llama-cpp-python."""

    name = "llama-cpp"

    def __init__(self, model_path: str, n_ctx: int = DEFAULT_N_CTX) -> None:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        self.model_path = str(model_path)
        self.llm = load_llama(self.model_path, n_ctx)
        meta = self.llm.metadata
        # a base model (no chat template, e.g. Gemma 3 270M) is prompted as a plain document of requests and
        # mails; its adapter learns the same format, since training prompts come from this formatter too
        template = meta.get("tokenizer.chat_template") or PLAIN_TEMPLATE
        eos = self.llm._model.token_get_text(self.llm.token_eos()) if self.llm.token_eos() >= 0 else ""
        bos = self.llm._model.token_get_text(self.llm.token_bos()) if self.llm.token_bos() >= 0 else ""
        self._formatter = Jinja2ChatFormatter(
            template=template, eos_token=eos, bos_token=bos, add_generation_prompt=True
        )
        self._eos_text = eos
        self.last_stats = GenStats()
        self._lock = threading.Lock()
        self.adapters = AdapterSlot.of(self.llm)  # one per llama context: every wrapper sees what is applied
        self.prefixes = PrefixStates.of(self.llm)

    @property
    def context_length(self) -> int:
        """Tokens the context holds."""
        return self.llm.n_ctx()

    @property
    def adapter_name(self) -> str:
        """Name of the active adapter, '' when none."""
        return self.adapters.active_name

    def set_adapter(self, path: Optional[str], scale: float = 1.0) -> None:
        """Apply an adapter GGUF unmerged through llama.cpp (None: none); the KV cache is reset."""
        with self._lock:
            self.adapters.activate(path, scale)

    def unload_adapter(self, path: str) -> None:
        """Free a loaded adapter (taken off first if applied)."""
        with self._lock:
            self.adapters.unload(path)

    @property
    def loaded_adapters(self) -> list[str]:
        """Paths of the adapters loaded on this model."""
        return self.adapters.loaded

    def reset(self) -> None:
        """Forget the KV cache (the next generation starts fresh: reproducible per seed)."""
        with self._lock:
            self.llm.reset()

    def format_chat(self, messages: Sequence[dict]) -> str:
        """The prompt text in the GGUF's own chat template."""
        turns: Any = list(messages)  # llama_cpp types the turns as TypedDicts; ours are plain dicts
        return self._formatter(messages=turns).prompt

    def count_tokens(self, text: str) -> int:
        """Number of tokens ``text`` takes (special tokens parsed)."""
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def prompt_tokens(self, prompt: str) -> list[int]:
        """The tokens llama-cpp-python decodes for ``prompt`` (BOS as the model wants, specials parsed)."""
        return list(self.llm.tokenize(prompt.encode("utf-8"), special=True))

    def warm(self, prefix: str) -> None:
        """Compute and keep the KV state of a prompt head that drafts will start with (worker thread)."""
        with self._lock:
            tokens = self.prompt_tokens(prefix)
            self.prefixes.restore(tokens, len(tokens), self.adapters.key)

    def stream(self, prompt: str, params: GenParams, cancel: Optional[CancelToken] = None) -> Iterator[str]:
        """Yield completion pieces; stops at the params' stop strings, EOS or cancel."""
        stats = GenStats(prompt_tokens=self.count_tokens(prompt))
        stop = list(dict.fromkeys([*params.stop, *([self._eos_text] if self._eos_text else [])]))
        with self._lock:
            start = time.perf_counter()
            import llama_cpp

            if params.static_prefix_chars:
                stats.reused_tokens = self._prepare_prompt(prompt, params.static_prefix_chars)
            else:  # llama-cpp-python's own prefix matching fills the cache: not prepared the one way
                setattr(self.llm, LIVE_PROMPT, None)

            recorder = _LogprobRecorder(stats.prompt_tokens)
            guards: list = [
                recorder,
                _TurnGuard(
                    stats.prompt_tokens,
                    params.min_tokens,
                    self._end_ids(),
                    self._start_ids(),
                    self.blank_token_ids if params.words_first else [],
                    params.words_first,
                ),
            ]
            if params.guide is not None:
                guards.append(_FactGuide(self, params.guide, stats.prompt_tokens))
            processors = llama_cpp.LogitsProcessorList(guards)
            pieces = self.llm.create_completion(
                prompt,
                max_tokens=params.max_tokens,
                logits_processor=processors,
                temperature=params.temperature,
                top_p=params.top_p,
                top_k=params.top_k,
                repeat_penalty=params.repeat_penalty,
                seed=params.seed,
                stop=stop,
                stream=True,
            )
            try:
                for chunk in pieces:
                    if cancel is not None and cancel.cancelled:
                        break
                    text = chunk["choices"][0]["text"]
                    stats.completion_tokens += 1
                    if stats.completion_tokens == 1:
                        stats.ttft_s = time.perf_counter() - start
                    if text:
                        yield text
            finally:
                pieces.close()
                stats.total_s = time.perf_counter() - start
                stats.mean_logprob = recorder.mean
                self.last_stats = stats

    def _prepare_prompt(self, prompt: str, static_chars: int) -> int:
        """Leave the KV cache holding all of ``prompt`` but its last token, computed one way whatever ran
        before: the kept head's state, then the rest in one batch. A candidate drafted again from the same
        prompt (the check's retries) finds those cells still in the cache and decodes nothing again; the
        last token is always decoded alone by the completion, so either way the logits are the same.
        Returns how many prompt tokens needed no decoding."""
        tokens = self.prompt_tokens(prompt)
        llm = self.llm
        live = (self.adapters.key, tuple(tokens))
        if (
            getattr(llm, LIVE_PROMPT, None) == live
            and llm.n_tokens >= len(tokens)
            and list(llm.input_ids[: len(tokens) - 1]) == tokens[:-1]
        ):
            llm._ctx.kv_cache_seq_rm(-1, len(tokens) - 1, -1)
            llm.n_tokens = len(tokens) - 1
            llm._requires_eval = True
            return len(tokens) - 1
        head = self.prompt_tokens(prompt[:static_chars])
        static = common_prefix(head, tokens)
        reused = self.prefixes.restore(tokens, static, self.adapters.key)
        if len(tokens) - 1 > llm.n_tokens:
            llm.eval(tokens[llm.n_tokens : len(tokens) - 1])
        setattr(llm, LIVE_PROMPT, live)  # on the context: every wrapper of it sees the same cache
        return reused

    def token_ids(self, text: str) -> list[int]:
        """Tokens of ``text`` (no BOS, special tokens not parsed)."""
        return list(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def token_text(self, ids: Sequence[int]) -> str:
        """Text of a token sequence."""
        return self.llm.detokenize(list(ids)).decode("utf-8", errors="ignore")

    @property
    def digit_token_ids(self) -> list[int]:
        """Ids of the tokens that are digits (optionally after a space), computed once per model."""
        return list(self.digit_tokens)

    def _per_model(self, key: str, build):
        """A value computed once per loaded model (kept on the shared llama object)."""
        attr = f"_ownvoice_{key}"
        if getattr(self.llm, attr, None) is None:
            setattr(self.llm, attr, build())
        return getattr(self.llm, attr)

    def _vocab_texts(self) -> list[str]:
        """Every token's text with the tokenizer's space marker as a plain space."""

        def read() -> list[str]:
            out = []
            for i in range(self.llm.n_vocab()):
                try:
                    t = self.llm._model.token_get_text(i)
                except Exception:  # noqa: BLE001 - odd vocab entries
                    t = ""
                out.append(t.replace("\u0120", " ").replace("Ġ", " ").replace("▁", " "))
            return out

        return self._per_model("vocab_texts", read)

    @property
    def digit_tokens(self) -> dict[int, str]:
        """Digit tokens and their text (a leading space kept)."""
        return self._per_model(
            "digit_tokens", lambda: {i: t for i, t in enumerate(self._vocab_texts()) if t.strip().isdigit()}
        )

    @property
    def blank_token_ids(self) -> list[int]:
        """Tokens that are only white space ('\\n', '\\n\\n', '   '), computed once per model."""

        def build() -> list[int]:
            out = []
            for i, t in enumerate(self._vocab_texts()):
                plain = t.replace("\u010a", "\n").replace("\u0109", "\t").replace("<0x0A>", "\n")
                if plain and not plain.strip():
                    out.append(i)
            return out

        return self._per_model("blank_tokens", build)

    @property
    def capitalised_tokens(self) -> dict[int, str]:
        """Tokens that begin a capitalised word after a space (' Paris', ' Bar'), lower-cased."""
        return self._per_model(
            "cap_tokens",
            lambda: {
                i: t[1:].lower()
                for i, t in enumerate(self._vocab_texts())
                if len(t) >= 3 and t[0] == " " and t[1].isupper() and t[1:].replace("'", "").isalpha()
            },
        )

    def _end_ids(self) -> list[int]:
        ids = {self.llm.token_eos()}
        for text in ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<end_of_turn>"):
            toks = self.llm.tokenize(text.encode(), add_bos=False, special=True)
            if len(toks) == 1:
                ids.add(toks[0])
        return [i for i in ids if i >= 0]

    def _start_ids(self) -> list[int]:
        ids = set()
        for text in ("<|im_start|>", "<|start_header_id|>", "<start_of_turn>"):
            toks = self.llm.tokenize(text.encode(), add_bos=False, special=True)
            if len(toks) == 1:
                ids.add(toks[0])
        return sorted(ids - set(self._end_ids()))


class _LogprobRecorder:
    """Logits processor that changes nothing: records each sampled token's log-probability under the raw
    model."""

    def __init__(self, n_prompt: int) -> None:
        self.n_prompt = n_prompt
        self._prev = None
        self.logprobs: list[float] = []

    def __call__(self, input_ids, scores):
        import numpy as np

        if self._prev is not None and len(input_ids) > self.n_prompt:
            self.logprobs.append(float(self._prev[int(input_ids[-1])]))
        top = float(np.max(scores))
        self._prev = scores - (top + float(np.log(np.sum(np.exp(scores - top)))))
        return scores

    @property
    def mean(self) -> float:
        """Mean log-probability of the tokens sampled so far."""
        return sum(self.logprobs) / len(self.logprobs) if self.logprobs else 0.0


class _TurnGuard:
    """Logits processor: never open a new chat turn; no end-of-text before ``min_tokens`` tokens; no blank
    token among the first ``words_first`` tokens (a body that starts with words, not with a sign-off)."""

    def __init__(
        self,
        n_prompt: int,
        min_tokens: int,
        end_ids: list[int],
        start_ids: list[int],
        blank_ids: Sequence[int] = (),
        words_first: int = 0,
    ) -> None:
        self.n_prompt, self.min_tokens, self.end_ids, self.start_ids = (
            n_prompt,
            min_tokens,
            end_ids,
            start_ids,
        )
        self.blank_ids, self.words_first = list(blank_ids), words_first

    def __call__(self, input_ids, scores):
        if self.start_ids:
            scores[self.start_ids] = -float("inf")
        made = len(input_ids) - self.n_prompt
        if made < self.min_tokens:
            scores[self.end_ids] = -float("inf")
        if made < self.words_first and self.blank_ids:
            scores[self.blank_ids] = -float("inf")
        return scores


_COMMON_CAPITALISED = {
    "i",
    "i'm",
    "i'll",
    "i've",
    "i'd",
    "ok",
    "okay",
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "email",
    "thanks",
    "best",
    "regards",
    "cheers",
    "dear",
    "hi",
    "hello",
    "hey",
    "yes",
    "no",
    "sure",
}


class _FactGuide:
    """Logits processor: steer towards the request's facts, away from invented days/months/numbers."""

    BEGUN_BOOST = 8.0
    OPENING_TOKENS = 2

    def __init__(self, gen: LlamaCppGenerator, guide: Guide, n_prompt: int) -> None:
        self.gen, self.guide, self.n_prompt = gen, guide, n_prompt
        self.facts: list[tuple[tuple[str, ...], list[list[int]], bool]] = []
        for variants, lead in [(v, False) for v in guide.require] + [(v, True) for v in guide.lead]:
            seqs = []
            for v in variants:
                for form in dict.fromkeys([v, v[:1].upper() + v[1:]]):
                    for text in (" " + form, form):
                        ids = gen.token_ids(text)
                        if ids and ids not in seqs:
                            seqs.append(ids)
            self.facts.append((tuple(v.lower() for v in variants), seqs, lead))
        avoid: set[int] = set()
        for word in guide.avoid:
            for text in (" " + word, word, " " + word + "s"):
                ids = gen.token_ids(text)
                if len(ids) == 1:
                    avoid.add(ids[0])
        if guide.avoid_digits:
            avoid.update(gen.digit_token_ids)
        self.avoid = sorted(avoid)
        self.digits = gen.digit_token_ids
        self.numbers = tuple(guide.numbers) if not guide.avoid_digits else ()
        self.digit_text = gen.digit_tokens
        self.unknown_names: list[int] = []
        if guide.name_penalty > 0:
            known = {w for w in guide.known_words if len(w) >= 2} | _COMMON_CAPITALISED
            prefixes = {k[:j] for k in known for j in range(2, len(k) + 1)}  # ' Ber' may begin 'Berlin'
            self.unknown_names = [i for i, w in gen.capitalised_tokens.items() if w not in prefixes]

    def _invented_digits(self, produced: list[int]) -> list[int]:
        """Digit tokens that would begin or extend a number nobody mentioned."""
        tail = self.gen.token_text(produced[-6:]) if produced else ""
        run = ""
        for ch in reversed(tail):
            if not ch.isdigit():
                break
            run = ch + run
        out = []
        for tok, text in self.digit_text.items():
            candidate = text.strip() if (text[:1] == " " or not run) else run + text
            if not any(n.startswith(candidate) for n in self.numbers):
                out.append(tok)
        return out

    def __call__(self, input_ids, scores):
        if self.avoid:
            scores[self.avoid] = -float("inf")
        if len(input_ids) - self.n_prompt < self.OPENING_TOKENS:
            scores[self.digits] = -float("inf")  # a mail does not open with a bare number ('3. We have...')
        elif self.numbers:
            scores[self._invented_digits(list(input_ids[self.n_prompt :]))] = -float("inf")
        if self.unknown_names and len(input_ids) > self.n_prompt:
            last = self.gen.token_text(list(input_ids[-1:]))
            if last and last.rstrip(" ")[-1:] not in (".", "!", "?", "\n", ":", "") and "\n" not in last:
                scores[self.unknown_names] -= self.guide.name_penalty  # mid-sentence: a name nobody gave
        if not self.facts or self.guide.strength <= 0:
            return scores
        produced = list(input_ids[self.n_prompt :])
        text = self.gen.token_text(produced).lower() if produced else ""
        ramp = min(1.0, max(0.0, (len(produced) - self.guide.delay_tokens) / max(1, self.guide.ramp_tokens)))
        for variants, seqs, lead in self.facts:
            if any(v in text for v in variants):
                continue
            push = self.guide.strength * (1.0 if lead else ramp)
            for first in {seq[0] for seq in seqs}:
                scores[first] += push
            for seq in seqs:
                for k in range(1, len(seq)):  # a fact once begun is finished
                    if len(produced) >= k and produced[-k:] == seq[:k]:
                        scores[seq[k]] += self.BEGUN_BOOST
        return scores


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading tokens two sequences share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class PerContext:
    """Something kept once per llama context, on it: the model cache shares a context among generators."""

    ATTRIBUTE = ""

    def __init__(self, llm) -> None:
        self.llm = llm

    @classmethod
    def of(cls, llm) -> Self:
        """The instance of this llama context (created once)."""
        found = getattr(llm, cls.ATTRIBUTE, None)
        if found is None:
            found = cls(llm)
            setattr(llm, cls.ATTRIBUTE, found)
        return found


class PrefixStates(PerContext):
    """Saved KV states of prompt heads on one llama context, per adapter (the model cache shares the context).

    Only the sequence's KV cells are kept (llama_state_seq_*), a few MB for the embedded model where
    llama-cpp-python's own save_state also copies up to n_batch rows of full-vocabulary scores (100 MB).
    """

    MAX_STATES = 3
    ATTRIBUTE = "_ownvoice_prefixes"

    def __init__(self, llm) -> None:
        self.llm = llm
        self._states: OrderedDict[tuple, bytes] = OrderedDict()  # (adapter key, tokens) -> KV cells

    def __len__(self) -> int:
        return len(self._states)

    def restore(self, tokens: list[int], static: int, adapter: tuple) -> int:
        """Put the KV cache at exactly the kept state of ``tokens[:static]`` (computed and kept at first).

        The rest of the prompt is then decoded in one batch from there, the same computation for every draft
        of that prompt whatever ran before, so a seed gives the same draft. Returns how many prompt tokens
        needed no decoding."""
        key = (adapter, tuple(tokens[:static]))
        if key in self._states and self._load(key):
            return static
        self._compute(list(key[1]), adapter)
        return 0

    def _compute(self, head: list[int], adapter: tuple) -> None:
        """Decode ``head`` from an empty cache and keep its state."""
        import llama_cpp

        llm = self.llm
        llm.reset()
        llm._ctx.kv_cache_seq_rm(-1, 0, -1)
        llm.eval(head)
        size = llama_cpp.llama_state_seq_get_size(llm._ctx.ctx, 0)
        buf = (ctypes.c_uint8 * int(size))()
        written = llama_cpp.llama_state_seq_get_data(llm._ctx.ctx, buf, size, 0)
        self._states[(adapter, tuple(head))] = bytes(buf[: int(written)])
        while len(self._states) > self.MAX_STATES:
            self._states.popitem(last=False)

    def _load(self, key: tuple) -> bool:
        """Put a kept state in the cache (False, and the state dropped, when llama.cpp refuses it)."""
        import llama_cpp

        llm = self.llm
        blob = self._states[key]
        self._states.move_to_end(key)
        llm._ctx.kv_cache_seq_rm(-1, 0, -1)
        buf = (ctypes.c_uint8 * len(blob)).from_buffer_copy(blob)
        if not llama_cpp.llama_state_seq_set_data(llm._ctx.ctx, buf, len(blob), 0):
            llm.reset()
            self._states.pop(key, None)
            return False
        tokens = key[1]
        llm.input_ids[: len(tokens)] = tokens
        llm.n_tokens = len(tokens)
        llm._requires_eval = True  # the last token's scores are not kept: the rest of the prompt follows
        return True

    def clear(self) -> None:
        """Forget every saved state."""
        self._states.clear()


class AdapterSlot(PerContext):
    """The LoRA adapters loaded on one llama.cpp model, and which one is active.

    The llama context is shared by every generator over the same file (the model cache), so the slot is too:
    a second wrapper that believed no adapter was applied would leave another's LoRA on while logging none.
    """

    ATTRIBUTE = "_ownvoice_adapters"

    def __init__(self, llm) -> None:
        self.llm = llm
        self._loaded: dict[str, Any] = {}
        self.active_name = ""
        self.active_scale = 1.0

    @property
    def key(self) -> tuple:
        """What the model's KV depends on beside the tokens: the active adapter and its scale."""
        return (self.active_name, self.active_scale if self.active_name else 0.0)

    def load(self, path: str) -> None:
        """Load an adapter GGUF (once) so it can be activated."""
        import llama_cpp

        key = str(Path(path).resolve())
        if key in self._loaded:
            return
        if not Path(key).is_file():
            raise ModelError(f"adapter file not found: {path}")
        from ownvoice.adapters.validate import AdapterMismatch, check_adapter

        try:  # llama.cpp says only "failed" (or takes half an adapter): say why first
            check_adapter(Path(key), Path(self.llm.model_path))
        except AdapterMismatch as exc:
            raise ModelError(str(exc)) from exc
        handle = llama_cpp.llama_adapter_lora_init(self.llm._model.model, key.encode("utf-8"))
        if not handle:
            raise ModelError(f"{path}: llama.cpp refused this adapter (made for another base model?)")
        self._loaded[key] = handle

    def activate(self, path: Optional[str], scale: float = 1.0) -> None:
        """Make ``path`` the active adapter (None: none); the KV cache is reset when that changes anything."""
        import llama_cpp

        wanted = (str(Path(path).resolve()), scale) if path is not None else ("", 0.0)
        if wanted == self.key:
            return
        if path is None:
            llama_cpp.llama_set_adapters_lora(self.llm._ctx.ctx, None, 0, None)
            self.active_name = ""
            self.active_scale = 1.0
        else:
            key = str(Path(path).resolve())
            self.load(key)
            arr = (llama_cpp.llama_adapter_lora_p_ctypes * 1)(self._loaded[key])
            scales = (ctypes.c_float * 1)(scale)
            rc = llama_cpp.llama_set_adapters_lora(self.llm._ctx.ctx, arr, 1, scales)
            if rc != 0:
                raise ModelError(f"{path}: llama.cpp could not apply this adapter (code {rc})")
            self.active_name = key
            self.active_scale = scale
        self.llm.reset()

    def unload(self, path: str) -> None:
        """Forget a loaded adapter (deactivating it first if active)."""
        import llama_cpp

        key = str(Path(path).resolve())
        if self.active_name == key:
            self.activate(None)
        handle = self._loaded.pop(key, None)
        if handle is not None:
            llama_cpp.llama_adapter_lora_free(handle)

    @property
    def loaded(self) -> list[str]:
        """Paths of the loaded adapters."""
        return list(self._loaded)
