"""Sub-commands for training and adapters (kept out of cli.py so each file keeps one job)."""

from __future__ import annotations

import json
from pathlib import Path


def cmd_train(args) -> int:
    """ownvoice train [--profile P] [--steps N | --epochs E] [--device auto|cpu|cuda] [--resume]."""
    from .app import OwnVoice
    from .jobs import CancelToken, TqdmProgress
    from .training import TrainingOptions

    options = TrainingOptions(  # OptionsError (a clear message) before anything is opened
        steps=args.steps or 0,
        epochs=args.epochs,
        device=args.device,
        resume=args.resume,
        quantize=args.quantize,
        playback_model=not args.heuristic_playback,
        learning_rate=args.lr,
        seed=args.seed,
        gradient_checkpointing=not args.no_checkpointing,
    )
    app = OwnVoice(args.home)
    bar = TqdmProgress()
    cancel = CancelToken()
    try:
        outcome = app.train(args.profile, progress=bar, cancel=cancel, options=options)
    except KeyboardInterrupt:
        cancel.cancel()
        raise
    finally:
        bar.close()
    m = outcome.metrics
    if args.json:
        print(
            json.dumps(
                {
                    "adapter_id": outcome.adapter_id,
                    "version": outcome.version,
                    "activated": outcome.activated,
                    "reason": outcome.reason,
                    "metrics": m,
                },
                indent=2,
            )
        )
        return 0
    print(
        f"adapter v{outcome.version}: {m['steps']} steps on {m['train_examples']} examples "
        f"in {m['train_seconds']:.0f}s "
        f"({m['tokens_per_s']:.0f} tokens/s, peak {m['peak_rss_mb']:.0f} MB, {m['device']}"
        f"{', 4-bit NF4' if m['quantized'] else ''})"
    )
    print(("activated: " if outcome.activated else "kept the previous choice: ") + outcome.reason)
    return 0


def cmd_adapters(args) -> int:
    """ownvoice adapters [list | use ID | delete ID | off]."""
    from ownvoice.store import adapters as table

    from .app import OwnVoice
    from .errors import OwnVoiceError

    app = OwnVoice(args.home)
    prof = app.profile(args.profile)
    if args.action in ("use", "delete") and args.id is None:
        raise OwnVoiceError(f"adapters {args.action} needs an adapter ID (see 'ownvoice adapters list')")
    if args.action == "use":
        row = table.get_adapter(app.db, args.id)
        if row is None or row.profile_id != prof.id:
            raise OwnVoiceError(f"no adapter {args.id} in profile {prof.name!r}")
        table.set_active(app.db, prof.id, row.id)
        print(f"adapter v{row.version} is now active")
    elif args.action == "export":
        if args.id is None or not args.out:
            raise OwnVoiceError("adapters export needs an adapter ID and --out FOLDER")
        for path in app.export_adapter(args.id, args.format, Path(args.out)):
            print(path)
    elif args.action == "off":
        table.set_active(app.db, prof.id, None)
        print("no adapter active: drafting uses the base model")
    elif args.action == "delete":
        row = table.get_adapter(app.db, args.id)
        if row is None or row.profile_id != prof.id:
            raise OwnVoiceError(f"no adapter {args.id} in profile {prof.name!r}")
        app.delete_adapter(row.id)
        print(f"deleted adapter v{row.version} (files and record)")
    else:
        rows = table.list_adapters(app.db, prof.id)
        if args.json:
            print(json.dumps([r.__dict__ for r in rows], indent=2))
            return 0
        if not rows:
            print("no adapters yet: run 'ownvoice train'")
        for r in rows:
            m = r.metrics
            print(
                f"{'*' if r.active else ' '} id {r.id:3d}  v{r.version:<3d} {r.created[:19]}  held-out loss "
                f"{m.get('eval_loss_base') or 0:.3f} -> {m.get('eval_loss_adapter') or 0:.3f}  "
                f"{m.get('train_examples', 0)} examples, {m.get('steps', 0)} steps"
            )
    return 0


def cmd_gui(args) -> int:
    """ownvoice gui / ownvoice quick: the desktop app (quick = the tray's quick-compose popup)."""
    try:
        from ownvoice.ui.app import run  # the one allowed assistant -> ui import (pyproject ignore_imports)
    except ImportError as exc:
        from .errors import OwnVoiceError

        raise OwnVoiceError(f"the desktop app needs PySide6 (pip install 'ownvoice[gui]'): {exc}") from exc
    return run(args.home, "quick" if args.command == "quick" else "show")


