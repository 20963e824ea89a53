"""Drafting with the real embedded GGUF: streamed, cleaned, logged, exemplars in the prompt."""

from __future__ import annotations

import pytest

from ownvoice.assistant.errors import EmptyCorpusError, ModelError, ProfileError
from ownvoice.assistant.jobs import CancelToken
from ownvoice.assistant.prompts import DraftRequest
from ownvoice.store import generations as G


def test_draft_is_streamed_logged_and_uses_exemplars(persona_app):
    app = persona_app
    updates: list[str] = []
    result = app.draft(
        DraftRequest("ask Marco about the Tuesday site visit", k=3, seed=1), "priya", on_update=updates.append
    )
    assert result.text.strip() and len(updates) >= 2
    assert updates[-1] == result.text
    assert len(result.exemplars) == 3
    for ex in result.exemplars:  # every exemplar's text is in the prompt
        assert ex.doc.body.split("\n")[2][:40] in result.prompt
    row = G.get_generation(app.db, result.generation_id)
    assert row["exemplar_ids"] == [e.doc.id for e in result.exemplars] + [d.id for d in result.anchors]
    assert row["output"] == result.text and row["completion_tokens"] == result.stats.completion_tokens > 0
    assert row["model"].endswith(".gguf") and row["prompt"] == result.prompt
    # the user's own greeting and sign-off
    assert result.text.startswith("Hey Marco —")
    assert result.text.rstrip().endswith("Priya")
    assert "[" not in result.text


def test_the_kept_prompt_head_is_reused_and_changes_nothing(persona_app):
    app = persona_app
    gen = app.generator()
    gen.prefixes.clear()
    gen.reset()
    req = DraftRequest("say yes and suggest a Thursday evening", k=2, temperature=0.0, candidates=1)
    first = app.draft(req, "priya")  # computes the head (system text + anchors) and keeps it
    head_tokens = gen.count_tokens(first.prompt[: first.params["static_prefix_chars"]])
    assert len(first.anchors) == 2 and first.stats.reused_tokens == 0 and len(gen.prefixes) == 1
    app.draft(DraftRequest("thank Jonas for the photos", k=2, candidates=1, anchors=0), "priya")
    again = app.draft(req, "priya")  # the live cache holds another prompt: the kept head is loaded
    assert again.stats.reused_tokens in (head_tokens, head_tokens + 1)  # + BOS where the model has one
    assert again.stats.reused_tokens < again.stats.prompt_tokens
    assert again.text == first.text and again.prompt == first.prompt
    # the same prompt again at once (a retry of the check, a regenerate): only its last token is decoded,
    # and the draft is the one computed from the kept head
    live = app.draft(req, "priya")
    assert live.stats.reused_tokens == len(gen.prompt_tokens(live.prompt)) - 1
    assert live.text == first.text


def test_same_seed_same_draft(persona_app):
    req = DraftRequest("tell Lena the sensor data is in the shared folder", seed=7)
    a = persona_app.draft(req, "priya").text
    b = persona_app.draft(req, "priya").text
    assert a == b


def test_the_body_begins_with_words_when_the_model_would_break_the_line(app):
    from ownvoice.assistant.backends.base import GenParams

    gen = app.generator()
    blank = set(gen.blank_token_ids)
    assert {gen.token_ids("\n")[0], gen.token_ids("\n\n")[0]} <= blank
    assert not blank & set(gen.token_ids("Hi Luke, thanks"))
    # after a greeting greedy decoding breaks the line (where the signing-off-at-once drafts began)
    ask = [{"role": "user", "content": "Write a short email to Luke saying thanks."}]
    prompt = gen.format_chat(ask) + "Hi Luke,\n"
    free = "".join(gen.stream(prompt, GenParams(max_tokens=6, temperature=0.0)))
    guarded = "".join(gen.stream(prompt, GenParams(max_tokens=6, temperature=0.0, words_first=4)))
    assert free.startswith("\n") and guarded[:1].isalpha() and "\n" not in guarded


def test_no_rag_has_no_exemplars(persona_app):
    result = persona_app.draft(DraftRequest("a note about trees", use_rag=False, max_tokens=40), "priya")
    assert result.exemplars == [] and "Cheers" not in result.prompt.split("<|im_start|>user")[0]


def test_reply_puts_incoming_in_prompt(persona_app):
    from ownvoice.assistant.email_io import read_incoming
    from tests.conftest import SAMPLES

    inc = read_incoming(SAMPLES / "incoming.eml")
    result = persona_app.draft(
        DraftRequest("say yes, suggest a Thursday", incoming=inc.prompt_text(), recipient=inc.first_name),
        "priya",
    )
    assert "parents' association" in result.prompt
    assert result.text.startswith("Hey Ana —")


def test_empty_profile_is_a_clear_error(app):
    with pytest.raises(ProfileError, match="no profile called 'nobody'.*import your mail first"):
        app.draft(DraftRequest("hello"), "nobody")
    assert app.list_profiles() == []  # a read never creates a profile
    app.create_profile("empty")
    with pytest.raises(EmptyCorpusError, match="import some mail first"):
        app.draft(DraftRequest("hello"), "empty")


def test_cancel_stops_generation(persona_app):
    token = CancelToken()
    seen = []

    def on_update(text):
        seen.append(text)
        token.cancel()

    result = persona_app.draft(
        DraftRequest("write a long update about the budget", max_tokens=300),
        "priya",
        on_update=on_update,
        cancel=token,
    )
    assert result.cancelled and result.stats.completion_tokens < 300


def test_wrong_model_file_is_refused(persona_app, tmp_path):
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"PK\x03\x04 not a gguf at all")
    with pytest.raises(ModelError, match="not a GGUF"):
        persona_app.draft(DraftRequest("hi"), "priya", model_path=str(fake))
