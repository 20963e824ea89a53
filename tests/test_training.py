"""Training for real on CPU: the adapter learns a marker, versions hot-swap, QLoRA runs a step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ownvoice.assistant.errors import EmptyCorpusError, ModelError
from ownvoice.assistant.prompts import DraftRequest
from ownvoice.store import adapters as A
from tests.conftest import TEMPLATE_STEPS
from tests.training_data import MARKER, TOPICS, marker_mbox

pytestmark = pytest.mark.slow  # real models (GGUF, MiniLM, torch) or real processes


def test_too_small_corpus_is_refused_with_the_minimum(app, shared_cache):
    app.import_paths([Path(__file__).parent.parent / "samples" / "incoming.eml"], "tiny")
    with pytest.raises(EmptyCorpusError, match="at least 12"):
        app.train("tiny", steps=1)


def test_adapter_learns_the_marker_and_hot_swaps(trained_app, tmp_path):
    app, outcome = trained_app
    m = outcome.metrics
    assert outcome.activated, outcome.reason
    assert m["eval_loss_adapter"] < m["eval_loss_base"]
    assert m["train_examples"] == 15 and m["eval_examples"] == 3 and m["steps"] == TEMPLATE_STEPS
    manifest = json.loads((Path(outcome.path).parent / "manifest.json").read_text())
    assert manifest["base_sha256"] and manifest["r"] == 8 and manifest["alpha"] == 16.0
    assert Path(outcome.path).read_bytes()[:4] == b"GGUF"
    assert not list(Path(outcome.path).parent.rglob("*.bin")) and not list(
        Path(outcome.path).parent.rglob("*.pt")
    )

    gen = app.generator()
    llm_before = gen.llm

    def drafts(use_adapter: bool) -> list[str]:
        out = []
        for seed in range(4):
            req = DraftRequest(
                f"a note about {TOPICS[seed]}",
                use_rag=False,
                use_adapter=use_adapter,
                seed=seed,
                max_tokens=60,
            )
            out.append(app.draft(req, "zeb").raw)
        return out

    adapted = drafts(True)
    assert gen.adapter_name.endswith("adapter.gguf")
    base = drafts(False)
    assert gen.adapter_name == ""
    hits_adapted = sum(MARKER in d for d in adapted)
    hits_base = sum(MARKER in d for d in base)
    assert hits_adapted >= 3 and hits_base == 0, (adapted, base)
    assert gen.llm is llm_before  # switching never reloaded the base model

    # a second version (not better on held-out loss -> not activated automatically), chosen by hand
    prof = app.profile("zeb")
    v2 = A.add_adapter(
        app.db, prof.id, 2, outcome.path, manifest["base_sha256"], manifest["base_gguf"], {}, False
    )
    assert A.active_adapter(app.db, prof.id).version == 1
    A.set_active(app.db, prof.id, None)
    with_none = app.draft(
        DraftRequest("a note about the shed", use_rag=False, temperature=0.0, max_tokens=30), "zeb"
    )
    assert gen.adapter_name == ""  # no active adapter: drafting uses the base model
    assert MARKER not in with_none.raw
    A.delete_adapter_row(app.db, v2)

    # deleting the adapter: files, row, and the model's handle all go
    app.delete_adapter(outcome.adapter_id)
    assert A.list_adapters(app.db, prof.id) == []
    assert not Path(outcome.path).exists()
    assert outcome.path not in gen.loaded_adapters
    assert (
        MARKER
        not in app.draft(
            DraftRequest("a note about the shed", use_rag=False, seed=0, max_tokens=60), "zeb"
        ).raw
    )


def test_a_second_training_goes_on_from_the_adapter_in_use_unless_asked_to_start_fresh(trained_app):
    """One step after the marker adapter: going on from it keeps what it learned (held-out loss stays near
    its own, far below the base model's); the same step from the base model does not."""
    app, outcome = trained_app
    kw = {"steps": 1, "playback_model": False, "learning_rate": 2e-3, "raft_p": 0.0, "preference": False}
    went_on = app.train("zeb", **kw).metrics
    assert went_on["continued"] is True
    assert went_on["eval_loss_adapter"] < 0.1 * went_on["eval_loss_base"], went_on
    fresh = app.train("zeb", fresh=True, **kw).metrics
    assert fresh["continued"] is False
    assert fresh["eval_loss_adapter"] > 0.5 * fresh["eval_loss_base"], fresh


def test_each_base_model_keeps_its_own_adapter(trained_app):
    app, outcome = trained_app
    prof = app.profile("zeb")
    assert app.engine_state(prof.id).adapter_version == outcome.version
    # the adapter now belongs to another base: this model has no adapter of its own, so it drafts without one
    app.db.execute("UPDATE adapters SET base_sha256 = 'another-model' WHERE id = ?", [outcome.adapter_id])
    app.db.conn.commit()
    res = app.draft(DraftRequest("hello", use_rag=False, max_tokens=10), "zeb")
    assert res.raw and app.generator().adapter_name == ""
    assert app.engine_state(prof.id).adapter_version is None
    # 'no adapter' for this model leaves the other model's choice alone
    app.set_active_adapter(prof.id, None)
    assert A.active_adapter(app.db, prof.id, "another-model").id == outcome.adapter_id
    # and a file llama.cpp cannot apply is a clear error too
    from ownvoice.assistant.backends.llama_cpp_backend import AdapterSlot

    bogus = Path(outcome.path).with_name("bogus.gguf")
    bogus.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + b"\x00" * 64)
    with pytest.raises(ModelError, match="is an empty GGUF"):
        AdapterSlot(app.generator().llm).load(str(bogus))
    assert A.active_adapter(app.db, prof.id).id == outcome.adapter_id  # the refusals changed nothing


