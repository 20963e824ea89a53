"""Exemplar retrieval with the real MiniLM embedder and SQLite FTS5."""

from __future__ import annotations

import numpy as np
import pytest

from ownvoice.assistant.retrieval import search
from ownvoice.store import documents as D
from ownvoice.store import embeddings as E


def test_exemplars_come_from_the_right_profile_and_differ(persona_app, mixed_mbox):
    app = persona_app
    app.import_paths([mixed_mbox], "alice", ["alice@example.com"])
    results = app.search("lunch talk about the school streets", "priya", k=4)
    priya = app.profile("priya")
    assert len(results) == 4
    assert all(r.doc.profile_id == priya.id for r in results)
    assert len({r.doc.id for r in results}) == 4
    assert results[0].doc.subject == "Re: Lunch talk"
    assert results[0].score == max(r.score for r in results)  # the most relevant comes first


def test_a_requests_exemplars_come_without_loading_the_language_model(persona_app):
    from ownvoice.assistant.prompts import DraftRequest

    app = persona_app
    request = DraftRequest("lunch talk about the school streets", k=2)
    found = app.retrieve(request, "priya")
    assert app._generator is None  # retrieval needs the embedder only
    assert len(found) == 2 and found[0].doc.subject == "Re: Lunch talk"
    # the exemplars a draft gets
    assert [e.doc.id for e in found] == [
        e.doc.id for e in app.composer().retrieve(app.profile("priya"), request)
    ]
    assert app.retrieve(DraftRequest("lunch talk", use_rag=False), "priya") == []


def test_near_duplicates_are_dropped_and_mmr_diversifies(app):
    prof = app.profile("p", create=True)
    texts = [
        ("Budget", "The riverside budget is 8% over because of the lighting."),
        ("Budget again", "The riverside budget is 8% over because of the lighting!"),
        ("Budget third", "The riverside budget is 8% over, because of the lighting."),
        ("Trees", "We can plant nine trees on Elm Street, not twelve."),
        ("Coffee", "Coffee by the canal on Wednesday?"),
    ]
    D.insert_documents(app.db, prof.id, [D.Document(body=b, subject=s) for s, b in texts])
    app.embed(prof)
    res = search(app.db, prof.id, "riverside budget lighting", app.embedder(), k=3)
    subjects = [r.doc.subject for r in res]
    assert sum(s.startswith("Budget") for s in subjects) == 1, subjects
    assert len(subjects) == 3


def test_embeddings_are_incremental_and_normalised(app):
    prof = app.profile("p", create=True)
    D.insert_documents(app.db, prof.id, [D.Document(body="one two three")])
    assert app.embed(prof) == 1
    assert app.embed(prof) == 0
    D.insert_documents(app.db, prof.id, [D.Document(body="four five six")])
    assert app.embed(prof) == 1
    ids, mat = E.load_matrix(app.db, prof.id, app.embedder().name)
    assert mat.shape == (2, 384) and np.allclose(np.linalg.norm(mat, axis=1), 1.0, atol=1e-4)


def test_exclude_and_recency(persona_app):
    app = persona_app
    prof = app.profile("priya")
    first = search(app.db, prof.id, "lunch talk", app.embedder(), k=1)[0]
    again = search(app.db, prof.id, "lunch talk", app.embedder(), k=1, exclude={first.doc.id})[0]
    assert again.doc.id != first.doc.id
    recent = search(app.db, prof.id, "thanks", app.embedder(), k=3, recency_weight=5.0)
    dates = [r.doc.sent_at for r in recent]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.slow  # the real MiniLM
def test_the_direct_query_embedding_equals_the_librarys_own():
    from ownvoice.assistant.backends.defaults import default_embedder_path
    from ownvoice.assistant.backends.st_embedder import AGREEMENT, SentenceTransformerEmbedder

    emb = SentenceTransformerEmbedder(str(default_embedder_path()))
    texts = ["tell Ana the report comes Friday", "Grüße aus Köln, 7:30 pm?", "a long mail " * 400]
    direct = emb._encode_direct(texts)  # the long one is cut at the model's 256 tokens, as the library does
    library = emb._encode_batches(texts, 32)
    assert direct.shape == library.shape == (3, 384) and float(np.abs(direct - library).max()) <= AGREEMENT
    assert np.allclose(emb.encode(texts[:1]), library[:1], atol=AGREEMENT) and emb._direct is True


@pytest.mark.slow  # the real MiniLM, in torch and in llama.cpp
def test_the_llama_cpp_copy_embeds_queries_like_the_library(tmp_path):
    import gguf

    from ownvoice.assistant.backends.bert_gguf import GGUF_PREFIX, cached_bert_gguf
    from ownvoice.assistant.backends.defaults import default_embedder_path
    from ownvoice.assistant.backends.st_embedder import ENGINE_AGREEMENT, SentenceTransformerEmbedder

    emb = SentenceTransformerEmbedder(str(default_embedder_path()), cache_dir=tmp_path)
    texts = ["tell Ana the report comes Friday", "Grüße aus Köln, 7:30 pm?", "Re: the COUNCIL's budget (v2)"]
    library = emb._encode_batches(texts, 32)
    engine = emb._encode_engine(texts)
    assert engine is not None and emb._engine_ok is True
    assert float(np.min(np.sum(engine * library, axis=1))) >= ENGINE_AGREEMENT
    assert np.array_equal(emb.encode(texts[:1]), engine[:1])  # a query takes the llama.cpp copy
    copy = cached_bert_gguf(default_embedder_path(), tmp_path / "cache")  # written once, mean pooling
    assert (
        copy.name.startswith(GGUF_PREFIX) and cached_bert_gguf(default_embedder_path(), copy.parent) == copy
    )
    fields = gguf.GGUFReader(copy).fields
    assert fields["general.architecture"].contents() == "bert" and fields["bert.pooling_type"].contents() == 1
    # a 300-letter word is one [UNK] to the library's WordPiece but pieces to llama.cpp's: the torch path
    odd = ["see " + "a" * 300]
    assert emb._encode_engine(odd) is None
    assert float(np.abs(emb.encode(odd) - emb._encode_batches(odd, 32)).max()) <= 1e-4
    too_long = [
        "a long mail " * 400
    ]  # past the model's 256-token window: the torch path, cut as the library cuts
    assert emb._encode_engine(too_long) is None
