"""Turning a raw message body into the user's own words.

Quoted replies and forwarded blocks are cut (and returned separately: they are the context the
user was answering), but greetings and sign-offs stay: they are the style. A ``-- `` signature
block (address, phone, disclaimers) is boilerplate and is cut. Hard-wrapped paragraphs (72-column
mail) are re-joined so the model learns sentences, not line breaks.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_ON_WROTE = re.compile(
    r"^\s*(On|Am|Le|El|Il)\s.{0,300}(wrote|schrieb|a écrit|escribió|ha scritto)\s*:\s*$", re.I
)
_ON_START = re.compile(r"^\s*On\s.{0,200}$")
_WROTE_END = re.compile(r"(wrote|schrieb)\s*:\s*$", re.I)
_SEPARATORS = [
    re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}", re.I),
    re.compile(r"^\s*-{2,}\s*Forwarded message\s*-{2,}", re.I),
    re.compile(r"^\s*Begin forwarded message:", re.I),
    re.compile(r"^\s*_{10,}\s*$"),
]
_HEADER_FROM = re.compile(r"^\s*\*?From:\*?\s+\S", re.I)
_HEADER_NEXT = re.compile(r"^\s*\*?(Sent|Date|To|Subject):\*?\s", re.I)
_SIG = re.compile(r"^--\s?$")


def normalize_newlines(text: str) -> str:
    """CRLF/CR to LF, trailing spaces off, at most one blank line in a row."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [ln.rstrip() for ln in text.split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _cut_index(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        if _ON_WROTE.match(line):
            return i
        if _ON_START.match(line) and i + 1 < len(lines) and _WROTE_END.search(lines[i + 1]):
            return i
        if any(p.match(line) for p in _SEPARATORS):
            return i
        if _HEADER_FROM.match(line) and any(_HEADER_NEXT.match(n) for n in lines[i + 1 : i + 5]):
            return i
    # a trailing block of '>' lines (bottom-quoting without an attribution line)
    j = len(lines)
    while j > 0 and (not lines[j - 1].strip() or lines[j - 1].lstrip().startswith(">")):
        j -= 1
    if j < len(lines) and any(ln.lstrip().startswith(">") for ln in lines[j:]):
        return j
    return None


def _dequote(lines: list[str]) -> str:
    out = []
    for ln in lines:
        s = ln.lstrip()
        while s.startswith(">"):
            s = s[1:].lstrip() if s[1:2] == " " or s[1:2] == ">" else s[1:]
        out.append(s)
    return normalize_newlines("\n".join(out))


def split_reply(body: str) -> tuple[str, str]:
    """Split a body into (the user's own text, the quoted/forwarded text it answers)."""
    lines = normalize_newlines(body).split("\n")
    cut = _cut_index(lines)
    if cut is None:
        own, quoted = lines, []
    elif _ON_WROTE.match(lines[cut]):
        own, quoted = lines[:cut], lines[cut + 1 :]
    elif _ON_START.match(lines[cut]) and cut + 1 < len(lines) and _WROTE_END.search(lines[cut + 1]):
        own, quoted = lines[:cut], lines[cut + 2 :]
    else:
        own, quoted = lines[:cut], lines[cut:]
    # inline-quoted lines inside the user's part belong to the context too
    inline = [ln for ln in own if ln.lstrip().startswith(">")]
    own = [ln for ln in own if not ln.lstrip().startswith(">")]
    own = _strip_signature(own)
    context = _dequote(inline + quoted) if (inline or quoted) else ""
    return unwrap_paragraphs(normalize_newlines("\n".join(own))), context


def _strip_signature(lines: list[str]) -> list[str]:
    for i in range(len(lines) - 1, -1, -1):
        if _SIG.match(lines[i]):
            return lines[:i]
    return lines


def unwrap_paragraphs(text: str, min_width: int = 55) -> str:
    """Re-join hard-wrapped lines inside a paragraph (every line but the last is long)."""
    paras = text.split("\n\n")
    out = []
    for para in paras:
        lines = para.split("\n")
        if (
            len(lines) > 1
            and all(len(ln) >= min_width for ln in lines[:-1])
            and not any(ln.lstrip().startswith(("-", "*", "•")) for ln in lines)
        ):
            out.append(" ".join(ln.strip() for ln in lines))
        else:
            out.append(para)
    return "\n\n".join(out)


class _TextExtractor(HTMLParser):
    _BLOCK = {
        "p",
        "div",
        "br",
        "li",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "table",
        "ul",
        "ol",
    }
    _SKIP = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._quote = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self._skip += 1
        if tag == "blockquote":
            self._quote += 1
        if tag in self._BLOCK:
            self.parts.append("\n" if tag == "br" else "\n\n")
        if tag == "li":
            self.parts.append("- ")

    def handle_endtag(self, tag):
        if tag in self._SKIP and self._skip:
            self._skip -= 1
        if tag == "blockquote" and self._quote:
            self._quote -= 1
        if tag in self._BLOCK and tag != "br":
            self.parts.append("\n\n")

    def handle_data(self, data):
        if self._skip:
            return
        text = re.sub(r"[ \t\r\n]+", " ", data)
        if self._quote:
            text = "\n".join("> " + t for t in text.split("\n"))
        self.parts.append(text)


def html_to_text(markup: str) -> str:
    """Plain text from an HTML mail body (quotes in <blockquote> become '>' lines)."""
    parser = _TextExtractor()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # noqa: BLE001 - malformed markup: fall back to stripping tags
        return normalize_newlines(html.unescape(re.sub(r"<[^>]+>", " ", markup)))
    text = "".join(parser.parts)
    text = "\n".join(ln.strip() for ln in text.split("\n"))
    return normalize_newlines(text)
