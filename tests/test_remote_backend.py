"""Drafting on a remote engine: llama.cpp's own llama-server (built from the vendored sources of the
llama-cpp-python sdist, `make llama-server`), started on loopback with the embedded model and two users'
adapters, each selected per request; parity with local drafting through llama-cpp-python."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from ownvoice.assistant.backends import get_generator
from ownvoice.assistant.backends.base import GenParams
from ownvoice.assistant.backends.defaults import default_gguf_path
from ownvoice.assistant.prompts import DraftRequest
from tests.conftest import import_persona_as_default
from tests.lora_files import write_lora_gguf

pytestmark = pytest.mark.slow  # real models (GGUF, MiniLM, torch) or real processes

REPO = Path(__file__).resolve().parent.parent
CACHED = (
    Path.home() / ".cache" / "ownvoice" / "llama-server-0.3.36" / "llama-server"
)  # where `make llama-server` puts it
SERVER = Path(os.environ.get("OWNVOICE_LLAMA_SERVER") or CACHED)
MESSAGES = [
    {"role": "system", "content": "You write short, friendly emails."},
    {
        "role": "user",
        "content": "Write an email: thank Anna for the report and ask for the numbers by Friday",
    },
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    """llama-server with the embedded model and two adapters (ids 0 and 1), loaded but not applied."""
    assert SERVER.is_file(), (
        f"{SERVER} is missing: `make llama-server` builds it from the llama-cpp-python sdist"
    )
    folder = tmp_path_factory.mktemp("adapters")
    users = {
        "ana": write_lora_gguf(folder / "ana.gguf", seed=1, std=0.08),
        "ben": write_lora_gguf(folder / "ben.gguf", seed=2, std=0.08),
    }
    port = _free_port()
    cmd = [str(SERVER), "-m", str(default_gguf_path()), "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["-c", "2048", "-np", "1", "-t", "2", "--lora", str(users["ana"]), "--lora", str(users["ben"])]
    cmd += ["--lora-init-without-apply", "--no-webui"]
    log = open(folder / "server.log", "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url + "/health", timeout=2).status == 200:
                break
        except OSError:
            time.sleep(0.3)
        assert proc.poll() is None, (folder / "server.log").read_text()[-2000:]
    else:
        proc.kill()
        pytest.fail("llama-server did not become healthy in 120 s")
    yield url, users
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:  # still finishing a generation: the test is over, stop it outright
        proc.kill()
        proc.wait(10)
    log.close()


def _remote(url: str, users: dict):
    return get_generator(
        "openai-compatible",
        str(default_gguf_path()),
        base_url=url,
        adapters={str(users["ana"]): 0, str(users["ben"]): 1},
    )


def _next_token_agreement(llm, prompt: str, text: str) -> float:
    """Teacher-forced parity: at each token of ``text`` (the remote's greedy output), does local llama.cpp's
    own
    greedy choice after the same prefix pick that token? Two greedy runs can part at a near-tie and then
    differ for good; this counts every position on its own."""
    import numpy as np

    head = llm.tokenize(prompt.encode(), add_bos=False, special=True)
    tail = llm.tokenize(text.encode(), add_bos=False, special=False)
    llm.reset()
    llm.eval(head + tail)
    scores = np.array(llm.scores[len(head) - 1 : len(head) + len(tail) - 1])
    return float((scores.argmax(-1) == np.array(tail)).mean())


GREEDY = GenParams(max_tokens=40, temperature=0.0, top_k=1, repeat_penalty=1.0, seed=0)


def test_each_users_adapter_is_selected_per_request_and_matches_local_drafting(engine):
    url, users = engine
    remote = _remote(url, users)
    local = get_generator("llama-cpp", str(default_gguf_path()))
    prompt = local.format_chat(MESSAGES)
    assert remote.format_chat(MESSAGES) == prompt  # the same chat template, applied by the engine
    assert remote.count_tokens(prompt) == local.count_tokens(prompt)
    import llama_cpp

    from ownvoice.assistant.backends.llama_cpp_backend import AdapterSlot

    forced = llama_cpp.Llama(str(default_gguf_path()), n_ctx=512, logits_all=True, verbose=False, n_threads=2)
    outputs = {}
    for who in (None, "ana", "ben", None):  # back to none last: "no adapter" really takes the adapter off
        path = str(users[who]) if who else None
        remote.set_adapter(path)
        AdapterSlot.of(forced).activate(path)
        there = "".join(remote.stream(prompt, GREEDY))
        agreement = _next_token_agreement(forced, prompt, there)
        assert agreement >= 0.9, f"adapter {who}: local llama.cpp agrees on {agreement:.0%} of {there!r}"
        outputs.setdefault(who, set()).add(there)
    assert len(outputs[None]) == 1  # the same text before and after the adapters were used
    assert len({next(iter(v)) for v in outputs.values()}) == 3  # each adapter changes the draft its own way
    # control: scored without the adapter the server applied, local agreement drops
    AdapterSlot.of(forced).activate(None)
    control = _next_token_agreement(forced, prompt, next(iter(outputs["ben"])))
    assert control < 0.9
    del forced


def test_an_adapter_the_engine_does_not_have_is_a_clear_error(engine, tmp_path):
    from ownvoice.assistant.errors import ModelError

    url, users = engine
    with pytest.raises(ModelError, match="no adapter mapped"):
        _remote(url, users).set_adapter(str(tmp_path / "elsewhere.gguf"))


def test_the_core_drafts_on_the_remote_engine(engine, tmp_path):
    """The whole drafting path (retrieval, prompt, candidates, checks, log) with generation on llama-
    server."""
    from ownvoice.assistant.app import OwnVoice

    url, _ = engine
    home = tmp_path / "home"
    import_persona_as_default(home, REPO / "samples" / "persona.mbox")
    settings = json.loads((home / "config.json").read_text())
    settings.update(generator_backend="openai-compatible", remote_url=url)
    (home / "config.json").write_text(json.dumps(settings))
    app = OwnVoice(home)
    assert app.generator().name == "openai-compatible"
    result = app.draft(DraftRequest("say yes and suggest a Thursday evening", max_tokens=80, seed=1), "priya")
    assert result.text.strip() and result.exemplars and result.generation_id > 0
    assert result.stats.completion_tokens > 0
    app.close()
