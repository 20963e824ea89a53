"""Data playback: for each of the user's documents, the instruction that would have produced it.

The local model writes it ("reverse instruction", as Panza does) and the result is cached in the
store; when its output is unusable (empty, rambling, a copy of the mail, a refusal) a deterministic
intent takes over (assistant.intents): addressee, topic, speech acts and a few specifics, never a
sentence of the mail, so training does not learn to copy text handed to it.
"""

from __future__ import annotations

import re
from typing import Optional

import sqlite_utils

from ownvoice.store.adapters import get_playback, save_playback
from ownvoice.store.documents import Document

from .backends.base import Generator, GenParams
from .intents import intent_for
from .jobs import CancelToken, ProgressFn, report

IMPERATIVES = set(
    """accept agree announce answer apologise apologize arrange ask book cancel check clarify confirm
congratulate decline describe explain follow forward give inform introduce invite let note offer point propose
remind reply report request reschedule respond review say schedule send share suggest summarise summarize
tell thank
update warn welcome write""".split()
)
_BAD = re.compile(
    r"subject:|dear |best,|regards|\[|as an ai|i cannot|i'm sorry|here is|here's|instruction|email", re.I
)
SHOTS = [
    (
        "Hi Anna,\n\nThanks so much for the report, it reads really well. Could you send me the final "
        "numbers by "
        "Friday so I can add them to the board pack?\n\nBest,\nSam",
        "Thank Anna for the report and ask for the final numbers by Friday for the board pack.",
    ),
    (
        "Hey Tom,\n\nSorry, I can't make dinner on Saturday after all - my sister is visiting. Rain check "
        "for next "
        "week?\n\nCheers,\nJo",
        "Tell Tom I can't make Saturday's dinner because my sister is visiting, and suggest next week.",
    ),
]


PROBE = 12  # documents tried before judging whether the model writes usable instructions
MIN_ACCEPT_RATE = 0.25


def heuristic_instruction(doc: Document) -> str:
    """The deterministic intent for a document (see assistant.intents)."""
    return intent_for(doc)


def usable(instruction: str, doc: Document) -> bool:
    """Whether a model-written instruction can be trusted."""
    words = instruction.split()
    if not 3 <= len(words) <= 40 or _BAD.search(instruction):
        return False
    first = words[0].lower().strip(",.")
    if first not in IMPERATIVES or (first == "thank" and words[1].lower().strip(",.") == "you"):
        return False  # a reply to the mail, not an instruction to write it
    if any(instruction.strip().rstrip(".").lower() == shot.rstrip(".").lower() for _, shot in SHOTS):
        return False  # parroted the example
    body_words = set(w.lower().strip(".,!?") for w in doc.body.split())
    overlap = sum(1 for w in words if w.lower().strip(".,!?") in body_words) / len(words)
    return 0.2 <= overlap < 0.85


def _messages(doc: Document) -> list[dict]:
    body = " ".join(doc.body.split()[:200])
    messages = [
        {
            "role": "system",
            "content": "Summarise each email as the one-sentence request its author would "
            "give an assistant to write it. Start with a verb.",
        }
    ]
    for mail, instruction in SHOTS:
        messages += [{"role": "user", "content": mail}, {"role": "assistant", "content": instruction}]
    return messages + [{"role": "user", "content": body}]


def model_instruction(generator: Generator, doc: Document) -> str:
    """The local model's reverse instruction for one document (may be unusable)."""
    prompt = generator.format_chat(_messages(doc))
    text = "".join(generator.stream(prompt, GenParams(max_tokens=48, temperature=0.0, seed=0, stop=["\n\n"])))
    text = text.strip().split("\n")[0].strip().strip('"')
    return re.sub(r"^(instruction|answer)\s*:\s*", "", text, flags=re.I)


def ensure_playback(
    db: sqlite_utils.Database,
    profile_id: int,
    docs: list[Document],
    generator: Optional[Generator],
    progress: Optional[ProgressFn] = None,
    cancel: Optional[CancelToken] = None,
) -> dict[int, str]:
    """Playback instructions for ``docs`` (computed once, cached); generator None = heuristic only."""
    cached = get_playback(db, [d.id for d in docs])
    todo = [d for d in docs if d.id not in cached]
    rows, done = [], 0
    tried = accepted = 0
    model = generator  # None once the model has shown it cannot write usable instructions
    for doc in todo:
        if cancel is not None:
            cancel.check()
        method, instruction = "heuristic", ""
        if model is not None:
            instruction = model_instruction(model, doc)
            method = "model"
            tried += 1
            accepted += usable(instruction, doc)
            if tried >= PROBE and accepted / tried < MIN_ACCEPT_RATE:
                model = None  # this model cannot do it: stop spending minutes on unusable output
                report(
                    progress,
                    "playback",
                    done,
                    len(todo),
                    f"the model's instructions were usable {accepted}/{tried} times: using the heuristic",
                )
        if not usable(instruction, doc):
            instruction, method = heuristic_instruction(doc), "intent"
        rows.append(
            {
                "document_id": doc.id,
                "profile_id": profile_id,
                "instruction": instruction,
                "method": method,
                "model": generator.model_path if generator is not None and method == "model" else "",
            }
        )
        cached[doc.id] = instruction
        done += 1
        report(progress, "playback", done, len(todo))
        if len(rows) >= 32:
            save_playback(db, rows)
            rows = []
    if rows:
        save_playback(db, rows)
    return cached
