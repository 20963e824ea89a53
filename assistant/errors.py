"""User-facing errors shared by the CLI and the GUI: the message is meant to be shown as is."""
from __future__ import annotations


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