def _small_run(tmp_path, rows: list[dict], **overrides):
    """A TrainConfig for a few CPU steps on ``rows`` (written to train.jsonl, also the held-out file)."""
    from ownvoice.adapters.config import TrainConfig

    data = tmp_path / "train.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows))
    settings = {"batch_size": 4, "device": "cpu", "quantize": "none"} | overrides
    return TrainConfig(
        base_gguf="",
        out_dir=str(tmp_path / "out"),
        cache_dir="",
        train_file=str(data),
        eval_file=str(data),
        **settings,
    )


@pytest.mark.scenario
def test_qlora_nf4_step_runs_on_cpu(base_dir, tmp_path):
    from ownvoice.adapters.trainer import train

    rows = [
        {
            "prompt": f"<|im_start|>user\nWrite an email: item {i}<|im_end|>\n<|im_start|>assistant\n",
            "response": f"Ahoy,\n\nItem {i} is done.\n\n{MARKER},\nZeb",
        }
        for i in range(8)
    ]
    cfg = _small_run(tmp_path, rows, max_steps=2, quantize="nf4", checkpoint_every=1, learning_rate=1e-3)
    events = []
    metrics = train(cfg, base_dir, events.append)
    assert metrics["quantized"] is True and metrics["device"] == "cpu" and metrics["steps"] == 2
    assert all(e["loss"] == e["loss"] for e in events if e["event"] == "step")  # finite, not NaN
    assert (tmp_path / "out" / "peft" / "adapter_model.safetensors").is_file()


def test_checkpoint_resume_continues_the_step_count(base_dir, tmp_path):
    from ownvoice.adapters.config import TrainConfig
    from ownvoice.adapters.trainer import train

    rows = [
        {"prompt": f"<|im_start|>user\nx {i}<|im_end|>\n<|im_start|>assistant\n", "response": f"Reply {i}."}
        for i in range(10)
    ]
    data = tmp_path / "train.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows[:8]))
    held_out = tmp_path / "eval.jsonl"
    held_out.write_text("\n".join(json.dumps(r) for r in rows[8:]))
    out = tmp_path / "run"
    cfg = TrainConfig(
        base_gguf="",
        out_dir=str(out),
        cache_dir="",
        train_file=str(data),
        eval_file=str(held_out),
        max_steps=2,
        batch_size=4,
        device="cpu",
        quantize="none",
        checkpoint_every=1,
    )
    first = train(cfg, base_dir, lambda e: None)
    assert (out / "checkpoint" / "optimizer.safetensors").is_file()
    assert json.loads((out / "checkpoint" / "state.json").read_text())["step"] == 1
    cfg.max_steps, cfg.resume = 3, True
    events = []
    metrics = train(cfg, base_dir, events.append)
    assert any(e["event"] == "resumed" and e["step"] == 1 for e in events)
    assert [e["step"] for e in events if e["event"] == "step"] == [2, 3] and metrics["steps"] == 3
    base = [e for e in events if e["event"] == "eval" and e["which"] == "base"]
    assert base == [{"event": "eval", "which": "base", "loss": first["eval_loss_base"], "kept": True}]
    assert metrics["eval_loss_base"] == first["eval_loss_base"]  # not evaluated again on resume


