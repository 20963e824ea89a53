"""Greeting and sign-off recognition: one module, and every caller agrees with it."""

from __future__ import annotations

from ownvoice.assistant import mailtext
from ownvoice.assistant.guidance import draft_defects
from ownvoice.assistant.metrics import greets_self
from ownvoice.assistant.postprocess import clean_lines
from ownvoice.assistant.style import compute_style, greeting_names, has_closing
from ownvoice.assistant.stylometry import mask_frame


def test_greetings_are_recognised_in_any_case_but_names_must_be_capitalised():
    assert mailtext.greeting_word("good Morning Tom,") == "Good morning"
    assert mailtext.greeting_word("Hiking on Sunday?") == ""
    assert mailtext.is_greeting("Dear Prof. Ito,")
    assert not mailtext.is_greeting("Dear Prof. Ito, I am writing to ask about the grant.", max_chars=30)
    m = mailtext.greeted_name("Hey Ana —")
    assert m is not None and m.group(2) == "Ana"
    assert mailtext.greeted_name("Hi there,") is None
    assert mailtext.greeting_template("Hey Ana —") == "Hey {name} —"
    assert mailtext.greeting_template("Hi there,") == ""
    assert mailtext.is_bare_greeting("Hello all!") and not mailtext.is_bare_greeting("Hello Tom!")


def test_sign_offs_share_one_list():
    for line in ("Best,", "Kind regards,", "thanks again!", "Talk soon", "BW", "Yours sincerely,"):
        assert mailtext.is_closing(line), line
    assert not mailtext.is_closing("Best of all, the venue has parking for forty cars.")
    assert mailtext.closing_then_name("Thanks, John") == ("Thanks,", "John")
    assert mailtext.closing_then_name("Thanks for the notes") is None
    assert mailtext.without_closing("Best regards, Tom") == "Tom"


def test_a_greeting_that_runs_into_a_sentence_names_only_who_it_greets():
    # the evaluation once asked for mail "to Sorry" and "to I'm" from first lines like these
    assert greeting_names("Hey! Sorry I lost track of your mail") == []
    assert greeting_names("Hi everyone, I'm afraid I have to cancel") == []
    assert greeting_names("Hey Luke, I passed your name on, Maria will write") == ["luke"]
    assert greeting_names("Hi Mira,I also learnt Latin there") == ["mira"]
    assert greeting_names("Dear Rachel, Maria, and Anna,") == ["rachel", "maria", "anna"]
    assert greeting_names("Hello Dr. Weber and team,") == ["weber"]
    assert greeting_names("Hi Tom —") == ["tom"] and greeting_names("Dear all,") == []


def test_callers_agree_on_the_same_mail():
    mail = "Hi Tom,\n\nThursday works for me.\n\nTalk soon,\nPriya"
    assert greeting_names(mail.split("\n")[0]) == ["tom"]
    assert has_closing(mail)  # 'Talk soon' closes for the style module ...
    assert mask_frame(mail) == "Thursday works for me."  # ... and for the style model's mask
    style = compute_style({"email": [mail, mail.replace("Tom", "Ana")]})
    assert style.greeting == "Hi" and style.greeting_template == "Hi {name},"
    assert style.closing == "Talk soon," and style.name == "Priya"
    assert greets_self("Hi Priya,\n\nSee you.", "Priya Raman")
    assert not greets_self("Hi Tom,\n\nSee you.", "Priya Raman")
    signed_by_recipient = "Hi Tom,\n\nThursday works.\n\nTalk soon, Tom"
    assert "signed with the recipient's name" in draft_defects(signed_by_recipient, "Priya", "Tom")
    cleaned, finished = clean_lines(signed_by_recipient, own_name="Priya", recipient="Tom")
    assert cleaned.endswith("Talk soon,\nPriya") and finished


def test_the_name_a_person_is_called_by_and_a_name_alone_on_a_line():
    assert mailtext.called_name("Prof. Kenji Ito") == "kenji" and mailtext.called_name("Prof. Ito") == "ito"
    assert mailtext.called_name("Ana Ruiz") == "ana" and mailtext.called_name("") == ""
    assert mailtext.name_alone("Priya —") == "Priya" and mailtext.name_alone("Sophie") == "Sophie"
    assert mailtext.name_alone("See you then.") == ""
