"""Cleaning a raw draft so it reads like the user's mail, not a chatbot's.

- the draft ends at the user's sign-off (the model tends to run on into another mail);
- "[Your Name]"-style placeholders are filled from the profile or removed;
- a greeting addressed to the user's own name (leaked from exemplars) is re-addressed;
- a chatbot preamble ("Sure! Here's an email...") and a "Subject:" line are dropped.
All functions work line by line, so the CLI and GUI can show cleaned text while it streams.
"""

from __future__ import annotations

import re
from typing import Optional

from .mailtext import (
    TITLE,
    called_name,
    closing_then_name,
    first_name,
    greeted_name,
    is_greeting,
    is_named_greeting,
    is_titled,
    name_alone,
    salutation_name,
)
from .style import ends_with_closing_phrase, has_closing, with_signoff

_PLACEHOLDER = re.compile(r"\[([^\[\]\n]{1,40})\]")
_SELF = re.compile(r"^(your|my|sender'?s?)( full)? name$|^name$|^your signature$", re.I)
_OTHER = re.compile(
    r"recipient|their name|his name|her name|name of|boss|manager|colleague|friend|first name|client", re.I
)
_PREAMBLE = re.compile(
    r"^(sure|certainly|of course|here('s| is)|absolutely)\b.{0,80}(email|message|draft|reply|note)\b.*:?\s*$",
    re.I,
)
_SUBJECT = re.compile(r"^\s*subject\s*:", re.I)
_RUN_ON = re.compile(r"^\s*(subject|from|to|date|sent)\s*:|^\s*-{3,}\s*$|^<\|", re.I)
# lines that are the model talking about the mail, or the prompt's own words coming back
_CHATTER = re.compile(
    r"^\s*[*(]+\s*note\b|^\s*(the answer is|answer:|explanation:|output:)|^\s*(#\w+\s*)+$|"
    r"^\s*length\s*:|\babout \d+ words\.?\s*$|^\s*write an? (email|note)\b.*:|"
    r"^\s*it replies to this message|\bas an ai\b",
    re.I,
)
_TRAILING_TAGS = re.compile(r"(\s+#[A-Za-z]\w*)+\s*$")


def fill_placeholders(line: str, own_name: str, recipient: Optional[str]) -> str:
    """Replace or remove bracketed placeholders in one line."""

    def repl(m: re.Match) -> str:
        inner = m.group(1).strip()
        if _SELF.search(inner):
            return own_name
        if _OTHER.search(inner):
            return recipient or ""
        return ""

    if not _PLACEHOLDER.search(line):
        return line
    out = _PLACEHOLDER.sub(repl, line)
    out = re.sub(r"\s+([,.!?;:])", r"\1", out)
    out = re.sub(r"\s{2,}", " ", out)
    return out.rstrip()


def clean_lines(text: str, own_name: str = "", recipient: Optional[str] = None) -> tuple[str, bool]:
    """Clean complete lines of a draft; return (text, finished) where finished means the mail has ended."""
    out: list[str] = []
    finished = False
    lines = text.split("\n")
    own_first = first_name(own_name)
    people = {n for n in (own_first, called_name(recipient or "")) if n}  # the user and the recipient
    for raw in lines:
        line = raw.rstrip()
        if line.startswith(" ") and not line.startswith("  "):
            line = line[1:]  # the token after a prefilled blank line often carries a space
        nonblank = [ln for ln in out if ln.strip()]
        opening = not nonblank or (len(nonblank) == 1 and is_greeting(nonblank[0]))  # after a prefill
        if opening and (_PREAMBLE.match(line) or _SUBJECT.match(line)):
            continue
        if nonblank and _RUN_ON.match(line):
            finished = True
            break
        if nonblank and len(nonblank) >= 2 and is_named_greeting(line):
            finished = True  # a second mail begins
            break
        greeted = greeted_name(line) if len(nonblank) >= 2 else None
        if greeted and greeted.group(2).lower() in people:
            finished = True  # 'Hey Hugo! You're right...' under the body: a second mail, however long
            break
        alone = name_alone(line).lower() if len(nonblank) >= 2 else ""
        if alone and own_name and alone in people:  # a sign-off line before the mail's end: it ends here
            out.append(line.strip(" -—–,.!") if alone == own_first else own_name)  # signed by the user
            finished = True
            break
        if _CHATTER.search(line):
            continue
        line = _TRAILING_TAGS.sub("", line)
        cm = closing_then_name(line)
        if nonblank and cm and own_name and cm[1].lower() != own_first:
            out.append(cm[0] if cm[0][-1] in ",!." else cm[0] + ",")
            out.append(own_name)  # 'Thanks, John' (the recipient): the user signs their own mail
            finished = True
            break
        line = fill_placeholders(line, own_name, recipient)
        salutation = salutation_name(line).lower() if opening and nonblank else ""
        if salutation and salutation in people:
            continue  # 'Priya,' under 'Hey Stephan —': a second salutation (often the user's own name)
        if not nonblank:
            m = greeted_name(line)
            if m and own_name and m.group(2).lower() == own_first:
                line = line[: m.start(2)] + (recipient or "") + line[m.end(2) :]
                line = re.sub(r"\s+,", ",", line).replace("  ", " ")
        if raw.strip() and not line.strip():
            continue  # a line that was only a placeholder
        if not line.strip() and out and not out[-1].strip():
            continue  # at most one blank line in a row
        if (
            own_name
            and line.strip() != own_name
            and _near_name(line.strip(), own_name)
            and len(nonblank) >= 2
        ):
            line = own_name  # 'Isabella' for 'Isabel': the model misspelt the signature
        after_closing = bool(nonblank) and ends_with_closing_phrase(nonblank[-1])
        if own_name and after_closing and line.strip().startswith(own_name):
            line = own_name  # 'Priya. I'm going to...' after 'Cheers,': the signature ends the mail
        elif own_name and after_closing and _NAME_LINE.match(line.strip()):
            line = own_name  # signed with another name (often the recipient's): the user signs their own mail
        out.append(line)
        if (
            own_name
            and len(nonblank) >= 2
            and (line.strip(" ,.") == own_name or (after_closing and line.strip().startswith(own_name)))
        ):
            finished = True
            break
    while out and not out[0].strip():
        out.pop(0)
    return "\n".join(out), finished


