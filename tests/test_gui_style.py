"""The Style page with real widgets over the fake backends: the computed card shown, an edit saved as a
version and used by the next draft, a per-person sign-off, undo, a bad edit refused, the learning curve."""

from __future__ import annotations

import pytest

from ownvoice.assistant.prompts import DraftRequest
from tests.conftest import SAMPLES


@pytest.fixture
def page(qtbot, fake_app):
    from ownvoice.ui.style_page import StylePage
    from ownvoice.ui.workers import Runner

    fake_app.import_paths([SAMPLES / "persona.mbox"], "priya", ["priya@example.org"])
    runner = Runner(fake_app)
    p = StylePage(runner, fake_app, "priya")
    runner.events.changed.connect(lambda changes: p.changed())
    qtbot.addWidget(p)
    p.show()
    qtbot.waitUntil(lambda: p.card is not None, timeout=10000)
    yield p
    runner.wait()
    runner.close()


def test_the_card_is_shown_edited_used_and_undone(qtbot, page, fake_app, script):
    assert page.closing.text() == "Cheers," and page.greeting.text() == "Hey {name} —"
    assert page.formal_closing.text() == "Best regards,"  # to a 'Prof.' Priya never wrote to
    assert page.formality.currentText() == "casual" and page.people.rowCount() >= 6
    row = next(i for i in range(page.people.rowCount()) if page.people.item(i, 0).text() == "tom")
    page.people.item(row, 2).setText("Talk soon,")
    page.notes.setPlainText("Short sentences.")
    page.formal_closing.setText("Yours sincerely,")
    page.save_btn.click()
    assert page.status.text().startswith("Saved as version 1")
    card = fake_app.style_card("priya")
    assert card.closings_by_name["tom"] == "Talk soon," and card.notes == "Short sentences."
    assert card.formal_closing == "Yours sincerely,"
    assert sorted(card.edited) == [
        "closings_by_name",
        "formal_closing",
        "notes",
    ]  # only what the user changed
    qtbot.waitUntil(lambda: page.versions.count() == 1, timeout=10000)  # the page reloaded itself

    script.replies = ["Yes, Thursday works.\n\nCheers,\nPriya"]
    draft = fake_app.draft(DraftRequest("tell Tom yes, Thursday works", k=2, candidates=1), "priya")
    assert draft.text.endswith("Talk soon,\nPriya") and "Short sentences." in script.prompts[-1]

    page.save_btn.click()
    assert page.status.text() == "Nothing changed."
    page.formality.setCurrentText("formal")
    page.greeting.setText("Hello there")  # no {name}: refused, nothing stored
    page.save_btn.click()
    assert page.status.text().startswith("Not saved:") and "{name}" in page.status.text()
    assert [v.version for v in fake_app.style_history("priya")] == [1]

    page.undo_btn.click()
    qtbot.waitUntil(lambda: page.versions.count() == 2, timeout=10000)
    assert page.closing.text() == "Cheers," and page.notes.toPlainText() == ""
    assert fake_app.style_card("priya").edited == []


def test_the_learning_curve_shows_kept_drafts(qtbot, page, fake_app, script):
    assert page.chart.points == [] and "none kept" in page.curve_text.text()
    script.replies = ["Yes, Thursday works.\n\nCheers,\nPriya"]
    kept = fake_app.draft(DraftRequest("tell Tom yes, Thursday works", k=2, candidates=1), "priya")
    fake_app.accept_generation(kept.generation_id, kept.text.replace("works", "works for me"))
    qtbot.waitUntil(lambda: len(page.chart.points) == 1, timeout=10000)
    assert "1 of 1 drafts kept, 0% without a change" in page.curve_text.text()
    assert 0 < page.chart.points[0][1] < 0.5
    page.chart.grab()  # paints without error


def test_auto_retrain_checks_on_the_worker_and_waits_for_a_first_adapter(qtbot, fake_app):
    """The automatic retrain never trains a first adapter (the user's choice) and is off when switched off."""
    from ownvoice.ui.auto_retrain import AutoRetrain
    from ownvoice.ui.workers import Runner

    fake_app.import_paths([SAMPLES / "persona.mbox"], "priya", ["priya@example.org"])
    runner = Runner(fake_app)
    auto = AutoRetrain(runner, fake_app, lambda: "priya")
    said: list[str] = []
    auto.said.connect(said.append)
    decisions = []
    auto._decided = lambda name, decision: (decisions.append(decision), setattr(auto, "op", None))  # type: ignore[method-assign]
    assert auto.check()
    qtbot.waitUntil(lambda: bool(decisions), timeout=10000)
    assert not decisions[0].due and "first training" in decisions[0].reason and said == []
    fake_app.settings.auto_retrain = False
    assert not auto.check()
    runner.wait()
    runner.close()
