"""The style card: what a profile's writing looks like, in a form the user can read and correct.

The card is computed from the user's own writing only (``style.compute_style`` for greetings, sign-offs and
length; habits, phrases and languages here) and is never stored whole: what is stored, versioned, is the
user's *edits* (``store.style_cards``), laid over the computed card at every use. So new mail keeps the
card current, and a correction the user made ("I sign 'Cheers,' now") stays until they undo it.

Drafting puts the card's lines in the system text and the card's greeting/sign-off in the draft, which lets
a prompt carry fewer past mails for the same style (docs/learning.md measures it).
"""

from __future__ import annotations

import collections
import copy
import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import InputError
from .mailtext import is_closing, is_greeting
from .style import FORMAL_CLOSING, StyleStats

FORMALITIES = ("formal", "neutral", "casual")
SAMPLE = 1000  # tone, habits, phrases and languages from the newest texts: bounded time in a large library
# the fields a user may edit, with their types (validated when an edit is stored or loaded)
EDITABLE: dict[str, type] = {
    "name": str,
    "greeting": str,
    "greeting_template": str,
    "bare_greeting": str,
    "closing": str,
    "formal_closing": str,
    "greetings_by_name": dict,
    "closings_by_name": dict,
    "typical_words": dict,
    "formality": str,
    "phrases": list,
    "languages": list,
    "habits": dict,
    "notes": str,
}
# the card's fields that are StyleStats fields of the same name (typical_words is StyleStats.median_words)
SHARED_WITH_STATS = (
    "name",
    "greeting",
    "greeting_template",
    "bare_greeting",
    "closing",
    "formal_closing",
    "greetings_by_name",
    "closings_by_name",
)
HABITS = ("exclamations", "questions", "contractions", "dashes", "emoji", "lowercase_starts")

_CONTRACTION = re.compile(r"\b\w+'(?:s|re|ve|ll|d|m|t)\b", re.I)
_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")
_WORD = re.compile(r"[A-Za-zÀ-ÿ']+")
_FORMAL_WORDS = {
    "dear",
    "regards",
    "sincerely",
    "kindly",
    "please",
    "would",
    "appreciate",
    "grateful",
    "furthermore",
    "however",
    "therefore",
}
_CASUAL_WORDS = {
    "hey",
    "hi",
    "thanks",
    "cheers",
    "yeah",
    "ok",
    "okay",
    "cool",
    "great",
    "awesome",
    "lol",
    "btw",
}
_STOPWORDS = {
    "en": {"the", "and", "to", "of", "is", "you", "that", "for", "it", "with", "we", "this", "be", "have"},
    "de": {"der", "die", "und", "das", "ist", "nicht", "ich", "sie", "mit", "den", "zu", "wir", "ein"},
    "fr": {"le", "la", "et", "les", "des", "est", "pour", "une", "que", "pas", "vous", "nous", "dans"},
    "es": {"el", "la", "que", "los", "las", "por", "una", "para", "con", "es", "del", "está", "pero"},
    "it": {"il", "che", "di", "non", "per", "una", "sono", "della", "con", "gli", "anche", "questo"},
    "nl": {"de", "het", "een", "en", "van", "niet", "ik", "je", "dat", "met", "voor", "zijn", "wij"},
    "pt": {"o", "que", "não", "uma", "os", "para", "com", "por", "mais", "das", "você", "está"},
}
_LANGUAGE_NAMES = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "nl": "Dutch",
    "pt": "Portuguese",
}


class CardError(InputError):
    """An edit of the style card that cannot be used (unknown field, wrong type or value)."""


@dataclass
class StyleCard:
    """A profile's style, as shown to and edited by the user."""

    name: str = ""  # the name the user signs with
    greeting: str = ""  # their usual greeting word ('Hi')
    greeting_template: str = ""  # 'Hey {name} —'
    bare_greeting: str = ""  # how they open when no name is known ('Hi,')
    closing: str = ""  # 'Best,'
    formal_closing: str = ""  # to a titled person they never wrote to ('Dear Prof. Ito,' ... 'Best regards,')
    greetings_by_name: dict[str, str] = field(default_factory=dict)  # 'tom' -> 'Dear Tom,'
    closings_by_name: dict[str, str] = field(default_factory=dict)  # 'tom' -> 'Best regards,'
    typical_words: dict[str, int] = field(default_factory=dict)  # kind -> median words ('all' too)
    formality: str = "neutral"
    habits: dict[str, float] = field(default_factory=dict)  # HABITS -> per 100 words or share of mails
    phrases: list[str] = field(default_factory=list)  # recurring phrases of the user's own
    languages: list[str] = field(default_factory=list)  # ISO codes, most used first
    notes: str = ""  # the user's own words for the model ('never use exclamation marks')
    documents: int = 0  # how many of the user's texts it was computed from
    edited: list[str] = field(default_factory=list)  # fields the user's edits set
    version: int = 0  # the edit version laid over the computed card (0: none)

    def as_dict(self) -> dict:
        """The card as plain JSON-able data."""
        return dataclasses.asdict(self)

    def stats(self, base: StyleStats) -> StyleStats:
        """``base`` (the computed statistics drafting uses) with this card's greeting, sign-off and length."""
        shared = {f: copy.copy(getattr(self, f)) for f in SHARED_WITH_STATS}
        out = dataclasses.replace(base, **shared, median_words=dict(self.typical_words))
        out._blank_before_name = base._blank_before_name
        return out

    def prompt_lines(self, kind: str = "email") -> list[str]:
        """The card in a few plain sentences for the model's system text."""
        out: list[str] = []
        words = self.typical_words.get(kind) or self.typical_words.get("all")
        if words:
            out.append(f"Typical length: about {words} words.")
        if self.formality in FORMALITIES:
            out.append(f"Tone: {self.formality}.")
        habits = habit_sentences(self.habits)
        if habits:
            out.append("Habits: " + "; ".join(habits) + ".")
        if self.phrases:
            out.append("Phrases you use: " + ", ".join(f'"{p}"' for p in self.phrases[:5]) + ".")
        if self.languages and self.languages[0] != "en":
            out.append(f"Language: {_LANGUAGE_NAMES.get(self.languages[0], self.languages[0])}.")
        if self.notes.strip():
            out.append(self.notes.strip())
        return out


