"""Sub-commands for the style card: show it, edit it, see its versions, go back to one."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from . import open_core


def _value(text: str):
    try:  # lists, maps and numbers as JSON; anything else is plain text ('Best,')
        value = json.loads(text)
        return value if isinstance(value, (list, dict, int, float)) and not isinstance(value, bool) else text
    except json.JSONDecodeError:
        return text.replace("\\n", "\n")


def print_card(card) -> None:
    """The card in words, the fields the user set marked."""

    def mark(field: str) -> str:
        return "  (yours)" if field in card.edited else ""

    def show(label: str, field: str, value) -> None:
        print(f"{label:<18}{value if value not in ('', [], {}) else '-'}{mark(field)}")

    print(f"Style card ({card.documents} texts of yours; edit version {card.version})")
    show("signs as", "name", card.name)
    show("greeting", "greeting_template", card.greeting_template or card.greeting)
    show("no name known", "bare_greeting", card.bare_greeting)
    show("sign-off", "closing", card.closing)
    show("formal sign-off", "formal_closing", card.formal_closing)
    show(
        "typical words", "typical_words", ", ".join(f"{k} {v}" for k, v in sorted(card.typical_words.items()))
    )
    show("tone", "formality", card.formality)
    show("habits", "habits", ", ".join(f"{k} {v:g}" for k, v in card.habits.items()))
    show("phrases", "phrases", "; ".join(card.phrases))
    show("languages", "languages", ", ".join(card.languages))
    show("notes", "notes", card.notes)
    for field, label, table in (
        ("greetings_by_name", "greets", card.greetings_by_name),
        ("closings_by_name", "signs off to", card.closings_by_name),
    ):
        if table:
            print(f"{label} (per person){mark(field)}:")
            for who, line in sorted(table.items())[:30]:
                print(f"  {who:<16}{line}")
            if len(table) > 30:
                print(f"  ... and {len(table) - 30} more ('ownvoice style show --json' lists all)")


def cmd_style_show(args) -> int:
    """ownvoice style show [--json]."""
    card = open_core(args).style_card(args.profile)
    if args.json:
        print(json.dumps(card.as_dict(), indent=2, ensure_ascii=False))
    else:
        print_card(card)
    return 0


def _edit_in_editor(card) -> dict:
    from ..errors import InputError
    from ..style_card import EDITABLE

    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor or not sys.stdin.isatty():
        raise InputError("no editor to open: set $EDITOR, or use --set FIELD=VALUE or --file CARD.json")
    data = {k: v for k, v in card.as_dict().items() if k in EDITABLE}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "style-card.json"
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        subprocess.run([*shlex.split(editor), str(path)], check=False)
        return _read_json(path.read_text(encoding="utf-8"))


def _read_json(text: str) -> dict:
    from ..errors import InputError

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"the card is not valid JSON (line {exc.lineno}: {exc.msg}); nothing changed"
        ) from exc
    if not isinstance(data, dict):
        raise InputError("the card must be a JSON object of fields; nothing changed")
    return data


def cmd_style_edit(args) -> int:
    """ownvoice style edit [--set FIELD=VALUE]... [--file F|-] [--reset FIELD]..."""
    from ..errors import InputError
    from ..style_card import changed_fields

    app = open_core(args)
    card = app.style_card(args.profile)
    edits: dict = {}
    if args.file:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
        edits.update(changed_fields(card, _read_json(text)))
    for item in args.set or []:
        field, sep, value = item.partition("=")
        if not sep:
            raise InputError(f"--set needs FIELD=VALUE (got {item!r})")
        edits[field.strip()] = _value(value)
    if not (edits or args.reset or args.file or args.set):
        edits = changed_fields(card, _edit_in_editor(card))
    new = app.edit_style(edits, args.profile, reset=args.reset or [])
    if args.json:
        print(json.dumps(new.as_dict(), indent=2, ensure_ascii=False))
    elif new.version == card.version:
        print("nothing changed")
    else:
        print(f"style card: version {new.version} (drafts use it from now on)")
        print_card(new)
    return 0


def cmd_style_history(args) -> int:
    """ownvoice style history [--json]."""
    versions = open_core(args).style_history(args.profile)
    if args.json:
        print(json.dumps([v.__dict__ for v in versions], indent=2, ensure_ascii=False))
        return 0
    if not versions:
        print("the card has never been edited: it is computed from your writing")
    for v in versions:
        fields = ", ".join(sorted(v.edits)) or "none (the computed card)"
        print(f"version {v.version}  {v.created[:19].replace('T', ' ')}  your fields: {fields}")
    return 0


def cmd_style_revert(args) -> int:
    """ownvoice style revert VERSION."""
    card = open_core(args).revert_style(args.version, args.profile)
    print(f"style card: the edits of version {args.version} are current again (as version {card.version})")
    return 0


def register(sub, common) -> None:
    """Add this group's sub-commands to the parser."""
    p = sub.add_parser("style", help="your style card: greetings, sign-offs, length, habits (show and edit)")
    style = p.add_subparsers(dest="style_command", required=True)
    q = style.add_parser("show", help="show the card")
    common(q)
    q.set_defaults(func=cmd_style_show)
    q = style.add_parser("edit", help="correct the card (opens $EDITOR without options)")
    q.add_argument(
        "--set", action="append", metavar="FIELD=VALUE", help="e.g. closing='Cheers,' (repeatable)"
    )
    q.add_argument("--file", metavar="CARD.json", help="a card as JSON ('-' reads standard input)")
    q.add_argument(
        "--reset", action="append", metavar="FIELD", help="back to the computed value (repeatable)"
    )
    common(q)
    q.set_defaults(func=cmd_style_edit)
    q = style.add_parser("history", help="the versions of your edits")
    common(q)
    q.set_defaults(func=cmd_style_history)
    q = style.add_parser("revert", help="make an earlier version's edits current (0: none)")
    q.add_argument("version", type=int)
    common(q, json_flag=False)
    q.set_defaults(func=cmd_style_revert)
