"""Prompt building: the user's own past mail as few-shot turns, then the request.

Each exemplar becomes a (user: instruction, assistant: the user's real text) pair in the model's own
chat template, least relevant first, so the most relevant example sits right before the request. The
profile's style anchors (assistant.anchors) come first, right after the system text: that head is the same
for every draft of a profile, so its model state is computed once (``static_head``).
The same instruction wording is used for exemplars, for the request and for training (data
playback), so an adapter trained on it and retrieval reinforce each other.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Optional

from ownvoice.store.documents import Document

from .mailtext import signoff_block

MAX_EXEMPLAR_WORDS = 250
MAX_INCOMING_WORDS = 300


MAX_INSTRUCTION_CHARS = 4000
MAX_TOKENS_LIMIT = 2048
MAX_EXEMPLARS = 20
# quick compose (the tray popup): two retrieved mails after the two style anchors, so most of the prompt is
# the profile's kept head and the first token comes soon after Enter
QUICK_K = 2
# the lean prompt the style card makes possible: the card and the two closest past mails, clipped to 30 words;
# under half the default prompt's tokens at the same ROUGE-L, style and facts stated on both Panza users and
# both protocols (docs/evaluation.md, '2026-12-05, second run'; one mail of 40 words lost on requests that
# name a mail's specifics)
LEAN = {"k": 2, "anchors": 0, "exemplar_words": 30}


@dataclass
class DraftRequest:
    """What the user asked for."""

    instruction: str
    incoming: str = ""  # the mail being answered (headers + body, or body)
    kind: str = "email"
    k: int = 4
    use_rag: bool = True
    max_tokens: Optional[int] = None
    seed: int = 0
    temperature: Optional[float] = None
    recipient: str = ""  # display name of the addressee when known
    use_adapter: bool = True
    exclude_ids: set = field(default_factory=set)  # e.g. the document being edited: never its own exemplar
    candidates: int = 4  # drafts tried at most; the first that states every fact and invents nothing wins
    exhaustive: bool = False  # try all candidates and keep the best (best-of-n)
    guided: bool = True  # steer decoding towards the request's facts
    anchors: int = 2  # the profile's most typical mails at the head of the prompt (with RAG on)
    strength: float = 1.0  # how strongly your style applies: scales the adapter and the past mails shown
    use_card: bool = True  # the style card's lines in the system text (with RAG on)
    exemplar_words: int = MAX_EXEMPLAR_WORDS  # each past mail shown is clipped to this many words
    learn_length: bool = True  # the target length follows how long the user kept past drafts

    def at_strength(self) -> DraftRequest:
        """The request with its strength applied: the adapter's scale is ``strength``, the past mails and
        anchors shown scale with it, and at 0 neither is used (the plain model)."""
        if self.strength >= 1.0:
            return self
        k = math.floor(self.k * self.strength + 0.5)
        anchors = math.floor(self.anchors * self.strength + 0.5)
        return replace(
            self,
            k=k,
            anchors=anchors,
            use_rag=self.use_rag and k + anchors > 0,
            use_adapter=self.use_adapter and self.strength > 0,
            learn_length=self.learn_length and self.strength > 0,
        )

    def problems(self) -> list[str]:
        """What makes this request unusable, in words the user can act on (empty when fine)."""
        out = []
        if not self.instruction.strip():
            out.append("say what the mail should do (the instruction is empty)")
        if len(self.instruction) > MAX_INSTRUCTION_CHARS:
            out.append(
                f"the instruction is {len(self.instruction):,} characters; keep it under "
                f"{MAX_INSTRUCTION_CHARS:,} (put a long mail you answer in the reply, not the instruction)"
            )
        if self.max_tokens is not None and not 1 <= self.max_tokens <= MAX_TOKENS_LIMIT:
            out.append(f"max tokens must be between 1 and {MAX_TOKENS_LIMIT} (got {self.max_tokens})")
        if self.use_rag and not 1 <= self.k <= MAX_EXEMPLARS:
            out.append(
                f"the number of past mails shown (k) must be between 1 and {MAX_EXEMPLARS} (got {self.k})"
            )
        if not 0.0 <= self.strength <= 1.0:
            out.append(f"strength must be between 0 and 1 (got {self.strength})")
        if not 10 <= self.exemplar_words <= MAX_EXEMPLAR_WORDS:
            out.append(
                f"past mails must be shown with 10 to {MAX_EXEMPLAR_WORDS} words (got {self.exemplar_words})"
            )
        if not 0 <= self.anchors <= MAX_EXEMPLARS:
            out.append(
                f"the number of style anchors must be between 0 and {MAX_EXEMPLARS} (got {self.anchors})"
            )
        if self.kind not in ("email", "note"):
            out.append(f"kind must be 'email' or 'note' (got {self.kind!r})")
        return out


def system_text(name: str, kind: str, style_lines: Sequence[str] = ()) -> str:
    """The short system prompt, with the lines of the user's style card when drafting uses it."""
    who = name or "the user"
    what = "email" if kind == "email" else "note"
    output = f"Output only the {what} text: no subject line, no placeholders, no comments."
    if style_lines:  # the card says the length and tone; greeting and sign-off are the user's own anyway
        return f"You write as {who}, the way {who} writes. {output}\n" + " ".join(style_lines)
    return (
        f"You write as {who}. Write the {what} exactly the way {who} writes: same greeting, tone, "
        f"length and sign-off. {output}"
    )


