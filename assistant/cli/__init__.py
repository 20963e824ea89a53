"""The ``ownvoice`` command: thin sub-commands over the core, one module per command group.

Groups: ``writing`` (import, search, draft, accept, stats), ``style`` (the style card), ``models``,
``training`` (train, adapters), ``measuring`` (eval, bench), ``serving`` (serve, mcp), ``desktop`` (gui,
quick, self-check). Each group's ``register(sub, common)`` adds its parsers; command modules are imported
when the parser is built, and each command imports what it needs (torch, Qt, the server) only when it runs.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from typing import Optional

from ..errors import OwnVoiceError


def open_core(args):
    """The core on the data home the command line names."""
    from ..app import OwnVoice

    return OwnVoice(args.home)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    from . import desktop, measuring, models, serving, style, training, writing

    parser = argparse.ArgumentParser(
        prog="ownvoice", description="A writing assistant that learns to write like you, offline."
    )
    parser.add_argument(
        "--home", help="data folder (default: $OWNVOICE_HOME or the platform's user data folder)"
    )
    sub = parser.add_subparsers(dest="command")

    def common(p: argparse.ArgumentParser, json_flag: bool = True) -> None:
        p.add_argument("--profile", "-p", help="profile name (default: the settings' default profile)")
        if json_flag:
            p.add_argument("--json", action="store_true", help="machine-readable output")

    for group in (writing, style, models, training, measuring, serving, desktop):
        group.register(sub, common)
    return parser


def main(argv: Optional[list[str]] = None) -> int:
    """Entry point of the ``ownvoice`` command."""
    os.umask(0o077)  # everything OwnVoice writes is private to the user
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        args = parser.parse_args(["gui"] if _gui_available() else ["--help"])
    try:
        return args.func(args) or 0
    except OwnVoiceError as exc:
        print(f"ownvoice: error: {exc}", file=sys.stderr)
        return 2
    except (
        sqlite3.Error,
        OSError,
    ) as exc:  # the last net: a store or disk failure is said, never a traceback
        from ..errors import storage_error
        from ..paths import data_home

        print(
            f"ownvoice: error: {storage_error(exc, folder=data_home(getattr(args, 'home', None)))}",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print("\nownvoice: cancelled", file=sys.stderr)
        return 130


def _gui_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("PySide6") is not None
