"""Fuzzing every importer: generated mbox, .eml/MIME, JSONL, Maildir and folder trees, broken in the ways real
exports break (bad encodings, lone surrogates, truncated MIME, deep JSON, huge numbers, binary bytes, odd file
names, FIFOs, links leaving the tree).

For each input: the import ends within a time limit, either with a summary or with a clear OwnVoiceError
(never
any other exception: that would be a traceback for the user); a failed import changes nothing in the store,
not
even the profile list; and ``PRAGMA integrity_check`` says ok. Fixed seed (derandomize), bounded example count
(FUZZ_EXAMPLES per importer, 300 by default), no example database.
"""

from __future__ import annotations

import json
import os
import signal
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ownvoice.assistant.errors import OwnVoiceError

pytestmark = pytest.mark.slow  # real models (GGUF, MiniLM, torch) or real processes

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
PER_INPUT_S = 10  # an import of one small generated input that takes longer than this has hung
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
ME, OTHER = "me@example.org", "other@example.org"

# ---- building blocks
# -------------------------------------------------------------------------------------------
nasty_text = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
    st.sampled_from(
        ["", " ", "\x00", "\ud800", "\udfff lone", "\u202e rtl", "=?utf-8?b?////?=", "=?x?q?=ZZ?=", "\r"]
    ),
)
raw_bytes = st.binary(max_size=300)
addresses = st.sampled_from(
    [ME, OTHER, f"Me <{ME}>", f'"Odd, Name" <{OTHER}>', "", "<>", "not an address", "@@"]
)
charsets = st.sampled_from(["utf-8", "latin-1", "utf-16", "x-unknown", "", "us-ascii", "utf-8'en'"])
encodings = st.sampled_from(["7bit", "8bit", "base64", "quoted-printable", "x-uuencode", "binary", "bogus"])


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate becomes bytes no UTF-8 decoder accepts


@st.composite
def body_bytes(draw) -> bytes:
    """A body: text (quoted lines, 'From ' lines, a signature), raw bytes, or both."""
    parts = draw(
        st.lists(
            st.one_of(
                nasty_text.map(_encode),
                raw_bytes,
                st.sampled_from(
                    [b"> quoted line", b"From someone else", b"-- \nSig", b"=\n", b"=ZZ", b"\r\n.\r\n"]
                ),
            ),
            max_size=6,
        )
    )
    return b"\n".join(parts)


@st.composite
def message_bytes(draw, multipart: bool | None = None) -> bytes:
    """One RFC 822 message whose headers and MIME structure may be broken."""
    headers = []
    if draw(st.booleans()):
        headers.append(b"From: " + _encode(draw(addresses)))
    if draw(st.booleans()):
        headers.append(b"To: " + _encode(draw(addresses)))
    if draw(st.booleans()):
        headers.append(b"Subject: " + _encode(draw(nasty_text).replace("\n", " ")))
    if draw(st.booleans()):
        headers.append(
            b"Date: " + draw(st.sampled_from([b"Mon, 3 Jun 2024 10:00:00 +0000", b"yesterday", b"", b"\xff"]))
        )
    if draw(st.booleans()):
        headers.append(
            draw(st.sampled_from([b"In-Reply-To: <a@b>", b"Message-ID: <" + b"x" * 300 + b">", b": x"]))
        )
    is_multi = draw(st.booleans()) if multipart is None else multipart
    if is_multi:
        boundary = draw(st.sampled_from([b"BOUND", b"", b'"q"', b"x" * 80]))
        headers.append(b'Content-Type: multipart/mixed; boundary="' + boundary + b'"')
        parts = []
        for _ in range(draw(st.integers(0, 3))):
            ctype = draw(
                st.sampled_from([b"text/plain", b"text/html", b"application/pdf", b"message/rfc822", b""])
            )
            part = b"Content-Type: " + ctype + b"; charset=" + draw(charsets).encode()
            part += b"\nContent-Transfer-Encoding: " + draw(encodings).encode() + b"\n\n" + draw(body_bytes())
            parts.append(b"--" + boundary + b"\n" + part)
        closing = draw(
            st.sampled_from([b"--" + boundary + b"--", b"", b"--" + boundary])
        )  # truncated MIME too
        body = b"\n".join(parts) + b"\n" + closing
    else:
        if draw(st.booleans()):
            headers.append(b"Content-Type: text/plain; charset=" + draw(charsets).encode())
        if draw(st.booleans()):
            headers.append(b"Content-Transfer-Encoding: " + draw(encodings).encode())
        body = draw(body_bytes())
    sep = draw(st.sampled_from([b"\n", b"\r\n"]))
    return sep.join(headers) + sep + sep + body


