"""Quote stripping, HTML conversion and draft clean-up on hand-made cases."""

from __future__ import annotations

from ownvoice.assistant.importers.cleaning import html_to_text, split_reply, unwrap_paragraphs
from ownvoice.assistant.postprocess import (
    addressee_from_instruction,
    clean_lines,
    fill_placeholders,
    finish_draft,
)
from ownvoice.assistant.style import compute_style


def test_split_reply_outlook_and_forward():
    body = "Yes, fine by me.\n\nBest,\nAl\n\n-----Original Message-----\nFrom: Bo\nSent: Monday\n\nCan we?"
    own, ctx = split_reply(body)
    assert own == "Yes, fine by me.\n\nBest,\nAl" and "Can we?" in ctx
    own, ctx = split_reply("FYI\n\n---------- Forwarded message ---------\nFrom: x\nold text")
    assert own == "FYI" and "old text" in ctx
    own, ctx = split_reply("Top\n\nFrom: Bo <b@x.org>\nSent: Tue\nTo: Al\nSubject: q\n\nquestion")
    assert own == "Top" and "question" in ctx


def test_split_reply_two_line_attribution_and_inline_quotes():
    own, ctx = split_reply("Great.\n\nOn Tue, 4 Mar 2025, Bob Smith <bob@example.com>\nwrote:\n> hi\n")
    assert own == "Great." and ctx == "hi"
    own, ctx = split_reply("> question one?\nAnswer one.\n> question two?\nAnswer two.")
    assert own == "Answer one.\nAnswer two." and "question two?" in ctx


def test_unwrap_joins_hard_wrapped_paragraphs_only():
    text = (
        "I have accepted the offer and am really very excited to start with you all\n"
        "next month, truly.\n\nBest,\nIsabel"
    )
    assert unwrap_paragraphs(text) == (
        "I have accepted the offer and am really very excited to start with you all next month, "
        "truly.\n\nBest,\nIsabel"
    )


def test_html_to_text():
    assert html_to_text("<div>Hi&nbsp;there</div><script>x()</script><br>Bye") == "Hi\xa0there\n\nBye"


def test_placeholders_filled_or_removed():
    assert fill_placeholders("Best regards, [Your Name]", "Ann", None) == "Best regards, Ann"
    assert fill_placeholders("Dear [Recipient's Name],", "Ann", "Bob") == "Dear Bob,"
    assert fill_placeholders("Dear [Recipient's Name],", "Ann", None) == "Dear,"
    assert fill_placeholders("at [Company Name] today", "Ann", None) == "at today"


def test_clean_lines_stops_at_signoff_and_drops_preamble():
    raw = (
        "Sure! Here's an email for you:\nSubject: Hello\nHi Bob,\n\nSee you.\n\nBest,\nAnn\n\n"
        "Subject: Another"
    )
    text, finished = clean_lines(raw, "Ann")
    assert finished and text.strip() == "Hi Bob,\n\nSee you.\n\nBest,\nAnn"


def test_greeting_to_users_own_name_is_readdressed():
    text, _ = clean_lines("Dear Ann,\n\nThanks.", "Ann", "Bob")
    assert text.startswith("Dear Bob,")


def test_a_second_salutation_under_the_greeting_is_dropped():
    text, _ = clean_lines(
        "Hey Stephan —\n\nPriya,\n\nYes, it's possible.\n\nBest,\nPriya", "Priya", "Stephan"
    )
    assert text == "Hey Stephan —\n\nYes, it's possible.\n\nBest,\nPriya"
    text, _ = clean_lines("Hi Tom,\n\nTom,\n\nThanks, that works.", "Ann", "Tom")
    assert text == "Hi Tom,\n\nThanks, that works."
    text, _ = clean_lines("Hi Tom,\n\nThanks,\nthat works.", "Ann", "Tom")  # a word, not a name: kept
    assert text == "Hi Tom,\n\nThanks,\nthat works."


