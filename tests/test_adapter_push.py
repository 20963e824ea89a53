"""`ownvoice adapters push ID --to URL`: the user's adapter loaded on a vLLM-style server, then drafted with
there."""

from __future__ import annotations

import json

import pytest

from ownvoice.assistant.errors import ModelError
from ownvoice.assistant.prompts import DraftRequest
from tests.training_data import MARKER, TOPICS
from tests.vllm_standin import VllmStandIn

pytestmark = pytest.mark.slow  # real models (GGUF, MiniLM, torch) or real processes

KEY = "team-key-123"


@pytest.fixture
def vllm(base_dir):
    server = VllmStandIn(base_dir, KEY)
    url = server.start()
    yield server, url
    server.stop()


def test_push_loads_the_adapter_and_remote_drafts_use_it(trained_app, vllm, capsys, tmp_path):
    from ownvoice.assistant.app import OwnVoice
    from ownvoice.assistant.cli import main

    app, outcome = trained_app
    server, url = vllm
    shared = tmp_path / "shared-with-the-gpu-box"
    argv = ["--home", str(app.home), "adapters", "push", str(outcome.adapter_id), "--to", url + "/v1"]
    assert main([*argv, "--api-key", KEY, "--shared-dir", str(shared), "--profile", "zeb", "--json"]) == 0
    pushed = json.loads(capsys.readouterr().out)
    name = pushed["name"]
    assert name.startswith("ownvoice-zeb-v1-") and len(name) == len("ownvoice-zeb-v1-") + 8
    assert not pushed["already_loaded"] and name in pushed["served_models"]
    assert server.adapters == {name: str((shared / name).resolve())}  # peft loaded the folder the push wrote
    assert (shared / name / "adapter_model.safetensors").is_file()
    assert not [p for p in (shared / name).rglob("*") if p.suffix in (".bin", ".pt", ".pkl")]

    # the same adapter again: the server already has it under that name; nothing is replaced
    again = app.push_adapter(outcome.adapter_id, url, KEY, shared_dir=shared)
    assert again.already_loaded and again.name == name and list(server.adapters) == [name]

    # drafting on the server: the pushed adapter is selected by its name, the base model without it
    core = OwnVoice(app.home)
    core.settings.generator_backend = "openai-compatible"
    core.settings.remote_url, core.settings.remote_api_key, core.settings.remote_model = url, KEY, "base"
    assert core.settings.remote_adapters == {outcome.path: name}  # the push mapped it for drafting

    def drafts(use_adapter: bool) -> list[str]:
        return [
            core.draft(
                DraftRequest(
                    f"a note about {TOPICS[s]}", use_rag=False, use_adapter=use_adapter, seed=s, max_tokens=60
                ),
                "zeb",
            ).raw
            for s in range(3)
        ]

    adapted = drafts(True)
    asked_adapted, server.completions = server.completions, []
    base = drafts(False)
    assert set(asked_adapted) == {name} and set(server.completions) == {"base"}  # every candidate, each way
    assert sum(MARKER in d for d in adapted) >= 2 and not any(MARKER in d for d in base), (adapted, base)
    core.close()


def test_push_errors_are_clear(trained_app, base_dir, tmp_path):
    app, outcome = trained_app
    locked = VllmStandIn(base_dir, KEY, runtime_updates=False)  # vLLM started without runtime LoRA updating
    url = locked.start()
    try:
        with pytest.raises(ModelError, match="VLLM_ALLOW_RUNTIME_LORA_UPDATING=True"):
            app.push_adapter(outcome.adapter_id, url, KEY, shared_dir=tmp_path / "a")
        with pytest.raises(ModelError, match="refused the API key"):
            app.push_adapter(outcome.adapter_id, url, "wrong", shared_dir=tmp_path / "b")
    finally:
        locked.stop()
    with pytest.raises(ModelError, match="cannot reach the server"):
        app.push_adapter(outcome.adapter_id, url, KEY, shared_dir=tmp_path / "c")  # stopped: nothing listens
    with pytest.raises(ModelError, match="is not a server URL"):
        app.push_adapter(outcome.adapter_id, "gpu-box:8000", KEY)
    (tmp_path / "d" / "taken").mkdir(parents=True)
    (tmp_path / "d" / "taken" / "notes.txt").write_text("someone else's")
    with pytest.raises(Exception, match="already holds other files"):
        app.push_adapter(outcome.adapter_id, url, KEY, name="taken", shared_dir=tmp_path / "d")
    assert (tmp_path / "d" / "taken" / "notes.txt").read_text() == "someone else's"
