"""Shared fixtures: a private temp data home per test, real models loaded once per session."""

from __future__ import annotations

import mailbox
import os
from contextlib import contextmanager
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

import pytest

from tests import fake_backends

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"

fake_backends.register()


# fixtures that load the real models: a test using one is slow whether or not its module says so
REAL_MODEL_FIXTURES = {"app", "persona_app", "trained_app", "trained_template", "base_dir", "shared_cache"}
REAL_MODEL_MODULES = ("llama_cpp", "torch", "sentence_transformers")


def pytest_configure(config) -> None:
    """The tiers' markers: ``slow`` (real models; not in ``make test-fast``) and ``scenario`` (long runs)."""
    config.addinivalue_line("markers", "slow: loads the real GGUF, MiniLM or torch (not in make test-fast)")
    config.addinivalue_line(
        "markers",
        "scenario: a long end-to-end run (trainings, conversions, simulations, killed processes): "
        "not in make test, run by make check (CI)",
    )


# fixtures that train an adapter first (tens of seconds of a real training): their tests are scenarios
TRAINING_FIXTURES = {"trained_app", "trained_template"}


def pytest_collection_modifyitems(config, items) -> None:
    """Mark the tests that use a training fixture as scenarios, and every real-model test or scenario slow."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if TRAINING_FIXTURES & fixtures:
            item.add_marker(pytest.mark.scenario)
        if REAL_MODEL_FIXTURES & fixtures or item.get_closest_marker("scenario"):
            item.add_marker(pytest.mark.slow)


def pytest_sessionfinish(session, exitstatus) -> None:
    """The fast tier must not load a real model: fail it if one was imported (a slow test is unmarked)."""
    import sys

    if "not slow" in (session.config.getoption("-m") or "") and exitstatus == 0:
        loaded = [m for m in REAL_MODEL_MODULES if m in sys.modules]
        if loaded:
            print(f"\nthe fast tests imported {', '.join(loaded)}: mark the test that loads it slow")
            session.exitstatus = 1


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A fresh OWNVOICE_HOME for this test."""
    h = tmp_path / "ovhome"
    monkeypatch.setenv("OWNVOICE_HOME", str(h))
    return h


@pytest.fixture
def fake_home(home) -> Path:
    """A temp home whose settings draft with the scripted fake generator and embed with the hashing fake."""
    from ownvoice.assistant.config import Settings, save_settings

    home.mkdir(parents=True, exist_ok=True)
    save_settings(home, Settings(generator_backend=fake_backends.FAKE, embedder_backend=fake_backends.FAKE))
    return home


@pytest.fixture
def script():
    """The fake generator's script, fresh for this test: set ``replies``, read ``prompts`` and ``params``."""
    fresh = fake_backends.Script()
    fake_backends.SCRIPT.__dict__.update(fresh.__dict__)
    return fake_backends.SCRIPT


@pytest.fixture
def fake_app(fake_home, script):
    """An OwnVoice app on a temp home with the fake backends."""
    from ownvoice.assistant.app import OwnVoice

    a = OwnVoice(fake_home)
    yield a
    a.close()


@pytest.fixture
def app(home):
    """An OwnVoice app on the temp home (models are process-cached, so only the first test pays)."""
    from ownvoice.assistant.app import OwnVoice

    a = OwnVoice(home)
    yield a
    a.close()


