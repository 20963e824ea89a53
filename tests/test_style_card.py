"""The style card (computed, shown, edited, versioned, used in drafts) and per-recipient voice (fakes)."""

from __future__ import annotations

import json

import pytest

from ownvoice.assistant.cli import main
from ownvoice.assistant.prompts import DraftRequest
from ownvoice.assistant.recipients import first_name, mail_to
from ownvoice.assistant.retrieval import search
from ownvoice.assistant.style_card import (
    CardError,
    detect_languages,
    measure_formality,
    measure_habits,
    recurring_phrases,
)
from ownvoice.store import documents as docs_table
from ownvoice.store.documents import Document
from tests.conftest import SAMPLES


@pytest.fixture
def persona(fake_app):
    """The fake app with the sample persona imported."""
    fake_app.import_paths([SAMPLES / "persona.mbox"], "priya", ["priya@example.org"])
    return fake_app


def test_the_card_is_computed_from_the_users_writing(persona):
    card = persona.style_card("priya")
    assert card.documents == 22 and card.version == 0 and card.edited == []
    assert (card.name, card.greeting_template, card.closing) == ("Priya", "Hey {name} —", "Cheers,")
    assert card.greetings_by_name["tom"] == "Hey Tom —" and card.closings_by_name["ana"] == "Cheers,"
    assert card.formality == "casual" and card.languages == ["en"]
    assert card.habits["contractions"] > 0.5 and card.habits["emoji"] == 0.0
    assert 20 <= card.typical_words["email"] <= 60
    lines = card.prompt_lines("email")
    assert f"Typical length: about {card.typical_words['email']} words." in lines and "Tone: casual." in lines


def test_habits_formality_phrases_and_languages_measure_what_they_say():
    formal = [
        "Dear Prof. Ito,\n\nI would appreciate your comments. Kindly advise.\n\nKind regards,\nAnna"
    ] * 3
    casual = ["Hey Bo,\n\nyeah cool, I'm in! thanks! don't wait for me.\n\nCheers,\nAnna"] * 3
    assert measure_formality(formal) == "formal" and measure_formality(casual) == "casual"
    loud, quiet = measure_habits(casual), measure_habits(formal)
    assert loud["exclamations"] > 5 and quiet["exclamations"] == 0.0
    assert loud["contractions"] == 1.0 and quiet["contractions"] == 0.0 and loud["lowercase_starts"] > 0.3
    topics = ("draft", "budget", "poster", "room", "plan")
    mails = [f"Hi,\n\nThe {t} is ready. Let me know if it works.\n\nBest,\nAnna" for t in topics]
    assert "let me know if it" in recurring_phrases(mails)
    assert "hi" not in " ".join(recurring_phrases(mails)).split()  # greetings and sign-offs left out
    german = ["Hallo Max,\n\nich bin nicht sicher, ob das mit der Zeit und den Plänen klappt."] * 4
    assert detect_languages(german + ["The plan is fine with me and the team, thank you."]) == ["de", "en"]


def test_an_edit_is_versioned_used_by_the_next_draft_and_undone(persona, script):
    card = persona.edit_style({"closing": "Warmly,", "notes": "Never use exclamation marks."}, "priya")
    assert card.version == 1 and card.closing == "Warmly," and card.edited == ["closing", "notes"]
    script.replies = ["Yes, Thursday works.\n\nCheers,\nPriya"]
    result = persona.draft(DraftRequest("tell Tom yes, Thursday works", k=2, candidates=1), "priya")
    assert result.text.endswith("Warmly,\nPriya")  # the edited sign-off replaces the model's
    assert "Never use exclamation marks." in script.prompts[-1].split("<|user|>")[0]  # in the system text
    again = persona.edit_style({"closing": "Best,"}, "priya")
    assert again.version == 2 and again.notes == "Never use exclamation marks."  # earlier edits stay
    assert [v.version for v in persona.style_history("priya")] == [2, 1]
    back = persona.revert_style(0, "priya")  # version 0: the computed card, kept as a new version
    assert back.version == 3 and back.closing == "Cheers," and back.edited == [] and back.notes == ""
    assert persona.revert_style(1, "priya").closing == "Warmly,"


def test_the_formal_sign_off_is_on_the_card_and_an_edit_of_it_closes_a_titled_strangers_draft(
    persona, script
):
    card = persona.style_card("priya")
    assert card.formal_closing == "Best regards,"  # Priya never wrote 'Dear ...': the plain formal closing
    script.replies = ["I hope the deadline can move.\n\nCheers,\nPriya"]
    request = DraftRequest("ask Prof. Ito whether the deadline can move", k=2, candidates=1)
    first = persona.draft(request, "priya")
    assert first.text.startswith("Dear Prof. Ito,") and first.text.endswith("Best regards,\nPriya")
    assert persona.edit_style({"formal_closing": "With kind regards,"}, "priya").formal_closing == (
        "With kind regards,"
    )
    assert persona.draft(request, "priya").text.endswith("With kind regards,\nPriya")
    assert persona.draft(DraftRequest("tell Tom yes", k=2, candidates=1), "priya").text.endswith(
        "Cheers,\nPriya"
    )


