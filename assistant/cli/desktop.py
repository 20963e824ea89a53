"""Sub-commands that start the desktop app (the only place the core starts the UI)."""

from __future__ import annotations

import json
from pathlib import Path


def cmd_gui(args) -> int:
    """ownvoice gui / ownvoice quick: the desktop app (quick = the tray's quick-compose popup)."""
    try:
        from ownvoice.ui.app import run  # the one allowed assistant -> ui import (pyproject ignore_imports)
    except ImportError as exc:
        from ..errors import OwnVoiceError

        raise OwnVoiceError(f"the desktop app needs PySide6 (pip install 'ownvoice[gui]'): {exc}") from exc
    return run(args.home, "quick" if args.command == "quick" else "show")


def cmd_self_check(args) -> int:
    """ownvoice self-check MAIL --from ADDR [--steps N] [--json]: the app end to end on a throwaway home."""

    try:
        from ownvoice.ui.self_check import run_self_check  # a GUI entry point, like `ownvoice gui`
    except ImportError as exc:
        from ..errors import OwnVoiceError

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


def register(sub, common) -> None:
    """Add this group's sub-commands to the parser."""
    p = sub.add_parser("gui", help="open the desktop app (the default with no command)")
    p.set_defaults(func=cmd_gui)

    p = sub.add_parser("quick", help="quick compose: opens the popup in the running app (or starts it)")
    p.set_defaults(func=cmd_gui)

    p = sub.add_parser(
        "self-check",
        help="check this installation end to end in a real window: import, draft, train (temp home)",
    )
    p.add_argument("mail", help="mail to import (e.g. samples/persona.mbox)")
    p.add_argument("--from", dest="from_", action="append", help="your address(es) in that mail")
    p.add_argument("--steps", type=int, default=2, help="training steps (default 2)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_self_check)
