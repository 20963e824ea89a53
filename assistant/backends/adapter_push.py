"""Loading a user's adapter on a running vLLM server through its runtime endpoint (``ownvoice adapters
push``).

Design decisions:
- vLLM loads an adapter from a folder *it* can read: ``POST /v1/load_lora_adapter`` takes
  ``{"lora_name", "lora_path"}`` (the server must run with ``VLLM_ALLOW_RUNTIME_LORA_UPDATING=True``). So a
  push writes the peft export into a folder the server shares (a mount, or the server's own disk when it
  runs on this machine) and names the path as the server sees it. Nothing is uploaded.
- The name on the server carries the adapter file's content hash (``ownvoice-<profile>-v<N>-<sha8>``): many
  desktops push to one server, every one of them has an adapter "v1" of profile "default", and a name that
  is unique by content means a second push of the same adapter is a no-op, never a silent replacement.
- After loading, ``/v1/models`` must list the name, so a push that "succeeded" but serves nothing is an error.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Optional

from ..errors import ModelError

LOAD_PATH = "/v1/load_lora_adapter"
MODELS_PATH = "/v1/models"


@dataclass(frozen=True)
class PushResult:
    """What a push did: the adapter's name and folder on the server, and whether it was there already."""

    name: str
    server_path: str
    local_folder: str
    already_loaded: bool
    served_models: tuple[str, ...]


def _call(base_url: str, path: str, api_key: str, body: Optional[dict], timeout_s: float) -> tuple[int, str]:
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        base_url + path, data=data, headers=headers, method="POST" if data else "GET"
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()[:2000].decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as exc:
        raise ModelError(f"cannot reach the server at {base_url} ({exc})") from exc


def served_models(base_url: str, api_key: str = "", timeout_s: float = 30) -> tuple[str, ...]:
    """The model names a vLLM (or other OpenAI-compatible) server lists, adapters included."""
    base_url = normalise_url(base_url)
    status, text = _call(base_url, MODELS_PATH, api_key, None, timeout_s)
    if status in (401, 403):
        raise ModelError(f"the server at {base_url} refused the API key ({status}): pass --api-key")
    if status != 200:
        raise ModelError(f"the server at {base_url} answered {status} to {MODELS_PATH}: {text[:300]}")
    try:
        return tuple(str(m["id"]) for m in json.loads(text)["data"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"{base_url}{MODELS_PATH} did not answer a model list: {text[:200]}") from exc


def normalise_url(url: str) -> str:
    """The server's root URL (a trailing '/' or '/v1' is dropped)."""
    url = url.strip().rstrip("/").removesuffix("/v1")
    if not url.startswith(("http://", "https://")):
        raise ModelError(f"{url!r} is not a server URL: give e.g. http://gpu-box:8000")
    return url


def load_lora_adapter(
    base_url: str, name: str, server_path: str, api_key: str = "", timeout_s: float = 300
) -> PushResult:
    """Ask vLLM to load the peft folder at ``server_path`` as model ``name``; check it is then listed."""
    base_url = normalise_url(base_url)
    status, text = _call(
        base_url, LOAD_PATH, api_key, {"lora_name": name, "lora_path": server_path}, timeout_s
    )
    already = status == 400 and "already been loaded" in text
    if status in (401, 403):
        raise ModelError(f"the server at {base_url} refused the API key ({status}): pass --api-key")
    if status in (404, 405):
        raise ModelError(
            f"the server at {base_url} has no {LOAD_PATH} ({status}): start vLLM with --enable-lora and the "
            "environment variable VLLM_ALLOW_RUNTIME_LORA_UPDATING=True"
        )
    if status != 200 and not already:
        raise ModelError(f"the server at {base_url} could not load the adapter ({status}): {text[:500]}")
    listed = served_models(base_url, api_key)
    if name not in listed:
        raise ModelError(f"the server said it loaded {name!r} but does not list it in {MODELS_PATH}")
    return PushResult(name, server_path, "", already, listed)
