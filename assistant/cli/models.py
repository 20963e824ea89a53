"""Sub-commands for the GGUF models drafting uses."""

from __future__ import annotations

from pathlib import Path

from . import open_core


def cmd_models(args) -> int:
    """ownvoice models [list | add PATH | remove PATH | scan]."""
    from ..models import add_model, find_gguf_files, list_models, remove_model

    app = open_core(args)
    if args.action == "add":
        info = add_model(app.db, Path(args.path))
        print(f"added {info.name} ({info.architecture}, {info.size / 1e6:.0f} MB): {info.path}")
    elif args.action == "remove":
        remove_model(app.db, args.path)
        print(f"removed {args.path}")
    elif args.action == "scan":
        for p in find_gguf_files():
            print(p)
    else:
        active = app.model_path
        for m in list_models(app.db):
            mark = "*" if str(Path(m.path)) == str(Path(active)) else " "
            print(f"{mark} {m.name:45s} {m.architecture:10s} {m.size / 1e6:8.0f} MB  {m.path}")
    return 0


def register(sub, common) -> None:
    """Add this group's sub-commands to the parser."""
    p = sub.add_parser("models", help="list, add or find GGUF models")
    p.add_argument("action", nargs="?", choices=["list", "add", "remove", "scan"], default="list")
    p.add_argument("path", nargs="?")
    p.set_defaults(func=cmd_models)
