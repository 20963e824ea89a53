"""The user's writing is only what the user wrote or approved: model output never feeds back unless
accepted."""

from __future__ import annotations

import json

from ownvoice.assistant.prompts import DraftRequest
from ownvoice.assistant.provenance import edit_distance
from ownvoice.assistant.training import build_examples, split_documents
from ownvoice.store import db as store_db
from ownvoice.store import documents as D
from ownvoice.store import generations as G


def _editor_autosave(app, result, doc_id=None):
    """What the editor does with a streamed draft: autosave it (as a draft linked to its generation)."""
    prof = app.profile("priya", create=False)
    return D.save_draft(
        app.db, prof.id, doc_id, "Re: Workshop", result.text, generation_id=result.generation_id
    )


def test_rejected_drafts_never_become_exemplars_style_or_training_data(persona_app):
    app = persona_app
    prof = app.profile("priya", create=False)
    req = DraftRequest("say yes to the workshop and suggest a Thursday evening", k=4, seed=3)
    first = app.draft(req, "priya")
    draft_doc = _editor_autosave(app, first)
    # Regenerate (the first draft is rejected), then draft again on a similar request
    second = app.draft(DraftRequest(req.instruction, k=4, seed=4), "priya")
    _editor_autosave(app, second)
    third = app.draft(
        DraftRequest("say yes to the workshop on Thursday evening", k=4, seed=5, exclude_ids={draft_doc}),
        "priya",
    )
    outputs = G.generation_outputs(app.db, prof.id)
    assert len(outputs) == 3
    for result in (second, third):
        for ex in result.exemplars:
            assert ex.doc.source != "draft" and " ".join(ex.doc.body.split()) not in outputs
    # the drafts are in the library, but not among the user's writing nor in a training set
    everything = D.list_documents(app.db, prof.id, writing_only=False)
    writing = D.list_documents(app.db, prof.id)
    assert sum(d.source == "draft" for d in everything) == 2 and len(writing) == 22
    train, held = split_documents(writing)
    rows = build_examples(
        app.db, prof, app.generator(), app.embedder(), train, {d.id for d in train}, {}, "Priya", raft_p=1.0
    )
    for row in rows:
        assert " ".join(row["response"].split()) not in outputs
        for out in outputs:  # nor as a RAFT exemplar inside a prompt
            assert out[:60] not in " ".join(row["prompt"].split())
    assert all(
        d.source != "draft" for d in D.get_documents(app.db, [r["document_id"] for r in rows]).values()
    )


def test_accepting_a_draft_makes_it_writing_with_its_edit_distance(persona_app):
    app = persona_app
    prof = app.profile("priya", create=False)
    result = app.draft(DraftRequest("tell Lena the counts are in the shared folder", seed=1), "priya")
    doc_id = _editor_autosave(app, result)
    assert D.get_document(app.db, doc_id).source == "draft"
    final = result.text.replace("Cheers,", "Thanks so much,\n\nCheers,")
    assert app.accept_draft(result.generation_id, final, "priya", document_id=doc_id) == doc_id
    doc = D.get_document(app.db, doc_id)
    row = G.get_generation(app.db, result.generation_id)
    assert doc.source == "accepted" and doc.generation_id == result.generation_id and doc.body == final
    assert row["final_text"] == final and row["document_id"] == doc_id and row["status"] == "accepted"
    assert row["edit_distance"] == edit_distance(result.text, final) == 3  # "Thanks so much,"
    assert doc_id in {d.id for d in D.list_documents(app.db, prof.id)}
    hits = app.search(final, "priya", k=3)
    assert doc_id in [h.doc.id for h in hits]  # now the user's writing: embedded and retrievable


def test_accept_from_the_cli_records_the_final_text(persona_app, capsys, tmp_path, home):
    from ownvoice.assistant.cli import main

    result = persona_app.draft(DraftRequest("thank Jonas for the photos", seed=2), "priya")
    final = tmp_path / "final.txt"
    final.write_text("Hey Jonas —\n\nThanks for the photos!\n\nCheers,\nPriya")
    assert main(["--home", str(home), "accept", str(result.generation_id), "--final", str(final)]) == 0
    assert "kept draft" in capsys.readouterr().out
    row = G.get_generation(persona_app.db, result.generation_id)
    assert row["final_text"] == final.read_text() and row["status"] == "accepted"


def test_existing_stores_demote_typed_documents_that_are_generations(tmp_path):
    db = store_db.open_db(tmp_path / "s.db")
    db["profiles"].insert(
        {"id": 1, "name": "p", "display_name": "", "addresses": "[]", "model": "", "created": ""}
    )
    gid = G.log_generation(
        db,
        1,
        instruction="x",
        incoming="",
        exemplar_ids=[],
        prompt="P",
        model="m",
        adapter="",
        params={},
        output="Hi Bo,\n\nModel text.\n\nCheers,\nP",
        prompt_tokens=1,
        completion_tokens=1,
        ttft_s=0.0,
        total_s=0.0,
        tokens_per_s=0.0,
    )
    verbatim = D.save_draft(db, 1, None, "", "Hi Bo,\n\nModel text.\n\nCheers,\nP")  # old autosave: 'typed'
    edited = D.save_draft(db, 1, None, "", "Hi Bo,\n\nModel text.\n\nCheers,\nP")
    D.save_draft(db, 1, edited, "", "Hi Bo,\n\nModel text, edited but never accepted.\n\nCheers,\nP")
    own = D.save_draft(db, 1, None, "", "Something I wrote myself.")
    assert store_db.demote_generated_documents(db) == 2
    assert {d.id: d.source for d in D.list_documents(db, 1, writing_only=False)} == {
        verbatim: "draft",
        edited: "draft",
        own: "typed",
    }
    assert D.get_document(db, verbatim).generation_id == gid
    assert [d.id for d in D.list_documents(db, 1)] == [own]
    assert json.loads(db["generations"].get(gid)["exemplar_ids"]) == []
