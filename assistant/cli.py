"""The ``ownvoice`` command: thin sub-commands over the core modules (no logic of its own)."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Optional

from .errors import OwnVoiceError
from .jobs import CancelToken, TqdmProgress


def _app(args):
    from .app import OwnVoice

    return OwnVoice(args.home)


def cmd_import(args) -> int:
    """ownvoice import PATH... [--profile P] [--from ADDR]."""
    app = _app(args)
    bar = TqdmProgress(disable=args.quiet)
    addresses = [a for group in (args.from_ or []) for a in group.split(",") if a.strip()]
    try:
        summary = app.import_paths([Path(p) for p in args.paths], args.profile, addresses or None, progress=bar)
    finally:
        bar.close()
    d = summary.as_dict()
    if args.json:
        print(json.dumps(d, indent=2))
        return 0
    print(
        f"imported: {d['imported']}   duplicates: {d['duplicates']}   not the user's: {d['not_users']}   "
        f"unreadable: {d['unreadable']}"
    )
    for line in d["unreadable_reasons"][:20]:
        print(f"  skipped {line}")
    if len(d["unreadable_reasons"]) > 20:
        print(f"  ... and {len(d['unreadable_reasons']) - 20} more")
    for line in d["failed_files"]:
        print(f"  error: {line}", file=sys.stderr)
    if summary.embedding_error:
        print(f"  note: the mail is imported; {summary.embedding_error} (they are made at the next search or draft)")
    return 0


def cmd_search(args) -> int:
    """ownvoice search TEXT [--k N]."""
    app = _app(args)
    results = app.search(args.text, args.profile, k=args.k)
    if args.json:
        print(
            json.dumps(
                [{"id": e.doc.id, "subject": e.doc.subject, "score": e.score, "body": e.doc.body} for e in results],
                indent=2,
            )
        )
        return 0
    if not results:
        print("no matching documents")
    for i, e in enumerate(results, 1):
        preview = " ".join(e.doc.body.split())[:160]
        print(f"{i}. [#{e.doc.id}] {e.doc.subject or '(no subject)'}  (score {e.score:.4f})\n   {preview}")
    return 0


def cmd_draft(args) -> int:
    """ownvoice draft INSTRUCTION [--reply-to FILE.eml] ..."""
    from .prompts import DraftRequest

    app = _app(args)
    incoming = None
    if args.reply_to:
        from .email_io import read_incoming

        incoming = read_incoming(Path(args.reply_to))
    request = DraftRequest(
        instruction=args.instruction,
        incoming=incoming.prompt_text() if incoming else "",
        k=args.k,
        use_rag=not args.no_rag,
        max_tokens=args.max_tokens,
        seed=args.seed,
        recipient=incoming.first_name if incoming else "",
        use_adapter=not args.no_adapter,
        kind=args.kind,
    )
    printed = ""

    def on_update(text: str) -> None:
        nonlocal printed
        if args.json or not text.startswith(printed):
            return
        sys.stdout.write(text[len(printed) :])
        sys.stdout.flush()
        printed = text

    cancel = CancelToken()
    try:
        result = app.draft(request, args.profile, model_path=args.model, on_update=on_update, cancel=cancel)
    except KeyboardInterrupt:
        cancel.cancel()
        print("\n(cancelled)", file=sys.stderr)
        return 130
    if args.out:
        from .email_io import build_reply, write_eml

        prof = app.profile(args.profile)
        msg = build_reply(result.text, incoming, from_addr=(prof.addresses or [""])[0], from_name=prof.display_name)
        write_eml(msg, Path(args.out))
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
        return 0
    shown = printed.rstrip()
    if result.text != shown:  # the final clean-up changed the end (sign-off, trimmed run-on)
        rest = result.text[len(shown) :] if result.text.startswith(shown) else "\n\n--- final draft ---\n" + result.text
        sys.stdout.write(rest if result.text.startswith(shown) else rest)
    sys.stdout.write("\n")
    sys.stdout.flush()
    s = result.stats
    print(
        f"\n--- {len(result.text.split())} words (target ~{result.target_words}); "
        f"{s.completion_tokens} tokens, {s.tokens_per_s:.1f} tokens/s, first token {s.ttft_s:.2f}s",
        file=sys.stderr,
    )
    if result.check and result.check.coverage.missing:
        print("missing from your request: " + ", ".join(f.text for f in result.check.coverage.missing), file=sys.stderr)
    if result.unsupported:
        print(
            "check before sending (not in your request or the mail answered): "
            + ", ".join(f"{u.text} ({u.kind})" for u in result.unsupported),
            file=sys.stderr,
        )
    if result.save_error:
        print(f"{result.save_error} (copy the text above: it is complete)", file=sys.stderr)
    else:
        print(
            f"draft #{result.generation_id}: 'ownvoice accept {result.generation_id}' keeps it as your writing",
            file=sys.stderr,
        )
    if result.exemplars:
        print("exemplars used (most relevant first):", file=sys.stderr)
        for e in result.exemplars:
            print(f"  [#{e.doc.id}] {e.doc.subject or '(no subject)'}", file=sys.stderr)
    if args.out:
        print(f"saved reply to {args.out}", file=sys.stderr)
    return 0


def cmd_accept(args) -> int:
    """ownvoice accept GENERATION_ID [--final FILE|-]: keep a draft (as generated, or edited) as your writing."""
    app = _app(args)
    if args.final == "-":
        final = sys.stdin.read()
    elif args.final:
        final = Path(args.final).read_text(encoding="utf-8")
    else:
        final = None
    doc_id = app.accept_generation(args.generation_id, final, subject=args.subject or "")
    print(f"kept draft #{args.generation_id} as your writing (document #{doc_id})")
    return 0


def cmd_models(args) -> int:
    """ownvoice models [list | add PATH | remove PATH | scan]."""
    from .models import add_model, find_gguf_files, list_models, remove_model

    app = _app(args)
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


def cmd_stats(args) -> int:
    """ownvoice stats."""
    rows = _app(args).stats()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no profiles yet: run 'ownvoice import PATH'")
    for r in rows:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(r["by_kind"].items())) or "none"
        sources = ", ".join(f"{k} {n}" for k, n in sorted(r["by_source"].items())) or "none"
        print(
            f"{r['profile']} ({r['display_name'] or 'name unknown'}): {r['documents']} documents ({kinds}; {sources}), "
            f"{r['embedded']} embedded, {r['generations']} drafts generated"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="ownvoice", description="A writing assistant that learns to write like you, offline."
    )
    parser.add_argument("--home", help="data folder (default: $OWNVOICE_HOME or the platform's user data folder)")
    sub = parser.add_subparsers(dest="command")

    def common(p: argparse.ArgumentParser, json_flag: bool = True) -> None:
        p.add_argument("--profile", "-p", help="profile name (default: the settings' default profile)")
        if json_flag:
            p.add_argument("--json", action="store_true", help="machine-readable output")

    p = sub.add_parser("import", help="import your sent mail / notes (mbox, Maildir, .eml, .txt/.md, JSONL)")
    p.add_argument("paths", nargs="+")
    p.add_argument(
        "--from",
        dest="from_",
        action="append",
        metavar="ADDRESS",
        help="keep only messages sent from this address (repeatable, or comma-separated)",
    )
    p.add_argument("--quiet", "-q", action="store_true")
    common(p)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("search", help="show the past writing retrieved as exemplars for a text")
    p.add_argument("text")
    p.add_argument("--k", type=int, default=5)
    common(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("draft", help="draft an email or note in your voice")
    p.add_argument("instruction")
    p.add_argument("--reply-to", metavar="FILE.eml", help="the mail you are answering")
    p.add_argument("--out", metavar="REPLY.eml", help="also save the draft as a reply .eml")
    p.add_argument("--k", type=int, default=4, help="how many of your past mails to show the model")
    p.add_argument("--no-rag", action="store_true", help="do not use your past writing as examples")
    p.add_argument("--no-adapter", action="store_true", help="do not apply your trained style adapter")
    p.add_argument("--model", metavar="PATH.gguf", help="draft with this GGUF model")
    p.add_argument("--max-tokens", type=int, help="token budget (default: from your typical length)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--kind", choices=["email", "note"], default="email")
    common(p)
    p.set_defaults(func=cmd_draft)

    p = sub.add_parser("accept", help="keep a draft as your own writing (it then teaches OwnVoice your style)")
    p.add_argument("generation_id", type=int)
    p.add_argument("--final", metavar="FILE", help="the text you finally sent ('-' reads standard input)")
    p.add_argument("--subject", help="its subject")
    p.set_defaults(func=cmd_accept)

    p = sub.add_parser("models", help="list, add or find GGUF models")
    p.add_argument("action", nargs="?", choices=["list", "add", "remove", "scan"], default="list")
    p.add_argument("path", nargs="?")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("stats", help="per-profile counts")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)

    from . import cli_more

    cli_more.register(sub, common)
    return parser


def main(argv: Optional[list[str]] = None) -> int:
    """Entry point of the ``ownvoice`` command."""
    os.umask(0o077)  # everything OwnVoice writes is private to the user
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        args = parser.parse_args(["gui"] if _gui_available() else ["--help"])
    if args.command == "models" and args.action in ("add", "remove") and not args.path:
        parser.error(f"models {args.action} needs a PATH")
    try:
        return args.func(args) or 0
    except OwnVoiceError as exc:
        print(f"ownvoice: error: {exc}", file=sys.stderr)
        return 2
    except (sqlite3.Error, OSError) as exc:  # the last net: a store or disk failure is said, never a traceback
        from .errors import storage_error
        from .paths import data_home

        print(f"ownvoice: error: {storage_error(exc, folder=data_home(getattr(args, 'home', None)))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nownvoice: cancelled", file=sys.stderr)
        return 130


def _gui_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("PySide6") is not None


if __name__ == "__main__":
    sys.exit(main())
