"""From a request's facts to decoding guidance and a verdict on each draft.

Drafting tries a few candidates: the first with light guidance, later ones with stronger pushes towards
the facts still missing; ``check_draft`` judges each (facts stated, specifics invented, defects such as
leaked prompt text, placeholders, a second mail or the recipient's name as signature) and the reranker
keeps the best. The same checks feed the CLI/GUI flags and the evaluation's fidelity report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from .backends.base import Guide
from .facts import (
    MONTHS,
    WEEKDAYS,
    Coverage,
    Fact,
    Specific,
    Support,
    coverage,
    draft_body,
    unsupported_specifics,
)
from .mailtext import (
    called_name,
    first_name,
    greeted_name,
    is_greeting,
    mask_frame,
    name_alone,
    without_closing,
)

STRENGTHS = (1.5, 4.0, 7.0, 10.0)  # logit push on a missing fact, per attempt
NAME_PENALTIES = (3.0, 4.0, 6.0, 8.0)  # logit penalty on a name nobody mentioned, per attempt

_PROMPT_TEXT = re.compile(
    r"(write an? (email|note)\b.*:|it replies to this message|^\s*length\s*:|about \d+ words\.?$|"
    r"<\|im_|<\|start|<start_of_turn>|you write as\b|^\s*(key points|instruction|request)\s*:)",
    re.I | re.M,
)
_PLACEHOLDER = re.compile(r"\[[^\[\]\n]{1,40}\]|\{[a-z_ ]{1,30}\}|<(name|date|time|recipient)>", re.I)
_CHATTER = re.compile(
    r"^\s*[*(]*\s*(note|explanation|the answer is|answer|output|p\.s\. this email)\b\s*[:\-]|"
    r"^\s*(#\w+\s*)+$|\bas an ai\b|^\s*(this|the above) (email|message|draft|reply) (is|was|has)\b",
    re.I,
)
# a heading, an emphasis asterisk glued to its word or a line of asterisks ('# Code is ...', '*Applause to'):
# markup of a chat model, not of a mail ('* item' with a space stays: people do write lists)
_MARKUP = re.compile(r"^\s*(#{1,6}\s|\*(?=[^\s*])|\*\*|\*+\s*$)")
_WORD = re.compile(r"[a-z0-9']+")
ECHO_MIN_WORDS = 5  # a sentence this long made (almost) only of the request's words repeats the request
ECHO_SHARE = 0.8


def echoes_request(text: str, instruction: str) -> bool:
    """True when a sentence of the draft is the request said back ('Thank them for their nanny, Andrea;
    mention Athena.'): at least 5 words, 80% of them words of the request, and framed as the request (its
    verb first, or 'mention'). Stating the request's facts ('The meeting moved to Thursday.') is no echo."""
    asked = _WORD.findall(instruction.lower())
    if not asked:
        return False
    for sentence in re.split(r"(?<=[.!?])\s+|\n", draft_body(text)):
        words = _WORD.findall(sentence.lower())
        framed = bool(words) and (words[0] == asked[0] or "mention" in words)
        if (
            framed
            and len(words) >= ECHO_MIN_WORDS
            and sum(w in asked for w in words) >= ECHO_SHARE * len(words)
        ):
            return True
    return False


ASK_OPENING = "Could you"
_ASK_FIRST = re.compile(r"\s*(?:please\s+)?ask\b", re.I)
_FIRST_SENTENCE = re.compile(r"[^\n?]{8,200}?[.!](?=\s|$)")


def body_opening(instruction: str, attempt: int, last: Optional[DraftCheck], last_text: str = "") -> str:
    """The words a later attempt's body starts with when the last draft did not ask what it was told to ask:
    'Could you' for a request that is all about asking ('ask Mia for the lease'), else the last draft's
    first sentence and then 'Could you' ('thank Anna ... and ask for the numbers': the thanks stay). A tiny
    model goes on the way a sentence began; pushing the words anywhere would break sentences mid-way."""
    if attempt == 0 or last is None or not any(f.kind == "ask" for f in last.coverage.missing):
        return ""
    if _ASK_FIRST.match(instruction):
        return ASK_OPENING
    first = _FIRST_SENTENCE.match(draft_body(last_text).strip())
    return f"{first.group(0)} {ASK_OPENING}" if first else ""


