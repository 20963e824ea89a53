"""The learning curve's floor and ceiling: texts that need no model, scored against the real mails."""

from __future__ import annotations

from ownvoice.assistant.edit_bounds import BOUNDS, edit_bounds, greeting_signoff
from ownvoice.assistant.learning_curve import normalised_edit
from ownvoice.assistant.prompts import DraftRequest
from ownvoice.assistant.style import StyleStats

STYLE = StyleStats(greeting="Ahoy", closing="Cheers,", name="Zeb", greetings_by_name={"tom": "Dear Tom,"})
PAST = [
    "Ahoy Ana,\n\nThe boat is ready on Friday.\n\nCheers,\n\nZeb",
    "Dear Tom,\n\nThe invoice is paid.\n\nCheers,\n\nZeb",
    "Ahoy Lena,\n\nNo news on the roof yet, sorry.\n\nCheers,\n\nZeb",
]
OTHERS = ["Hello team, please find the minutes attached. Regards, Bob", "Sure thing. Sent from my phone"]


def test_greeting_and_signoff_are_the_users_own_for_the_addressee():
    assert greeting_signoff(STYLE, DraftRequest("about the invoice", recipient="Tom")) == (
        "Dear Tom,\n\nCheers,\n\nZeb"
    )
    assert greeting_signoff(STYLE, DraftRequest("about the boat", recipient="Ana")) == (
        "Ahoy Ana,\n\nCheers,\n\nZeb"
    )


def test_each_bound_is_the_edit_distance_of_its_text():
    final = "Ahoy Ana,\n\nThe boat is ready on Saturday.\n\nCheers,\n\nZeb"
    request = DraftRequest("write to Ana about the boat", recipient="Ana", k=3)
    asked: list[DraftRequest] = []

    def nearest(req: DraftRequest) -> str:
        asked.append(req)
        return PAST[2]

    b = edit_bounds([final], [request], STYLE, nearest, PAST, OTHERS)
    assert list(b) == list(BOUNDS) and all(len(v) == 1 for v in b.values())
    assert asked[0].k == 1 and asked[0].instruction == request.instruction  # the first exemplar only
    own = sorted(normalised_edit(t, final) for t in PAST)
    assert b["own_best"] == [own[0]] == [normalised_edit(PAST[0], final)]  # one word apart: 1/10
    assert b["own_best"][0] == 0.1
    assert b["own_other"] == [own[1]]  # the median of three
    assert b["nearest_past"] == [normalised_edit(PAST[2], final)]
    assert b["greeting_signoff"] == [normalised_edit("Ahoy Ana,\n\nCheers,\n\nZeb", final)]
    assert b["other_writers"][0] > b["own_best"][0]
    # without other people's mail there is no floor row, rather than a made-up one
    assert "other_writers" not in edit_bounds([final], [request], STYLE, nearest, PAST)
