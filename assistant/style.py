"""What a profile's writing looks like: typical length per kind, greeting and sign-off.

Used for length control (a 135M model left alone writes 2-4x longer than real mail) and to finish
a draft the way the user finishes theirs.
"""

from __future__ import annotations

import collections
import re
import statistics
from dataclasses import dataclass, field

from .mailtext import (
    TITLES,
    greeting_template,
    greeting_word,
    is_bare_greeting,
    is_closing,
    is_greeting,
    is_titled,
)

FORMAL_CLOSING = "Best regards,"
_PRONOUNS = {"i'm", "i'll", "i've", "i'd"}
_TITLES = {t.lower() for t in TITLES} | {t.lower() + "." for t in TITLES} | {"madam", "and", "all"}


@dataclass
class StyleStats:
    """Summary of a profile's own documents."""

    median_words: dict[str, int] = field(default_factory=dict)
    greeting: str = ""
    greeting_template: str = ""  # e.g. 'Hey {name} —'
    closing: str = ""
    name: str = ""  # the name the user signs with (e.g. 'Priya', not 'Priya Raman')
    documents: int = 0
    greetings_by_name: dict[str, str] = field(default_factory=dict)  # 'tom' -> 'Dear Tom,'
    closings_by_name: dict[str, str] = field(default_factory=dict)  # 'tom' -> 'Best regards,'
    bare_greeting: str = ""  # e.g. 'Hi,': how the user opens when no name is known (if they often do)

    def target_words(self, kind: str = "email") -> int:
        """Typical length of this kind of document (words)."""
        return self.median_words.get(kind) or self.median_words.get("all") or 60

    @property
    def signoff(self) -> str:
        """The user's usual sign-off block, e.g. 'Best,\\n\\nIsabel'."""
        return self.signoff_for("")

    def knows_closing_for(self, recipient: str) -> bool:
        """True when the closing for ``recipient`` is settled: the user's past mail shows it, or the
        recipient has a title and is greeted formally (then closed formally, see ``signoff_for``)."""
        return bool(recipient) and (bool(_by_name(self.closings_by_name, recipient)) or is_titled(recipient))

    def signoff_for(self, recipient: str = "") -> str:
        """The sign-off block the user uses with ``recipient`` (their usual one when unknown; under the formal
        greeting of a titled person the user never wrote to, the closing of their own 'Dear ...' mail, else
        'Best regards,')."""
        known = _by_name(self.closings_by_name, recipient)
        closing = known or ((self.formal_closing or FORMAL_CLOSING) if is_titled(recipient) else self.closing)
        if closing and self.name:
            return f"{closing}\n\n{self.name}" if self._blank_before_name else f"{closing}\n{self.name}"
        return self.name

    _blank_before_name: bool = True
    formal_closing: str = ""  # the closing under the user's own 'Dear ...' mail (for titled strangers)


def word_count(text: str) -> int:
    """Number of words."""
    return len(text.split())


def _lines(body: str) -> list[str]:
    return [ln.strip() for ln in body.strip().split("\n") if ln.strip()]


def compute_style(bodies_by_kind: dict[str, list[str]], name: str = "") -> StyleStats:
    """Style statistics from the user's bodies grouped by kind."""
    stats = StyleStats(name=name.split()[0] if name else "")
    all_bodies: list[str] = []
    for kind, bodies in bodies_by_kind.items():
        if bodies:
            stats.median_words[kind] = int(statistics.median(word_count(b) for b in bodies))
            all_bodies.extend(bodies)
    stats.documents = len(all_bodies)
    if all_bodies:
        stats.median_words["all"] = int(statistics.median(word_count(b) for b in all_bodies))
    greetings: collections.Counter[str] = collections.Counter()
    closings: collections.Counter[str] = collections.Counter()
    formal: collections.Counter[str] = collections.Counter()
    templates: collections.Counter[str] = collections.Counter()
    blank_before: collections.Counter[bool] = collections.Counter()
    signed: collections.Counter[str] = collections.Counter()
    bare: collections.Counter = collections.Counter()
    n_emails = 0
    greet_by: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    close_by: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for body in bodies_by_kind.get("email", all_bodies):
        lines = _lines(body)
        n_emails += 1
        if lines and is_bare_greeting(lines[0]):
            bare[lines[0]] += 1
        names: list[str] = []
        if lines and is_greeting(lines[0]):
            names = greeting_names(lines[0])
            if len(names) == 1 and len(lines[0]) <= 40 and len(lines[0].split()) <= 5:
                greet_by[names[0]][lines[0]] += 1  # 'Dear Leo and Grisha,' is no way to greet Leo alone
            greetings[greeting_word(lines[0])] += 1
            templ = greeting_template(lines[0])
            if templ and len(templ) <= 40:
                templates[templ] += 1
        for i, ln in enumerate(lines[-3:]):
            if is_closing(ln):
                closings[ln] += 1
                if lines and greeting_word(lines[0]).lower() == "dear":
                    formal[ln] += 1
                for n in names:
                    close_by[n][ln] += 1
                after = lines[-3:][i + 1 :]
                if after and len(after[0].split()) <= 3:
                    signed[after[0]] += 1
                raw = body.strip()
                pos = raw.rfind(ln)
                blank_before[raw[pos:].count("\n\n") > 0] += 1
                break
    if greetings:
        stats.greeting = greetings.most_common(1)[0][0]
    if templates and templates.most_common(1)[0][1] >= 2:
        stats.greeting_template = templates.most_common(1)[0][0]
    if signed and signed.most_common(1)[0][1] >= 2:
        stats.name = signed.most_common(1)[0][0]
    if closings and closings.most_common(1)[0][1] >= 2:
        stats.closing = closings.most_common(1)[0][0]
    if formal:
        stats.formal_closing = formal.most_common(1)[0][0]
    if blank_before:
        stats._blank_before_name = blank_before.most_common(1)[0][0]
    if bare and bare.most_common(1)[0][1] >= max(2, 0.25 * n_emails):
        stats.bare_greeting = bare.most_common(1)[0][0]
    stats.greetings_by_name = {n: c.most_common(1)[0][0] for n, c in greet_by.items()}
    stats.closings_by_name = {n: c.most_common(1)[0][0] for n, c in close_by.items()}
    return stats