def habit_sentences(habits: Mapping[str, float]) -> list[str]:
    """Words for the habits that set the user apart (an average habit says nothing)."""
    out = []
    excl = habits.get("exclamations")
    if excl is not None:
        out.append("no exclamation marks" if excl < 0.05 else "exclamation marks" if excl > 1.0 else "")
    con = habits.get("contractions")
    if con is not None:
        out.append("contractions (I'm, don't)" if con > 0.5 else "no contractions" if con < 0.1 else "")
    if habits.get("dashes", 0.0) > 0.5:
        out.append("dashes")
    if habits.get("emoji", 0.0) > 0.2:
        out.append("emoji")
    if habits.get("lowercase_starts", 0.0) > 0.3:
        out.append("lower-case sentence starts")
    return [s for s in out if s]


def _content_lines(body: str) -> list[str]:
    lines = [ln.strip() for ln in body.strip().split("\n") if ln.strip()]
    if lines and is_greeting(lines[0]):
        lines = lines[1:]
    for i in range(len(lines) - 1, max(-1, len(lines) - 4), -1):
        if is_closing(lines[i]):
            return lines[:i]
    return lines


def measure_habits(bodies: list[str]) -> dict[str, float]:
    """Punctuation and wording habits: marks per 100 words, or the share of mails showing the habit."""
    words = sum(len(b.split()) for b in bodies) or 1
    texts = ["\n".join(_content_lines(b)) for b in bodies]
    starts = [s for t in texts for s in re.split(r"(?<=[.!?])\s+|\n", t) if s[:1].isalpha()]
    return {
        "exclamations": round(100 * sum(t.count("!") for t in texts) / words, 2),
        "questions": round(100 * sum(t.count("?") for t in texts) / words, 2),
        "contractions": round(sum(bool(_CONTRACTION.search(t)) for t in texts) / max(1, len(texts)), 2),
        "dashes": round(100 * sum(t.count(" - ") + t.count("—") + t.count("–") for t in texts) / words, 2),
        "emoji": round(100 * sum(len(_EMOJI.findall(t)) for t in texts) / words, 2),
        "lowercase_starts": round(sum(s[0].islower() for s in starts) / max(1, len(starts)), 2),
    }


def measure_formality(bodies: list[str]) -> str:
    """'formal', 'neutral' or 'casual', from greeting/sign-off words, contractions and casual words."""
    formal = casual = 0
    for body in bodies:
        words = [w.lower() for w in _WORD.findall(body)]
        formal += sum(w in _FORMAL_WORDS for w in words)
        casual += sum(w in _CASUAL_WORDS for w in words) + len(_CONTRACTION.findall(body))
    total = formal + casual
    if total < 5:
        return "neutral"
    share = formal / total
    return "formal" if share > 0.6 else "casual" if share < 0.35 else "neutral"


def recurring_phrases(bodies: list[str], limit: int = 8, min_mails: int = 3) -> list[str]:
    """Three-to-five-word phrases the user writes in several mails (greetings and sign-offs left out)."""
    seen: collections.Counter[tuple[str, ...]] = collections.Counter()
    for body in bodies:
        grams: set[tuple[str, ...]] = set()
        for line in _content_lines(body):  # a phrase never spans two lines
            words = [w.lower().strip('.,;:!?"()') for w in line.split()]
            grams |= {tuple(words[i : i + n]) for n in (3, 4, 5) for i in range(len(words) - n + 1)}
        seen.update(g for g in grams if all(g) and sum(len(w) > 3 for w in g) >= 1)
    threshold = max(min_mails, int(0.03 * len(bodies)))
    common = [(g, c) for g, c in seen.items() if c >= threshold]
    # the longest phrase of an overlapping family, most frequent first
    common.sort(key=lambda gc: (-gc[1], -len(gc[0]), gc[0]))  # ties by text: the same card in every process
    out: list[str] = []
    for g, _ in common:
        text = " ".join(g)
        if any(text in kept or kept in text for kept in out):
            continue
        out.append(text)
        if len(out) >= limit:
            break
    return out


