"""The ownvoice command end to end (in-process, real models, temp home)."""

from __future__ import annotations

import email
import email.policy
import json

import pytest

from ownvoice.assistant.cli import main
from tests.conftest import SAMPLES

pytestmark = pytest.mark.slow  # real models (GGUF, MiniLM, torch) or real processes


def test_import_search_draft_stats_models(home, capsys, tmp_path):
    assert main(["import", str(SAMPLES / "persona.mbox"), "--from", "priya@example.org", "-q", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["imported"] == 22 and summary["not_users"] == 2

    assert main(["search", "bike parking complaint", "--k", "2"]) == 0
    out = capsys.readouterr().out
    assert "Re: Bike parking complaint" in out.split("\n")[0]

    out_eml = tmp_path / "reply.eml"
    assert (
        main(
            [
                "draft",
                "say yes to the workshop",
                "--reply-to",
                str(SAMPLES / "incoming.eml"),
                "--json",
                "--out",
                str(out_eml),
                "--seed",
                "2",
            ]
        )
        == 0
    )
    res = json.loads(capsys.readouterr().out)
    assert res["draft"] and len(res["exemplars"]) == 4 and res["timings"]["completion_tokens"] > 0
    msg = email.message_from_bytes(out_eml.read_bytes(), policy=email.policy.default)
    assert msg["Subject"] == "Re: Workshop on the school-street pilot"
    assert msg["In-Reply-To"] == "<incoming-1@example.org>" and msg["To"] == "Ana Costa <ana@example.org>"
    assert msg.get_content().strip() == res["draft"].strip()

    assert main(["stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats[0]["documents"] == 22 and stats[0]["generations"] == 1 and stats[0]["embedded"] == 22

    assert main(["models"]) == 0
    assert "SmolLM2-135M-Instruct (embedded)" in capsys.readouterr().out


def test_models_add_refuses_non_gguf_and_accepts_real(home, capsys, tmp_path):
    bad = tmp_path / "x.gguf"
    bad.write_text("hello")
    assert main(["models", "add", str(bad)]) == 2
    assert "not a GGUF" in capsys.readouterr().err
    from ownvoice.assistant.backends.defaults import default_gguf_path

    assert main(["models", "add", str(default_gguf_path())]) == 0
    assert "llama" in capsys.readouterr().out
    assert main(["models"]) == 0
    assert capsys.readouterr().out.count("SmolLM2") >= 2


def test_errors_are_clear_not_tracebacks(home, capsys, tmp_path):
    binary = tmp_path / "b.dat"
    binary.write_bytes(b"\x00\xff" * 50)
    assert main(["import", str(binary)]) == 2
    assert "binary file" in capsys.readouterr().err
    assert main(["draft", "hello", "--profile", "empty"]) == 2
    assert "no profile called 'empty'" in capsys.readouterr().err
    assert main(["stats"]) == 0 and "empty" not in capsys.readouterr().out  # a read never creates a profile


def test_draft_inputs_out_of_bounds_are_clear_errors(home, capsys):
    from ownvoice.assistant.cli import main

    for argv, expected in (
        (["x" * 5000], "keep it under 4,000"),
        (["hi", "--max-tokens", "0"], "max tokens"),
        (["hi", "--max-tokens", "-5"], "max tokens"),
        (["hi", "--k", "100000"], "between 1 and 20"),
    ):
        code = main(["draft", *argv, "--profile", "nobody"])
        err = capsys.readouterr().err
        assert code != 0 and expected in err and "Traceback" not in err, (argv, err)


def test_training_options_are_validated_once_for_every_caller(home, capsys):
    import pytest

    from ownvoice.assistant.cli import main
    from ownvoice.assistant.training import TrainingOptions

    with pytest.raises(ValueError, match="epochs must be above 0.*device must be one of"):
        TrainingOptions(epochs=0, device="tpu")
    assert TrainingOptions(steps=5).steps == 5
    code = main(["train", "--profile", "nobody", "--lr", "-1"])
    err = capsys.readouterr().err
    assert code != 0 and "the learning rate must be above 0" in err and "Traceback" not in err
