"""Sub-commands added by later features (training, adapters, GUI, evaluation), kept out of cli.py."""
from __future__ import annotations


def register(sub, common) -> None:
    """Add the extra sub-commands to the parser."""
    return None