def test_finish_adds_usual_signoff_and_fixes_misspelt_name():
    style = compute_style(
        {
            "email": [
                "Hi A,\n\nx y.\n\nBest,\n\nIsabel",
                "Hi B,\n\nz.\n\nBest,\n\nIsabel",
                "Hey C,\n\nw.\n\nBest,\n\nIsabel",
            ]
        },
        "Isabel P",
    )
    assert style.signoff == "Best,\n\nIsabel" and style.greeting_template == "Hi {name},"
    assert finish_draft("Hi C,\n\nSure thing.", style.name, "C", style.signoff).endswith(
        "Sure thing.\n\nBest,\n\nIsabel"
    )
    assert finish_draft("Hi C,\n\nOk.\n\nBest,\nIsabella", style.name, "C", style.signoff).endswith(
        "Best,\nIsabel"
    )


def test_addressee_from_instruction():
    assert addressee_from_instruction("thank John for the kind words about Sam") == "John"
    assert addressee_from_instruction("write a note about the budget") is None


def test_a_titled_addressee_keeps_the_title_and_is_greeted_formally_unless_the_user_knows_better():
    from ownvoice.assistant.guidance import draft_defects
    from ownvoice.assistant.postprocess import recipient_first_name
    from ownvoice.assistant.style import greeting_for

    assert addressee_from_instruction("ask Prof. Ito whether the deadline can move to June 3") == "Prof. Ito"
    assert addressee_from_instruction("email Dr Weber about the results") == "Dr Weber"
    assert recipient_first_name("Prof. Kenji Ito <ito@uni.example.jp>") == "Prof. Ito"
    assert recipient_first_name("Ana Costa <ana@example.org>") == "Ana"
    style = compute_style({"email": ["Hey Ana —\n\nSure.\n\nCheers,\nPriya"] * 3}, "Priya")
    assert greeting_for(style, "Ana") == "Hey Ana —"
    assert greeting_for(style, "Prof. Ito") == "Dear Prof. Ito,"  # not 'Hey Prof —' / 'Hey Prof. Ito —'
    known = compute_style({"email": ["Hi Kenji,\n\nSure.\n\nCheers,\nPriya"] * 3}, "Priya")
    assert greeting_for(known, "Prof. Kenji Ito") == "Hi Kenji,"  # how the user greets this person wins
    # a titled stranger is closed the way the user closes their own 'Dear ...' mail, else 'Best regards,'
    assert style.signoff_for("Prof. Ito").startswith("Best regards,")
    formal = compute_style(
        {
            "email": ["Hi Ana,\n\nSure.\n\nCheers,\nPriya"] * 3
            + ["Dear Tom,\n\nNoted.\n\nKind regards,\nPriya"]
        },
        "Priya",
    )
    assert formal.signoff_for("Ana").startswith("Cheers,") and formal.signoff_for("Zoe").startswith("Cheers,")
    assert formal.signoff_for("Dr Weber").startswith("Kind regards,")
    # the name under the greeting or as the signature is the person's, not the title
    signed = "Dear Prof. Ito,\n\nCould the deadline move to June 3?\n\nBest,\nIto"
    assert "signed with the recipient's name" in draft_defects(signed, "Priya", "Prof. Ito")
    cleaned, _ = clean_lines("Dear Prof. Ito,\nIto,\nCould the deadline move?", "Priya", "Prof. Ito")
    assert cleaned.split("\n")[:2] == ["Dear Prof. Ito,", "Could the deadline move?"]


def test_signature_with_someone_elses_name_is_signed_by_the_user():
    assert finish_draft(
        "Hey Marco,\n\nSee you.\n\nCheers,\nMarco", "Priya", "Marco", "Cheers,\nPriya"
    ).endswith("Cheers,\nPriya")


def test_text_after_the_signature_name_is_cut():
    text, finished = clean_lines(
        "Hey Marco —\n\nSee you.\nCheers,\nPriya. I'm going to the drawings.\nMore", "Priya"
    )
    assert finished and text == "Hey Marco —\n\nSee you.\nCheers,\nPriya"


def test_recipient_signature_chatter_and_prompt_echo_are_removed():
    from ownvoice.assistant.postprocess import clean_lines, finish_draft

    out = finish_draft(
        "Hi John,\n\n7:30 pm works.\n\nThanks, John\nYour email is just as good as the one before it!",
        "Priya",
        "John",
        "Best,\nPriya",
    )
    assert out == "Hi John,\n\n7:30 pm works.\n\nThanks,\nPriya"
    text, _ = clean_lines(
        "Hi John,\n\nSee you Thursday.\nLength: 41 words.\n*Note: In the email I said yes.\n"
        "#meeting #thursday\nCheers,\nPriya",
        "Priya",
        "John",
    )
    assert "Length" not in text and "Note" not in text and "#" not in text
    text, finished = clean_lines(
        "Hey Ana —\n\nYes, Thursday works.\nSee you then.\nHi Ana,\nAnother mail", "Priya", "Ana"
    )
    assert finished and "Another mail" not in text
    assert finish_draft("Hey Ana —\n\nYes!\n\nCheers,\nAna", "Priya", "Ana").endswith("Cheers,\nPriya")


