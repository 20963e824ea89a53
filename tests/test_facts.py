"""The request's facts, whether a draft states them, and what a draft invents (pure text logic)."""

from __future__ import annotations

from ownvoice.assistant.compose import MIN_BODY_WORDS
from ownvoice.assistant.facts import Support, coverage, extract_facts, unsupported_specifics
from ownvoice.assistant.fidelity import fact_from_spec, load_intents, score_draft
from ownvoice.assistant.guidance import build_guide, check_draft, draft_defects


def _texts(facts):
    return [(f.kind, f.text) for f in facts]


def test_facts_of_typical_requests():
    assert _texts(extract_facts("say yes and suggest a Thursday evening")) == [
        ("day", "Thursday evening"),
        ("yes", "yes"),
    ]
    assert _texts(extract_facts("ask Mia for the signed lease by May 12")) == [
        ("date", "May 12"),
        ("name", "Mia"),
        ("ask", "ask for the signed lease by May 12"),
    ]
    facts = _texts(extract_facts("say yes, Thursday works, but suggest 7:30 instead of 7"))
    assert ("time", "7:30") in facts and ("day", "Thursday") in facts and ("yes", "yes") in facts
    assert ("no", "no") in _texts(extract_facts("decline the invitation to speak in Paris"))
    assert ("name", "Paris") in _texts(extract_facts("decline the invitation to speak in Paris"))
    # 'may' the verb is no month, a sentence's first word is no name
    assert extract_facts("Please check whether we may need more chairs") == []


def _ask(instruction):
    (fact,) = [f for f in extract_facts(instruction) if f.kind == "ask"]
    return fact


def test_an_ask_is_stated_only_by_a_question_or_request_about_what_was_asked():
    lease = _ask("ask Mia for the signed lease by May 12")
    assert (
        coverage([lease], "Hi Mia,\n\nCould you send me the signed lease by May 12?\n\nBest,\nPriya").ratio
        == 1
    )
    assert (
        coverage([lease], "Hi Mia,\n\nPlease send the signed lease by May 12.\n\nThanks,\nPriya").ratio == 1
    )
    # mentioning the lease is not asking for it, and a stock "let me know" asks about nothing
    told = "Hi Mia,\n\nThe signed lease is due May 12.\n\nPlease let me know if you have questions.\n\nPriya"
    assert coverage([lease], told).missing == [lease]
    assert coverage([lease], "Hi Mia,\n\nI have the lease ready. Let me know!\n\nPriya").ratio == 0
    # the asked words match loosely ('move' / 'moving'), in a question without a request word
    call = _ask("ask Daniel if we can move our call from Thursday to Friday at 11")
    assert coverage([call], "Hi Daniel,\n\nWould moving the call to Friday at 11 suit you?\n\nTom").ratio == 1
    # a question about the asked clause's date alone does not ask for what is due by then
    numbers = _ask("thank Anna for the report and ask for the final numbers by Friday")
    assert coverage([numbers], "Hey Anna —\n\nHow about Friday?\n\nCheers,\nPriya").ratio == 0
    # the clause ends where the next part of the request begins
    assert _ask("say yes to the interview and ask for the questions in advance").text == (
        "ask for the questions in advance"
    )
    assert _ask("thank Lena for the data and ask her to send the numbers, please").text == (
        "ask to send the numbers"
    )
    assert not [
        f for f in extract_facts("tell Omar I can't make Saturday, and suggest Sunday") if f.kind == "ask"
    ]


def test_times_compare_by_value_and_am_pm():
    facts = extract_facts("tell Marco the visit is on Wednesday at 2 pm")
    assert coverage(facts, "Hey Marco, Wednesday at 2pm works.").ratio == 1.0
    assert coverage(facts, "Hey Marco, Wednesday at 14:00 works.").ratio == 1.0
    missing = coverage(facts, "Hey Marco, Wednesday at 2 am works.").missing
    assert [f.text for f in missing] == ["2 pm"]
    seven_thirty = extract_facts("suggest 7:30")
    assert coverage(seven_thirty, "How about 7.30 pm?").ratio == 1.0
    assert coverage(seven_thirty, "How about half past seven?").ratio == 1.0
    assert coverage(seven_thirty, "How about 7?").ratio == 0.0


def test_yes_must_come_first_and_greeting_does_not_count():
    yes = extract_facts("say yes")
    assert coverage(yes, "Hi Ana,\n\nYes, happy to do it.\n\nCheers,\nPriya").ratio == 1.0
    assert coverage(yes, "Hi Ana,\n\nThe workshop is in May. I am sure it will be fun. Sure.").ratio == 0.0
    no = extract_facts("decline politely")
    assert coverage(no, "Dear Stephan,\n\nUnfortunately I cannot come.").ratio == 1.0


