"""The checkable content of a request, and whether a draft carries it or invents more.

A *fact* is a specific the user asked for: a name or place, a weekday, a date, a time, a number, a
yes/no answer, or an ask ("ask Mia for the signed lease": the draft must ask for the lease, as a question
or a request, not only mention it). ``extract_facts`` finds them in an instruction; ``coverage`` says which
of them a draft states (times and numbers compared by value: "7.30 pm" states "7:30", "three" states "3").
``unsupported_specifics`` lists the days, dates, times, numbers and names a draft states that
appear in neither the instruction, the mail being answered nor the user's profile: what a small
model invents. Everything here is plain regular expressions over text, shared by drafting (rerank,
regenerate, guidance), the CLI/GUI flags and the evaluation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Optional

from .mailtext import is_closing, is_greeting

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTH_ABBR = {m[:3]: i + 1 for i, m in enumerate(MONTHS)} | {"sept": 9}
_DAY_ABBR = {d[:3]: d for d in WEEKDAYS} | {"tues": "tuesday", "thur": "thursday", "thurs": "thursday"}
PARTS_OF_DAY = ("morning", "afternoon", "evening", "night", "noon", "midday", "lunchtime", "lunch")
NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": 30, "forty": 40, "fifty": 50, "hundred": 100, "half": 0.5, "dozen": 12}

_TIME = re.compile(
    r"\b(?P<h>[01]?\d|2[0-3])(?:[:.](?P<m>[0-5]\d))?\s*(?P<ap>[ap]\.m\.?|[ap]m)(?![a-z])"
    r"|\b(?P<h2>[01]?\d|2[0-3])[:.](?P<m2>[0-5]\d)\b"
    r"|\b(?P<word>noon|midday|midnight)\b"
    r"|\bhalf past (?P<hp>one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d{1,2})\b",
    re.I,
)
_DATE = re.compile(
    r"\b(?P<mon1>" + "|".join(m[:3] for m in MONTHS) + r")[a-z]*\.?\s+(?P<d1>[0-3]?\d)(?:st|nd|rd|th)?\b"
    r"|\b(?P<d2>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon2>"
    + "|".join(m[:3] for m in MONTHS)
    + r")[a-z]*\b"
    r"|\b(?P<y>\d{4})-(?P<mo>[01]\d)-(?P<d3>[0-3]\d)\b"
    r"|\bthe\s+(?P<d4>[0-3]?\d)(?:st|nd|rd|th)\b",
    re.I,
)
_MONTH_ALONE = re.compile(r"\b(" + "|".join(MONTHS) + r")\b", re.I)
_WEEKDAY = re.compile(r"\b(" + "|".join(WEEKDAYS) + r"|tomorrow|tonight)s?\b", re.I)
_NUMBER = re.compile(
    r"(?<![\w:.])[$€£]?(?P<n>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\s*(?:%|percent|k\b|eur|euros?|"
    r"dollars?|pounds?|usd))?(?![\w:])",
    re.I,
)
_NUMBER_WORD = re.compile(
    r"\b(" + "|".join(k for k in NUMBER_WORDS if k not in ("half", "zero")) + r")\b", re.I
)
_PART_OF_DAY = re.compile(r"\b(" + "|".join(PARTS_OF_DAY) + r")s?\b", re.I)
_CAP_WORD = re.compile(r"[A-Z][\w'\u2019\-]*(?:\.?)")
_TOKEN = re.compile(r"[A-Za-z][\w'\u2019\-]*\.?|\d[\d:.,]*|[.!?;:\n—–-]")

YES_INSTRUCTION = re.compile(
    r"\b(say(ing)? yes|accept(ing)?|agree(ing)?|(that )?(it|this|that|thursday|[a-z]+day) "
    r"works|happy to|confirm(ing)? (that )?(i|we)('ll| will| can)|i('ll| will) (come|be there|do it)"
    r"|count me in|(i|we) can (come|make it|do it|join))\b",
    re.I,
)
NO_INSTRUCTION = re.compile(
    r"\b(say(ing)? no|decline|declining|turn(ing)? (it |them |him |her )?down|(i|we) can(no|')t|"
    r"(i|we) cannot|(i|we) won't be able|not able to|unable to|say (that )?(i|we) can't|"
    r"politely refuse|refuse)\b",
    re.I,
)
YES_DRAFT = re.compile(
    r"\b(yes|yep|happy to|glad to|(i'd|i would|we'd) (love|be happy|be glad|be delighted)|"
    r"love to|sounds (good|great|perfect|lovely)|works (for|well)|(that|it|this|[a-z]+day) works|"
    r"count me in|(i|we) can (do|make|come|join)|(?<!i'm )(?<!i am )(?<!be )sure|"
    r"absolutely|definitely|delighted|of course|"
    r"will do|(i'll|i will|we'll) be there|see you|i'm in|accept|agreed|great idea|perfect)\b",
    re.I,
)
# "no" as an answer, not "no problem" / "no worries" (which are a yes)
_BARE_NO = r"no(?![\s-]+(problem|problems|worries|worry|doubt|trouble|need|rush|question))"
NO_DRAFT = re.compile(
    rf"\b({_BARE_NO}|can't|cannot|can not|won't be able|unable|not able|unfortunately|afraid|regret|"
    r"have to (decline|pass)|must decline|not possible|sadly|decline)\b",
    re.I,
)
# an opening that also gives the other answer answers nothing ("Yes and no?")
NO_ANSWER = re.compile(
    rf"\b({_BARE_NO}|"
    r"(can't|cannot|can not|won't be able to|unable to|not able to) (make|come|do|attend|join|be there|help)|"
    r"must decline|have to (decline|pass))\b",
    re.I,
)
YES_ANSWER = re.compile(r"\b(yes|yep|count me in|i'm in|(i'll|i will|we'll) be there)\b", re.I)

# "ask Mia for ...", "ask her to ...", "ask Prof. Ito whether ...": what is asked runs to the next clause
ASK_INSTRUCTION = re.compile(
    r"\bask(?:s|ing)?\s+"
    r"(?:(?:her|him|them|everyone|the team|[A-Z][\w'\u2019.\-]*(?:\s+[A-Z][\w'\u2019.\-]*){0,2})\s+)?"
    r"(?P<what>(?:for|to|whether|if|about|when|what|where|who|how|which)\b.*?)"
    r"(?=\s+and\s+(?:say|tell|thank|ask|confirm|mention|suggest|remind|offer)\b|[,;]|$)",
    re.I | re.S,
)
# a sentence that asks: a question, or a request ("Please send ...", "Could you ...", "Let me know if ...")
_ASKING = re.compile(
    r"\?\s*$|\b(please|could you|would you|can you|will you|could we|can we|would it be possible|"
    r"is it possible|let me know|i was wondering|i wonder|(i'd|i would) (like|love) to (ask|know)|"
    r"(i'd|i would|we'd) appreciate|if you could|do you (know|have|think)|any chance)\b",
    re.I,
)
_ASK_FILLER = set(
    """for to whether if about when what where who how which the a an we can could our my your you me us i is
