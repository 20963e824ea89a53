"""Drafts do what they were asked, with the embedded model: the demo's request and the intent fixture."""

from __future__ import annotations

import json

import pytest

from ownvoice.assistant.facts import Fact, states
from ownvoice.assistant.fidelity import run_fidelity
from tests.conftest import SAMPLES


@pytest.mark.slow  # the real embedded model, as make demo runs it
def test_make_demo_draft_says_yes_and_names_a_thursday_evening(home, capsys, tmp_path):
    from ownvoice.assistant.cli import main

    # exactly the Makefile's demo commands
    assert (
        main(
            [
                "--home",
                str(home),
                "import",
                str(SAMPLES / "persona.mbox"),
                "--from",
                "priya@example.org",
                "-q",
            ]
        )
        == 0
    )
    capsys.readouterr()
    out = tmp_path / "reply.eml"
    assert (
        main(
            [
                "--home",
                str(home),
                "draft",
                "say yes and suggest a Thursday evening",
                "--reply-to",
                str(SAMPLES / "incoming.eml"),
                "--out",
                str(out),
                "--json",
            ]
        )
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    draft = result["draft"]
    assert states(Fact("yes", "yes", ("yes",)), draft), draft
    assert states(Fact("day", "Thursday evening", ("day", "thursday", "evening")), draft), draft
    assert result["coverage"]["missing"] == [] and result["unsupported"] == [] and result["defects"] == []
    assert draft.startswith("Hey Ana —") and draft.rstrip().endswith("Priya")
    assert "Length" not in draft and "[" not in draft and "Ana\n" not in draft.split("\n", 1)[1]
    assert out.read_bytes().startswith(b"From:") or b"In-Reply-To" in out.read_bytes()


@pytest.mark.scenario
def test_fidelity_on_the_intent_fixture_with_retrieval(persona_app):
    report = run_fidelity(persona_app, "priya", ("rag",))
    s = report["conditions"]["rag"]
    assert s["drafts"] == 24
    assert s["facts_present"] >= 0.90, [(r["instruction"], r["missing"]) for r in s["rows"] if r["missing"]]
    assert s["drafts_with_unsupported"] <= 2, [
        (r["draft"], r["unsupported"]) for r in s["rows"] if r["unsupported"]
    ]
    assert s["drafts_with_defects"] == 0, [(r["draft"], r["defects"]) for r in s["rows"] if r["defects"]]


def test_guided_decoding_writes_no_number_nobody_mentioned(app):
    """With the real model, a forced run of digit-heavy text only ever writes the request's own numbers."""
    import re

    from ownvoice.assistant.backends.base import GenParams
    from ownvoice.assistant.facts import Support, extract_facts
    from ownvoice.assistant.guidance import build_guide

    request = "ask Daniel if we can move our call from Thursday to Friday at 11"
    gen = app.generator()
    support = Support.from_texts([request])
    prompt = gen.format_chat(
        [{"role": "user", "content": "List ten meeting times with dates and years for: " + request}]
    )

    def numbers(free: bool) -> list[str]:
        seen = []
        for seed in range(3):
            guide = build_guide(extract_facts(request), support, attempt=3)
            if free:
                guide.numbers = []
            text = "".join(gen.stream(prompt, GenParams(max_tokens=80, seed=seed, guide=guide)))
            seen += re.findall(r"\d+", text)
        return seen

    unguided = numbers(free=True)
    assert set(unguided) - support.digits, "control: unconstrained, the model invents numbers"
    guided = numbers(free=False)
    assert guided, "the model wrote no number at all: the check would be empty"
    assert set(guided) <= {"1"} | support.digits