def detect_languages(bodies: list[str]) -> list[str]:
    """Languages the user writes in (ISO codes), each with at least a tenth of the mails, most used first."""
    votes: collections.Counter[str] = collections.Counter()
    for body in bodies:
        words = {w.lower() for w in _WORD.findall(body)}
        scores = {code: len(words & stop) for code, stop in _STOPWORDS.items()}
        best = max(scores, key=lambda c: scores[c])
        if scores[best] >= 2:
            votes[best] += 1
    total = sum(votes.values())
    return [code for code, n in votes.most_common() if n >= max(1, 0.1 * total)]


def compute_card(stats: StyleStats, bodies_by_kind: Mapping[str, list[str]]) -> StyleCard:
    """The card computed from the user's writing (``stats``: ``style.compute_style`` of the same texts)."""
    bodies = [b for texts in bodies_by_kind.values() for b in texts][-SAMPLE:]
    shared = {f: copy.copy(getattr(stats, f)) for f in SHARED_WITH_STATS}
    shared["formal_closing"] = stats.formal_closing or FORMAL_CLOSING  # the one drafting uses, shown
    return StyleCard(
        **shared,
        typical_words=dict(stats.median_words),
        formality=measure_formality(bodies),
        habits=measure_habits(bodies) if bodies else {},
        phrases=recurring_phrases(bodies),
        languages=detect_languages(bodies),
        documents=stats.documents,
    )


def validate_edits(edits: Mapping[str, Any]) -> dict[str, Any]:
    """The edits as clean typed values (CardError naming the first field that is wrong)."""
    out: dict[str, Any] = {}
    for key, raw in edits.items():
        value: Any = raw
        if key not in EDITABLE:
            raise CardError(f"'{key}' is not a field of the style card (editable: {', '.join(EDITABLE)})")
        want = EDITABLE[key]
        if not isinstance(raw, want):
            raise CardError(f"'{key}' must be {want.__name__} (got {type(raw).__name__})")
        if key == "formality" and value not in FORMALITIES:
            raise CardError(f"formality must be one of {', '.join(FORMALITIES)} (got {value!r})")
        if key == "typical_words":
            if not all(isinstance(v, int) and 1 <= v <= 2000 for v in value.values()):
                raise CardError(
                    "typical_words maps a kind ('email', 'note', 'all') to a number of words 1..2000"
                )
            value = {str(k): int(v) for k, v in value.items()}
        if key in ("greetings_by_name", "closings_by_name"):
            if not all(isinstance(v, str) for v in value.values()):
                raise CardError(f"{key} maps a first name to a line of text")
            value = {str(k).lower().strip(): v.strip() for k, v in value.items() if str(k).strip()}
        if key in ("phrases", "languages") and not all(isinstance(v, str) for v in value):
            raise CardError(f"{key} is a list of texts")
        if key == "habits":
            if not set(value) <= set(HABITS) or not all(isinstance(v, (int, float)) for v in value.values()):
                raise CardError(f"habits maps {', '.join(HABITS)} to numbers")
            value = {k: float(v) for k, v in value.items()}
        if key == "greeting_template" and value and "{name}" not in value:
            raise CardError("greeting_template needs '{name}' where the recipient's name goes ('Hi {name},')")
        out[key] = value.strip() if isinstance(value, str) else value
    return out


def with_edits(card: StyleCard, edits: Mapping[str, Any], version: int = 0) -> StyleCard:
    """The computed ``card`` with the user's ``edits`` laid over it."""
    clean = validate_edits(edits)
    # a new usual greeting or sign-off applies to everyone the user greeted the usual way: only the people
    # they wrote to differently keep their own line (unless the user edited those lines too)
    if "closing" in clean and "closings_by_name" not in clean:
        clean["closings_by_name"] = {n: c for n, c in card.closings_by_name.items() if c != card.closing}
    if "greeting_template" in clean and "greetings_by_name" not in clean and card.greeting_template:
        clean["greetings_by_name"] = {
            n: g
            for n, g in card.greetings_by_name.items()
            if g.lower() != card.greeting_template.replace("{name}", n).lower()
        }
    edited = sorted(k for k in clean if k in edits)
    return dataclasses.replace(card, **clean, edited=edited, version=version)


def changed_fields(card: StyleCard, edited: Mapping[str, Any]) -> dict[str, Any]:
    """Of an edited copy of the card (as JSON data), the editable fields whose value differs from ``card``."""
    current = card.as_dict()
    return {k: v for k, v in edited.items() if k in EDITABLE and v != current.get(k)}


def merge_edits(previous: Mapping[str, Any], new: Mapping[str, Any], reset: Iterable[str] = ()) -> dict:
    """The next version's edits: the previous ones, then ``new``, less the ``reset`` fields."""
    out = {**previous, **new}
    for key in reset:
        if key not in EDITABLE:
            raise CardError(f"'{key}' is not a field of the style card (editable: {', '.join(EDITABLE)})")
        out.pop(key, None)
    return validate_edits(out)
