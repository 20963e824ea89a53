"""Sub-commands that measure: the honest style/fidelity evaluation and the benchmarks."""

from __future__ import annotations

import json
from pathlib import Path


def cmd_eval(args) -> int:
    """ownvoice eval DATA [--protocol subject|playback] [--fidelity] [--conditions ...] [--limit N] [--out
    DIR]."""

    from ..app import OwnVoice
    from ..errors import OwnVoiceError
    from ..evaluation import EvalConfig, run_eval, write_report
    from ..jobs import TqdmProgress

    try:  # a bad option is said before anything is imported
        cfg = EvalConfig(
            conditions=[c.strip() for c in args.conditions.split(",") if c.strip()],
            limit=args.limit,
            seed=args.seed,
            n_best=args.n_best,
            train_steps=args.steps or 0,
            protocol=args.protocol,
            playback_model=not args.heuristic_playback,
            negative_texts=[],
        )
    except ValueError as exc:
        raise OwnVoiceError(str(exc)) from None
    out = Path(args.out)
    data = Path(args.data)
    if data.exists():  # evaluate a file in a throw-away data home, never in the user's store
        app = OwnVoice(Path(args.work) if args.work else out / "home")
        profile = args.profile or data.stem
        app.import_paths([data], profile, progress=None)
    else:
        app = OwnVoice(args.home)
        profile = args.data
    cfg.negative_texts += _other_writers(args)
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

    from ..conditions import condition_settings
    from ..evaluation import ensure_adapter
    from ..fidelity import FIDELITY_CONDITIONS, fidelity_markdown, run_fidelity
    from ..training import split_documents

    prof = app.profile(profile, create=False)
    app.embed(prof)
    conditions = (
        tuple(c for c in cfg.conditions if condition_settings(c)["use_rag"] and c != "best-of-n")
        or FIDELITY_CONDITIONS
    )
    train_docs, _ = split_documents(docs_table.list_documents(app.db, prof.id))
    if any(condition_settings(c)["use_adapter"] for c in conditions):
        ensure_adapter(app, prof, cfg, {d.id for d in train_docs}, bar)
    result = run_fidelity(app, profile, conditions, seed=cfg.seed, progress=bar)
    out.mkdir(parents=True, exist_ok=True)
    (out / "fidelity.json").write_text(json.dumps(result, indent=2))
    md = fidelity_markdown(result)
    (out / "fidelity.md").write_text(md)
    if args.json:
        print(
            json.dumps(
                {c: {k: v for k, v in s.items() if k != "rows"} for c, s in result["conditions"].items()},
                indent=2,
            )
        )
    else:
        print(md)
        print(f"report: {out / 'fidelity.md'}  data: {out / 'fidelity.json'}")
    return 0


def cmd_bench(args) -> int:
    """ownvoice bench [NAME ...] [--runs N] [--json] [--out FILE]."""
    from ..bench import markdown, run_benchmarks, save

    results = run_benchmarks(args.which or None, runs=args.runs, home=args.home)
    if args.out:
        save(results, args.out)
    print(json.dumps(results, indent=2) if args.json else markdown(results))
    return 0


def _other_writers(args) -> list[str]:
    """The bodies of the mails in ``--negatives`` (other people's writing)."""
    from ..importers import Own, read_path

    return [
        it.doc.body
        for neg in args.negatives or []
        for it in read_path(Path(neg), set())
        if isinstance(it, Own)
    ]


def cmd_simulate(args) -> int:
    """ownvoice simulate DATA... [--walk N] [--every N] [--steps N] [--out DIR] [--work DIR]."""
    from ..errors import OwnVoiceError
    from ..jobs import TqdmProgress
    from ..simulation import SimConfig, run_simulation, write_simulation

    try:
        cfg = SimConfig(walk=args.walk, every=args.every, steps=args.steps, probe=args.probe, seed=args.seed)
    except ValueError as exc:
        raise OwnVoiceError(str(exc)) from exc
    out = Path(args.out)
    bar = TqdmProgress()
    try:
        result = run_simulation(
            [Path(p) for p in args.data], Path(args.work or out / "work"), cfg, bar, _other_writers(args)
        )
    finally:
        bar.close()
    md = write_simulation(result, out)
    print(md.read_text())
    print(f"report: {md}  data: {out / 'simulation.json'}  curve: {out / 'curve.png'}")
    return 0


def register(sub, common) -> None:
    """Add this group's sub-commands to the parser."""
    p = sub.add_parser("eval", help="measure how well drafts match your held-out mail (style evaluation)")
    p.add_argument("data", help="a file/folder 'import' reads, or an existing profile name")
    p.add_argument("--profile", "-p")
    p.add_argument(
        "--conditions",
        default="base,rag,lora,rag+lora,best-of-n",
        help="comma-separated, of: base, rag, rag-no-card, card, lora, rag+lora, card+lora, best-of-n",
    )
    p.add_argument("--limit", type=int, default=25)
    p.add_argument("--out", default="eval-out")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n-best", type=int, default=4)
    p.add_argument("--steps", type=int, help="adapter training steps (default: 3 epochs)")
    p.add_argument(
        "--negatives", nargs="*", help="other people's writing for the style model (any import format)"
    )
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
        help="instead: draft the shipped hand-written intents and check their facts (the conditions "
        "given, less base and best-of-n; default rag, rag+lora)",
    )
    p.add_argument(
        "--work", help="data home for a file's evaluation (default OUT/home; reuse it to reuse the adapter)"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("bench", help="performance benchmarks against the raw libraries")
    p.add_argument(
        "which",
        nargs="*",
        choices=["generation", "retrieval", "import", "startup", "training", "contention", "serve", []],
        help="default: generation retrieval import startup training",
    )
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--out", help="also write the markdown here (and the figures as JSON beside it)")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser(
        "simulate",
        help="replay a user's newest mails with and without learning from edits (the edit-distance curve)",
    )
    p.add_argument("data", nargs="+", help="the user's mail (any import format)")
    p.add_argument("--walk", type=int, default=24, help="the newest mails walked in time order")
    p.add_argument("--every", type=int, default=8, help="retrain after this many accepted mails")
    p.add_argument("--steps", type=int, default=30, help="training steps per adapter")
    p.add_argument(
        "--probe",
        type=int,
        default=0,
        help="keep back the newest N mails and draft them before the walk and after each retrain",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="simulation-out")
    p.add_argument(
        "--negatives", nargs="*", help="other people's writing: the probe curve's floor (any import format)"
    )
    p.add_argument("--work", help="where the two homes go (default OUT/work)")
    p.set_defaults(func=cmd_simulate)
