"""OpenAI chat requests <-> OwnVoice drafts: which profile, what to write, which mail it answers.

The last user message is the instruction. The mail being answered comes, in this order, from the
request's own ``incoming`` field, from the part of the last user message after a line of ``---`` (or
its ``>``-quoted lines), or from an earlier user message: that covers the mail add-ons that send
"instruction + the mail" as one prompt and the clients that send the mail as a message of its own.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from typing import Any, Optional

from ownvoice.assistant.prompts import DraftRequest

_SEPARATOR = re.compile(r"^\s*-{3,}\s*$", re.M)


class ChatError(Exception):
    """A request the endpoint answers with an OpenAI-style error (HTTP ``status``)."""

    def __init__(self, status: int, message: str, code: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status, self.code = status, code


@dataclass(frozen=True)
class ChatDraft:
    """A chat request read as a draft request for a profile."""

    profile: str  # '' = the server's profile
    request: DraftRequest
    stream: bool


def _text(content: Any) -> str:
    """A message's text: a string, or OpenAI content parts of type text."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"
        )
    return ""


def split_instruction(text: str) -> tuple[str, str]:
    """(instruction, mail answered) from one user message: the mail after a '---' line, or its '>' lines."""
    parts = _SEPARATOR.split(text, maxsplit=1)
    if len(parts) == 2:
        return parts[0].strip(), parts[1].strip()
    lines = text.split("\n")
    quoted = [ln for ln in lines if ln.lstrip().startswith(">")]
    if quoted:
        rest = "\n".join(ln for ln in lines if not ln.lstrip().startswith(">")).strip()
        return rest, "\n".join(re.sub(r"^\s*>\s?", "", ln) for ln in quoted).strip()
    return text.strip(), ""


def _int(body: dict, key: str) -> Optional[int]:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ChatError(400, f"{key} must be an integer")
    return value


def read_chat(body: Any) -> ChatDraft:
    """The draft a chat-completions body asks for (ChatError when it is not one)."""
    if not isinstance(body, dict):
        raise ChatError(400, "the body must be a JSON object")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        raise ChatError(400, "messages must be a non-empty list of {role, content} objects")
    users = [_text(m.get("content")) for m in messages if m.get("role") == "user"]
    if not users or not users[-1].strip():
        raise ChatError(400, "the last user message (what the mail should say) is empty")
    instruction, incoming = split_instruction(users[-1])
    if isinstance(body.get("incoming"), str) and body["incoming"].strip():
        incoming = body["incoming"].strip()
    elif not incoming and len(users) > 1:
        incoming = users[-2].strip()
    recipient = ""
    if incoming:
        from ownvoice.assistant.email_io import parse_pasted

        mail = parse_pasted(incoming)
        incoming, recipient = mail.prompt_text(), mail.first_name
    if isinstance(body.get("recipient"), str) and body["recipient"].strip():
        recipient = body[
            "recipient"
        ].strip()  # OwnVoice's own field: the addressee's name when no mail is answered
    model = body.get("model") or ""
    if not isinstance(model, str):
        raise ChatError(400, "model must be a profile name")
    seed = _int(body, "seed")
    max_tokens = _int(body, "max_tokens")
    request = DraftRequest(
        instruction=instruction or users[-1].strip(),
        incoming=incoming,
        max_tokens=max_tokens if max_tokens is not None else _int(body, "max_completion_tokens"),
        seed=seed if seed is not None else 0,
        recipient=recipient,
    )
    problems = request.problems()
    if problems:
        raise ChatError(400, "; ".join(problems))
    return ChatDraft(profile=model, request=request, stream=bool(body.get("stream")))


def completion(result, model: str) -> dict:
    """A chat.completion object for a draft (OwnVoice's checks ride along under 'ownvoice')."""
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": result.text},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": result.stats.prompt_tokens,
            "completion_tokens": result.stats.completion_tokens,
            "total_tokens": result.stats.prompt_tokens + result.stats.completion_tokens,
        },
        "ownvoice": _checks(result),
    }


def _checks(result) -> dict:
    d = result.as_dict()
    return {
        k: d[k] for k in ("generation_id", "coverage", "unsupported", "defects", "exemplars", "save_error")
    }


def chunks(result, model: str, size: int = 24) -> list[dict]:
    """chat.completion.chunk objects carrying the checked draft in pieces, then the end."""
    cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

    def chunk(delta: dict, finish: Optional[str] = None, **extra) -> dict:
        return {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }

    text = result.text
    pieces = [text[i : i + size] for i in range(0, len(text), size)] or [""]
    out = [chunk({"role": "assistant", "content": ""})]
    out += [chunk({"content": p}) for p in pieces]
    out.append(chunk({}, "stop", ownvoice=_checks(result)))
    return out
