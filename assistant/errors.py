"""User-facing errors shared by the CLI and the GUI: the message is meant to be shown as is."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path
from typing import Optional

LOW_SPACE_BYTES = 1 << 20  # below this free on the data folder's disk, an I/O error is a full disk


class OwnVoiceError(Exception):
    """Base class: a problem the user can understand and act on."""


class InputError(OwnVoiceError):
    """A file given to import (or as a reply) cannot be read as what it claims to be."""


class ModelError(OwnVoiceError):
    """A model file is missing, not a GGUF, or not usable for this job."""


class EmptyCorpusError(OwnVoiceError):
    """There is not enough of the user's own writing for the job."""


class ProfileError(OwnVoiceError):
    """A profile does not exist or cannot be created."""


class StorageError(OwnVoiceError):
    """The store cannot be written (disk full, read-only, locked)."""


class Cancelled(OwnVoiceError):
    """The user cancelled a long job; nothing half-done was kept."""


def is_disk_failure(exc: BaseException) -> bool:
    """True for the errors of a full or read-only disk (and SQLite's own write failures)."""
    import sqlite3

    if isinstance(exc, sqlite3.OperationalError):
        return True
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS)


def _disk_nearly_full(folder: Optional[Path]) -> bool:
    try:
        return folder is not None and shutil.disk_usage(folder).free < LOW_SPACE_BYTES
    except OSError:
        return False


def storage_error(exc: Exception, what: str = "", folder: Optional[Path] = None) -> StorageError:
    """The user-facing form of a failed write (disk full, read-only disk, another error); ``folder`` is where
    the
    data lives: SQLite reports a full disk at open as a plain "disk I/O error", so its free space is looked
    at."""
    text = str(exc).lower()
    no_space = isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
    if (
        no_space
        or "full" in text
        or "no space" in text
        or ("i/o error" in text and _disk_nearly_full(folder))
    ):
        msg = "the disk is full: nothing was lost, free some space and retry"
    elif "readonly" in text or "read-only" in text or (isinstance(exc, OSError) and exc.errno == errno.EROFS):
        msg = "the data folder is read-only: nothing was lost, check its permissions and retry"
    elif isinstance(exc, OSError) and exc.filename:  # not the store: say which file
        msg = f"cannot read or write {exc.filename} ({exc.strerror or exc})"
    else:
        msg = f"could not write to the store ({exc})"
    return StorageError(f"{what}: {msg}" if what else msg)