def finish_draft(
    text: str,
    own_name: str = "",
    recipient: Optional[str] = None,
    signoff: str = "",
    max_words: Optional[int] = None,
    known_signoff: bool = False,
) -> str:
    """Final clean-up of a whole draft: clean, trim a run-on, end with the user's sign-off (``known_signoff``:
    the
    one the user uses with this recipient, which replaces the model's)."""
    cleaned, _ = clean_lines(text, own_name, recipient)
    cleaned = _own_signature(cleaned.strip(), own_name)
    if max_words and len(cleaned.split()) > max_words:
        cleaned = _trim_to_sentence(cleaned, max_words)
    lines = cleaned.rstrip().split("\n")
    if own_name and "\n" in signoff and len(lines) >= 2 and lines[-1].strip() == own_name:
        head = "\n".join(lines[:-1]).rstrip()
        if head and not ends_with_closing_phrase(head):
            cleaned = head + "\n\n" + signoff  # 'No, no more.\nPriya': the user's sign-off, not the bare name
    if signoff and cleaned and not has_closing(cleaned, own_name):
        cleaned = cleaned.rstrip() + "\n\n" + signoff
    elif known_signoff and signoff and cleaned and "\n" in signoff:  # the one the user uses with this person
        cleaned = with_signoff(cleaned, signoff)
    elif own_name and cleaned and ends_with_closing_phrase(cleaned):
        cleaned = cleaned.rstrip() + ("\n\n" if "\n\n" in signoff else "\n") + own_name
    return cleaned.strip()


def _trim_to_sentence(text: str, max_words: int) -> str:
    words = 0
    out: list[str] = []
    for para in text.split("\n\n"):
        n = len(para.split())
        if words + n <= max_words or not out:
            out.append(para if words + n <= max_words else _cut_para(para, max_words - words))
            words += n
        else:
            break
    return "\n\n".join(p for p in out if p.strip())


def _cut_para(para: str, budget: int) -> str:
    sentences = re.split(r"(?<=[.!?])\s+", para)
    out: list[str] = []
    n = 0
    for s in sentences:
        if n + len(s.split()) > max(budget, 1) and out:
            break
        out.append(s)
        n += len(s.split())
    return " ".join(out)


def recipient_first_name(display: str) -> Optional[str]:
    """First name from a 'Name <addr>' display string, if it has one."""
    name = display.split("<")[0].strip().strip('"')
    if "," in name:  # 'Doe, John'
        name = name.split(",", 1)[1].strip()
    words = name.split()
    if len(words) >= 2 and is_titled(name) and words[-1][:1].isupper() and words[-1].isalpha():
        return f"{words[0]} {words[-1]}"  # 'Prof. Kenji Ito' -> 'Prof. Ito' (the greeting keeps the title)
    first = words[0] if words else ""
    return first if first[:1].isupper() and first.isalpha() else None


_ADDRESSEE = re.compile(
    r"\b(?:thank|tell|ask|remind|invite|email|e-mail|write to|reply to|answer|congratulate|inform|update|"
    r"let|welcome|thanking|asking|telling|message|ping|respond to|apologi[sz]e to|introduce myself to)\s+"
    rf"((?:{TITLE}\s+)?[A-Z][a-z]+)\b"
)
_NOT_NAMES = {"The", "My", "Our", "Your", "Them", "Him", "Her", "Everyone", "All", "Team", "Me", "Us", "I"}


def addressee_from_instruction(instruction: str) -> Optional[str]:
    """The person an instruction names as the addressee ('thank John for...' -> 'John'), if any."""
    m = _ADDRESSEE.search(instruction)
    if m and m.group(1) not in _NOT_NAMES:
        return m.group(1)
    return None


def _near_name(text: str, name: str) -> bool:
    """True for a one-word line that is a small misspelling of ``name``."""
    if " " in text or not text[:1].isupper() or abs(len(text) - len(name)) > 2:
        return False
    return text.lower().startswith(name.lower()[: max(3, len(name) - 1)])


_NAME_LINE = re.compile(r"^[A-Z][\w'\-]+( [A-Z][\w'\-]+)?[.!]?$")


def _own_signature(text: str, own_name: str) -> str:
    """A draft signed with someone else's name after the closing ('Cheers,\nMarco') is signed by the user."""
    lines = text.split("\n")
    idx = [i for i, ln in enumerate(lines) if ln.strip()]
    if own_name and len(idx) >= 2:
        last, prev = idx[-1], idx[-2]
        if (
            ends_with_closing_phrase(lines[prev])
            and _NAME_LINE.match(lines[last].strip())
            and lines[last].strip() != own_name
        ):
            lines[last] = own_name
    return "\n".join(lines)