def _clip(text: str, words: int) -> str:
    parts = text.split()
    if len(parts) <= words:
        return text.strip()
    # keep line structure for the part we keep
    out, n = [], 0
    for line in text.strip().split("\n"):
        w = line.split()
        if n + len(w) > words:
            out.append(" ".join(w[: max(0, words - n)]) + " ...")
            break
        out.append(line)
        n += len(w)
    return "\n".join(out)


def clip_mail(body: str, words: int) -> str:
    """A past mail cut to about ``words`` words, its sign-off kept: the model still sees how it ends."""
    if len(body.split()) <= words:
        return body.strip()
    tail = signoff_block(body)
    head = body.rstrip()[: len(body.rstrip()) - len(tail)] if tail else body
    kept = _clip(head, max(1, words - len(tail.split())))
    return f"{kept}\n\n{tail}" if tail else kept


def instruction_text(instruction: str, kind: str = "email", incoming: str = "") -> str:
    """The user-turn text for one request (shared by exemplars, drafting and training).

    No length hint: a small model copies such lines into the draft ('Length: 41 words.'); length is
    controlled while decoding instead.
    """
    what = "an email" if kind == "email" else "a note"
    ask = f"Write {what}: {instruction.strip()}"
    if incoming.strip():  # the request last: a small model follows what it read most recently
        return f"It replies to this message:\n{_clip(incoming, MAX_INCOMING_WORDS)}\n\n{ask}"
    return ask


def exemplar_instruction(doc: Document, playback: Optional[str] = None) -> str:
    """The instruction an exemplar 'answers': its cached playback instruction, else its heuristic intent."""
    if playback:
        return playback
    from .intents import intent_for

    return intent_for(doc)


def build_messages(
    name: str,
    request: DraftRequest,
    exemplars: Sequence[Document],
    playback: Optional[dict[int, str]] = None,
    anchors: Sequence[Document] = (),
    style_lines: Sequence[str] = (),
) -> list[dict]:
    """Chat messages: system, style anchors, exemplar turns (most relevant last), then the request."""
    words = request.exemplar_words
    messages = head_messages(name, request.kind, anchors, playback, style_lines, words)
    # exemplars arrive best first
    messages += exemplar_turns(list(reversed(list(exemplars))), playback, words)
    messages.append(
        {"role": "user", "content": instruction_text(request.instruction, request.kind, request.incoming)}
    )
    return messages


def head_messages(
    name: str,
    kind: str,
    anchors: Sequence[Document],
    playback: Optional[dict[int, str]] = None,
    style_lines: Sequence[str] = (),
    words: int = MAX_EXEMPLAR_WORDS,
) -> list[dict]:
    """The part of every prompt of a profile that does not depend on the request: system text (with the style
    card) and anchors."""
    return [
        {"role": "system", "content": system_text(name, kind, style_lines)},
        *exemplar_turns(anchors, playback, words),
    ]


def static_head(format_chat: Callable[[list[dict]], str], head: list[dict], prompt: str) -> int:
    """How many leading characters of ``prompt`` are the formatted ``head`` (up to the next turn's text)."""
    probe = format_chat([*head, {"role": "user", "content": "\x00"}])
    return len(os.path.commonprefix([probe, prompt]))


def exemplar_turns(
    exemplars: Sequence[Document],
    playback: Optional[dict[int, str]] = None,
    words: int = MAX_EXEMPLAR_WORDS,
) -> list[dict]:
    """(instruction, the user's text) turn pairs, in the order given; each text at most ``words`` words."""
    playback = playback or {}
    messages: list[dict] = []
    for doc in exemplars:
        messages.append(
            {
                "role": "user",
                "content": instruction_text(
                    exemplar_instruction(doc, playback.get(doc.id)),
                    doc.kind,
                    doc.context and _clip(doc.context, 80) or "",
                ),
            }
        )
        messages.append({"role": "assistant", "content": clip_mail(doc.body, words)})
    return messages


def fit_messages(
    build: Callable[[int], list[dict]],
    count_tokens: Callable[[list[dict]], int],
    n_exemplars: int,
    budget: int,
) -> tuple[list[dict], int]:
    """Drop the least relevant exemplars until the prompt fits ``budget`` tokens; return (messages, n
    used)."""
    for n in range(n_exemplars, -1, -1):
        messages = build(n)
        if count_tokens(messages) <= budget:
            return messages, n
    return build(0), 0
