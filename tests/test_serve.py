"""The local endpoint and the MCP server, driven by real clients (the openai package; the mcp client over
stdio)
against the real core (persona imported, embedded model, MiniLM)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ownvoice.assistant.errors import OwnVoiceError
from ownvoice.assistant.prompts import DraftRequest
from tests.conftest import import_persona_as_default

pytestmark = pytest.mark.slow  # real models (GGUF, MiniLM, torch) or real processes

ANA = (
    "From: Ana Costa <ana@example.org>\nSubject: Workshop on the school-street pilot\n\n"
    "Hi Priya,\n\nWould you be up for running a short workshop on the school-street pilot for the parents' "
    "association next month? An hour, maybe less.\n\nThanks,\nAna"
)
ASK = "say yes and suggest a Thursday evening"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`ownvoice serve`'s server over a home with the persona imported, on a free loopback port."""
    from ownvoice.assistant.app import OwnVoice
    from ownvoice.assistant.serve.auth import load_or_create_token
    from ownvoice.assistant.serve.http_server import DraftService, make_server

    home = tmp_path_factory.mktemp("serve") / "home"
    import_persona_as_default(home, Path(__file__).parent.parent / "samples" / "persona.mbox")
    core = OwnVoice(home)
    token = load_or_create_token(core.home)
    server = make_server(DraftService(core), token, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    yield core, url, token, home
    server.shutdown()
    server.server_close()
    core.close()


def _client(url: str, token: str):
    import openai

    return openai.OpenAI(base_url=url, api_key=token, max_retries=0, timeout=300)


def test_openai_client_gets_a_draft_in_the_profiles_voice(served):
    core, url, token, _ = served
    client = _client(url, token)
    assert [m.id for m in client.models.list().data] == ["priya"]
    reply = client.chat.completions.create(
        model="priya", messages=[{"role": "user", "content": f"{ASK}\n---\n{ANA}"}], seed=3
    )
    text = reply.choices[0].message.content
    checks = reply.model_extra["ownvoice"]
    assert checks["generation_id"] > 0 and len(checks["exemplars"]) >= 1  # logged, with the user's past mail
    # the same request drafted directly by the core gives the same text: the endpoint adds nothing of its own
    from ownvoice.assistant.email_io import parse_pasted

    mail = parse_pasted(ANA)
    core.generator().reset()  # a seed repeats a draft from a fresh KV cache (the served draft left one)
    direct = core.draft(
        DraftRequest(ASK, incoming=mail.prompt_text(), seed=3, recipient=mail.first_name), "priya"
    )
    assert text == direct.text
    assert "Thursday" in text and text.rstrip().endswith("Priya")  # says what was asked, signed by the user

    # the app that asked reports what the user sent: it becomes their writing, with the edit measured
    sent = text.replace("Thursday", "Thursday at 7")
    request = urllib.request.Request(
        f"{url}/ownvoice/accept",
        data=json.dumps({"generation_id": checks["generation_id"], "final_text": sent}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        kept = json.loads(resp.read())
    assert kept["accepted"] and core.get_document(kept["document_id"]).body == sent
    assert core.learning_curve("priya")["approved"] == 1
    bad = urllib.request.Request(
        f"{url}/ownvoice/accept",
        data=json.dumps({"generation_id": 999999}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(bad, timeout=30)
    assert err.value.code == 404


def test_streaming_sends_the_same_checked_draft_in_pieces(served):
    _, url, token, _ = served
    client = _client(url, token)
    messages = [
        {"role": "user", "content": ANA},
        {"role": "user", "content": ASK},
    ]  # the mail as its own message
    whole = (
        client.chat.completions.create(model="priya", messages=messages, seed=5).choices[0].message.content
    )
    pieces = [
        c.choices[0].delta.content or ""
        for c in client.chat.completions.create(model="priya", messages=messages, seed=5, stream=True)
        if c.choices
    ]
    assert len([p for p in pieces if p]) > 1 and "".join(pieces) == whole


def test_every_request_needs_the_token_and_no_page_may_read_answers(served):
    import openai

    _, url, token, home = served
    with pytest.raises(openai.AuthenticationError):
        _client(url, "wrong-" + token).models.list()
    for headers in ({}, {"Authorization": "Basic " + token}, {"Authorization": "Bearer "}):
        req = urllib.request.Request(url + "/models", headers={"Origin": "http://evil.example", **headers})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=10)
        assert err.value.code == 401 and err.value.headers.get("Access-Control-Allow-Origin") is None
    ok = urllib.request.urlopen(
        urllib.request.Request(
            url + "/models", headers={"Authorization": f"Bearer {token}", "Origin": "http://x"}
        ),
        timeout=10,
    )
    assert ok.status == 200 and ok.headers.get("Access-Control-Allow-Origin") is None
    assert stat.S_IMODE(os.stat(home / "serve-token").st_mode) == 0o600


def test_bad_requests_get_openai_style_errors(served):
    import openai

    _, url, token, _ = served
    client = _client(url, token)
    with pytest.raises(openai.NotFoundError, match="no profile called 'nobody'"):
        client.chat.completions.create(model="nobody", messages=[{"role": "user", "content": ASK}])
    with pytest.raises(openai.BadRequestError, match="max tokens must be between"):
        client.chat.completions.create(
            model="priya", messages=[{"role": "user", "content": ASK}], max_tokens=0
        )
    req = urllib.request.Request(
        url + "/chat/completions",
        data=b"{not json",
        headers={"Authorization": f"Bearer {token}"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    assert err.value.code == 400 and "not valid JSON" in json.loads(err.value.read())["error"]["message"]


def test_a_non_loopback_address_is_refused_without_an_explicit_token_and_flag(served, tmp_path):
    from ownvoice.assistant.serve.http_server import DraftService, make_server

    core, _, token, home = served
    service = DraftService(core)
    for kwargs in ({}, {"allow_remote": True}, {"explicit_token": True}):
        with pytest.raises(OwnVoiceError, match="refusing to listen on 0.0.0.0"):
            make_server(service, token, "0.0.0.0", 0, **kwargs)
    env = dict(os.environ, OWNVOICE_HOME=str(home))
    run = subprocess.run(
        [sys.executable, "-m", "ownvoice.assistant.cli", "serve", "--host", "0.0.0.0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (
        run.returncode == 2
        and "refusing to listen on 0.0.0.0" in run.stderr
        and "Traceback" not in run.stderr
    )
    shown = subprocess.run(
        [sys.executable, "-m", "ownvoice.assistant.cli", "serve", "--show-token"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.stdout.strip() == token


@pytest.mark.scenario
def test_mcp_server_lists_draft_email_and_drafts_over_stdio(served):
    import anyio
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    _, _, _, home = served
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "ownvoice.assistant.cli", "mcp"],
        env={**os.environ, "OWNVOICE_HOME": str(home)},
    )

    async def talk():
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            tools = [t.name for t in (await session.list_tools()).tools]
            called = await session.call_tool("draft_email", {"instruction": ASK, "incoming_mail": ANA})
            style = await session.read_resource("ownvoice://style")
            out = called.structured_content or json.loads(called.content[0].text)
            kept = await session.call_tool("accept_draft", {"generation_id": out["generation_id"]})
            return tools, called, style, kept

    tools, called, style, kept = anyio.run(talk)
    assert "draft_email" in tools and "accept_draft" in tools
    assert not kept.is_error and (kept.structured_content or json.loads(kept.content[0].text))["accepted"]
    assert not called.is_error
    out = called.structured_content or json.loads(called.content[0].text)
    assert out["profile"] == "priya" and "Thursday" in out["draft"] and out["exemplar_subjects"]
    assert isinstance(out["unsupported"], list) and out["generation_id"] > 0
    assert "Signs as: Priya" in style.contents[0].text