def test_an_opening_that_gives_both_answers_gives_neither():
    yes = [f for f in extract_facts("say yes and suggest a Thursday evening") if f.kind == "yes"]
    assert coverage(yes, "Hey Ana —\n\nYes and no? Thursday evening.\n\nCheers,\nPriya").ratio == 0.0
    assert (
        coverage(extract_facts("decline politely"), "Hi,\n\nNo, sorry. Yes, I know it is late.").ratio == 0.0
    )
    assert coverage(yes, "Hi Ana,\n\nNo problem, happy to do it.").ratio == 1.0
    assert coverage(yes, "Hi Ana,\n\nYes, no worries at all: Thursday evening works.").ratio == 1.0
    assert coverage(yes, "Hi Ana,\n\nYes! I can't wait. Thursday evening it is.").ratio == 1.0
    assert coverage(yes, "Hi Ana,\n\nSure. Sadly I can't make Thursday evening.").ratio == 0.0
    no = extract_facts("decline politely, I'm away that week")
    assert coverage(no, "Hey,\n\nNo problem, I'm on a road trip this week.").ratio == 0.0  # not a no
    assert coverage(no, "Hey,\n\nNo, sorry: I'm away that week.").ratio == 1.0


def test_unsupported_specifics_are_what_nobody_gave():
    support = Support.from_texts(
        [
            "say yes, Thursday works, but suggest 7:30 instead of 7",
            "From: Ana\n\nCan you run a workshop next month?",
        ],
        ["Priya", "Ana"],
    )
    draft = (
        "Hey Ana —\n\nYes, Thursday at 7:30 works. I'll ask Marco to bring 3 copies. "
        "See you on Friday, June 5.\n\nCheers,\nPriya"
    )
    found = {(u.kind, u.text) for u in unsupported_specifics(draft, support)}
    assert found == {("day", "Friday"), ("date", "June 5"), ("number", "3"), ("name", "Marco")}
    clean = "Hey Ana —\n\nYes! Thursday works, and 7:30 suits me better than 7.\n\nCheers,\nPriya"
    assert unsupported_specifics(clean, support) == []


def test_defects_prompt_text_placeholder_second_mail_and_recipient_signature():
    assert draft_defects("Hi John,\n\n7 pm works.\n\nLength: 41 words.", "Priya", "John") == ["prompt text"]
    assert "placeholder" in draft_defects("Hi John,\n\nSee you.\n\n[Your Name]", "Priya", "John")
    assert "second mail" in draft_defects("Hi John,\n\nSee you.\n\nHi John,\n\nAgain.", "Priya", "John")
    assert draft_defects("Hi John,\n\n7 pm works.\n\nThanks,\nJohn", "Priya", "John") == [
        "signed with the recipient's name"
    ]
    assert draft_defects("Hi John,\n\n7 pm works.\n\nThanks,\nPriya", "Priya", "John") == []
    assert "commentary" in draft_defects("Hi John,\n\n*Note: In the email I said yes.", "Priya", "John")
    # the embedded model's drafts (fidelity run, 2026-12-04): a sign-off and a greeting in mid-mail
    hugo = "Hey Hugo —\n\n35 euros, no more.\nPriya —\nHey Hugo! You're right. I'll take it for the team.\n"
    assert draft_defects(hugo + "\nCheers,\nPriya", "Priya", "Hugo") == ["second mail"]
    sophie = "Hey Sophie —\n\nCould you send a recording?\n\nSophie\n\nI'd love to talk.\n\nCheers,\nPriya"
    assert draft_defects(sophie, "Priya", "Sophie") == ["second mail", "signed with the recipient's name"]
    assert draft_defects("Hey Ana —\n\nSophie is coming too.\nYes.\n\nCheers,\nPriya", "Priya", "Ana") == []


def test_chat_markup_and_the_request_said_back_are_defects_stating_its_facts_is_not():
    # the embedded model's lean-prompt drafts (card evaluation on isabel, playback protocol, 2026-12-05)
    nanny = "thank them for your nanny, Andrea; mention Athena"
    leaked = (
        "Hi,\n\n*Applause to Athena,\n*I'd love to visit you.\n\n"
        "Thank them for their nanny, Andrea; mention Athena.\n\nBest,\nIsabel"
    )
    assert draft_defects(leaked, "Isabel", None, nanny) == ["prompt text", "markup"]
    assert draft_defects(leaked, "Isabel", None) == ["markup"]  # without the request, no echo to see
    starred = "Hi Mira,\n\n*\nReminder: I am checking.\n*\nThank you.\n\nBest,\nIsabel"
    assert draft_defects(starred, "Isabel", "Mira", "thank Mira for the teacher") == ["markup"]
    heading = "Hi,\n\n# Code is not a product, it's a service.\n\nBest,\nIsabel"
    assert draft_defects(heading, "Isabel", None, "write to them about code") == ["markup"]
    listed = "Hi,\n\nTwo things:\n* the code\n* the docs\n\nBest,\nIsabel"  # a list, as people write one
    assert draft_defects(listed, "Isabel", None, "write to them about code") == []
    moved = "tell Tom the meeting moved to Thursday at 3pm"
    stated = "Hi Tom,\n\nThe meeting moved to Thursday at 3pm.\n\nBest,\nIsabel"
    assert draft_defects(stated, "Isabel", "Tom", moved) == []
    thanks = "Hi Pat,\n\nThank you for the contract questions, Pat.\n\nBest,\nIsabel"
    assert draft_defects(thanks, "Isabel", "Pat", "thank Pat for contract questions; mention April 1") == []
    support = Support.from_texts([nanny])
    check = check_draft(leaked, extract_facts(nanny), support, "Isabel", None, 0, nanny)
    assert "prompt text" in check.defects and not check.passes