def greeting_names(line: str) -> list[str]:
    """Lower-case names addressed by a greeting line ('Dear Prof. Aman,' -> ['aman'])."""
    word = greeting_word(line)
    if not word:
        return []
    # the salutation ends at '!', '?', ':' or a dash ('Hey! Sorry I missed ...' names nobody); after its
    # first part, a comma-separated part counts only if it is all names ('Dear Rachel, Maria, and Anna,'
    # but not 'Hey Luke, I referred you')
    rest = re.split(r"[!?:;—–]| - ", line.strip()[len(word) :])[0]
    names: list[str] = []
    for i, part in enumerate(rest.split(",")):
        words = [w for w in part.split() if re.search(r"\w", w) and w.lower() not in ("and", "&")]
        taken = []
        for w in words:
            if not re.fullmatch(r"[A-Z][\w'\-]+\.?", w) or w.lower() in _PRONOUNS:
                break
            taken.append(w)
        if i > 0 and len(taken) < len(words):  # a later part that is not all names: a sentence began
            break
        names += [w.lower() for w in taken if w.lower() not in _TITLES]
        if len(taken) < len(words):  # the salutation ran into a sentence
            break
    return names[:3]


def _by_name(table: dict[str, str], recipient: str) -> str:
    for part in (recipient or "").split():
        key = part.lower().strip(".,")
        if key in table:
            return table[key]
    return ""


def has_closing(text: str, name: str = "") -> bool:
    """True if the last lines contain a sign-off or the user's name."""
    tail = _lines(text)[-3:]
    return any(is_closing(ln) or (name and ln.strip(" ,.") == name) for ln in tail)


def with_signoff(text: str, signoff: str) -> str:
    """Replace a closing at the end of ``text`` ('Best regards,\nDavid') by the user's own ``signoff``
    block."""
    lines = text.rstrip().split("\n")
    for i in range(len(lines) - 1, max(-1, len(lines) - 4), -1):
        if is_closing(lines[i]) and len(lines[i].split()) <= 4:
            head = "\n".join(lines[:i]).rstrip()
            return (head + "\n\n" + signoff) if head else text
    return text


def ends_with_closing_phrase(text: str) -> bool:
    """True if the last line is a closing phrase ('Best,') with no name after it."""
    lines = _lines(text)
    return bool(lines) and is_closing(lines[-1])


_GROUP = re.compile(
    r"\b(team|everyone|everybody|all|group|colleagues|folks|guys|committee|department|staff)\b", re.I
)


def nameless_greeting(stats: StyleStats, instruction: str = "") -> str:
    """The greeting line when no recipient is known: never a name the model would have to invent."""
    if _GROUP.search(instruction or ""):
        return f"{'Dear' if stats.greeting == 'Dear' else (stats.greeting or 'Hi')} all,"
    if stats.bare_greeting:
        return stats.bare_greeting
    if not stats.greeting:
        return ""
    return "Hello," if stats.greeting == "Dear" else f"{stats.greeting},"


def greeting_for(stats: StyleStats, recipient: str) -> str:
    """The user's greeting line for ``recipient``: how they greeted that person before, else their usual
    form."""
    known = _by_name(stats.greetings_by_name, recipient)
    if known:
        return known
    if is_titled(recipient):  # 'Prof. Ito', never met in the user's mail: not 'Hey Prof. Ito —'
        return f"Dear {recipient},"
    if stats.greeting_template:
        return stats.greeting_template.replace("{name}", recipient)
    return f"{stats.greeting} {recipient}," if stats.greeting else ""
