"""A generator on a remote engine that speaks the OpenAI completions API (llama.cpp's llama-server, vLLM,
LoRAX).

Design decisions:
- Prompts are built here exactly as for local drafting (the engine's own chat template: llama-server's
  ``/apply-template``; on vLLM, its ``/tokenize`` of the messages read back through ``/detokenize``) and
  sent to ``/v1/completions`` as text, so retrieval, the style card, post-processing and the checks stay
  OwnVoice's and only the sampling moves. Which engine it is, is asked once (llama-server answers ``/props``).
- The user's adapter is chosen per request: llama-server takes ``"lora": [{"id": N, "scale": s}]`` (an
  adapter loaded with ``--lora``, ids in load order; a request that names none keeps the slot's last
  adapter, so "no adapter" is sent as every id at scale 0); vLLM and LoRAX take the adapter's name as
  ``model``. ``adapters`` maps each local adapter file to its id or name on the engine.
- The decoding guide (logit pushes towards the request's facts) needs the logits, which these engines do
  not expose per token: remotely it is not applied, and the fact check and the candidates' rerank (local)
  carry the fidelity alone.
- Plain HTTP with the standard library; the API key is sent as a bearer token.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Optional, Union

from ..errors import ModelError
from ..jobs import CancelToken
from .base import Generator, GenParams, GenStats

AdapterRef = Union[int, str]  # llama-server: the adapter's id; vLLM / LoRAX: its model name


class OpenAICompatibleGenerator(Generator):
    """Generates on a remote OpenAI-compatible engine, selecting the user's adapter per request."""

    name = "openai-compatible"

    def __init__(
        self,
        model_path: str,
        base_url: str,
        api_key: str = "",
        adapters: Optional[dict[str, AdapterRef]] = None,
        model: str = "",
        timeout_s: float = 600,
        **_ignored,
    ) -> None:
        self.model_path = model_path  # the base GGUF the engine serves: adapters stay bound to its sha256
        self.base_url = base_url.rstrip("/").removesuffix("/v1")
        self.api_key = api_key
        self.adapters = {str(Path(k).resolve()): v for k, v in (adapters or {}).items()}
        self.model = model
        self.timeout_s = timeout_s
        self.last_stats = GenStats()
        self._active: tuple[str, AdapterRef, float] | None = None
        self._llama_server: Optional[bool] = None

    # -- HTTP ---------------------------------------------------------------------------------------
    def _request(self, path: str, body: Optional[dict] = None):
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base_url + path, data=data, headers=headers)
        try:
            return urllib.request.urlopen(req, timeout=self.timeout_s)
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace")
            raise ModelError(f"the drafting server at {self.base_url} answered {exc.code}: {detail}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise ModelError(f"cannot reach the drafting server at {self.base_url} ({exc})") from exc

    def _json(self, path: str, body: dict) -> dict:
        with self._request(path, body) as resp:
            return json.loads(resp.read())

    @property
    def is_llama_server(self) -> bool:
        """True for llama.cpp's server (it answers /props), False for vLLM and other engines."""
        if self._llama_server is None:
            try:
                with self._request("/props"):
                    self._llama_server = True
            except ModelError as exc:
                if "cannot reach" in str(exc):
                    raise
                self._llama_server = False
        return self._llama_server

    def _with_model(self, body: dict) -> dict:
        return {**body, "model": self.model} if self.model else body

    # -- Generator ----------------------------------------------------------------------------------
    def format_chat(self, messages: Sequence[dict]) -> str:
        """The prompt in the served model's own chat template (the engine applies it)."""
        if self.is_llama_server:
            return self._json("/apply-template", {"messages": list(messages)})["prompt"]
        body = {"messages": list(messages), "add_generation_prompt": True, "add_special_tokens": False}
        tokens = self._json("/tokenize", self._with_model(body))["tokens"]
        return self._json("/detokenize", self._with_model({"tokens": tokens}))["prompt"]

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` takes in the served model."""
        if self.is_llama_server:
            return len(self._json("/tokenize", {"content": text, "add_special": False})["tokens"])
        return len(
            self._json("/tokenize", self._with_model({"prompt": text, "add_special_tokens": False}))["tokens"]
        )

    @property
    def adapter_name(self) -> str:
        """The active adapter's local path, '' when none."""
        return self._active[0] if self._active else ""

    def set_adapter(self, path: Optional[str], scale: float = 1.0) -> None:
        """Select the adapter the engine applies to the next requests (None: none)."""
        if path is None:
            self._active = None
            return
        key = str(Path(path).resolve())
        if key not in self.adapters:
            raise ModelError(
                f"the drafting server has no adapter mapped to {Path(path).name}: load it there and map it "
                f"in the "
                "settings (remote_adapters), or draft with --no-adapter"
            )
        self._active = (key, self.adapters[key], scale)

    @property
    def loaded_adapters(self) -> list[str]:
        """The local adapter files the engine has."""
        return list(self.adapters)

    def _selection(self) -> dict:
        ids = sorted(v for v in self.adapters.values() if isinstance(v, int))
        if self._active is None:
            return {"lora": [{"id": i, "scale": 0.0} for i in ids]} if ids else {}
        _, ref, scale = self._active
        if isinstance(ref, int):
            return {"lora": [{"id": i, "scale": scale if i == ref else 0.0} for i in ids]}
        return {"model": ref}

    def stream(self, prompt: str, params: GenParams, cancel: Optional[CancelToken] = None) -> Iterator[str]:
        """Yield the completion piece by piece (server-sent events); fills ``last_stats``."""
        body = {
            "prompt": prompt,
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "top_k": params.top_k,
            "repeat_penalty": params.repeat_penalty,  # llama-server's name
            "repetition_penalty": params.repeat_penalty,  # vLLM's
            "seed": params.seed,
            "stop": params.stop,
            "stream": True,
            "cache_prompt": True,
        }
        if self.model:
            body["model"] = self.model
        body.update(self._selection())
        stats = GenStats()
        t0 = time.perf_counter()
        with self._request("/v1/completions", body) as resp:
            for raw in resp:
                line = raw.decode("utf-8", "replace").strip()
                if not line.startswith("data:"):
                    continue
                payload = line[5:].strip()
                if payload == "[DONE]":
                    break
                event = json.loads(payload)
                text = "".join(c.get("text", "") for c in event.get("choices", []))
                usage = event.get("usage") or {}
                if usage:
                    stats.prompt_tokens = usage.get("prompt_tokens", stats.prompt_tokens)
                if text:
                    stats.completion_tokens += 1
                    if stats.completion_tokens == 1:
                        stats.ttft_s = time.perf_counter() - t0
                    yield text
                if cancel is not None and cancel.cancelled:
                    break
        stats.total_s = time.perf_counter() - t0
        self.last_stats = stats