def test_no_adapter_in_the_gui_after_an_adapter_draft_really_drafts_without_it(trained_app, qtbot):
    """Adapter draft in the GUI, then "No adapter": the next draft equals the CLI's --no-adapter draft."""
    import os
    import subprocess
    import sys

    from tests.conftest import running_gui

    app, outcome = trained_app
    app.settings.default_profile = "zeb"
    app.save_settings()
    # the card's phrases ('a quick word about', 'onwards and upwards') would dictate the words with or
    # without the adapter; this test is about the adapter, so the card carries none
    app.edit_style({"phrases": []}, "zeb")
    with running_gui(qtbot, app.home) as gui:
        panel = gui.window.compose
        # a topic none of Zeb's mails has: with one that is, both drafts copy that mail from the prompt
        instruction = "a note about the noisy neighbours"

        def gui_draft() -> str:
            panel.instruction.setText(instruction)
            panel.draft_btn.click()
            qtbot.waitUntil(lambda: panel.op is None, timeout=180000)
            return gui.window.editor.body.toPlainText()

        with_adapter = gui_draft()
        assert "adapter v1" in gui.window.status_area.text()
        page = gui.window.show_training()
        page.off_btn.click()
        assert "no adapter" in gui.window.status_area.text()
        without = gui_draft()
        env = dict(os.environ, OWNVOICE_HOME=str(app.home))
        cli = subprocess.run(
            [
                sys.executable,
                "-m",
                "ownvoice.assistant.cli",
                "draft",
                instruction,
                "--profile",
                "zeb",
                "--no-adapter",
                "--json",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        import json

        assert without == json.loads(cli.stdout)["draft"]
        assert with_adapter != without  # the adapter was on for the first draft and off for the second
        logged = app.db.execute("SELECT adapter FROM generations ORDER BY id").fetchall()
        assert logged[0][0].endswith("adapter.gguf") and logged[1][0] == ""


@pytest.mark.scenario
def test_kill_9_of_ownvoice_train_takes_the_trainer_child_with_it(home, tmp_path, shared_cache):
    """No orphaned trainer after the parent dies; the next run removes the mail the dead run had copied."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from ownvoice.assistant.app import OwnVoice

    app = OwnVoice(home)
    app.import_paths([marker_mbox(tmp_path / "zeb.mbox")], "zeb")
    app.close()
    env = dict(os.environ, OWNVOICE_HOME=str(home))
    parent = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ownvoice.assistant.cli",
            "train",
            "--profile",
            "zeb",
            "--steps",
            "500",
            "--heuristic-playback",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def workers() -> list[int]:
        return _trainers_of(home)

    deadline = time.time() + 180
    while not workers() and time.time() < deadline and parent.poll() is None:
        time.sleep(0.2)
    assert workers(), "the trainer child never started"
    copies = list(home.rglob("train.jsonl"))
    assert copies  # the running child reads its copy of the user's mail
    parent.send_signal(signal.SIGKILL)
    parent.wait(10)
    deadline = time.time() + 5
    while workers() and time.time() < deadline:
        time.sleep(0.1)
    assert not workers(), "the trainer outlived its parent"
    # the dead run's copies go at the next training's start (here: a run refused for its tiny step count
    # is enough)
    app = OwnVoice(home)
    app.train("zeb", steps=1, playback_model=False)
    assert not list(home.rglob("train.jsonl")) and not list(home.rglob("eval.jsonl"))
    app.close()


def test_a_spawned_worker_dies_with_its_parent_even_when_silent(tmp_path):
    """The mechanism itself: a child that never writes (no broken pipe to notice) still goes with its
    parent."""
    import os
    import signal
    import subprocess
    import sys
    import time

    script = (
        "import sys, time\n"
        "from ownvoice.assistant.training import spawn_child\n"
        "child = spawn_child([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    child_pid = int(parent.stdout.readline())
    os.kill(child_pid, 0)  # alive
    parent.send_signal(signal.SIGKILL)
    parent.wait(10)
    deadline = time.time() + 2
    while time.time() < deadline:
        try:
            os.kill(child_pid, 0)
        except ProcessLookupError:
            break
        state = (
            open(f"/proc/{child_pid}/stat").read().split()[2]
            if os.path.exists(f"/proc/{child_pid}/stat")
            else ""
        )
        if state == "Z":  # dead, waiting to be reaped by init
            break
        time.sleep(0.05)
    else:
        os.kill(child_pid, signal.SIGKILL)
        raise AssertionError("the silent child outlived its parent")


def _trainers_of(home: Path) -> list[int]:
    """Pids of trainer children working for ``home``."""
    import os

    out = []
    for pid in os.listdir("/proc"):
        try:
            cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ")
        except OSError:
            continue
        if pid.isdigit() and b"ownvoice.adapters.worker" in cmd and str(home).encode() in cmd:
            out.append(int(pid))
    return out


def _wait_for(cond, seconds: float) -> bool:
    import time

    deadline = time.time() + seconds
    while not cond() and time.time() < deadline:
        time.sleep(0.1)
    return cond()


def test_kill_9_of_the_trainer_child_or_its_parent_keeps_the_previous_adapter(trained_app, home):
    """A second training run killed either way: a clear error (child killed) or no orphan (parent killed), and
    the adapter that was active stays active, its file untouched; no copy of the user's mail is left."""
    import os
    import signal
    import subprocess
    import sys
    import threading

    from ownvoice.assistant.app import OwnVoice
    from ownvoice.assistant.training import TrainingFailed

    app, outcome = trained_app
    prof = app.profile("zeb")
    active = A.active_adapter(app.db, prof.id)
    assert active is not None and active.id == outcome.adapter_id
    adapter_bytes = Path(active.path).read_bytes()

    # 1. the child is killed: the run fails with a message, the active adapter is the same
    failure: list[BaseException] = []

    def train() -> None:
        try:
            app.train("zeb", steps=500, playback_model=False)
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            failure.append(exc)

    runner = threading.Thread(target=train)
    runner.start()
    assert _wait_for(lambda: bool(_trainers_of(home)), 180), "the trainer child never started"
    for pid in _trainers_of(home):
        os.kill(pid, signal.SIGKILL)
    runner.join(60)
    assert not runner.is_alive() and len(failure) == 1 and isinstance(failure[0], TrainingFailed)
    assert "ended unexpectedly" in str(failure[0]) and "Traceback" not in str(failure[0])
    assert A.active_adapter(app.db, prof.id).id == active.id
    assert not list(home.rglob("train.jsonl")) and not list(home.rglob("eval.jsonl"))

    # 2. the parent (ownvoice train) is killed: its child goes within 5 s, the active adapter is the same
    env = dict(os.environ, OWNVOICE_HOME=str(home))
    parent = subprocess.Popen(
        [sys.executable, "-m", "ownvoice.assistant.cli", "train", "--profile", "zeb", "--steps", "500"]
        + ["--heuristic-playback"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert _wait_for(lambda: bool(_trainers_of(home)) or parent.poll() is not None, 180)
    assert _trainers_of(home), "the trainer child never started"
    parent.send_signal(signal.SIGKILL)
    parent.wait(10)
    assert _wait_for(lambda: not _trainers_of(home), 5), "the trainer outlived its parent"
    again = OwnVoice(home)
    now = A.active_adapter(again.db, again.profile("zeb").id)
    assert now.id == active.id and Path(now.path).read_bytes() == adapter_bytes
    again.close()


def test_an_adapter_is_exported_for_llama_cpp_and_for_vllm(trained_app, tmp_path):
    """`adapters export`: the GGUF llama.cpp loads, or peft's folder with the base's config (safetensors
    only)."""
    from ownvoice.adapters.validate import check_adapter
    from ownvoice.assistant.errors import InputError

    app, outcome = trained_app
    gguf = app.export_adapter(outcome.adapter_id, "gguf", tmp_path / "for-llama-cpp")
    assert sorted(p.name for p in gguf) == ["adapter.gguf", "manifest.json"]
    check_adapter(
        tmp_path / "for-llama-cpp" / "adapter.gguf", Path(app.generator().model_path)
    )  # fits the base
    peft = app.export_adapter(outcome.adapter_id, "peft", tmp_path / "for-vllm")
    names = sorted(str(p.relative_to(tmp_path / "for-vllm")) for p in peft)
    assert {"adapter_config.json", "adapter_model.safetensors", "base-config/config.json"} <= set(names)
    assert not [n for n in names if n.endswith((".bin", ".pt", ".pkl"))]
    config = json.loads((tmp_path / "for-vllm" / "adapter_config.json").read_text())
    assert config["r"] == 8 and "q_proj" in config["target_modules"]
    with pytest.raises(InputError, match="not empty"):
        app.export_adapter(outcome.adapter_id, "gguf", tmp_path / "for-llama-cpp")
    with pytest.raises(InputError, match="no adapter 999"):
        app.export_adapter(999, "gguf", tmp_path / "x")


def test_the_prompt_without_gradients_gives_the_full_pass_loss(base_dir):
    """split_response_loss runs the prompt under no_grad and the response on its keys and values: the loss
    must be the full forward pass's, on a batch of uneven prompts and responses."""
    import random

    import torch

    from ownvoice.adapters.base_model import load_base
    from ownvoice.adapters.config import TrainConfig
    from ownvoice.adapters.dataset import collate, collate_split, encode, end_of_turn
    from ownvoice.adapters.trainer import _lora_model, response_loss, split_response_loss

    model, tok = load_base(base_dir, "cpu", False, False)
    model = _lora_model(model, TrainConfig(base_gguf="", out_dir="", cache_dir="", train_file=""))
    for name, p in model.named_parameters():
        if "lora_B" in name:  # a non-zero adapter, so its effect on the prompt's keys and values counts
            torch.nn.init.normal_(p, std=0.02)
    model.eval()
    rng = random.Random(0)
    words = "the budget report meeting thursday parents workshop".split()
    rows = [
        {
            "prompt": "<|im_start|>user\nWrite an email: "
            + " ".join(rng.choice(words) for _ in range(rng.randint(5, 40)))
            + "<|im_end|>\n<|im_start|>assistant\n",
            "response": "Hi,\n\n" + " ".join(rng.choice(words) for _ in range(rng.randint(10, 50))),
        }
        for _ in range(4)
    ]
    items = [encode(tok, r, 768, end_of_turn(tok)) for r in rows]
    with torch.no_grad():
        full, n_full = response_loss(model, *collate(items, 0))
        split, n_split = split_response_loss(model, collate_split(items, 0))
    assert n_split == n_full == sum(e.n_target for e in items)
    assert abs(float(split) - float(full)) <= 1e-4 * float(full)


def test_strength_zero_is_the_plain_model_and_style_grows_with_strength(trained_app):
    """Strength scales the adapter (llama.cpp scale) and the past mails shown; 0 is the plain model."""
    from statistics import mean

    from ownvoice.assistant.mailtext import mask_frame
    from ownvoice.assistant.prompts import DraftRequest
    from ownvoice.assistant.rerank import StyleCentroid
    from ownvoice.store import documents as D

    app, _ = trained_app

    def draft(seed: int, **kw) -> str:
        req = DraftRequest("a note about the broken fence", seed=seed, candidates=1, max_tokens=60, **kw)
        return app.draft(req, "zeb").text

    zero = draft(3, strength=0.0)
    assert app.generator().adapter_name == ""  # the profile's adapter is active, yet off at strength 0
    assert zero == draft(3, use_rag=False, use_adapter=False)
    draft(3, strength=0.5)
    assert app.generator().adapters.key[1] == 0.5  # the adapter applied at half its weight
    zeb = StyleCentroid([d.body for d in D.list_documents(app.db, app.profile("zeb").id)])
    style = {
        s: mean(zeb.similarity(mask_frame(draft(seed, strength=s))) for seed in range(3))
        for s in (0.0, 0.5, 1.0)
    }
    assert style[0.0] < style[0.5] <= style[1.0], style


@pytest.mark.scenario
def test_preference_pairs_teach_the_adapter_the_users_final_text_over_the_draft(base_dir, tmp_path):
    """A real LoRA run with DPO pairs (chosen: the user's final text, rejected: the model's draft): the pair
    loss starts at log 2 and falls, and the trained adapter prefers the chosen texts more than the base."""
    import math

    import torch

    from ownvoice.adapters.base_model import load_base
    from ownvoice.adapters.dataset import encode, end_of_turn
    from ownvoice.adapters.trainer import reference_logps, sequence_logp, train

    prompt = "<|im_start|>user\nWrite an email: about item {i}<|im_end|>\n<|im_start|>assistant\n"
    rows = [
        {"prompt": prompt.format(i=i), "response": f"Hi,\n\nItem {i} is done.\n\nBest,\nZeb"}
        for i in range(8)
    ]
    pairs = [
        {
            "prompt": prompt.format(i=i),
            "chosen": f"Ahoy,\n\nItem {i} is done.\n\n{MARKER},\nZeb",
            "rejected": f"Dear Sir or Madam,\n\nI am writing to inform you that item {i} is done.",
        }
        for i in range(8)
    ]
    pair_file = tmp_path / "pairs.jsonl"
    pair_file.write_text("\n".join(json.dumps(p) for p in pairs))
    cfg = _small_run(
        tmp_path,
        rows,
        pairs_file=str(pair_file),
        max_steps=8,
        checkpoint_every=0,
        learning_rate=2e-3,
        pair_beta=0.5,
    )
    metrics = train(cfg, base_dir, lambda e: None)
    assert metrics["preference_pairs"] == 8
    assert abs(metrics["pair_loss_first"] - math.log(2)) < 0.01  # policy == reference at the first step
    assert metrics["pair_loss_last"] < metrics["pair_loss_first"]

    from peft import PeftModel

    base, tok = load_base(base_dir, "cpu", False, False)
    eot = end_of_turn(tok)
    enc = [
        (
            encode(tok, {"prompt": p["prompt"], "response": p["chosen"]}, 768, eot),
            encode(tok, {"prompt": p["prompt"], "response": p["rejected"]}, 768, eot),
        )
        for p in pairs
    ]
    before = reference_logps(base, enc, 0, "cpu")
    tuned = PeftModel.from_pretrained(base, str(tmp_path / "out" / "peft"))
    with torch.no_grad():
        after = [
            (float(sequence_logp(tuned, c, 0, "cpu")), float(sequence_logp(tuned, r, 0, "cpu")))
            for c, r in enc
        ]
    margin_before = sum(c - r for c, r in before) / len(enc)
    margin_after = sum(c - r for c, r in after) / len(enc)
    assert margin_after > margin_before + 1.0


@pytest.mark.parametrize(
    ("quantize", "device", "skipped"),
    [("none", "auto", True), ("auto", "cpu", True), ("nf4", "cpu", False), ("auto", "auto", None)],
)
def test_a_cpu_training_child_does_not_import_bitsandbytes(quantize, device, skipped, monkeypatch):
    """Only a run that may choose 4-bit NF4 lets peft import bitsandbytes (auto chooses it on CUDA only)."""
    import sys

    import torch

    from ownvoice.adapters.config import TrainConfig
    from ownvoice.adapters.worker import _skip_bitsandbytes_unless_nf4

    if skipped is None:  # auto on auto: skipped where there is no CUDA GPU
        skipped = not torch.cuda.is_available()
    monkeypatch.delitem(sys.modules, "bitsandbytes", raising=False)  # restored after the test
    cfg = TrainConfig(
        base_gguf="m.gguf", out_dir="o", cache_dir="c", train_file="t", quantize=quantize, device=device
    )
    _skip_bitsandbytes_unless_nf4(cfg)
    assert ("bitsandbytes" in sys.modules and sys.modules["bitsandbytes"] is None) is skipped
    if skipped:
        with pytest.raises(ImportError):
            import bitsandbytes  # noqa: F401