@st.composite
def mbox_bytes(draw) -> bytes:
    """An mbox: 'From ' separator lines (some malformed) between messages, maybe garbage before the first."""
    out = [draw(st.sampled_from([b"", b"garbage before the first separator\n", b"\x00\x01\x02"]))]
    for _ in range(draw(st.integers(0, 5))):
        sep = draw(
            st.sampled_from([b"From me@example.org Mon Jun  3 10:00:00 2024", b"From ", b"From - \xff"])
        )
        out.append(sep + b"\n" + draw(message_bytes()) + b"\n")
    return b"".join(out)


@st.composite
def jsonl_bytes(draw) -> bytes:
    """JSONL: objects with fields of every type, broken lines, deep nesting, huge numbers, escaped
    surrogates."""
    scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), nasty_text)
    value = st.recursive(
        scalar, lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(), kids, max_size=3)
    )
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.integers(0, 6))
        if kind <= 2:
            record = {
                "email": draw(st.one_of(nasty_text, value)),
                "subject": draw(st.one_of(nasty_text, value)),
            }
            if draw(st.booleans()):
                record["date"] = draw(st.one_of(nasty_text, st.integers()))
            lines.append(
                json.dumps(record, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
            )
        elif kind == 3:
            lines.append(b'{"email": "\\ud800 lone surrogate", "subject": "\\udfff"}')
        elif kind == 4:
            depth = draw(st.sampled_from([10, 999, 3000]))
            lines.append(b'{"email": ' + b"[" * depth + b"1" + b"]" * depth + b"}")
        elif kind == 5:
            lines.append(b'{"email": "hi", "n": ' + b"9" * draw(st.sampled_from([20, 5000])) + b"}")
        else:
            lines.append(draw(raw_bytes))
    return b"\n".join(lines)


# ---- running one import
# -----------------------------------------------------------------------------------------
class Hung(Exception):
    """The import outran PER_INPUT_S."""


def _snapshot(app) -> tuple:
    db = app.db
    return (
        [tuple(r) for r in db.execute("SELECT id, name, addresses, display_name FROM profiles ORDER BY id")],
        [tuple(r) for r in db.execute("SELECT id, content_hash FROM documents ORDER BY id")],
        db.execute("SELECT count(*) FROM revisions").fetchone()[0],
    )


class Harness:
    """One store for an importer's examples; counts what happened."""

    def __init__(self, app) -> None:
        self.app = app
        self.runs = self.failed = self.imported = 0
        self.hung = False

    def _on_alarm(self, signum, frame) -> None:
        self.hung = True  # remembered even if a broad except in the importer swallows the exception
        raise Hung(f"an import took over {PER_INPUT_S} s")

    def run(self, make) -> None:
        """Import what ``make(folder)`` writes into a new profile, with a time limit; check the store
        after."""
        before = _snapshot(self.app)
        self.runs += 1
        with tempfile.TemporaryDirectory() as tmp:
            path = make(Path(tmp))
            old = signal.signal(signal.SIGALRM, self._on_alarm)
            signal.setitimer(signal.ITIMER_REAL, PER_INPUT_S)
            try:
                summary = self.app.import_paths(
                    [path], f"fuzz{self.runs}", [ME] if self.runs % 3 else None, embed=False
                )
            except OwnVoiceError:  # a clear, one-line error: nothing may have changed
                self.failed += 1
                assert _snapshot(self.app) == before, "a failed import changed the store"
            else:
                self.imported += summary.imported
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, old)
        assert not self.hung, f"an import hung (over {PER_INPUT_S} s)"
        assert self.app.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    from ownvoice.assistant.app import OwnVoice

    app = OwnVoice(tmp_path_factory.mktemp("fuzz-home"))
    yield Harness(app)
    app.close()


def _check_counts(h: Harness, runs_before: int) -> None:
    assert h.runs - runs_before >= EXAMPLES  # every example ran (none rejected or skipped)


# ---- one test per importer
# -------------------------------------------------------------------------------------
@pytest.mark.scenario
def test_fuzz_mbox(harness):
    start = harness.runs

    @FUZZ
    @given(data=mbox_bytes(), suffix=st.sampled_from([".mbox", "", ".mbx"]))
    def case(data: bytes, suffix: str) -> None:
        def make(folder: Path) -> Path:
            path = folder / f"Sent{suffix}"
            path.write_bytes(data if suffix or data.startswith(b"From ") else b"From x\n" + data)
            return path

        harness.run(make)

    case()
    _check_counts(harness, start)


