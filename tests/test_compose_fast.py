"""Compose, prompts, post-processing and the CLI on the scripted fake generator (fast; no model loaded).

The same paths with the real SmolLM2 GGUF and MiniLM are in test_draft.py, test_fidelity.py and test_cli.py.
"""

from __future__ import annotations

import json

import pytest

from ownvoice.assistant.cli import main
from ownvoice.assistant.prompts import DraftRequest
from ownvoice.store import generations as G
from tests.conftest import SAMPLES

SIGNED = "\n\nCheers,\nPriya"


@pytest.fixture
def persona(fake_app):
    """The fake app with the sample persona imported (embedded by the hashing fake)."""
    fake_app.import_paths([SAMPLES / "persona.mbox"], "priya", ["priya@example.org"])
    return fake_app


def test_a_candidate_missing_a_fact_is_redrafted_with_guidance(persona, script):
    script.replies = ["Sounds good, see you then." + SIGNED, "Yes, Thursday evening works for me." + SIGNED]
    result = persona.draft(DraftRequest("say yes and suggest a Thursday evening", k=3, seed=5), "priya")
    assert result.text == "Hey,\n\nYes, Thursday evening works for me." + SIGNED  # nobody named: no name
    assert [a["coverage"]["missing"] for a in result.attempts] == [["Thursday evening"], []]
    assert [p.seed for p in script.params] == [5, 6]  # a new seed per candidate
    second_guide = script.params[1].guide
    assert second_guide is not None and any(
        "Thursday" in form for forms in second_guide.require for form in forms
    )
    assert result.check is not None and result.check.passes


def test_a_draft_that_does_not_ask_what_it_was_told_to_ask_is_redrafted_beginning_with_a_request(
    persona, script
):
    script.replies = [
        "The signed lease is due May 12." + SIGNED,
        " send me the signed lease by May 12?" + SIGNED,
    ]
    result = persona.draft(
        DraftRequest("ask Mia for the signed lease by May 12", recipient="Mia", k=2, seed=1), "priya"
    )
    assert [a["coverage"]["missing"] for a in result.attempts] == [
        ["ask for the signed lease by May 12"],
        [],
    ]
    assert [a["opening"] for a in result.attempts] == ["", "Could you"]
    assert script.prompts[1].endswith("\n\nCould you") and not script.prompts[0].endswith("Could you")
    assert "\n\nCould you send me the signed lease by May 12?" in result.text

    # a request that does something else first keeps the last draft's first sentence, then asks
    script.prompts.clear()
    script.replies = [
        "Thanks so much for the report. It reads well." + SIGNED,
        " send me the final numbers by Friday?" + SIGNED,
    ]
    request = DraftRequest(
        "thank Anna for the report and ask for the final numbers by Friday", recipient="Anna"
    )
    result = persona.draft(request, "priya")
    assert result.attempts[1]["opening"] == "Thanks so much for the report. Could you"
    assert "Thanks so much for the report. Could you send me the final numbers by Friday?" in result.text
    assert result.check is not None and result.check.passes


def test_the_prompt_carries_the_request_and_exemplars_but_not_the_document_edited(persona, script):
    first = persona.draft(DraftRequest("ask Marco about the Tuesday site visit", k=3), "priya")
    assert len(first.exemplars) == 3 and "ask Marco about the Tuesday site visit" in script.prompts[0]
    for ex in first.exemplars:
        assert ex.doc.body.strip().split("\n")[-3][:30] in script.prompts[0]
    edited = first.exemplars[0].doc.id
    again = persona.draft(
        DraftRequest("ask Marco about the Tuesday site visit", k=3, exclude_ids={edited}), "priya"
    )
    assert edited not in [e.doc.id for e in again.exemplars]
    assert first.exemplars[0].doc.body.strip()[:60] not in script.prompts[-1]


def test_prompt_text_chatter_a_second_mail_and_the_recipients_signature_are_cleaned(persona, script):
    script.replies = [
        "Sure! Here's an email for you:\nYes, Thursday at 7:30 works.\nLength: 41 words.\n"
        "*Note: this email says yes.\n\nThanks, Ana\n\nHi Ana,\nOne more mail."
    ]
    result = persona.draft(
        DraftRequest("say yes, Thursday at 7:30 works", recipient="Ana Costa", k=2, candidates=1), "priya"
    )
    # 'Thanks, Ana' was the recipient signing: the user's own sign-off replaces it
    assert result.text == "Hey Ana —\n\nYes, Thursday at 7:30 works." + SIGNED
    assert result.check is not None and result.check.defects == [] and result.check.coverage.missing == []