are be by in on at of or and it this that with from send get give let know have do make take please share
her him them everyone team some any""".split()
)

# capitalised words that are not names of people or places (sentence words, titles, pronouns)
_NOT_NAMES = {
    w.lower()
    for w in """I I'm I'll I've I'd Im Ill Ive Id OK Ok Mr Mrs Ms Dr Prof Sir Madam Dear Hi Hello Hey
Thanks Thank Best Cheers Regards Kind Warm Yours Sincerely Please Re Fwd Fw Subject From To Cc PS P.S
Yes No Sorry
The A An And But Or So If Also Let Could Would Should Can Will May Might Must Shall Do Does Did Is Are Was
Were Be
Hope Have Has Had Just Great Good Sounds Sure Absolutely Looking Happy Glad Love All Any Our My Your We You
He She
They It This That These Those There Here What When Where Who Why How Not Unfortunately Of As At In On For
With By
About After Before Again Once Still See Talk Speak Take Many Much Lots Thx Ty Btw FYI ASAP Email E-mail Mail
Morning Afternoon Evening Night Today Tomorrow Tonight Yesterday Week Weekend Month Year Christmas Easter
English French German Spanish Italian Dutch Polish Internet Zoom Teams Skype Slack Google Gmail Monday Tuesday
Wednesday Thursday Friday Saturday Sunday January February March April June July August September October
November December Mon Tue Wed Thu Fri Sat Sun""".split()
}


@dataclass(frozen=True)
class Fact:
    """One checkable specific of a request."""

    kind: str  # name | day | date | time | number | part-of-day | yes | no | ask
    text: str  # as the user wrote it
    key: tuple = ()  # normalised value compared with what a draft states
    variants: tuple[str, ...] = ()  # surface forms a draft may use (for guidance)

    def as_dict(self) -> dict:
        """JSON-friendly form."""
        return {"kind": self.kind, "text": self.text}


@dataclass
class Coverage:
    """Which required facts a draft states."""

    required: list[Fact] = field(default_factory=list)
    missing: list[Fact] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        """Share of the required facts present (1.0 when nothing was required)."""
        return 1.0 - len(self.missing) / len(self.required) if self.required else 1.0

    def as_dict(self) -> dict:
        """JSON-friendly form."""
        return {
            "ratio": round(self.ratio, 4),
            "required": [f.text for f in self.required],
            "missing": [f.text for f in self.missing],
        }


# --- specifics: what a text states, normalised
# ---------------------------------------------------------------------
def _hour(word: str) -> int:
    return int(word) if word.isdigit() else int(NUMBER_WORDS[word.lower()])


def times_in(text: str) -> list[tuple[str, tuple]]:
    """(surface, (hour 1-12, minute, 'am'|'pm'|'')) of each clock time in ``text``."""
    out = []
    for m in _TIME.finditer(text):
        if m.group("word"):
            w = m.group("word").lower()
            out.append((m.group(0), (12, 0, "am" if w == "midnight" else "pm")))
        elif m.group("hp"):
            out.append((m.group(0), (_hour(m.group("hp")) % 12 or 12, 30, "")))
        else:
            h = int(m.group("h") or m.group("h2"))
            minute = int(m.group("m") or m.group("m2") or 0)
            ap = (m.group("ap") or "").lower()[:1]
            ap = "pm" if ap == "p" or h > 12 else ("am" if ap == "a" else "")
            out.append((m.group(0), (h % 12 or 12, minute, ap)))
    return out


def dates_in(text: str) -> list[tuple[str, tuple]]:
    """(surface, (month or 0, day)) of each calendar date in ``text``; a month alone gives (month, 0)."""
    out, spans = [], []
    for m in _DATE.finditer(text):
        spans.append(m.span())
        if m.group("mon1") or m.group("mon2"):
            mon = _MONTH_ABBR[(m.group("mon1") or m.group("mon2")).lower()[:3]]
            day = int(m.group("d1") or m.group("d2"))
            if (
                m.group("mon1")
                and m.group("mon1").lower() == "may"
                and m.group(0).lower().startswith("may ")
                and not 1 <= day <= 31
            ):
                continue
            out.append((m.group(0), (mon, day)))
        elif m.group("y"):
            out.append((m.group(0), (int(m.group("mo")), int(m.group("d3")))))
        elif m.group("d4"):
            out.append((m.group(0), (0, int(m.group("d4")))))
    for m in _MONTH_ALONE.finditer(text):
        if any(a <= m.start() < b for a, b in spans):
            continue
        if m.group(1).lower() == "may" and not (
            m.group(1)[0].isupper()
            and m.start() > 0
            and text[m.start() - 1] == " "
            and not _sentence_start(text, m.start())
        ):
            continue  # 'may' the verb
        out.append((m.group(0), (_MONTH_ABBR[m.group(1).lower()[:3]], 0)))
    return out


def _sentence_start(text: str, pos: int) -> bool:
    before = text[:pos].rstrip(" \t\"'(*")
    return not before or before[-1] in ".!?:\n—–-"


def weekdays_in(text: str) -> list[str]:
    """Weekdays (and 'tomorrow'/'tonight') named in ``text``, lower-case."""
    return [m.group(1).lower() for m in _WEEKDAY.finditer(text)]


def numbers_in(text: str) -> list[tuple[str, float]]:
    """(surface, value) of the numbers in ``text`` outside clock times and dates (digits and number words)."""
    masked = text
    for pattern in (_TIME, _DATE):
        masked = pattern.sub(lambda m: " " * len(m.group(0)), masked)
    out = []
    for m in _NUMBER.finditer(masked):
        try:
            out.append((m.group(0).strip(), float(m.group("n").replace(",", ""))))
        except ValueError:
            continue
    for m in _NUMBER_WORD.finditer(masked):
        if m.group(1).lower() == "one":
            continue  # 'one of', 'the one': rarely a quantity
        out.append((m.group(0), float(NUMBER_WORDS[m.group(1).lower()])))
    return out


def _is_cap(tok: str) -> bool:
    return tok[:1].isupper() and not tok.isupper() and bool(_CAP_WORD.fullmatch(tok))


def names_in(text: str) -> list[str]:
    """Capitalised words or runs ('Green Street', 'Prof. Ito') that are not common words; a lone capitalised
    word
    at a sentence start is ambiguous and skipped."""
    out: list[str] = []
    tokens = list(_TOKEN.finditer(text))
    i = 0
    while i < len(tokens):
        if not _is_cap(tokens[i].group(0)):
            i += 1
            continue
        run = [tokens[i]]
        j = i + 1
        while (
            j < len(tokens) and _is_cap(tokens[j].group(0)) and tokens[j].start() - tokens[j - 1].end() <= 1
        ):
            run.append(tokens[j])
            j += 1
        i = j
        if _sentence_start(
            text, run[0].start()
        ):  # 'Sending March numbers': a sentence's first word is ambiguous
            run = run[1:]
            if not run:
                continue
        words = [t.group(0).rstrip(".") for t in run if t.group(0).rstrip(".").lower() not in _NOT_NAMES]
        if words and len(" ".join(words)) > 1:
            out.append(" ".join(words))
    return out


_WORD = re.compile(r"[A-Za-z][\w'\u2019\-]*")


def _stem(word: str) -> str:
    """A rough stem for matching an ask's words: 'moving'/'move', 'numbers'/'number', 'signed'/'sign'."""
    w = word.lower().strip("'\u2019.")
    for suffix in ("ing", "ed", "es", "s", "e"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            break
    return w[:5]


def _ask_stems(what: str) -> tuple[str, ...]:
    """The content words of what is asked (not its weekdays, months or numbers: those are facts of their
    own)."""
    words = _WORD.findall(what)
    keep = [
        w
        for w in words
        if w.lower() not in _ASK_FILLER
        and w.lower() not in WEEKDAYS
        and w.lower() not in MONTHS
        and w.lower() not in NUMBER_WORDS
        and len(w) > 2
    ]
    return tuple(dict.fromkeys(_stem(w) for w in keep))


def _asks(stems: tuple, draft: str) -> bool:
    """Whether a sentence of the draft's body asks (a question or a request) about one of ``stems`` ('How
    about Friday?' does not ask for the final numbers by Friday)."""
    body = "\n".join(ln for ln in draft_body(draft).split("\n") if not is_closing(ln.strip()))
    for sentence in (s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", body)):
        if not _ASKING.search(sentence):
            continue
        if not stems or {_stem(w) for w in _WORD.findall(sentence)} & set(stems):
            return True
    return False


# --- facts of an instruction
# ---------------------------------------------------------------------------------------
def _number_variants(value: float) -> tuple[str, ...]:
    as_int = int(value) if value == int(value) else None
    out = [f"{as_int}" if as_int is not None else f"{value}"]
    for w, v in NUMBER_WORDS.items():
        if as_int is not None and v == as_int and w not in ("zero",):
            out.append(w)
    return tuple(out)


def extract_facts(instruction: str, recipient: str = "") -> list[Fact]:
    """The checkable specifics of an instruction (recipient given = counted as a name to mention)."""
    facts: list[Fact] = []
    seen: set[tuple] = set()

    def add(f: Fact) -> None:
        if (f.kind, f.key) not in seen:
            seen.add((f.kind, f.key))
            facts.append(f)

    for surface, key in times_in(instruction):
        h, mnt = key[0], key[1]
        variants: tuple[str, ...] = (f"{h}:{mnt:02d}",) if mnt else (f"{h}",)
        if key[2] and not re.search(r"noon|midday|midnight", surface, re.I):
            variants = (variants[0] + f" {key[2]}", variants[0] + key[2])
        if "noon" in surface.lower() or "midday" in surface.lower():
            variants = ("noon", "midday")
        add(Fact("time", surface.strip(), ("time",) + tuple(key), variants))  # key: (h, m, am/pm)
    for surface, key in dates_in(instruction):
        mon, day = key
        mname = MONTHS[mon - 1].capitalize() if mon else ""
        variants = tuple(
            v
            for v in (
                f"{mname} {day}" if mon and day else "",
                f"{day} {mname}" if mon and day else "",
                mname if mon and not day else "",
                f"the {day}th" if day and not mon else "",
            )
            if v
        )
        add(Fact("date", surface.strip(), ("date", mon, day), variants))
    for m in re.finditer(
        r"\b(" + "|".join(WEEKDAYS) + r")s?\s+(morning|afternoon|evening|night|lunchtime)\b",
        instruction,
        re.I,
    ):
        day, part = m.group(1).lower(), m.group(2).lower()
        add(Fact("day", f"{day.capitalize()} {part}", ("day", day, part), (f"{day.capitalize()} {part}",)))
        seen.add(("day", ("day", day)))
        seen.add(("part-of-day", ("part", part)))
    for day in weekdays_in(instruction):
        add(
            Fact(
                "day",
                day.capitalize() if day in WEEKDAYS else day,
                ("day", day),
                (day.capitalize(),) if day in WEEKDAYS else (day,),
            )
        )
    for m in _PART_OF_DAY.finditer(instruction):
        word = m.group(1).lower()
        if word in ("noon", "midday"):
            continue
        add(Fact("part-of-day", word, ("part", "lunch" if word == "lunchtime" else word), (word,)))
    for surface, value in numbers_in(instruction):
        if _NUMBER_WORD.fullmatch(surface) and value == 1:
            continue
        add(Fact("number", surface, ("number", value), _number_variants(value)))
    known_lower = {w.lower() for f in facts for w in f.text.split()}
    for name in names_in(instruction):
        if name.lower() in known_lower or name.lower() in WEEKDAYS or name.lower() in MONTHS:
            continue
        add(Fact("name", name, ("name", name.lower()), (name,)))
    if recipient and ("name", recipient.lower()) not in seen and recipient.lower() not in known_lower:
        add(Fact("name", recipient, ("name", recipient.lower()), (recipient,)))
    if NO_INSTRUCTION.search(instruction):
        add(Fact("no", "no", ("no",), ("Unfortunately", "Sadly")))
    elif YES_INSTRUCTION.search(instruction):
        add(Fact("yes", "yes", ("yes",), ("Yes", "Sure")))
    for m in ASK_INSTRUCTION.finditer(instruction):
        what = m.group("what").strip()
        # no variants: no words to push towards (a later attempt may begin with a request, see guidance)
        add(Fact("ask", f"ask {what}", ("ask", _ask_stems(what))))
    return facts


def states(fact: Fact, draft: str) -> bool:
    """Whether ``draft`` states ``fact``."""
    if fact.kind == "time":
        h, mnt, ap = fact.key[1:4]
        found = [k for _, k in times_in(draft)]
        if any(k[0] == h and k[1] == mnt and (not ap or not k[2] or k[2] == ap) for k in found):
            return True
        if mnt == 0 and not any(k[0] == h for k in found):  # '7' asked: '7' or 'seven' states it
            return any(v == h for _, v in numbers_in(draft))
        return False
    if fact.kind == "date":
        mon, day = fact.key[1], fact.key[2]
        for _, (m2, d2) in dates_in(draft):
            if (not mon or m2 == mon or not m2) and (not day or d2 == day) and (m2 or d2):
                if mon and not day and m2 == mon:
                    return True
                if day and d2 == day and (not mon or m2 in (0, mon)):
                    return True
        return bool(day) and not mon and any(v == day for _, v in numbers_in(draft))
    if fact.kind == "day":
        return fact.key[1] in weekdays_in(draft) or (
            fact.key[1][:3] in {m.group(0).lower()[:3] for m in re.finditer(r"\b[A-Z][a-z]{2}\b", draft)}
        )
    if fact.kind == "part-of-day":
        word = fact.key[1]
        return (
            bool(re.search(rf"\b{word}s?\b", draft, re.I))
            or (
                word == "evening"
                and bool(re.search(r"\b(tonight|dinner|after work|[5-9](:\d\d)?\s*p\.?m)\b", draft, re.I))
            )
            or (word == "lunch" and bool(re.search(r"\b(noon|midday|lunch)", draft, re.I)))
        )
    if fact.kind == "number":
        return (
            any(abs(v - fact.key[1]) < 1e-9 for _, v in numbers_in(draft))
            or any(k[0] == fact.key[1] for _, k in times_in(draft))
            or any(k[1] == fact.key[1] for _, k in dates_in(draft))
        )
    if fact.kind == "name":
        parts = [p for p in fact.text.split() if p.lower() not in _NOT_NAMES] or fact.text.split()
        return all(re.search(rf"\b{re.escape(p)}\b", draft, re.I) for p in parts)
    if fact.kind == "day" and len(fact.key) == 3:  # 'Thursday evening'
        day, part = fact.key[1], fact.key[2]
        return bool(
            re.search(
                rf"\b{day}s?\W+(\w+\W+){{0,3}}?({part}|night|dinner|after work|[5-9](:\d\d)?\s*p\.?m)",
                draft,
                re.I,
            )
            or re.search(rf"\b{part}\W+(\w+\W+){{0,2}}?{day}", draft, re.I)
        )
    if fact.kind == "ask":
        return _asks(fact.key[1], draft)
    if fact.kind in ("yes", "no"):  # the answer comes first (the opening two sentences), and only that answer
        opening = " ".join(re.split(r"(?<=[.!?])\s+", " ".join(draft_body(draft).split()))[:2])
        given, other = (YES_DRAFT, NO_ANSWER) if fact.kind == "yes" else (NO_DRAFT, YES_ANSWER)
        return bool(given.search(opening)) and not other.search(opening)
    return fact.text.lower() in draft.lower()


def draft_body(draft: str) -> str:
    """The draft without its greeting line (a 'Hi Ana,' never answers yes or no)."""
    lines = draft.strip().split("\n")
    if lines and is_greeting(lines[0]):
        lines = lines[1:]
    return "\n".join(lines)


def coverage(facts: list[Fact], draft: str) -> Coverage:
    """Which of ``facts`` the draft states."""
    return Coverage(list(facts), [f for f in facts if not states(f, draft)])


# --- invented specifics
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Specific:
    """A day, date, time, number or name stated in a draft."""

    kind: str
    text: str

    def as_dict(self) -> dict:
        """JSON-friendly form."""
        return {"kind": self.kind, "text": self.text}


@dataclass
class Support:
    """What a draft may state without being asked: the request, the mail answered, the user's profile."""

    weekdays: set[str] = field(default_factory=set)
    dates: set[tuple] = field(default_factory=set)
    months: set[int] = field(default_factory=set)
    times: set[tuple] = field(default_factory=set)
    numbers: set[float] = field(default_factory=set)
    words: set[str] = field(default_factory=set)
    digits: set[str] = field(default_factory=set)  # digit strings a draft may write ('7', '30', '2500', '19')

    @classmethod
    def from_texts(cls, texts: Iterable[str], names: Iterable[str] = ()) -> Support:
        """Everything stated in ``texts`` plus the profile's own ``names``."""
        s = cls()
        for text in texts:
            if not text:
                continue
            s.weekdays |= set(weekdays_in(text))
            for _, (mon, day) in dates_in(text):
                s.dates.add((mon, day))
                if mon:
                    s.months.add(mon)
                if day:
                    s.numbers.add(float(day))
            for _, key in times_in(text):
                s.times.add(key[:2])
                s.numbers.add(float(key[0]))
                if key[1]:
                    s.numbers.add(float(key[1]))
            for _, v in numbers_in(text):
                s.numbers.add(v)
                if v <= 24:
                    s.times.add((int(v) % 12 or 12, 0) if v == int(v) else (0, 0))
            s.words |= {w.lower().strip(".") for w in re.findall(r"[\w'\u2019\-.]+", text)}
            s.digits |= set(re.findall(r"\d+", text))
        s.digits |= {str(int(v)) for v in s.numbers if v == int(v)}
        for hour, minute in s.times:  # a minute may be written '05' or '5'
            s.digits |= {str(hour), f"{minute:02d}", str(minute)}
        for n in names:
            s.words |= {w.lower().strip(".,") for w in n.split()}
        return s


def unsupported_specifics(draft: str, support: Support) -> list[Specific]:
    """The specifics ``draft`` states that ``support`` does not contain."""
    out: list[Specific] = []
    seen: set[str] = set()

    def add(kind: str, text: str) -> None:
        if text.lower() not in seen:
            seen.add(text.lower())
            out.append(Specific(kind, text))

    body = draft_body(draft)
    for day in weekdays_in(body):
        if day not in support.weekdays and not (day in ("tonight",) and "evening" in support.words):
            add("day", day.capitalize())
    for surface, (mon, day) in dates_in(body):
        if (
            day
            and (mon, day) not in support.dates
            and not (mon == 0 and float(day) in support.numbers)
            and (0, day) not in support.dates
        ):
            add("date", surface)
        elif mon and not day and mon not in support.months:
            add("date", surface)
    for surface, key in times_in(body):
        if key[:2] not in support.times and not (key[1] == 0 and float(key[0]) in support.numbers):
            add("time", surface)
    for surface, value in numbers_in(body):
        if value not in support.numbers and not (_NUMBER_WORD.fullmatch(surface) and value <= 2):
            add("number", surface)
    for name in names_in(body):
        parts = [p.lower() for p in name.split()]
        if not any(p in support.words for p in parts):
            add("name", name)
    first = draft.strip().split("\n", 1)[0]
    if (
        first.strip() != body.strip().split("\n", 1)[0].strip()
    ):  # the greeting: 'Dear Leos,' to nobody called Leos
        for name in re.findall(r"[A-Z][\w'\-]+", re.sub(r"^\s*\w+", "", first)):
            if name.lower() not in support.words and name.lower() not in _NOT_NAMES:
                add("name", name)
    return out


def signature_names(name: str, display_name: str = "", addresses: Optional[list[str]] = None) -> list[str]:
    """The user's own names as they may appear in a draft."""
    out = [n for n in (name, display_name) if n]
    for a in addresses or []:
        local = a.split("@")[0]
        out += re.split(r"[._\-+]", local)
    return out
