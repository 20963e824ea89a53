"""Sub-commands for your style adapters: train them, choose, export and push them."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

from . import open_core


def cmd_train(args) -> int:
    """ownvoice train [--profile P] [--model PATH] [--steps N | --epochs E] [--device D] [--resume]."""
    from ..app import OwnVoice
    from ..jobs import CancelToken, TqdmProgress
    from ..training import TrainingOptions

    options = TrainingOptions(  # OptionsError (a clear message) before anything is opened
        steps=args.steps or 0,
        epochs=args.epochs,
        device=args.device,
        resume=args.resume,
        fresh=args.fresh,
        quantize=args.quantize,
        playback_model=not args.heuristic_playback,
        learning_rate=args.lr,
        seed=args.seed,
        gradient_checkpointing={"auto": None, "on": True, "off": False}[args.checkpointing],
    )
    app = OwnVoice(args.home)
    bar = TqdmProgress()
    cancel = CancelToken()
    if args.estimate:
        try:
            est = app.estimate_training(args.profile, options, args.model, progress=bar, cancel=cancel)
        finally:
            bar.close()
        if args.json:
            print(json.dumps(asdict(est), indent=2))
            return 0
        minutes = est.total_seconds / 60
        print(
            f"estimate for {est.total_steps} steps on {est.train_examples} examples: about {minutes:.0f} min "
            f"({est.prepare_seconds:.0f} s to prepare your examples, {est.load_seconds:.0f} s to load, "
            f"{est.seconds_per_step:.1f} s a step, "
            f"{est.eval_seconds:.0f} s of evaluation), peak memory {est.peak_memory_mb / 1024:.1f} GB\n"
            f"where: {est.device_reason}\n"
            f"(timed on {est.probe_steps} real steps of your own examples; nothing was kept)"
        )
        return 0
    try:
        outcome = app.train(args.profile, progress=bar, cancel=cancel, options=options, model_path=args.model)
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
    """ownvoice adapters [list | use ID | delete ID | off | export ID --out DIR | push ID --to URL]."""
    from ownvoice.store import adapters as table

    from ..app import OwnVoice
    from ..errors import OwnVoiceError

    app = OwnVoice(args.home)
    prof = app.profile(args.profile)
    if args.action in ("use", "delete") and args.id is None:
        raise OwnVoiceError(f"adapters {args.action} needs an adapter ID (see 'ownvoice adapters list')")
    if args.action == "use":
        row = table.get_adapter(app.db, args.id)
        if row is None or row.profile_id != prof.id:
            raise OwnVoiceError(f"no adapter {args.id} in profile {prof.name!r}")
        app.set_active_adapter(prof.id, row.id)
        print(f"adapter v{row.version} is now active")
    elif args.action == "export":
        if args.id is None or not args.out:
            raise OwnVoiceError("adapters export needs an adapter ID and --out FOLDER")
        for path in app.export_adapter(args.id, args.format, Path(args.out)):
            print(path)
    elif args.action == "push":
        if args.id is None or not args.to:
            raise OwnVoiceError("adapters push needs an adapter ID and --to URL (a vLLM server)")
        shared = Path(args.shared_dir) if args.shared_dir else None
        pushed = app.push_adapter(
            args.id, args.to, args.api_key or "", args.name or "", shared, args.server_dir or ""
        )
        if args.json:
            print(json.dumps(pushed.__dict__, indent=2))
            return 0
        verb = "was already loaded" if pushed.already_loaded else "loaded"
        print(
            f"{verb} on {args.to} as model {pushed.name!r} (files: {pushed.local_folder}; the server reads "
            f"{pushed.server_path})"
        )
        print(
            "drafting with the openai-compatible backend now selects it by that name (settings: "
            "remote_adapters)"
        )
    elif args.action == "off":
        app.set_active_adapter(prof.id, None)
        print(f"no adapter active for {Path(app.model_path).name}: drafting with it uses the model alone")
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


def cmd_retrain(args) -> int:
    """ownvoice retrain [--force] [--min-new N] [--steps N]: retrain when it pays, keep the better adapter."""
    from ..jobs import CancelToken, TqdmProgress
    from ..retrain import RetrainRule

    app = open_core(args)
    rule = RetrainRule(min_new_documents=args.min_new, steps=args.steps, require_mains_power=not args.force)
    bar = TqdmProgress(disable=args.json)
    cancel = CancelToken()
    try:
        result = app.retrain(
            args.profile, rule, force=args.force, progress=bar, cancel=cancel, background=True
        )
    except KeyboardInterrupt:
        cancel.cancel()
        print("\n(cancelled; the adapter in use is unchanged)", file=sys.stderr)
        return 130
    finally:
        bar.close()
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    elif result.version is None:
        print(f"not retraining: {result.reason}")
    else:
        print(("promoted: " if result.promoted else "kept the adapter in use: ") + result.reason)
    return 0


def register(sub, common) -> None:
    """Add this group's sub-commands to the parser."""
    p = sub.add_parser("train", help="train your style adapter (LoRA) on your own writing, locally")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--steps", type=int, help="optimizer steps (overrides --epochs)")
    group.add_argument("--epochs", type=float, default=3.0)
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument(
        "--model", metavar="PATH.gguf", help="train for this GGUF (default: the model drafting uses)"
    )
    p.add_argument(
        "--estimate",
        action="store_true",
        help="only estimate the time and peak memory here, from a few timed steps (nothing is kept)",
    )
    p.add_argument(
        "--quantize",
        choices=["auto", "nf4", "none"],
        default="auto",
        help="4-bit NF4 QLoRA: auto = on CUDA when the model does not fit in bf16",
    )
    p.add_argument(
        "--resume", action="store_true", help="continue the last unfinished run from its checkpoint"
    )
    p.add_argument(
        "--heuristic-playback",
        action="store_true",
        help="build training instructions without the model (faster, less informative)",
    )
    p.add_argument(
        "--fresh",
        action="store_true",
        help="start from the base model (default: go on from the adapter in use, when it has the same shape)",
    )
    p.add_argument("--lr", type=float, help="learning rate (default 5e-4)")
    p.add_argument(
        "--checkpointing",
        choices=["auto", "on", "off"],
        default="auto",
        help="gradient checkpointing: less memory, ~40%% slower (auto: on only when memory needs it)",
    )
    p.add_argument("--seed", type=int, default=0)
    common(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "retrain",
        help="train a new adapter when enough new writing exists and the computer is idle; keep it only if "
        "it drafts your held-out mail better",
    )
    p.add_argument("--force", action="store_true", help="train now, whatever the rule says")
    p.add_argument(
        "--min-new", type=int, default=20, help="new texts of yours needed since the last training"
    )
    p.add_argument("--steps", type=int, default=0, help="training steps (default: the trainer's epochs)")
    common(p)
    p.set_defaults(func=cmd_retrain)

    p = sub.add_parser("adapters", help="list, choose, delete, export or push (vLLM) your adapters")
    p.add_argument(
        "action", nargs="?", choices=["list", "use", "delete", "off", "export", "push"], default="list"
    )
    p.add_argument("id", nargs="?", type=int)
    p.add_argument(
        "--format", choices=["gguf", "peft"], default="gguf", help="export: llama.cpp GGUF or peft (vLLM)"
    )
    p.add_argument("--out", help="export: a new folder to write the adapter into")
    p.add_argument("--to", metavar="URL", help="push: the vLLM server (e.g. http://gpu-box:8000)")
    p.add_argument("--api-key", help="push: the server's API key (vllm serve --api-key)")
    p.add_argument("--name", help="push: the model name on the server (default ownvoice-PROFILE-vN-SHA8)")
    p.add_argument(
        "--shared-dir",
        help="push: a folder the server can read (a mount) to write the adapter into (default: this "
        "machine's cache)",
    )
    p.add_argument(
        "--server-dir", help="push: where --shared-dir appears on the server (default: the same path)"
    )
    common(p)
    p.set_defaults(func=cmd_adapters)
