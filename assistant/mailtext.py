"""How a mail opens and closes: the one place that recognises greetings and sign-offs.

Style statistics, post-processing, the fidelity checks, the intent builder and the style model's mask all
ask this module, so they agree on what a greeting or a sign-off is. The greeting and closing words match in
any case; a name after them must be capitalised ('Hi there' greets nobody).
"""

from __future__ import annotations

import re
from typing import Optional

GREETING_WORDS = (
    "good afternoon",
    "good evening",
    "good morning",
    "greetings",
    "hello",
    "dear",
    "hey",
    "hi",
)
CLOSING_PHRASES = (
    "all the best",
    "best regards",
    "kind regards",
    "warm regards",
    "many thanks",
    "speak soon",
    "talk soon",
    "take care",
    "thank you",
    "sincerely",
    "regards",
    "cheers",
    "thanks",
    "warmly",
    "yours",
    "best",
    "love",
    "bw",
    "br",
)
_GREET = "(?i:" + "|".join(re.escape(w) for w in GREETING_WORDS) + ")"
_CLOSE = "(?i:" + "|".join(re.escape(w) for w in CLOSING_PHRASES) + ")"
_NAME = r"[A-Z][\w'\-]*"

_GREETING_START = re.compile(rf"^\s*({_GREET})\b")
_GREETING_NAME = re.compile(rf"^\s*({_GREET})\s+({_NAME})")
_SALUTATION = re.compile(rf"^\s*({_NAME})(?:\s+{_NAME})?\s*[,:]\s*$")  # a name alone: 'Priya,' 'Ann Lee:'
_NAME_ALONE = re.compile(rf"^\s*({_NAME})\s*[-—–,.!]*\s*$")  # 'Priya —', 'Sophie'
_BARE_GREETING = re.compile(
    r"^\s*(?i:hi|hello|hey|good morning|(?:dear|hi|hello) (?:all|everyone))[,!]?\s*$",
)
_CLOSING_LINE = re.compile(rf"^\s*({_CLOSE})\b[^\n]{{0,25}}$")
_CLOSING_THEN_NAME = re.compile(rf"^\s*(({_CLOSE})[,!.]?)\s+({_NAME})[.!]?\s*$")
_LEADING_CLOSING = re.compile(rf"^\s*({_CLOSE})\W*")
_FRAME_HEAD = re.compile(rf"^\s*{_GREET}\b[^\n]*\n")
_FRAME_TAIL = re.compile(rf"\n\s*{_CLOSE}\b[^\n]*(\n[^\n]{{0,40}}){{0,2}}\s*$")


def greeting_word(line: str) -> str:
    """The greeting word a line opens with ('Dear', 'Good morning'), capitalised; '' when it is no
    greeting."""
    m = _GREETING_START.match(line)
    return m.group(1).capitalize() if m else ""


def is_greeting(line: str, max_chars: Optional[int] = None) -> bool:
    """True if ``line`` opens like a greeting (and, given ``max_chars``, is no longer than that)."""
    return bool(_GREETING_START.match(line)) and (max_chars is None or len(line.strip()) <= max_chars)


def greeted_name(line: str) -> Optional[re.Match]:
    """The match of a greeting followed by a capitalised word: group 1 the greeting, group 2 the name."""
    return _GREETING_NAME.match(line)


def is_named_greeting(line: str, max_chars: int = 40) -> bool:
    """True if ``line`` is a short greeting addressed to someone by name ('Hi Tom,')."""
    return bool(_GREETING_NAME.match(line)) and len(line.strip()) <= max_chars


def greeting_template(line: str) -> str:
    """The greeting with its name replaced by '{name}' ('Hey Ana —' -> 'Hey {name} —'); '' without a name."""
    m = _GREETING_NAME.match(line)
    if not m:
        return ""
    return line[: m.start(2)].lstrip() + "{name}" + line[m.end(2) :]


def salutation_name(line: str) -> str:
    """The first name of a line that is only a name and a comma or colon ('Priya Raman,' -> 'Priya'); ''
    otherwise."""
    m = _SALUTATION.match(line)
    return m.group(1) if m and not _GREETING_START.match(line) else ""


def name_alone(line: str) -> str:
    """The word of a line that is one capitalised word and punctuation ('Priya —' -> 'Priya'); '' if not."""
    m = _NAME_ALONE.match(line)
    return m.group(1) if m else ""


TITLES = ("Prof", "Professor", "Dr", "Mr", "Mrs", "Ms", "Mx", "Dean", "Rev", "Sir", "Dame")
TITLE = r"(?:" + "|".join(TITLES) + r")\.?"  # 'Prof.', 'Dr', 'Mrs'
_TITLED = re.compile(rf"^\s*{TITLE}\s+(?=[A-Z])")


def is_titled(name: str) -> bool:
    """True for a name with a title in front ('Prof. Ito', 'Dr Weber')."""
    return bool(_TITLED.match(name or ""))


def without_title(name: str) -> str:
    """The name without its title ('Prof. Ito' -> 'Ito'); a name without one as it is."""
    return _TITLED.sub("", (name or "").strip(), count=1)


def first_name(name: str) -> str:
    """The lower-case first word of a name as written, no title taken off (the user's own); '' for none."""
    words = (name or "").split()
    return words[0].lower() if words else ""


def called_name(name: str) -> str:
    """The lower-case first name a person is called by, title left out ('Prof. Ito' -> 'ito'); '' for none."""
    words = without_title(name or "").split()
    return words[0].lower() if words else ""


def is_bare_greeting(line: str) -> bool:
    """True if ``line`` greets without a name ('Hi,', 'Hello all!')."""
    return bool(_BARE_GREETING.match(line))


def is_closing(line: str) -> bool:
    """True if ``line`` is a sign-off phrase, maybe with a few words after it ('Best,', 'Thanks again!')."""
    return bool(_CLOSING_LINE.match(line))


def closing_then_name(line: str) -> Optional[tuple[str, str]]:
    """('Thanks,', 'John') for a sign-off and a name on one line ('Thanks, John'); None otherwise."""
    m = _CLOSING_THEN_NAME.match(line)
    return (m.group(1), m.group(3)) if m else None


def without_closing(line: str) -> str:
    """``line`` with a leading sign-off phrase and its punctuation taken off ('Best, Tom' -> 'Tom')."""
    return _LEADING_CLOSING.sub("", line, count=1)


def signoff_block(text: str) -> str:
    """The sign-off lines that end ``text`` ('Best,\\nDavid'); '' when it ends with none."""
    m = _FRAME_TAIL.search(text.rstrip())
    return m.group(0).strip() if m else ""


def mask_frame(text: str) -> str:
    """The text without its greeting line and its sign-off block."""
    return _FRAME_TAIL.sub("\n", _FRAME_HEAD.sub("", text.strip())).strip()