def test_a_draft_with_no_body_between_greeting_and_sign_off_is_too_short():
    support = Support.from_texts(["write to Luke about: Patisserie"])
    facts = extract_facts("write to Luke about: Patisserie")
    # the embedded model's drafts (card evaluation on isabel, 2026-12-04): greeting, sign-off, nothing said
    for empty in ("Hi Luke,\n\nThanks,\n\nIsabel", "Hi,\n\nThanks for asking.\nIsabel"):
        check = check_draft(empty, facts, support, "Isabel", "Luke", min_body_words=MIN_BODY_WORDS)
        assert check.defects == ["too short"] and not check.passes
    said = "Hi Luke,\n\nI referred you, you should have gotten an email by now.\n\nCheers,\nIsabel"
    assert check_draft(said, facts, support, "Isabel", "Luke", min_body_words=MIN_BODY_WORDS).passes
    assert check_draft("Hi Luke,\n\nThanks,\nIsabel", facts, support, "Isabel", "Luke").passes  # no minimum


def test_guide_pushes_missing_facts_and_forbids_invented_days_and_numbers():
    facts = extract_facts("say yes and suggest a Thursday evening")
    support = Support.from_texts(["say yes and suggest a Thursday evening"])
    guide = build_guide(facts, support, attempt=0, already="Hey Ana —\n\n")
    assert guide.require == [("Thursday evening",)] and guide.lead == [("Yes", "Sure")]
    assert "Thursday" not in guide.avoid and "Friday" in guide.avoid and "May" not in guide.avoid
    assert guide.avoid_digits  # nothing in the request has a number
    stronger = build_guide(facts, support, attempt=2)
    assert stronger.strength > guide.strength


def test_fixture_has_two_dozen_intents_with_readable_facts():
    intents = load_intents()
    assert len(intents) == 24
    for intent in intents:
        assert intent["required"]
        for r in intent["required"]:
            fact = fact_from_spec(r["kind"], r["text"])
            assert fact.kind == r["kind"] or (r["kind"] == "time" and fact.kind == "number")
        # an instruction never carries the answer's text: each required fact is in the request itself
        for r in intent["required"]:
            if r["kind"] not in ("yes", "no"):
                assert r["text"].lower().split()[0] in intent["instruction"].lower()
    row = score_draft(
        "Hey Ana —\n\nYes! Thursday evening is perfect.\n\nCheers,\nPriya", intents[0], "Priya", ["Priya"]
    )
    assert row["missing"] == [] and row["unsupported"] == [] and row["defects"] == []


def test_support_digits_are_the_numbers_that_were_mentioned():
    support = Support.from_texts(
        ["move the call from Thursday to Friday at 11", "Budget: 2,500 euros, 7.30 pm"]
    )
    assert {"11", "2500", "7", "30"} <= support.digits
    assert "12" not in support.digits and "2013" not in support.digits
    guide = build_guide(extract_facts("move the call to Friday at 11"), support, attempt=0)
    assert not guide.avoid_digits and "11" in guide.numbers


def test_nameless_greeting_never_names_anyone():
    from ownvoice.assistant.style import StyleStats, compute_style, nameless_greeting

    stats = compute_style(
        {
            "email": [
                "Dear Leo and Grisha,\n\nLunch is fine.\n\nBest,\nDavid",
                "Dear Leo,\n\nSure.\n\nBest,\nDavid",
                "Dear Ana,\n\nNo.\n\nBest,\nDavid",
            ]
        },
        "David",
    )
    assert stats.greetings_by_name["leo"] == "Dear Leo," and "grisha" not in stats.greetings_by_name
    assert nameless_greeting(stats, "remind the team that the office is closed") == "Dear all,"
    assert nameless_greeting(stats, "say yes to lunch on Friday") == "Hello,"
    assert nameless_greeting(StyleStats(greeting="Hi"), "") == "Hi,"