def test_an_invented_specific_is_flagged_in_the_cli_json(persona, script, capsys):
    script.replies = ["Yes, see you on Friday at 4 pm." + SIGNED]
    assert main(["draft", "say yes to the workshop", "--profile", "priya", "--json", "--seed", "1"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert {"kind": "day", "text": "Friday"} in res["unsupported"]
    assert {"kind": "time", "text": "4 pm"} in res["unsupported"]
    assert res["coverage"]["ratio"] == 1.0 and len(res["attempts"]) == 4  # every candidate was tried
    row = G.get_generation(persona.db, res["generation_id"])
    assert row["output"] == res["draft"] and row["status"] != "accepted"


def test_cli_import_search_draft_and_stats_with_the_fakes(fake_home, script, capsys):
    assert main(["import", str(SAMPLES / "persona.mbox"), "--from", "priya@example.org", "-q", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["imported"] == 22
    assert main(["search", "bike parking complaint", "--k", "2"]) == 0
    assert "Bike parking" in capsys.readouterr().out.split("\n")[0]
    script.replies = ["Thank you for the photos, Jonas." + SIGNED]
    assert main(["draft", "thank Jonas for the photos"]) == 0
    out = capsys.readouterr().out
    assert "Thank you for the photos, Jonas." in out and "Cheers," in out
    assert main(["stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)[0]
    assert stats["documents"] == 22 and stats["generations"] == 1 and stats["embedded"] == 22


def test_a_draft_that_says_nothing_between_greeting_and_sign_off_is_drafted_again(persona, script):
    from ownvoice.assistant.compose import WORDS_FIRST

    script.replies = ["Cheers,\nPriya", "I referred you, you should have gotten an email by now." + SIGNED]
    result = persona.draft(DraftRequest("write to Luke about the referral", recipient="Luke", k=2), "priya")
    assert [a["defects"] for a in result.attempts] == [["too short"], []]
    assert result.text.endswith("I referred you, you should have gotten an email by now." + SIGNED)
    # the draft continues after the greeting; the blank-token guard goes with it as set (off by default)
    assert script.prompts[0].endswith("Hey Luke —\n\n") and script.params[0].words_first == WORDS_FIRST


def test_the_lean_prompt_shows_the_card_and_two_clipped_past_mails(persona, script, capsys):
    from ownvoice.assistant.prompts import LEAN, clip_mail

    script.replies = ["Thank you for the photos, Jonas, they are lovely." + SIGNED]
    assert main(["draft", "thank Jonas for the photos", "--profile", "priya", "--lean", "--json"]) == 0
    lean = json.loads(capsys.readouterr().out)
    assert main(["draft", "thank Jonas for the photos", "--profile", "priya", "--json"]) == 0
    full = json.loads(capsys.readouterr().out)
    assert len(lean["exemplars"]) == LEAN["k"] == 2 and lean["anchors"] == [] and len(full["exemplars"]) == 4
    lean_prompt, full_prompt = script.prompts[0], script.prompts[-1]
    assert "Tone:" in lean_prompt and lean_prompt.count("Write an email:") == 3  # two past mails, the request
    assert len(lean_prompt) < 0.5 * len(full_prompt)
    # a long mail is cut to about LEAN's words and keeps its sign-off
    long = "Hi Ana,\n\n" + " ".join(["word"] * 120) + ".\n\nSee you soon.\n\nCheers,\nPriya"
    cut = clip_mail(long, LEAN["exemplar_words"])
    assert cut.startswith("Hi Ana,") and cut.endswith("...\n\nCheers,\nPriya")
    assert LEAN["exemplar_words"] - 5 <= len(cut.split()) <= LEAN["exemplar_words"] + 1
    assert clip_mail("Hi,\n\nShort.\n\nBest,\nP", 40) == "Hi,\n\nShort.\n\nBest,\nP"


def test_every_draft_opens_with_the_same_style_anchors_none_repeated_none_edited(persona, script):
    a = persona.draft(DraftRequest("ask Marco about the Tuesday site visit", k=3), "priya")
    first_prompt, first_head = script.prompts[0], script.params[0].static_prefix_chars
    b = persona.draft(DraftRequest("thank Jonas for the photos", k=3), "priya")
    last_prompt, last_head = script.prompts[-1], script.params[-1].static_prefix_chars
    assert len(a.anchors) == 2 and [d.id for d in a.anchors] == [d.id for d in b.anchors]
    assert first_head == last_head > 0 and first_prompt[:first_head] == last_prompt[:last_head]
    head = first_prompt[:first_head]
    for doc in a.anchors:  # the head holds the anchors and nothing of the request
        assert doc.body.strip().split("\n")[-3][:30] in head
    assert (
        "Tuesday site visit" not in head
        and "ask Marco about the Tuesday site visit" in first_prompt[first_head:]
    )
    assert not {d.id for d in a.anchors} & {e.doc.id for e in a.exemplars}  # an anchor is not shown twice
    assert len(a.exemplars) == 3
    edited = a.anchors[0].id
    c = persona.draft(DraftRequest("thank Jonas for the photos", k=3, exclude_ids={edited}), "priya")
    assert edited not in [d.id for d in c.anchors] + [e.doc.id for e in c.exemplars]
    assert len(c.anchors) == 2
    none = persona.draft(DraftRequest("thank Jonas for the photos", k=3, anchors=0), "priya")
    assert none.anchors == [] and script.params[-1].static_prefix_chars < first_head


def test_strength_scales_the_past_mails_shown_and_zero_is_the_plain_model(persona, script):
    def draft(**kw):
        return persona.draft(DraftRequest("thank Jonas for the photos", k=4, candidates=1, **kw), "priya")

    full, half, zero = draft(), draft(strength=0.5), draft(strength=0.0)
    plain = draft(use_rag=False, use_adapter=False)
    assert (len(full.exemplars), len(full.anchors)) == (4, 2)
    assert (len(half.exemplars), len(half.anchors)) == (2, 1)
    assert zero.exemplars == [] and zero.anchors == [] and zero.prompt == plain.prompt
    assert "Jonas" in zero.prompt and full.anchors[0].body.split("\n")[2][:30] not in zero.prompt
    assert G.get_generation(persona.db, half.generation_id)["params"]["strength"] == 0.5
    assert DraftRequest("x", strength=1.5).problems() == ["strength must be between 0 and 1 (got 1.5)"]


def test_training_prompts_open_with_the_anchors_like_drafting_prompts_but_never_the_examples_own(persona):
    from ownvoice.assistant.training import build_examples, split_documents
    from ownvoice.store import documents as D

    prof = persona.profile("priya", create=False)
    train, _ = split_documents(D.list_documents(persona.db, prof.id))
    pool = {d.id for d in train}
    rows = build_examples(
        persona.db, prof, persona.generator(), persona.embedder(), train, pool, {}, "Priya", raft_p=1.0
    )
    drafted = persona.draft(DraftRequest("thank Jonas for the photos", k=3, candidates=1), "priya")
    assert len(rows) == len(train) and drafted.anchors
    bodies = {d.id: d.body for d in train}
    for row in rows:
        own = " ".join(bodies[row["document_id"]].split())
        prompt = " ".join(row["prompt"].split())
        assert own[:80] not in prompt  # the example's own mail is never in its prompt
    # the anchors of the training pool open the training prompts (the mail itself aside)
    opened = [r for r in rows if r["document_id"] not in {a.id for a in drafted.anchors}]
    first = drafted.anchors[0].body.strip().split("\n")[-3][:30]
    assert opened and all(first in r["prompt"] for r in opened)


def test_a_draft_to_a_titled_person_named_in_the_request_greets_them_with_the_title(persona, script):
    script.replies = ["Could the deadline move to June 3?" + SIGNED]
    result = persona.draft(DraftRequest("ask Prof. Ito whether the deadline can move to June 3"), "priya")
    assert result.text.startswith("Dear Prof. Ito,\n\nCould the deadline move to June 3?")
    assert result.text.rstrip().endswith("Best regards,\nPriya"), result.text  # not the usual 'Cheers,'
    assert result.check is not None and result.check.passes, result.check