def cmd_self_check(args) -> int:
    """ownvoice self-check MAIL --from ADDR [--steps N] [--json]: the app end to end on a throwaway home."""
    import json
    from pathlib import Path

    try:
        from ownvoice.ui.self_check import run_self_check  # a GUI entry point, like `ownvoice gui`
    except ImportError as exc:
        from .errors import OwnVoiceError

        raise OwnVoiceError(f"the self-check drives the desktop app, which needs PySide6: {exc}") from exc
    addresses = [a for group in (args.from_ or []) for a in group.split(",") if a.strip()]
    check = run_self_check(Path(args.mail), addresses, steps=args.steps)
    if args.json:
        print(json.dumps({**check.as_dict(), "passed": check.passed}, indent=2))
    else:
        print(
            f"window shown: {check.window_shown}\nimported: {check.imported} mails in {check.import_s} s\n"
            f"draft: {check.draft_words} words with {check.draft_exemplars} exemplars in {check.draft_s} s\n"
            f"training: {check.training_steps} steps, {check.adapter_versions} adapter version(s) in "
            f"{check.training_s} s ({check.training_status})\n" + ("passed" if check.passed else "FAILED")
        )
    return 0 if check.passed else 1


def cmd_serve(args) -> int:
    """ownvoice serve [--host H] [--port P] [--profile P] [--show-token]: the OpenAI-compatible endpoint."""
    from .app import OwnVoice
    from .serve.auth import load_or_create_token
    from .serve.http_server import DraftService, make_server

    core = OwnVoice(args.home)
    token = args.token or load_or_create_token(core.home)
    if args.show_token:
        print(token)
        return 0
    server = make_server(
        DraftService(core, args.profile),
        token,
        args.host,
        args.port,
        allow_remote=args.allow_remote,
        explicit_token=bool(args.token),
    )
    host, port = server.server_address[:2]
    print(f"OwnVoice drafts at http://{host}:{port}/v1 (OpenAI-compatible; the token: ownvoice serve --show-token)")
    print("Ctrl+C stops it.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        core.close()
    return 0


def cmd_mcp(args) -> int:
    """ownvoice mcp [--profile P]: the MCP server over stdio (draft_email tool, style resource)."""
    import importlib.util

    from .app import OwnVoice
    from .errors import OwnVoiceError
    from .serve.http_server import DraftService
    from .serve.mcp_server import build_mcp

    if importlib.util.find_spec("mcp") is None:
        raise OwnVoiceError("the MCP server needs the mcp package: pip install 'ownvoice[serve]'")
    core = OwnVoice(args.home)
    try:
        build_mcp(DraftService(core, args.profile)).run("stdio")
    finally:
        core.close()
    return 0


def cmd_eval(args) -> int:
    """ownvoice eval DATA [--protocol subject|playback] [--fidelity] [--conditions ...] [--limit N] [--out DIR]."""
    from pathlib import Path

    from .app import OwnVoice
    from .evaluation import EvalConfig, run_eval, write_report
    from .importers import Own, read_path
    from .jobs import TqdmProgress

    out = Path(args.out)
    data = Path(args.data)
    if data.exists():  # evaluate a file in a throw-away data home, never in the user's store
        app = OwnVoice(Path(args.work) if args.work else out / "home")
        profile = args.profile or data.stem
        app.import_paths([data], profile, progress=None)
    else:
        app = OwnVoice(args.home)
        profile = args.data
    negatives = []
    for neg in args.negatives or []:
        negatives += [it.doc.body for it in read_path(Path(neg), set()) if isinstance(it, Own)]
    cfg = EvalConfig(
        conditions=[c.strip() for c in args.conditions.split(",") if c.strip()],
        limit=args.limit,
        seed=args.seed,
        n_best=args.n_best,
        train_steps=args.steps or 0,
        protocol=args.protocol,
        playback_model=not args.heuristic_playback,
        negative_texts=negatives,
    )
    bar = TqdmProgress()
    try:
        if args.fidelity:
            return _eval_fidelity(app, profile, cfg, out, args, bar)
        result = run_eval(app, profile, cfg, progress=bar)
    finally:
        bar.close()
    path = write_report(result, out)
    if args.json:
        print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=2))
    else:
        print(path.read_text())
        print(f"report: {path}  chart: {out / 'chart.png'}  data: {out / 'report.json'}")
    return 0


def _eval_fidelity(app, profile: str, cfg, out, args, bar) -> int:
    from ownvoice.store import documents as docs_table

    from .evaluation import ensure_adapter
    from .fidelity import FIDELITY_CONDITIONS, fidelity_markdown, run_fidelity
    from .training import split_documents

    prof = app.profile(profile, create=False)
    app.embed(prof)
    conditions = tuple(c for c in cfg.conditions if c in FIDELITY_CONDITIONS) or FIDELITY_CONDITIONS
    train_docs, _ = split_documents(docs_table.list_documents(app.db, prof.id))
    if any("lora" in c for c in conditions):
        ensure_adapter(app, prof, cfg, {d.id for d in train_docs}, bar)
    result = run_fidelity(app, profile, conditions, seed=cfg.seed, progress=bar)
    out.mkdir(parents=True, exist_ok=True)
    (out / "fidelity.json").write_text(json.dumps(result, indent=2))
    md = fidelity_markdown(result)
    (out / "fidelity.md").write_text(md)
    if args.json:
        print(
            json.dumps(
                {c: {k: v for k, v in s.items() if k != "rows"} for c, s in result["conditions"].items()}, indent=2
            )
        )
    else:
        print(md)
        print(f"report: {out / 'fidelity.md'}  data: {out / 'fidelity.json'}")
    return 0


