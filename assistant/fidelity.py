"""Instruction fidelity: does the draft say what was asked, and nothing invented?

Runs the hand-written intents of ``data/fidelity_intents.json`` (each with the facts a draft must state)
against a profile's retrieval (and adapter) and reports, per condition: the share of required facts
present, drafts stating a specific nobody gave (day, date, time, number, name), and drafts with leaked
prompt text, placeholders, commentary, a second mail or the recipient's name as signature.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Optional

from .conditions import condition_settings
from .facts import Fact, Support, extract_facts, signature_names, states, unsupported_specifics
from .guidance import DEFECTS, draft_defects
from .jobs import ProgressFn, report
from .prompts import DraftRequest

FIDELITY_CONDITIONS = ("rag", "rag+lora")
COLUMN = {"signed with the recipient's name": "signed with recipient's name"}  # the table's shorter heading


def load_intents() -> list[dict]:
    """The shipped intent fixture."""
    text = (
        resources.files("ownvoice.assistant")
        .joinpath("data/fidelity_intents.json")
        .read_text(encoding="utf-8")
    )
    return json.loads(text)["intents"]


def fact_from_spec(kind: str, text: str) -> Fact:
    """A required fact as the fixture writes it."""
    if kind in ("yes", "no"):
        return Fact(kind, kind, (kind,))
    if kind == "name":
        return Fact("name", text, ("name", text.lower()), (text,))
    found = [f for f in extract_facts(text) if (f.kind == "ask") == (kind == "ask") and f.kind != "name"]
    if not found:
        raise ValueError(f"cannot read the required fact {kind}: {text!r}")
    return found[0]


def score_draft(draft: str, intent: dict, own_name: str, own_names: list[str]) -> dict:
    """Fidelity of one draft for one intent."""
    required = [fact_from_spec(r["kind"], r["text"]) for r in intent["required"]]
    recipient = intent.get("recipient") or None
    support = Support.from_texts(
        [intent["instruction"], intent.get("incoming", "")], own_names + ([recipient] if recipient else [])
    )
    present = [f.text for f in required if states(f, draft)]
    return {
        "instruction": intent["instruction"],
        "draft": draft,
        "required": [f.text for f in required],
        "present": present,
        "missing": [f.text for f in required if f.text not in present],
        "unsupported": [u.text for u in unsupported_specifics(draft, support)],
        "defects": draft_defects(draft, own_name, recipient, intent["instruction"]),
    }


def run_fidelity(
    app,
    profile_name: str,
    conditions: tuple[str, ...] = FIDELITY_CONDITIONS,
    seed: int = 0,
    intents: Optional[list[dict]] = None,
    progress: Optional[ProgressFn] = None,
    allowed: Optional[set[int]] = None,
) -> dict:
    """Draft every intent under each condition; return per-condition summaries and rows."""
    intents = intents if intents is not None else load_intents()
    prof = app.profile(profile_name, create=False)
    composer = app.composer()
    own_name = composer.style_name(prof)
    own_names = signature_names(own_name, prof.display_name, prof.addresses)
    out: dict = {"profile": prof.name, "intents": len(intents), "conditions": {}}
    total, done = len(intents) * len(conditions), 0
    for cond in conditions:
        settings = condition_settings(cond)
        app.apply_adapter(prof, settings["use_adapter"])
        rows = []
        for intent in intents:
            req = DraftRequest(
                instruction=intent["instruction"],
                incoming=intent.get("incoming", ""),
                recipient=intent.get("recipient", ""),
                seed=seed,
                **settings,
            )
            app.generator().reset()  # same cache state for every draft: reproducible
            result = composer.draft(prof, req, allowed=allowed, log=False)
            rows.append(
                score_draft(result.text, intent, own_name, own_names)
                | {"prompt_tokens": result.stats.prompt_tokens}
            )
            done += 1
            report(progress, "fidelity", done, total)
        n_req = sum(len(r["required"]) for r in rows)
        out["conditions"][cond] = {
            "facts_present": sum(len(r["present"]) for r in rows) / max(1, n_req),
            "drafts_with_unsupported": sum(1 for r in rows if r["unsupported"]),
            "drafts_with_defects": sum(1 for r in rows if r["defects"]),
            "defects": {d: sum(1 for r in rows if d in r["defects"]) for d in DEFECTS},
            "drafts": len(rows),
            "prompt_tokens": sum(r["prompt_tokens"] for r in rows) / max(1, len(rows)),
            "rows": rows,
        }
    app.apply_adapter(prof, False)
    return out


def fidelity_markdown(r: dict) -> str:
    """The fidelity report as a markdown table."""
    lines = [
        f"### Instruction fidelity: {r['profile']}, {r['intents']} hand-written intents",
        "",
        "| condition | required facts present | drafts with an unsupported specific | "
        + " | ".join(COLUMN.get(d, d) for d in DEFECTS)
        + " | prompt tokens |",
        "|---" * (4 + len(DEFECTS)) + "|",
    ]
    for cond, s in r["conditions"].items():
        counts = " | ".join(str(s["defects"].get(d, 0)) for d in DEFECTS)  # older reports lack 'markup'
        lines.append(
            f"| {cond} | {s['facts_present']:.1%} | {s['drafts_with_unsupported']} / {s['drafts']} | "
            f"{counts} | {s.get('prompt_tokens', 0):.0f} |"
        )
    return "\n".join(lines) + "\n"
