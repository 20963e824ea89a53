"""The target length learns from how long the user keeps drafts (fakes; no model)."""

from __future__ import annotations

from ownvoice.assistant.length_feedback import MIN_KEPT, PARAM_KEY, length_factor
from ownvoice.assistant.prompts import DraftRequest
from ownvoice.store import generations as gen_table
from tests.conftest import SAMPLES

LONG = "Yes, Thursday works for me and I will bring the notes we talked about last week, see you there then."


def _draft(app, seed: int, **kw):
    return app.draft(
        DraftRequest("tell Tom yes, Thursday works", k=2, candidates=1, seed=seed, **kw), "priya"
    )


def _targets(app, seed: int) -> tuple[int, int]:
    """(target with the learned length, target of the same request without it)."""
    return _draft(app, seed).target_words, _draft(app, seed, learn_length=False).target_words


def test_drafts_the_user_keeps_shorter_make_the_next_target_shorter(fake_app, script):
    fake_app.import_paths([SAMPLES / "persona.mbox"], "priya", ["priya@example.org"])
    prof = fake_app.profile("priya")
    script.replies = [f"{LONG}\n\nCheers,\nPriya"] * 40
    assert length_factor(fake_app.db, prof.id) == 1.0
    kept = []
    for seed in range(MIN_KEPT):
        learned, plain = _targets(fake_app, seed)
        assert learned == plain  # too few kept drafts to correct anything yet
        res = _draft(fake_app, seed)
        words = res.text.split()
        cut = int(len(words) * 0.6)  # the user cuts each draft to 60%
        fake_app.accept_generation(res.generation_id, " ".join(words[:cut]))
        stored = len(gen_table.get_generation(fake_app.db, res.generation_id)["output"].split())
        kept.append(cut / stored)
    factor = length_factor(fake_app.db, prof.id)
    assert abs(factor - sorted(kept)[1]) < 1e-9 and 0.5 < factor < 0.7
    learned, plain = _targets(fake_app, 9)
    assert learned == max(4, round(plain * factor)) < plain
    shorter = _draft(fake_app, 9)
    assert gen_table.get_generation(fake_app.db, shorter.generation_id)["params"][PARAM_KEY] == factor
    # a draft made with the factor and kept as it is says the factor is right: it does not shrink again
    fake_app.accept_generation(shorter.generation_id, shorter.text)
    assert abs(length_factor(fake_app.db, prof.id) - factor) < 1e-9
    # the plain model (strength 0) does not learn the length
    assert DraftRequest("x", strength=0.0).at_strength().learn_length is False


def test_the_factor_stays_within_its_range(fake_app, script):
    fake_app.import_paths([SAMPLES / "persona.mbox"], "priya", ["priya@example.org"])
    prof = fake_app.profile("priya")
    script.replies = ["Yes.\n\nCheers,\nPriya"] * 10
    for seed in range(MIN_KEPT + 1):
        res = _draft(fake_app, seed)
        fake_app.accept_generation(res.generation_id, " ".join(["word"] * 400))  # the user writes a lot
    assert length_factor(fake_app.db, prof.id) == 2.5
