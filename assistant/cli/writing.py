"""Sub-commands for your writing: import it, search it, draft from it, accept drafts, count it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..jobs import CancelToken, TqdmProgress
from . import open_core


def cmd_import(args) -> int:
    """ownvoice import PATH... [--profile P] [--from ADDR]."""
    app = open_core(args)
    bar = TqdmProgress(disable=args.quiet)
    addresses = [a for group in (args.from_ or []) for a in group.split(",") if a.strip()]
    try:
        summary = app.import_paths(
            [Path(p) for p in args.paths], args.profile, addresses or None, progress=bar
        )
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
        print(
            f"  note: the mail is imported; {summary.embedding_error} (they are made at the next search or "
            f"draft)"
        )
    return 0


def cmd_search(args) -> int:
    """ownvoice search TEXT [--k N]."""
    app = open_core(args)
    results = app.search(args.text, args.profile, k=args.k)
    if args.json:
        print(
            json.dumps(
                [
                    {"id": e.doc.id, "subject": e.doc.subject, "score": e.score, "body": e.doc.body}
                    for e in results
                ],
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
    from ..prompts import LEAN, DraftRequest

    app = open_core(args)
    incoming = None
    if args.reply_to:
        from ..email_io import read_incoming

        incoming = read_incoming(Path(args.reply_to))
    request = DraftRequest(
        instruction=args.instruction,
        incoming=incoming.prompt_text() if incoming else "",
        strength=args.strength,
        use_rag=not args.no_rag,
        max_tokens=args.max_tokens,
        seed=args.seed,
        recipient=incoming.first_name if incoming else "",
        use_adapter=not args.no_adapter,
        kind=args.kind,
        **({"k": args.k, "anchors": args.anchors} | (LEAN if args.lean else {})),
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
        if args.model:
            args.model = str(Path(args.model).expanduser().resolve())
        result = app.draft(request, args.profile, model_path=args.model, on_update=on_update, cancel=cancel)
    except KeyboardInterrupt:
        cancel.cancel()
        print("\n(cancelled)", file=sys.stderr)
        return 130
    if args.out:
        from ..email_io import build_reply, write_eml

        prof = app.profile(args.profile)
        msg = build_reply(
            result.text, incoming, from_addr=(prof.addresses or [""])[0], from_name=prof.display_name
        )
        write_eml(msg, Path(args.out))
    if args.json:
        gen = app.generator(args.model)  # the model and the adapter (path, '' for none) this draft used
        print(json.dumps(result.as_dict() | {"model": gen.model_path, "adapter": gen.adapter_name}, indent=2))
        return 0
    shown = printed.rstrip()
    if result.text != shown:  # the final clean-up changed the end (sign-off, trimmed run-on)
        rest = (
            result.text[len(shown) :]
            if result.text.startswith(shown)
            else "\n\n--- final draft ---\n" + result.text
        )
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
        print(
            "missing from your request: " + ", ".join(f.text for f in result.check.coverage.missing),
            file=sys.stderr,
        )
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
            f"draft #{result.generation_id}: 'ownvoice accept {result.generation_id}' keeps it as your "
            f"writing",
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
    """ownvoice accept GENERATION_ID [--final FILE|-]: keep a draft (as generated, or edited) as your
    writing."""
    app = open_core(args)
    if args.final == "-":
        final = sys.stdin.read()
    elif args.final:
        final = Path(args.final).read_text(encoding="utf-8")
    else:
        final = None
    doc_id = app.accept_generation(args.generation_id, final, subject=args.subject or "")
    print(f"kept draft #{args.generation_id} as your writing (document #{doc_id})")
    return 0


def cmd_stats(args) -> int:
    """ownvoice stats."""
    rows = open_core(args).stats()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no profiles yet: run 'ownvoice import PATH'")
    for r in rows:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(r["by_kind"].items())) or "none"
        sources = ", ".join(f"{k} {n}" for k, n in sorted(r["by_source"].items())) or "none"
        print(
            f"{r['profile']} ({r['display_name'] or 'name unknown'}): {r['documents']} documents ({kinds}; "
            f"{sources}), "
            f"{r['embedded']} embedded, {r['generations']} drafts generated"
        )
        learn = r["learning"]
        if learn["approved"]:
            print(
                f"  drafts kept: {learn['approved']} of {learn['drafts']}, "
                f"{100 * learn['approved_unedited_share']:.0f}% without a change; median edit "
                f"{100 * learn['median_edit']:.0f}% of the words (last 4 weeks: "
                + (
                    f"{100 * learn['median_edit_last_4_weeks']:.0f}%)"
                    if learn["median_edit_last_4_weeks"] is not None
                    else "no drafts kept)"
                )
            )
    return 0


def register(sub, common) -> None:
    """Add this group's sub-commands to the parser."""
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
    p.add_argument(
        "--anchors", type=int, default=2, help="your most typical mails opening every prompt (0: none)"
    )
    p.add_argument(
        "--strength",
        type=float,
        default=1.0,
        help="how strongly your style applies, 0..1: scales your adapter and the past mails shown "
        "(0: the plain model)",
    )
    p.add_argument(
        "--lean",
        action="store_true",
        help="the lean prompt: your style card and the two closest past mails, clipped (under half the "
        "prompt; replaces --k and --anchors)",
    )
    p.add_argument("--no-rag", action="store_true", help="do not use your past writing as examples")
    p.add_argument("--no-adapter", action="store_true", help="do not apply your trained style adapter")
    p.add_argument("--model", metavar="PATH.gguf", help="draft with this GGUF model")
    p.add_argument("--max-tokens", type=int, help="token budget (default: from your typical length)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--kind", choices=["email", "note"], default="email")
    common(p)
    p.set_defaults(func=cmd_draft)

    p = sub.add_parser(
        "accept", help="keep a draft as your own writing (it then teaches OwnVoice your style)"
    )
    p.add_argument("generation_id", type=int)
    p.add_argument("--final", metavar="FILE", help="the text you finally sent ('-' reads standard input)")
    p.add_argument("--subject", help="its subject")
    p.set_defaults(func=cmd_accept)

    p = sub.add_parser("stats", help="per-profile counts")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)