@pytest.mark.scenario
def test_fuzz_eml(harness):
    start = harness.runs

    @FUZZ
    @given(data=message_bytes())
    def case(data: bytes) -> None:
        def make(folder: Path) -> Path:
            path = folder / "mail.eml"
            path.write_bytes(data)
            return path

        harness.run(make)

    case()
    _check_counts(harness, start)


@pytest.mark.scenario
def test_fuzz_jsonl(harness):
    start = harness.runs

    @FUZZ
    @given(data=jsonl_bytes(), suffix=st.sampled_from([".jsonl", ".json"]))
    def case(data: bytes, suffix: str) -> None:
        def make(folder: Path) -> Path:
            path = folder / f"mail{suffix}"
            path.write_bytes(data)
            return path

        harness.run(make)

    case()
    _check_counts(harness, start)


odd_names = st.sampled_from([b"1.eml", b"caf\xe9:2,S", b"\xff\xfe", b"a b", b".hidden", b"x" * 200, b"-rf"])


@st.composite
def maildir_files(draw) -> list[tuple[bytes, bytes, bytes]]:
    """(sub-folder, file name, content) for a Maildir: cur/ new/ tmp/, odd names, damaged messages."""
    return draw(
        st.lists(
            st.tuples(
                st.sampled_from([b"cur", b"new", b"tmp"]), odd_names, st.one_of(message_bytes(), raw_bytes)
            ),
            max_size=5,
        )
    )


def _special(folder: Path, kind: str) -> None:
    """Put a FIFO, a link out of the tree, or an empty sub-folder into ``folder``."""
    if kind == "fifo":
        os.mkfifo(folder / "pipe.txt")
    elif kind == "link-out":
        os.symlink("/etc/hostname", folder / "outside.txt")
    elif kind == "loop":
        os.symlink(folder, folder / "loop")
    elif kind == "empty-dir":
        (folder / "empty").mkdir()


specials = st.lists(st.sampled_from(["fifo", "link-out", "loop", "empty-dir"]), max_size=2, unique=True)


@pytest.mark.scenario
def test_fuzz_maildir(harness):
    start = harness.runs

    @FUZZ
    @given(
        files=maildir_files(),
        extra=specials,
        missing=st.sets(st.sampled_from(["cur", "new", "tmp"]), max_size=2),
    )
    def case(files, extra, missing) -> None:
        def make(folder: Path) -> Path:
            box = folder / "Maildir"
            for sub in ("cur", "new", "tmp"):
                if sub not in missing:
                    (box / sub).mkdir(parents=True)
            box.mkdir(exist_ok=True)
            for sub, name, content in files:
                target = os.path.join(os.fsencode(box), sub, name)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "wb") as fh:
                    fh.write(content)
            for kind in extra:
                _special(box / "cur" if (box / "cur").exists() else box, kind)
            return box

        harness.run(make)

    case()
    _check_counts(harness, start)


@st.composite
def folder_files(draw) -> list[tuple[bytes, bytes]]:
    """(relative path, content) for a folder of notes: .txt/.md/.eml/other, nested, text or binary."""
    names = st.tuples(
        st.sampled_from([b"", b"sub/", b"sub/deeper/", b"\xffodd/"]),
        odd_names,
        st.sampled_from([b".txt", b".md", b".eml", b".mbox", b".pdf", b""]),
    ).map(lambda t: t[0] + t[1] + t[2])
    content = st.one_of(
        nasty_text.map(_encode),
        raw_bytes,
        message_bytes(),
        st.sampled_from([b"%PDF-1.4 x", b"\x7fELF\x02", b"PK\x03\x04", b"GGUF\x03", b"SQLite format 3\x00"]),
    )
    return draw(st.lists(st.tuples(names, content), max_size=6))


@pytest.mark.scenario
def test_fuzz_folder_tree(harness):
    start = harness.runs

    @FUZZ
    @given(files=folder_files(), extra=specials)
    def case(files, extra) -> None:
        def make(folder: Path) -> Path:
            root = folder / "notes"
            root.mkdir()
            for rel, content in files:
                target = os.path.join(os.fsencode(root), rel)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                if os.path.isdir(target):
                    continue
                with open(target, "wb") as fh:
                    fh.write(content)
            for kind in extra:
                _special(root, kind)
            return root

        harness.run(make)

    case()
    _check_counts(harness, start)


@pytest.mark.scenario
def test_fuzzing_reached_both_outcomes(harness):
    """The generated inputs were not all refused (or all accepted): both paths were exercised."""
    assert harness.runs >= 5 * EXAMPLES
    assert harness.imported > 0 and harness.failed > 0