def test_a_bad_edit_is_refused_and_nothing_is_stored(persona):
    for bad in ({"formality": "rude"}, {"colour": "red"}, {"typical_words": {"email": 0}}, {"phrases": "x"}):
        with pytest.raises(CardError):
            persona.edit_style(bad, "priya")
    with pytest.raises(CardError, match="name"):
        persona.edit_style({"greeting_template": "Hello there,"}, "priya")
    assert persona.style_history("priya") == []


def test_edits_stay_over_new_writing_and_go_with_the_profile(persona):
    persona.edit_style({"closing": "Warmly,"}, "priya")
    before = persona.style_card("priya").documents
    docs_table.add_document(
        persona.db, persona.profile("priya").id, Document("Hey Tom —\n\nDone.\n\nCheers,\nPriya")
    )
    card = persona.style_card("priya")
    assert card.documents == before + 1 and card.closing == "Warmly,"
    persona.delete_profile(persona.profile("priya").id)
    assert persona.db.execute("SELECT count(*) FROM style_cards").fetchone()[0] == 0


def test_cli_style_show_edit_history_and_revert(persona, capsys):
    assert main(["style", "show", "--profile", "priya", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["closing"] == "Cheers," and shown["version"] == 0
    assert (
        main(
            [
                "style",
                "edit",
                "--profile",
                "priya",
                "--set",
                "closing=Best,",
                "--set",
                'typical_words={"email": 40}',
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "version 1" in out and "Best,  (yours)" in out
    assert main(["style", "edit", "--profile", "priya", "--set", "formality=rude"]) == 2
    assert "formality must be one of" in capsys.readouterr().err
    assert main(["style", "history", "--profile", "priya", "--json"]) == 0
    assert [v["version"] for v in json.loads(capsys.readouterr().out)] == [1]
    assert main(["style", "revert", "0", "--profile", "priya"]) == 0
    capsys.readouterr()
    assert main(["style", "show", "--profile", "priya", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["closing"] == "Cheers,"


def test_mail_to_a_person_is_found_by_header_greeting_and_domain(persona):
    prof = persona.profile("priya")
    docs_table.add_document(persona.db, prof.id, Document("Dear Dr. Ito,\n\nThank you.\n\nBest,\nPriya"))
    docs_table.add_document(
        persona.db,
        prof.id,
        Document("Hello,\n\nThe data is ready.\n\nPriya", recipients="Kenji <k.sato@lab.jp>"),
    )
    to_tom = mail_to(persona.db, prof.id, "Tom")
    subjects = {persona.get_document(i).subject for i in to_tom.exact}
    assert len(to_tom.exact) == 3 and "Re: Invoice" in subjects and not to_tom.domain
    assert len(mail_to(persona.db, prof.id, "Prof. Ito").exact) == 1  # by the greeting line
    by_domain = mail_to(persona.db, prof.id, "Mika <mika@lab.jp>")
    assert not by_domain.exact and len(by_domain.domain) == 1
    assert first_name("Ana Costa <ana@x.org>") == "ana" and first_name("Prof. Ito") == "ito"


def test_retrieval_shows_mail_to_the_recipient(persona):
    prof = persona.profile("priya")
    embedder = persona.embedder()
    query = "the bike parking complaint from the residents"
    plain = search(persona.db, prof.id, query, embedder, k=3)
    to_sophie = mail_to(persona.db, prof.id, "Sophie").exact
    assert to_sophie and not any(e.doc.id in to_sophie for e in plain)
    personal = search(persona.db, prof.id, query, embedder, k=3, to_recipient=to_sophie)
    assert any(e.doc.id in to_sophie for e in personal)
    assert personal[0].doc.id == plain[0].doc.id  # the most relevant mail keeps its place


def test_the_card_is_the_same_in_every_process():
    """The card goes into the prompt: a CLI draft and the app's draft must see the same text (set order and
    hash seeds must not reorder phrases)."""
    import os
    import subprocess
    import sys

    code = (
        "from ownvoice.assistant.style_card import recurring_phrases\n"
        "texts = ['Ahoy,\\n\\nA quick word about item %d: all sorted, nothing to worry about.' % i "
        "for i in range(6)]\n"
        "print(recurring_phrases(texts))"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env=dict(os.environ, PYTHONHASHSEED=str(seed)),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in (1, 2, 3)
    }
    assert len(outs) == 1 and "all sorted nothing to worry" in outs.pop()
