"""The learning simulation end to end on real parts (tiny walk): a first adapter trained on the past mail, two
homes walked in time order, the learning one accepting each real mail and retraining with the promotion
check, the static one never learning."""

from __future__ import annotations

import mailbox
from email.message import EmailMessage

import pytest

from tests.training_data import MARKER, TOPICS

pytestmark = [pytest.mark.slow, pytest.mark.scenario]  # real training (twice), real drafting


def _mbox(path):
    box = mailbox.mbox(str(path))
    names = ["Ana", "Tom", "Lena"]
    for i, topic in enumerate(TOPICS + [f"{t} again" for t in TOPICS[:8]]):
        msg = EmailMessage()
        msg["From"] = "Zeb Quill <zeb@example.org>"
        msg["To"] = f"{names[i % 3]} <{names[i % 3].lower()}@example.org>"
        msg["Subject"] = f"About {topic}"
        msg["Date"] = f"Mon, {i % 28 + 1:02d} {'Sep' if i < 28 else 'Oct'} 2025 09:00:00 +0000"
        msg.set_content(f"Ahoy {names[i % 3]},\n\nA quick word about {topic}: all sorted.\n\n{MARKER},\nZeb")
        box.add(mailbox.mboxMessage(msg))
    box.flush()
    box.close()
    return path


def test_the_walk_learns_in_one_home_and_not_in_the_other(tmp_path, shared_cache):
    from ownvoice.assistant.app import OwnVoice
    from ownvoice.assistant.edit_bounds import BOUNDS
    from ownvoice.assistant.simulation import SimConfig, run_simulation, simulation_markdown
    from ownvoice.store import adapters as adapters_table
    from ownvoice.store import documents as docs_table

    data = _mbox(tmp_path / "zeb.mbox")
    cfg = SimConfig(walk=4, every=2, steps=2, eval_mails=2, window=2, probe=2)
    others = ["Dear colleagues,\n\nThe minutes are attached.\n\nKind regards,\nBob Stone"]
    r = run_simulation([data], tmp_path / "work", cfg, others=others)
    assert r["library_at_start"] == 20 and r["first_adapter"]["version"] == 1
    assert all(len(r["edit"][arm]) == 4 and all(0 <= e <= 1 for e in r["edit"][arm]) for arm in r["edit"])
    assert r["rows"][0]["request"].startswith("write to ") and "draft_learning" in r["rows"][0]
    # with a probe, the last block is retrained too, so the probe sees what all of the walk taught
    assert [t["after_mail"] for t in r["retrains"]] == [2, 4]
    assert [t["version"] for t in r["retrains"]] == [2, 3]
    assert r["retrains"][0]["score_new"] is not None and r["retrains"][0]["previous_version"] == 1
    probe = r["probe"]
    assert probe["mails"] == 2 and set(probe["subjects"]).isdisjoint(row["subject"] for row in r["rows"])
    assert [p["after_mail"] for p in probe["points"]["learning"]] == [0, 2, 4]
    assert [p["after_mail"] for p in probe["points"]["static"]] == [0, 4]
    for arm in ("static", "learning"):
        assert all(len(p["edit"]) == 2 and 0 <= p["mean"] <= 1 for p in probe["points"][arm])
    # before the walk both copies are the same home drafting the same mails with the same seeds
    assert probe["points"]["static"][0]["edit"] == probe["points"]["learning"][0]["edit"]
    # beside the curve, on the same probe mails: the user's closest past mail (each probe mail repeats an
    # older one's topic: a word apart), their median past mail, the nearest exemplar, another writer's mail
    bounds = {key: b["edit"] for key, b in probe["bounds"].items()}
    assert set(bounds) == set(BOUNDS) and all(len(v) == 2 for v in bounds.values())
    for j in range(2):
        assert bounds["own_best"][j] <= min(bounds["own_other"][j], bounds["nearest_past"][j])
        assert bounds["own_best"][j] < 0.2 < bounds["other_writers"][j]
    md = simulation_markdown(r)
    assert "Static minus learning" in md and "Probe curve" in md and "(ceiling)" in md and "(floor" in md

    learning = OwnVoice(tmp_path / "work" / "learning")
    prof = learning.profile("user")
    kept = docs_table.list_documents(learning.db, prof.id, source="accepted")
    assert sorted(d.subject for d in kept) == sorted(
        row["subject"] for row in r["rows"]
    )  # each real mail kept
    versions = [a.version for a in adapters_table.list_adapters(learning.db, prof.id)]
    assert sorted(versions) == [1, 2, 3]
    active = adapters_table.active_adapter(learning.db, prof.id)
    promoted = [t["version"] for t in r["retrains"] if t["promoted"]]
    assert active is not None and active.version == (promoted[-1] if promoted else 1)
    # the probe mails never reach a library
    assert not set(probe["subjects"]) & {d.subject for d in docs_table.list_documents(learning.db, prof.id)}
    learning.close()
    static = OwnVoice(tmp_path / "work" / "static")
    sprof = static.profile("user")
    assert docs_table.list_documents(static.db, sprof.id, source="accepted") == []  # it never learned
    assert [a.version for a in adapters_table.list_adapters(static.db, sprof.id)] == [1]
    assert not set(probe["subjects"]) & {d.subject for d in docs_table.list_documents(static.db, sprof.id)}
    static.close()
