"""Downloading a model file only when the user asks: progress, resume after an interruption, sha256 check.

The file grows as ``NAME.part`` next to where it will live; ``NAME.part.json`` remembers the URL and the
checksum expected, so a later run (after a cancel, a lost connection or a closed app) asks the server for
the rest with a ``Range`` header and appends it. A server that ignores the range (answers 200) starts the
file again. Only a complete file whose sha256 matches is renamed to ``NAME``; a mismatch deletes the part
and says so. The expected sha256 is the catalogue's pinned one, else the one the server publishes for the
file: Hugging Face answers ``/resolve/`` with the LFS object id (the file's sha256) in ``X-Linked-Etag``
on the redirect to its CDN, so every hop's headers are kept. Nothing is kept whose checksum cannot be
checked against either.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .errors import Cancelled, ModelError, StorageError, is_disk_failure
from .jobs import CancelToken, ProgressFn, report

CHUNK = 1 << 20
TIMEOUT_S = 30
PART_SUFFIX = ".part"
_SHA = re.compile(r'^(?:W/)?"?([0-9a-f]{64})"?$')


@dataclass(frozen=True)
class Downloaded:
    """A finished download: where the file is, its sha256, whether it resumed a part, bytes fetched now."""

    path: Path
    sha256: str
    resumed: bool
    fetched_bytes: int


class _KeepHops(urllib.request.HTTPRedirectHandler):
    """Follows redirects like urllib does, keeping each hop's headers (the checksum is on the first)."""

    def __init__(self) -> None:
        self.hops: list = []

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102 - urllib's hook
        self.hops.append(headers)
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and req.has_header("Range"):
            new.add_unredirected_header("Range", req.get_header("Range"))
        return new


def published_sha256(headers_list: list) -> str:
    """The file's sha256 as a server publishes it (X-Linked-Etag, or an ETag that is a sha256), else ''."""
    for headers in headers_list:
        for key in ("X-Linked-Etag", "ETag"):
            m = _SHA.match((headers.get(key) or "").strip().lower())
            if m:
                return m.group(1)
    return ""


def file_sha256(path: Path, cancel: Optional[CancelToken] = None) -> str:
    """sha256 of a file (checked for cancel between blocks)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK * 4):
            h.update(block)
            if cancel is not None:
                cancel.check()
    return h.hexdigest()


def _open(url: str, start: int) -> tuple:
    hops = _KeepHops()
    opener = urllib.request.build_opener(hops)
    req = urllib.request.Request(url, headers={"User-Agent": "ownvoice"})
    if start:
        req.add_header("Range", f"bytes={start}-")
    try:
        resp = opener.open(req, timeout=TIMEOUT_S)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and start:  # the part is already whole (or longer than the file): start again
            raise _RangeRefused from exc
        raise ModelError(f"the server refused the download ({exc.code} {exc.reason}): {url}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ModelError(
            f"cannot reach {urllib.parse.urlparse(url).netloc or url} ({reason}): are you offline? "
            "What was downloaded so far is kept; run the same download again to resume"
        ) from exc
    return resp, [*hops.hops, resp.headers]


class _RangeRefused(Exception):
    pass


def _total(resp, start: int) -> int:
    rng = resp.headers.get("Content-Range") or ""
    m = re.match(r"bytes \d+-\d+/(\d+)", rng)
    if m:
        return int(m.group(1))
    length = resp.headers.get("Content-Length")
    return int(length) + start if length and length.isdigit() else 0


def download(
    url: str,
    dest: Path,
    sha256: str = "",
    progress: Optional[ProgressFn] = None,
    cancel: Optional[CancelToken] = None,
) -> Downloaded:
    """Fetch ``url`` to ``dest`` (resuming ``dest.part``), check its sha256 (``sha256`` or the server's)."""
    dest = Path(dest)
    part = dest.with_name(dest.name + PART_SUFFIX)
    meta = dest.with_name(dest.name + PART_SUFFIX + ".json")
    cancel = cancel or CancelToken()
    expected = sha256.lower()
    start = 0
    if part.exists():  # resume only the same file: same URL and, where known, the same checksum
        try:
            kept = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            kept = {}
        if kept.get("url") == url and (not expected or kept.get("sha256") in ("", expected)):
            start = part.stat().st_size
            expected = expected or kept.get("sha256", "")
        else:
            part.unlink()
    try:
        resp, headers = _open(url, start)
    except _RangeRefused:
        start = 0
        part.unlink(missing_ok=True)
        resp, headers = _open(url, 0)
    resumed = bool(start) and resp.status == 206
    if start and not resumed:  # the server sent the whole file: begin again
        start = 0
    expected = expected or published_sha256(headers)
    if not expected:
        resp.close()
        raise ModelError(
            f"{url}: no checksum to verify the file against (the catalogue pins none and the server "
            "publishes "
            "none), so it was not downloaded"
        )
    total = _total(resp, start)
    fetched = 0
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        meta.write_text(json.dumps({"url": url, "sha256": expected, "total": total}), encoding="utf-8")
        with resp, open(part, "ab" if start else "wb") as out:
            done = start
            report(progress, "download", done, total, dest.name)
            while True:
                if cancel.cancelled:
                    raise Cancelled(
                        f"download paused at {done / 1e6:.0f} of {total / 1e6:.0f} MB: run it again to resume"
                    )
                try:
                    block = resp.read(CHUNK)
                except (TimeoutError, OSError) as exc:
                    raise ModelError(
                        f"the connection broke at {done / 1e6:.0f} MB ({exc}); run the same download again "
                        "to resume"
                    ) from exc
                if not block:
                    break
                out.write(block)
                done += len(block)
                fetched += len(block)
                report(progress, "download", done, total, dest.name)
    except OSError as exc:
        if is_disk_failure(exc):
            raise StorageError(
                f"the disk is full: the download stopped at {part.stat().st_size / 1e6:.0f} MB and is kept "
                f"in "
                f"{part}; free some space and run it again to resume"
            ) from exc
        raise
    size = part.stat().st_size
    if total and size < total:
        raise ModelError(
            f"the server ended the download early ({size} of {total} bytes); run it again to resume"
        )
    report(progress, "verify", 0, 1, "checking sha256")
    got = file_sha256(part, cancel)
    report(progress, "verify", 1, 1, "checking sha256")
    if got != expected:
        part.unlink(missing_ok=True)
        meta.unlink(missing_ok=True)
        raise ModelError(
            f"{dest.name}: the downloaded file does not match its published sha256 "
            f"(expected {expected[:16]}…, "
            f"got {got[:16]}…); it was deleted, nothing was added"
        )
    os.replace(part, dest)
    meta.unlink(missing_ok=True)
    return Downloaded(dest, got, resumed, fetched)
