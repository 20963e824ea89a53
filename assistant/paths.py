"""Where OwnVoice keeps its files.

Resolution order for the data home: an explicit path (CLI ``--home``) > ``OWNVOICE_HOME`` >
platformdirs' user data folder. Everything created under it is private to the user
(folders 0700, files 0600): the user's mail is nobody else's business on a shared machine.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_HOME = "OWNVOICE_HOME"
DB_FILENAME = "ownvoice.db"
CONFIG_FILENAME = "config.json"
ADAPTERS_DIRNAME = "adapters"
CACHE_DIRNAME = "cache"
MODELS_DIRNAME = "models"  # models downloaded from the catalogue


def data_home(override: str | os.PathLike | None = None) -> Path:
    """Return the data home (created private if missing)."""
    if override:
        home = Path(override)
    elif os.environ.get(ENV_HOME):
        home = Path(os.environ[ENV_HOME])
    else:
        import platformdirs

        home = Path(platformdirs.user_data_dir("ownvoice", appauthor=False))
    return ensure_private_dir(home.expanduser())


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) and make it 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def subdir(home: Path, name: str) -> Path:
    """Return a private sub-folder of the data home."""
    return ensure_private_dir(home / name)
