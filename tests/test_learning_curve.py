"""The learning curve: how much the user edits drafts per week, in stats --json (fakes; no model)."""

from __future__ import annotations

import json

from ownvoice.assistant.cli import main
from ownvoice.assistant.learning_curve import Feedback, curve_summary, normalised_edit, week_of, weekly_curve
from ownvoice.assistant.prompts import DraftRequest
from tests.conftest import SAMPLES


def test_weekly_points_count_approved_unedited_and_the_median_edit():
    items = [
        Feedback("2026-11-02T10:00:00+00:00", True, 0.5),  # a Monday
        Feedback("2026-11-05T10:00:00+00:00", True, 0.25),
        Feedback("2026-11-08T23:00:00+00:00", False, None),  # Sunday: the same week
        Feedback("2026-11-09T08:00:00+00:00", True, 0.0),
        Feedback("2026-11-10T08:00:00+00:00", True, 0.1),
    ]
    weeks = weekly_curve(items)
    assert [(w.week, w.drafts, w.approved, w.approved_unedited) for w in weeks] == [
        ("2026-11-02", 3, 2, 0),
        ("2026-11-09", 2, 2, 1),
    ]
    assert [w.median_edit for w in weeks] == [0.375, 0.05]
    from datetime import date

    summary = curve_summary(items, today=date(2026, 11, 12))
    assert summary["approved"] == 4 and summary["approved_unedited_share"] == 0.25
    assert summary["median_edit"] == 0.175 and summary["median_edit_last_4_weeks"] == 0.175
    assert curve_summary(items, today=date(2027, 1, 1))["median_edit_last_4_weeks"] is None
    assert week_of("2026-11-08T23:59:59Z") == "2026-11-02"


def test_normalised_edit_is_word_level_over_the_longer_text():
    assert normalised_edit("yes see you then", "yes see you then") == 0.0
    assert normalised_edit("yes see you then", "yes see you on friday then") == round(2 / 6, 4)
    assert normalised_edit("", "") == 0.0


def test_stats_json_carries_the_curve_of_drafts_the_user_kept(fake_app, script, capsys):
    fake_app.import_paths([SAMPLES / "persona.mbox"], "priya", ["priya@example.org"])
    script.replies = ["Yes, Thursday works.\n\nCheers,\nPriya"]
    kept = fake_app.draft(DraftRequest("tell Tom yes, Thursday works", k=2, candidates=1), "priya")
    fake_app.draft(DraftRequest("tell Ana no", k=2, candidates=1), "priya")  # never approved
    edited = kept.text.replace("Thursday works", "Thursday at 7 works")
    fake_app.accept_generation(kept.generation_id, edited)
    assert main(["stats", "--json"]) == 0
    learn = json.loads(capsys.readouterr().out)[0]["learning"]
    assert learn["drafts"] == 2 and learn["approved"] == 1 and learn["approved_unedited_share"] == 0.0
    assert learn["median_edit"] == normalised_edit(kept.text, edited) > 0
    assert learn["weeks"][0]["drafts"] == 2 and learn["weeks"][0]["approved"] == 1
    assert main(["stats"]) == 0
    assert "drafts kept: 1 of 2, 0% without a change" in capsys.readouterr().out