def cmd_bench(args) -> int:
    """ownvoice bench [generation retrieval import startup training] [--runs N]."""
    from .bench import run_benchmarks

    print(run_benchmarks(args.which or None, runs=args.runs, out=args.out, home=args.home))
    return 0


def register(sub, common) -> None:
    """Add the extra sub-commands to the parser."""
    p = sub.add_parser("eval", help="measure how well drafts match your held-out mail (style evaluation)")
    p.add_argument("data", help="a file/folder 'import' reads, or an existing profile name")
    p.add_argument("--profile", "-p")
    p.add_argument("--conditions", default="base,rag,lora,rag+lora,best-of-n")
    p.add_argument("--limit", type=int, default=25)
    p.add_argument("--out", default="eval-out")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n-best", type=int, default=4)
    p.add_argument("--steps", type=int, help="adapter training steps (default: 3 epochs)")
    p.add_argument("--negatives", nargs="*", help="other people's writing for the style model (any import format)")
    p.add_argument("--heuristic-playback", action="store_true")
    p.add_argument(
        "--protocol",
        choices=["subject", "playback"],
        default="subject",
        help="subject: leak-free requests (subject, addressee, mail answered); playback: training-style",
    )
    p.add_argument(
        "--fidelity",
        action="store_true",
        help="instead: draft the shipped hand-written intents and check their facts (conditions rag, rag+lora)",
    )
    p.add_argument("--work", help="data home for a file's evaluation (default OUT/home; reuse it to reuse the adapter)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval)
    p = sub.add_parser("bench", help="performance benchmarks against the raw libraries")
    p.add_argument(
        "which", nargs="*", choices=["generation", "retrieval", "import", "startup", "training", "serve", []]
    )
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--out", help="also write the markdown here")
    p.set_defaults(func=cmd_bench)
    p = sub.add_parser("gui", help="open the desktop app (the default with no command)")
    p.set_defaults(func=cmd_gui)
    p = sub.add_parser("quick", help="quick compose: opens the popup in the running app (or starts it)")
    p.set_defaults(func=cmd_gui)
    p = sub.add_parser("serve", help="draft from other apps: an OpenAI-compatible endpoint on this machine")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback unless --allow-remote)")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--show-token", action="store_true", help="print the bearer token clients need, and exit")
    p.add_argument("--token", help="use this bearer token instead of the stored one (needed with --allow-remote)")
    p.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --host (with --token)")
    common(p, json_flag=False)
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("mcp", help="a Model Context Protocol server over stdio (tool: draft_email)")
    common(p, json_flag=False)
    p.set_defaults(func=cmd_mcp)
    p = sub.add_parser(
        "self-check", help="check this installation end to end in a real window: import, draft, train (temp home)"
    )
    p.add_argument("mail", help="mail to import (e.g. samples/persona.mbox)")
    p.add_argument("--from", dest="from_", action="append", help="your address(es) in that mail")
    p.add_argument("--steps", type=int, default=2, help="training steps (default 2)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_self_check)

    p = sub.add_parser("train", help="train your style adapter (LoRA) on your own writing, locally")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--steps", type=int, help="optimizer steps (overrides --epochs)")
    group.add_argument("--epochs", type=float, default=3.0)
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument(
        "--quantize",
        choices=["auto", "nf4", "none"],
        default="auto",
        help="4-bit NF4 QLoRA: auto = on CUDA when the model does not fit in bf16",
    )
    p.add_argument("--resume", action="store_true", help="continue the last unfinished run from its checkpoint")
    p.add_argument(
        "--heuristic-playback",
        action="store_true",
        help="build training instructions without the model (faster, less informative)",
    )
    p.add_argument("--lr", type=float, help="learning rate (default 5e-4)")
    p.add_argument(
        "--no-checkpointing",
        action="store_true",
        help="faster (~20%%) but about twice the peak memory: no gradient checkpointing",
    )
    p.add_argument("--seed", type=int, default=0)
    common(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("adapters", help="list, choose or delete your trained adapters")
    p.add_argument("action", nargs="?", choices=["list", "use", "delete", "off", "export"], default="list")
    p.add_argument("id", nargs="?", type=int)
    p.add_argument("--format", choices=["gguf", "peft"], default="gguf", help="export: llama.cpp GGUF or peft (vLLM)")
    p.add_argument("--out", help="export: a new folder to write the adapter into")
    common(p)
    p.set_defaults(func=cmd_adapters)