def _plain(
    sender: str,
    subject: str,
    body: str,
    to: str = "Bob <bob@example.com>",
    charset: str = "utf-8",
    msgid: str = "",
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = "Tue, 04 Mar 2025 10:00:00 +0000"
    if msgid:
        msg["Message-ID"] = msgid
    msg.set_content(body, charset=charset)
    return bytes(msg)


def make_mixed_mbox(path: Path) -> Path:
    """An mbox with the user's mail and others', HTML-only, Latin-1, quoted reply and a signature."""
    me = "Alice Example <alice@example.com>"
    raw: list[bytes] = []
    raw.append(_plain(me, "Lunch", "Hi Bob,\n\nLunch on Friday at noon?\n\nCheers,\nAlice"))
    raw.append(_plain("Bob <bob@example.com>", "Re: Lunch", "Sure!\n\nBob", to=me))
    html = MIMEMultipart("alternative")
    html["From"] = me
    html["To"] = "Carol <carol@example.com>"
    html["Subject"] = "Report"
    html.attach(
        MIMEText(
            "<html><body><p>Hi Carol,</p><p>The report is <b>done</b>.</p>"
            "<p>Cheers,<br>Alice</p><style>p{}</style></body></html>",
            "html",
            "utf-8",
        )
    )
    raw.append(html.as_bytes())
    latin = ("Hi Bob,\n\nThe caf\xe9 on Rue de la Paix is closed, na\xefve me.\n\nCheers,\nAlice").encode(
        "latin-1"
    )
    raw.append(
        b"From: " + me.encode() + b"\nTo: bob@example.com\nSubject: Cafe\n"
        b"Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n" + latin
    )
    raw.append(
        _plain(
            me,
            "Re: Plans",
            "Sounds good, see you there.\n\nCheers,\nAlice\n\n"
            "On Mon, 3 Mar 2025 at 09:00, Bob <bob@example.com> wrote:\n> Shall we meet at 6?\n> Bob\n",
        )
    )
    raw.append(
        _plain(
            me,
            "Signature",
            "Hi Dan,\n\nSee you at the board meeting.\n\nCheers,\nAlice\n-- \n"
            "Alice Example | ACME Corp | +1 555 0100\n",
        )
    )
    raw.append(_plain("Newsletter <news@example.com>", "Weekly news", "Ten things you missed."))
    box = mailbox.mbox(str(path))
    for data in raw:
        box.add(mailbox.mboxMessage(data))
    box.flush()
    box.close()
    return path


@pytest.fixture
def mixed_mbox(tmp_path) -> Path:
    """Path of a generated mixed mbox."""
    return make_mixed_mbox(tmp_path / "mixed.mbox")


@pytest.fixture
def persona_mbox() -> Path:
    """The sample persona mailbox the project ships."""
    return SAMPLES / "persona.mbox"


@pytest.fixture
def persona_app(app, persona_mbox):
    """An app with the sample persona imported and embedded."""
    app.import_paths([persona_mbox], "priya", ["priya@example.org"])
    return app


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> Path:
    """A session-wide cache for the dequantized base model (training tests share it)."""
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="session")
def base_dir(model_cache) -> Path:
    """The embedded GGUF dequantized to safetensors once per session."""
    from ownvoice.adapters.base_model import cached_base_dir
    from ownvoice.assistant.backends.defaults import default_gguf_path

    return cached_base_dir(default_gguf_path(), model_cache)


TEMPLATE_STEPS = 12  # the marker's held-out loss is ~0.003 by step 10 (3.2 before the first)


@pytest.fixture(scope="session")
def trained_template(tmp_path_factory, model_cache):
    """A data home whose 'zeb' profile has one adapter (12 steps on the marker corpus), trained once per
    session."""
    from ownvoice.assistant.app import OwnVoice
    from tests.training_data import marker_mbox

    template = tmp_path_factory.mktemp("trained") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OWNVOICE_CACHE", str(model_cache))
        core = OwnVoice(template)
        core.import_paths([marker_mbox(template.parent / "zeb.mbox")], "zeb")
        outcome = core.train(
            "zeb", steps=TEMPLATE_STEPS, playback_model=False, learning_rate=2e-3, raft_p=0.0
        )
        core.close()
    return template, outcome


@pytest.fixture
def trained_app(trained_template, home, shared_cache):
    """A private copy of the trained home (its own store and adapter files) and the training's outcome
    there."""
    import dataclasses
    import shutil

    from ownvoice.assistant.app import OwnVoice
    from ownvoice.store.adapters import get_adapter

    template, outcome = trained_template
    shutil.copytree(template, home)
    core = OwnVoice(home)
    row = get_adapter(core.db, outcome.adapter_id)
    assert row is not None and Path(row.path).is_relative_to(
        home
    )  # the store keeps home-relative adapter paths
    yield core, dataclasses.replace(outcome, path=row.path)
    core.close()


@pytest.fixture
def shared_cache(model_cache, monkeypatch) -> Path:
    """Point the app's training cache at the session cache."""
    monkeypatch.setenv("OWNVOICE_CACHE", str(model_cache))
    return model_cache


def import_persona_as_default(home: Path, persona_mbox: Path) -> None:
    """Import the sample persona into ``home`` as profile 'priya' and make it the default."""
    from ownvoice.assistant.app import OwnVoice

    pre = OwnVoice(home)
    pre.import_paths([persona_mbox], "priya", ["priya@example.org"])
    pre.settings.default_profile = "priya"
    pre.save_settings()
    pre.close()


@contextmanager
def running_gui(qtbot, home):
    """The desktop app on ``home`` with real widgets; its worker, server and windows stopped afterwards."""
    from ownvoice.ui.app import OwnVoiceGui

    g = OwnVoiceGui(str(home))
    qtbot.addWidget(g.window)
    try:
        yield g
    finally:
        g.runner.wait(60000)
        g.runner.close()
        g.server.close()
        g.window.close()
        g.popup.close()
        g.window.watch.stop()
        g.window.editor.timer.stop()
        g.app.close()
