"""What the user would have typed to get one of their own mails: a short intent, never the mail's sentences.

Used as the instruction of few-shot exemplars and as the heuristic data-playback instruction for training
when the local model cannot write reverse instructions. It names the addressee, the topic (the subject),
the speech acts (say yes / decline / thank / ask / apologise) and at most three specifics (days, dates,
times, numbers, names): the shape of "ask Mia for the signed lease by May 12", so that training teaches
the model to carry an instruction's facts into the mail rather than to copy text handed to it.
"""

from __future__ import annotations

import re
from typing import Optional

from ownvoice.store.documents import Document

from .facts import dates_in, names_in, numbers_in, times_in, weekdays_in
from .mailtext import is_greeting
from .postprocess import recipient_first_name
from .style import greeting_names

_ACTS = [
    (
        "no",
        re.compile(
            r"\b(unfortunately|i can't|i cannot|i won't be able|not able to|have to decline|i'm afraid|"
            r"i am afraid|sadly)\b",
            re.I,
        ),
    ),
    (
        "yes",
        re.compile(
            r"\b(yes|sure|happy to|glad to|i'd love to|count me in|sounds good|works for me|of course|"
            r"i can do|i can make)\b",
            re.I,
        ),
    ),
    ("thank", re.compile(r"\b(thank|thanks|grateful)\b", re.I)),
    ("apologise", re.compile(r"\b(sorry|apologi[sz]e)\b", re.I)),
    ("ask", re.compile(r"\?|\b(could you|would you|can you|please)\b", re.I)),
]
_PRIMARY = {
    "no": "say no to {who}",
    "yes": "say yes to {who}",
    "thank": "thank {who} for",
    "apologise": "apologise to {who}",
    "ask": "ask {who}",
}
_SECONDARY = {
    "no": "say no",
    "yes": "say yes",
    "thank": "thank them",
    "apologise": "apologise",
    "ask": "ask a question",
}


def clean_subject(subject: str) -> str:
    """A subject without reply/forward prefixes."""
    s = (subject or "").strip()
    while True:
        m = re.match(r"^(re|fwd|fw|aw|sv|wg)\s*:\s*", s, re.I)
        if not m:
            return s
        s = s[m.end() :]


def _body_lines(body: str) -> tuple[str, list[str]]:
    lines = [ln for ln in body.strip().split("\n")]
    first = next((ln for ln in lines if ln.strip()), "")
    if is_greeting(first):
        idx = lines.index(first)
        return first, lines[idx + 1 :]
    return "", lines


def intent_for(doc: Document, own_names: Optional[list[str]] = None, max_specifics: int = 3) -> str:
    """A short instruction that would have produced ``doc`` (deterministic, no sentence of the mail)."""
    greeting, rest = _body_lines(doc.body)
    text = "\n".join(rest)
    addressed = greeting_names(greeting) if greeting else []
    who = " ".join(w.capitalize() for w in addressed[:1]) or "them"
    acts = [name for name, pattern in _ACTS if pattern.search(text)]
    if "no" in acts and "yes" in acts:
        acts.remove("yes")
    topic = clean_subject(doc.subject)
    about = (
        f" about {topic[0].lower() + topic[1:] if topic[:2].istitle() and not topic[:2].isupper() else topic}"
        if topic
        else ""
    )
    if acts:
        head = _PRIMARY[acts[0]].format(who=who) + (
            about.replace(" about ", " ", 1) if acts[0] == "thank" else about
        )
        extra = [_SECONDARY[a] for a in acts[1:3]]
        out = head + ("; also " + " and ".join(extra) if extra else "")
    else:
        out = f"write to {who}{about}"
    own = {n.lower() for n in (own_names or []) for n in n.split()}
    specifics: list[str] = []
    body_wo_sig = "\n".join(rest[:-2]) if len(rest) > 3 else text
    for day in weekdays_in(body_wo_sig):
        specifics.append(day.capitalize() if day not in ("tomorrow", "tonight") else day)
    specifics += [s for s, _ in dates_in(body_wo_sig)] + [s for s, _ in times_in(body_wo_sig)]
    specifics += [s for s, _ in numbers_in(body_wo_sig) if not re.fullmatch(r"[a-z]+", s)]
    specifics += [
        n
        for n in names_in(body_wo_sig)
        if n.lower() not in own and n.lower() != who.lower() and n.lower() not in topic.lower()
    ]
    seen: list[str] = []
    for s in specifics:
        if s.lower() not in [x.lower() for x in seen]:
            seen.append(s)
    if seen:
        out += "; mention " + ", ".join(seen[:max_specifics])
    return out


def addressee(doc: Document) -> str:
    """Whom the user writes to: the To: header's first name, else the name the mail greets."""
    if doc.recipients:
        first = recipient_first_name(doc.recipients.split(",")[0])
        if first:
            return first
    first_line = doc.body.strip().split("\n", 1)[0]
    names = greeting_names(first_line)
    return names[0].capitalize() if names else ""


def subject_instruction(doc: Document) -> str:
    """The leak-free instruction: subject and addressee only."""
    who = addressee(doc)
    topic = clean_subject(doc.subject)
    if topic:
        return f"write to {who} about: {topic}" if who else f"write about: {topic}"
    return f"write a short email to {who}" if who else "write a short email"
