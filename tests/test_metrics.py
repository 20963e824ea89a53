"""Metrics on hand-made cases with known answers, and an end-to-end eval on the sample persona."""

from __future__ import annotations

import json

import pytest

from ownvoice.assistant.metrics import (
    diversity,
    greets_self,
    novelty,
    paired_bootstrap,
    rouge,
    training_ngrams,
)
from ownvoice.assistant.stylometry import fit_style_model, mask_frame


def test_identical_text_scores_one():
    text = "Hey Marco, Tuesday works and I will bring the drawings."
    assert rouge(text, text) == {"rouge1": 1.0, "rougeL": 1.0}


def test_novelty_flags_a_copy_of_a_training_document():
    train = ["Thank you so much for the kind words and for all that you do for the community here."]
    grams = training_ngrams(train)
    assert novelty(train[0], grams) == 0.0
    assert (
        novelty("A completely different sentence that shares nothing at all with the other one.", grams)
        == 1.0
    )


def test_diversity_and_self_greeting():
    assert diversity(["a b", "A  b", "c"]) == 2 / 3
    assert greets_self("Dear Isabel,\n\nThanks", "Isabel") and not greets_self(
        "Dear John,\n\nThanks", "Isabel"
    )


def test_bootstrap_interval_brackets_the_mean():
    import statistics

    a = [0.1 * i for i in range(40)]
    b = [x - d for x, d in zip(a, [0.5, 1.5, -0.5, 2.0, 1.0] * 8, strict=True)]
    ci = paired_bootstrap(a, b)
    diffs = [x - y for x, y in zip(a, b, strict=True)]
    assert abs(ci["mean"] - statistics.mean(diffs)) < 1e-9 and ci["lo"] < ci["mean"] < ci["hi"]
    # the 95% interval's width is close to the normal approximation's 2 x 1.96 x sd / sqrt(n)
    normal = 2 * 1.96 * statistics.pstdev(diffs) / len(diffs) ** 0.5
    assert 0.75 * normal < ci["hi"] - ci["lo"] < 1.25 * normal, (ci, normal)
    # no spread in the differences: no width
    assert paired_bootstrap([1.0, 2.0, 3.0], [0.0, 1.0, 2.0]) == {"mean": 1.0, "lo": 1.0, "hi": 1.0}


def test_style_model_separates_two_clearly_different_writers():
    a = [
        f"Hey team —\n\nquick one: the {x} is sorted, no drama.\n\nCheers,\nPriya"
        for x in ("budget", "survey", "map", "sensor", "bike lane", "tree plan", "counts", "slides")
    ]
    b = [
        f"Dear Sir or Madam,\n\nI hereby formally request information regarding the {x}. "
        f"I remain at your disposal.\n\nYours faithfully,\nH. Grimsby"
        for x in ("invoice", "contract", "pension", "policy", "account", "deposit", "claim", "premium")
    ]
    model = fit_style_model(a[:6], b[:6])
    assert min(model.score(a[6:])) > 0.5 > max(model.score(b[6:]))
    masked = fit_style_model(a[:6], b[:6], masked=True)
    assert "Cheers" not in mask_frame(a[0]) and "Hey team" not in mask_frame(a[0])
    assert min(masked.score(a[6:])) > 0.5 > max(masked.score(b[6:]))


@pytest.mark.scenario
def test_end_to_end_eval_report(persona_app, tmp_path, mixed_mbox, shared_cache):
    from ownvoice.assistant.evaluation import EvalConfig, run_eval, write_report
    from ownvoice.assistant.importers import Own, read_path

    negatives = [it.doc.body for it in read_path(mixed_mbox, set()) if isinstance(it, Own)]
    cfg = EvalConfig(
        conditions=["base", "rag", "best-of-n"],
        limit=3,
        n_best=2,
        n_generic=4,
        playback_model=False,
        negative_texts=negatives,
        train_steps=3,  # best-of-n drafts with an adapter trained on the training part only
    )
    report = run_eval(persona_app, "priya", cfg)
    assert report["adapter"]["steps"] == 3 and report["adapter"]["version"] == 1
    assert report["protocol"] == "subject"
    assert report["train"] + 4 == report["documents"] == 22 and report["test"] == 3
    assert set(report["summary"]) == {
        "base",
        "rag",
        "best-of-n",
        "instruction-echo",
        "nearest-past-mail",
        "reference",
        "other-writers",
    }
    for cond, rows in report["rows"].items():
        assert len(rows) == 3
        for r in rows:  # the numbers are the ones computed from the drafts
            assert r["rougeL"] == rouge(r["draft"], r["reference"])["rougeL"]
        mean = sum(r["rougeL"] for r in rows) / 3
        assert abs(report["summary"][cond]["rougeL"] - mean) < 1e-12
    for r in report["rows"]["base"]:  # leak-free: the request holds no sentence of the answer
        body_words = [w for w in r["reference"].split() if len(w) > 3]
        assert r["instruction"].startswith("write ")
        assert not any(
            " ".join(body_words[i : i + 4]) in r["instruction"] for i in range(len(body_words) - 3)
        )
    assert all(r["draft"] == r["instruction"] for r in report["rows"]["instruction-echo"])
    assert all(r["draft"] == r["reference"] and r["rougeL"] == 1.0 for r in report["rows"]["reference"])
    train_bodies = {
        d.body
        for d in __import__("ownvoice.store.documents", fromlist=["x"]).list_documents(
            persona_app.db, persona_app.profile("priya").id
        )[: report["train"]]
    }
    assert all(r["draft"] in train_bodies for r in report["rows"]["nearest-past-mail"])
    assert all(r["draft"] in negatives[1::2] for r in report["rows"]["other-writers"])  # never fit on
    assert report["ci_against"] == "base"
    assert set(report["ci"]) == {"rag", "best-of-n"}
    assert set(report["ci"]["rag"]) == {"rougeL", "style", "style_masked", "facts", "prompt_tokens"}
    md = write_report(report, tmp_path / "out")
    text = md.read_text()
    assert "| base |" in text and "| *reference* |" in text and "protocol: subject" in text
    assert json.loads((tmp_path / "out" / "report.json").read_text())["test"] == 3
    assert (tmp_path / "out" / "chart.png").read_bytes()[:4] == b"\x89PNG"
    playback = run_eval(
        persona_app,
        "priya",
        EvalConfig(conditions=["base"], limit=2, n_generic=2, playback_model=False, protocol="playback"),
    )
    assert (
        playback["protocol"] == "playback"
        and playback["rows"]["base"][0]["instruction"] != report["rows"]["base"][0]["instruction"]
    )