def test_greeting_and_signoff_follow_how_the_user_writes_to_that_person():
    from ownvoice.assistant.style import compute_style, greeting_for

    bodies = [
        "Dear Tom,\n\nThe report is attached.\n\nBest regards,\nDavid",
        "Dear Tom,\n\nSee you Monday.\n\nBest regards,\nDavid",
        "Hi Ana,\n\nSure thing.\n\nCheers,\nDavid",
        "Hi Ana,\n\nDone.\n\nCheers,\nDavid",
        "Hi Bo,\n\nOk.\n\nCheers,\nDavid",
    ]
    style = compute_style({"email": bodies}, "David Smith")
    assert greeting_for(style, "Tom") == "Dear Tom," and style.signoff_for("Tom") == "Best regards,\nDavid"
    assert greeting_for(style, "Ana") == "Hi Ana," and style.signoff_for("Ana") == "Cheers,\nDavid"
    assert greeting_for(style, "Zoe") == "Hi Zoe," and style.signoff_for("Zoe") == "Cheers,\nDavid"


def test_the_closing_the_user_uses_with_a_known_recipient_replaces_the_models():
    from ownvoice.assistant.postprocess import finish_draft
    from ownvoice.assistant.style import compute_style

    style = compute_style(
        {
            "email": [
                "Hi Tom,\n\nSure.\n\nCheers,\nDavid",
                "Hi Tom,\n\nNo.\n\nCheers,\nDavid",
                "Dear Ana,\n\nYes.\n\nBest regards,\nDavid",
            ]
        },
        "David",
    )
    assert style.knows_closing_for("Tom") and not style.knows_closing_for("Zoe")
    draft = "Hi Tom,\n\nMonday works.\n\nBest regards,\nDavid"
    assert finish_draft(draft, "David", "Tom", style.signoff_for("Tom"), known_signoff=True).endswith(
        "Cheers,\nDavid"
    )
    assert finish_draft(draft, "David", "Zoe", style.signoff_for("Zoe")).endswith("Best regards,\nDavid")


def test_a_sign_off_or_greeting_in_the_middle_ends_the_mail_there():
    """Drafts the embedded model wrote (fidelity run, 2026-12-04): what follows the mail's end is cut."""
    sophie = (
        "Hey Sophie —\n\nSadly, I'm 10 minutes away from Lyon. Could you please send a short recording?\n\n"
        "Sophie\n\nPriya -\nI would love to talk about the future of my company with you.\n\nCheers,\nPriya"
    )
    assert finish_draft(sophie, "Priya", "Sophie", "Cheers,\nPriya") == (
        "Hey Sophie —\n\nSadly, I'm 10 minutes away from Lyon. Could you please send a short recording?\n\n"
        "Cheers,\nPriya"
    )  # signed with the recipient's name mid-mail: the user signs, with their own sign-off
    hugo = (
        "Hey Hugo —\n\nI've added 35 euros to 12. No, no more.\nPriya —\nHey Hugo! You're right. I'll "
        "take it and throw in a note for the team.\nPriya —\nSure thing.\n\nCheers,\nPriya"
    )
    assert finish_draft(hugo, "Priya", "Hugo", "Cheers,\nPriya") == (
        "Hey Hugo —\n\nI've added 35 euros to 12. No, no more.\n\nCheers,\nPriya"
    )
    text, finished = clean_lines(
        "Hey Ana —\n\nYes, Thursday works.\nHey Ana! One more thing I forgot to say in the last mail.",
        "Priya",
        "Ana",
    )
    assert finished and text == "Hey Ana —\n\nYes, Thursday works."
    plain = finish_draft("Hey Ana —\n\nSophie is coming too.\nYes.", "Priya", "Ana", "Cheers,\nPriya")
    assert plain.endswith("Yes.\n\nCheers,\nPriya")  # one capitalised word that is nobody's name is text
