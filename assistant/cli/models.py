"""Sub-commands for the GGUF models drafting and training use: list, add, use, find, catalogue, download."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from . import open_core

ACTIONS = ["list", "add", "remove", "use", "scan", "catalogue", "download"]


def _size(n: int) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def cmd_models(args) -> int:
    """ownvoice models [list | add PATH | remove PATH | use PATH | scan | catalogue | download NAME]."""
    from ..errors import OwnVoiceError

    app = open_core(args)
    if args.action in ("add", "remove", "use", "download") and not args.path:
        raise OwnVoiceError(f"models {args.action} needs a {'NAME' if args.action == 'download' else 'PATH'}")
    if args.action == "add":
        info = app.add_model(Path(args.path))
        print(f"added {info.name} ({info.architecture}, {info.quant}, {_size(info.size)}): {info.path}")
    elif args.action == "remove":
        from ..models import remove_model

        remove_model(app.db, args.path)
        print(f"removed {args.path} (the file stays where it is)")
    elif args.action == "use":
        info = app.use_model(Path(args.path))
        print(f"drafting and training now use {info.name}: {info.path}")
    elif args.action == "scan":
        found = app.scan_models()
        if args.json:
            print(json.dumps([{"path": str(f.path), "app": f.app, "name": f.name} for f in found], indent=2))
        elif not found:
            print("no GGUF models found in LM Studio, Ollama, GPT4All, Jan or the Hugging Face cache")
        for f in found if not args.json else []:
            print(f"{f.app:20s} {f.name:50s} {f.path}")
    elif args.action == "catalogue":
        from ..model_catalog import fits, this_machine

        machine = this_machine()
        rows = fits(machine)
        if args.json:
            print(
                json.dumps(
                    {
                        "machine": asdict(machine),
                        "models": [
                            asdict(r.entry)
                            | {"ram_gb": r.entry.ram_gb, "usable": r.usable, "recommended": r.recommended}
                            | {"reason": r.reason}
                            for r in rows
                        ],
                    },
                    indent=2,
                )
            )
            return 0
        print(
            f"this machine: {machine.ram_available_gb:.1f} GB free memory, {machine.cores} cores"
            + (f", GPU {machine.vram_gb:.0f} GB" if machine.vram_gb else ", no GPU")
        )
        for r in rows:
            mark = "*" if r.recommended else ("-" if r.usable else "x")
            e = r.entry
            print(f"{mark} {e.name:14s} {e.title:34s} {_size(e.size_bytes):>9s} {e.licence:28s} {r.reason}")
        print("* recommended here, - usable but slow, x does not fit. ownvoice models download NAME")
    elif args.action == "download":
        from ..jobs import TqdmProgress

        bar = TqdmProgress(disable=args.json)
        try:
            done, info = app.download_model(args.path, args.url, progress=bar)
        finally:
            bar.close()
        if args.use:
            app.use_model(done.path)
        if args.json:
            print(json.dumps({"path": str(done.path), "sha256": done.sha256, "resumed": done.resumed}))
        else:
            how = "resumed and finished" if done.resumed else "downloaded"
            print(f"{how} {info.name}: {done.path} (sha256 {done.sha256} verified)")
            if not args.use:
                print(f"draft with it: ownvoice models use {done.path}")
    else:
        models = app.models_overview()
        active = str(Path(app.model_path).resolve())
        if args.json:
            print(
                json.dumps(
                    [asdict(m) | {"active": str(Path(m.path).resolve()) == active} for m in models], indent=2
                )
            )
            return 0
        for m in models:
            mark = "*" if str(Path(m.path).resolve()) == active else " "
            adapters = ", ".join(
                f"{p}: v{a['active']}" if a["active"] else f"{p}: {len(a['versions'])} (none active)"
                for p, a in m.adapters.items()
            )
            print(
                f"{mark} {m.name:40s} {m.architecture:8s} {m.parameters / 1e9:5.2f}B {m.quant:8s} "
                f"{_size(m.size):>9s}  {m.path}" + (f"\n    adapters: {adapters}" if adapters else "")
            )
    return 0


def register(sub, common) -> None:
    """Add this group's sub-commands to the parser."""
    p = sub.add_parser(
        "models",
        help="the GGUF models: list, add, use, find on this computer, the catalogue, download",
        description="list (default) | add PATH | remove PATH | use PATH | scan | catalogue | download NAME",
    )
    p.add_argument("action", nargs="?", choices=ACTIONS, default="list")
    p.add_argument("path", nargs="?", metavar="PATH|NAME")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--url", help="download: fetch from this URL instead of the catalogue's (a mirror)")
    p.add_argument("--use", action="store_true", help="download: draft and train with it once it is verified")
    p.set_defaults(func=cmd_models)
