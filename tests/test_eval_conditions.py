"""The evaluation's conditions on the fakes: the lean card prompt uses far fewer prompt tokens than the full
one, each condition sends the request settings it names, and the report shows prompt tokens per condition."""

from __future__ import annotations

import pytest

from ownvoice.assistant.conditions import CONDITION_SETTINGS, condition_settings
from ownvoice.assistant.evaluation import EvalConfig, markdown, run_eval
from ownvoice.assistant.fidelity import fidelity_markdown, run_fidelity
from ownvoice.assistant.prompts import LEAN
from tests.conftest import SAMPLES


def test_every_condition_names_valid_request_settings():
    from ownvoice.assistant.prompts import DraftRequest

    for name in CONDITION_SETTINGS:
        DraftRequest("x", **condition_settings(name))  # every key is a request field
    assert condition_settings("card") | {} == {"use_rag": True, "use_adapter": False, **LEAN}
    assert condition_settings("rag-no-card")["use_card"] is False
    with pytest.raises(ValueError, match="unknown condition"):
        condition_settings("magic")


def test_eval_with_no_or_an_unknown_condition_says_so_before_importing(fake_home, tmp_path, capsys):
    from ownvoice.assistant.cli import main

    for conditions in ("magic", ","):
        out = tmp_path / "out"
        assert (
            main(["eval", str(SAMPLES / "persona.mbox"), "--conditions", conditions, "--out", str(out)]) == 2
        )
        assert "condition" in capsys.readouterr().err and not out.exists()


def test_the_card_prompt_is_less_than_half_the_full_prompt(fake_app, script):
    fake_app.import_paths([SAMPLES / "persona.mbox"], "priya", ["priya@example.org"])
    script.replies = ["Hey —\n\nSounds good, see you then.\n\nCheers,\nPriya"]
    cfg = EvalConfig(
        conditions=["rag-no-card", "rag", "card"], limit=4, playback_model=False, n_generic=4, n_best=1
    )
    report = run_eval(fake_app, "priya", cfg)
    tokens = {c: report["summary"][c]["prompt_tokens"] for c in cfg.conditions}
    assert tokens["card"] <= 0.5 * tokens["rag-no-card"] and tokens["rag"] > tokens["rag-no-card"]
    assert "| prompt tokens |" in markdown(report)
    card_prompts = {p for p in script.prompts if "Tone: casual." in p}
    assert len(card_prompts) == 2 * 4  # rag and card carry the card's lines (4 tasks each), rag-no-card not
    fid = run_fidelity(fake_app, "priya", ("rag-no-card", "card"), intents=_intents())
    assert (
        fid["conditions"]["card"]["prompt_tokens"] < 0.5 * fid["conditions"]["rag-no-card"]["prompt_tokens"]
    )
    assert fid["conditions"]["card"]["defects"]["markup"] == 0 and "| markup |" in fidelity_markdown(fid)


def _intents() -> list[dict]:
    return [
        {
            "instruction": "say yes to Thursday",
            "required": [{"kind": "day", "text": "Thursday"}],
            "recipient": "Tom",
        }
    ]
