"""Retrain-when-it-pays decisions and the preference pairs built from edited drafts (fakes; no training)."""

from __future__ import annotations

import math

from ownvoice.assistant.prompts import DraftRequest
from ownvoice.assistant.retrain import RetrainRule, on_mains_power, retrain_due
from ownvoice.assistant.simulation import moving_mean
from ownvoice.assistant.training import HOLDOUT_FRACTION, MIN_PAIRS, build_pairs, split_documents
from ownvoice.store import adapters as adapters_table
from ownvoice.store import documents as docs_table
from ownvoice.store.documents import Document
from tests.conftest import SAMPLES


def _power(tmp_path, **supplies):
    for name, (kind, online) in supplies.items():
        d = tmp_path / name
        d.mkdir(parents=True)
        (d / "type").write_text(kind + "\n")
        if online is not None:
            (d / "online").write_text(f"{online}\n")
    return tmp_path


def test_mains_power_is_read_where_the_system_tells_it(tmp_path):
    assert on_mains_power(_power(tmp_path / "a", AC=("Mains", 1), BAT0=("Battery", None))) is True
    assert on_mains_power(_power(tmp_path / "b", AC=("Mains", 0), BAT0=("Battery", None))) is False
    assert on_mains_power(_power(tmp_path / "c", BAT0=("Battery", None))) is False
    assert on_mains_power(_power(tmp_path / "d")) is None  # a desktop or a VM: cannot tell
    assert on_mains_power(tmp_path / "missing") is None


def test_the_rule_waits_for_new_writing_an_idle_machine_and_mains_power(fake_app):
    fake_app.import_paths([SAMPLES / "persona.mbox"], "priya", ["priya@example.org"])
    pid = fake_app.profile("priya").id
    rule = RetrainRule(min_new_documents=20)
    assert retrain_due(fake_app.db, pid, "sha", rule, load=0.1, mains=True).due  # 22 texts, never trained
    assert not retrain_due(fake_app.db, pid, "sha", rule, load=0.9, mains=True).due
    on_battery = retrain_due(fake_app.db, pid, "sha", rule, load=0.1, mains=False)
    assert not on_battery.due and "battery" in on_battery.reason
    assert retrain_due(fake_app.db, pid, "sha", rule, load=0.1, mains=None).due  # unknown power: allowed
    adapters_table.add_adapter(fake_app.db, pid, 1, "/x/adapter.gguf", "sha", "/x/base.gguf", {}, True)
    waiting = retrain_due(fake_app.db, pid, "sha", rule, load=0.1, mains=True)
    assert not waiting.due and waiting.new_documents == 0 and "waiting for 20" in waiting.reason
    assert retrain_due(fake_app.db, pid, "other-base", rule, load=0.1, mains=True).due  # per base model
    for i in range(20):
        docs_table.add_document(fake_app.db, pid, Document(f"Hey Tom —\n\nNote {i}.\n\nCheers,\nPriya"))
    assert retrain_due(fake_app.db, pid, "sha", rule, load=0.1, mains=True).new_documents == 20


def test_edited_kept_drafts_become_preference_pairs_once_there_are_enough(fake_app, script):
    fake_app.import_paths([SAMPLES / "persona.mbox"], "priya", ["priya@example.org"])
    prof = fake_app.profile("priya")
    script.replies = ["Yes, Thursday works.\n\nCheers,\nPriya"]
    kept = []
    for i in range(MIN_PAIRS + 1):
        result = fake_app.draft(DraftRequest(f"tell Tom yes to plan {i}", k=1, candidates=1), "priya")
        final = result.text if i == 0 else result.text.replace("works", f"works for plan {i}")
        kept.append(fake_app.accept_generation(result.generation_id, final))  # the first kept unedited
    pool = {d.id for d in docs_table.list_documents(fake_app.db, prof.id)}
    gen = fake_app.generator()
    pairs = build_pairs(fake_app.db, prof, gen, pool, "Priya")
    assert len(pairs) == MIN_PAIRS  # the draft kept unedited teaches no preference
    assert all("works for plan" in p["chosen"] and "works for plan" not in p["rejected"] for p in pairs)
    assert all("tell Tom yes to plan" in p["prompt"] for p in pairs)
    assert build_pairs(fake_app.db, prof, gen, pool - set(kept[:2]), "Priya") == []  # 7 left: too few
    docs = docs_table.list_documents(fake_app.db, prof.id)
    by_date = sorted(docs, key=lambda d: (d.sent_at or d.created or "", d.id))
    by_date = by_date[-math.ceil(len(docs) * HOLDOUT_FRACTION) :]
    # by date alone the kept drafts (the newest writing) would be held out and never train
    assert set(kept) & {d.id for d in by_date}
    train, held_out = split_documents(docs)  # as training splits: kept drafts always train
    assert set(kept) <= {d.id for d in train} and not {d.id for d in held_out} & set(kept)
    assert len(held_out) == len(by_date) and len(train) + len(held_out) == len(pool)
    imported = sorted((d for d in train + held_out if d.id not in kept), key=lambda d: (d.sent_at, d.id))
    assert [d.id for d in held_out] == [d.id for d in imported[-len(held_out) :]]  # the newest of the rest
    assert len(build_pairs(fake_app.db, prof, gen, {d.id for d in train}, "Priya")) == MIN_PAIRS


def test_moving_mean():
    assert moving_mean([1.0, 0.0, 0.5, 0.5], 2) == [1.0, 0.5, 0.25, 0.5]


def test_a_retrain_starts_from_the_adapter_in_use_only_when_it_has_the_runs_shape(tmp_path):
    import json

    from ownvoice.adapters.config import TrainConfig
    from ownvoice.adapters.trainer import continuable

    prev = tmp_path / "peft"
    prev.mkdir()
    cfg = TrainConfig(
        base_gguf="m.gguf",
        out_dir="o",
        cache_dir="c",
        train_file="t",
        start_adapter_dir=str(prev),
        target_modules=["q_proj", "v_proj"],
    )
    assert not continuable(cfg)  # no adapter there

    def saved(**changes) -> bool:
        shape = {"r": cfg.r, "lora_alpha": int(cfg.alpha), "target_modules": ["v_proj", "q_proj"]} | changes
        (prev / "adapter_config.json").write_text(json.dumps(shape))
        return continuable(cfg)

    assert saved()  # same rank, alpha and modules (in any order)
    assert not saved(r=16) and not saved(lora_alpha=32) and not saved(target_modules=["q_proj"])
    (prev / "adapter_config.json").write_text("{not json")
    assert not continuable(cfg)
    assert not continuable(TrainConfig(base_gguf="m.gguf", out_dir="o", cache_dir="c", train_file="t"))