def build_guide(facts: list[Fact], support: Support, attempt: int, already: str = "") -> Guide:
    """Guidance for one attempt: push towards facts not stated in ``already``; never invent weekdays or
    months."""
    todo = [f for f in facts if f.variants and coverage([f], already).ratio < 1.0]
    require = [f.variants for f in todo if f.kind not in ("yes", "no")]
    lead = [f.variants for f in todo if f.kind in ("yes", "no")]
    avoid = [d.capitalize() for d in WEEKDAYS if d not in support.weekdays]
    avoid += [m.capitalize() for i, m in enumerate(MONTHS, 1) if i not in support.months and m != "may"]
    if "tomorrow" not in support.weekdays:
        avoid.append("tomorrow")
    strength = STRENGTHS[min(attempt, len(STRENGTHS) - 1)]
    # later attempts push from the first words: a short mail signs off before a slow ramp has begun
    delay, ramp = (6, 16) if attempt < 2 else (1, 4)
    return Guide(
        require=require,
        lead=lead,
        avoid=avoid,
        avoid_digits=not (support.numbers or support.times),
        numbers=sorted(support.digits),
        known_words=sorted(support.words),
        name_penalty=NAME_PENALTIES[min(attempt, len(NAME_PENALTIES) - 1)],
        strength=strength,
        delay_tokens=delay,
        ramp_tokens=ramp,
    )


@dataclass
class DraftCheck:
    """What a draft gets right and wrong against its request."""

    coverage: Coverage
    unsupported: list[Specific] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    @property
    def passes(self) -> bool:
        """Every fact stated, nothing invented, no defect."""
        return self.coverage.ratio == 1.0 and not self.unsupported and not self.defects

    def as_dict(self) -> dict:
        """JSON-friendly form."""
        return {
            "coverage": self.coverage.as_dict(),
            "unsupported": [u.as_dict() for u in self.unsupported],
            "defects": list(self.defects),
        }


DEFECTS = (
    "prompt text",
    "placeholder",
    "commentary",
    "markup",
    "second mail",
    "signed with the recipient's name",
)


def draft_defects(
    text: str, own_name: str = "", recipient: Optional[str] = None, instruction: str = ""
) -> list[str]:
    """What makes a draft unusable as is: prompt text or the request said back, placeholders, chatter,
    chat markup, a second mail, the wrong signature."""
    out = []
    if _PROMPT_TEXT.search(text) or (instruction and echoes_request(text, instruction)):
        out.append("prompt text")
    if _PLACEHOLDER.search(text):
        out.append("placeholder")
    if any(_CHATTER.search(ln) for ln in text.split("\n")):
        out.append("commentary")
    if any(_MARKUP.match(ln) for ln in text.split("\n")):
        out.append("markup")
    lines = [ln.strip() for ln in text.strip().split("\n") if ln.strip()]
    called = called_name(recipient or "")
    own_first = first_name(own_name)  # the user's own name has no title
    names = {n for n in (called, own_first) if n}
    greeted = [m.group(2).lower() for ln in lines[2:] if (m := greeted_name(ln))]
    signed = [(i, name_alone(ln).lower()) for i, ln in enumerate(lines) if i >= 2 and name_alone(ln)]
    if (
        any(is_greeting(ln, max_chars=45) for ln in lines[1:])
        or names & set(greeted)
        or any(name in names and i < len(lines) - 1 for i, name in signed)  # signed, then more text
    ):
        out.append("second mail")
    if lines and called and own_first and called != own_first:
        last = without_closing(lines[-1]).strip(" ,.!-—")
        if last.lower() == called or any(name == called for _, name in signed):
            out.append("signed with the recipient's name")
    return out


def check_draft(
    text: str,
    facts: list[Fact],
    support: Support,
    own_name: str = "",
    recipient: Optional[str] = None,
    min_body_words: int = 0,
    instruction: str = "",
) -> DraftCheck:
    """Judge one draft against its request; a body (the text between greeting and sign-off) shorter than
    ``min_body_words`` is a defect ('Hi Luke, / Thanks, / Isabel' says nothing)."""
    defects = draft_defects(text, own_name, recipient, instruction)
    if min_body_words and len(mask_frame(text).split()) < min_body_words:
        defects.append("too short")
    return DraftCheck(coverage(facts, text), unsupported_specifics(text, support), defects)
