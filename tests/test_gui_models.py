"""The Models page with real widgets: the embedded model listed as in use, a catalogue download from a real
loopback server with progress, cancel and resume, a refused corrupt file, and switching the drafting model."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import running_gui
from tests.gguf_files import write_gguf
from tests.test_model_download import FileServer

pytestmark = pytest.mark.slow  # the whole desktop app (its core loads the real models on demand)


@pytest.fixture
def server(tmp_path):
    s = FileServer(
        write_gguf(tmp_path / "src" / "m.gguf", arch="qwen2", name="Tiny Qwen", rows=40_000).read_bytes()
    )
    yield s
    s.close()


def _select(page, title: str) -> None:
    row = next(i for i in range(page.catalogue.rowCount()) if page.catalogue.item(i, 0).text() == title)
    page.catalogue.selectRow(row)


def test_models_page_downloads_resumes_refuses_and_switches(qtbot, home, server):
    with running_gui(qtbot, home) as g:
        win = g.window
        page = win.models
        win.tabs.setCurrentWidget(page)
        qtbot.waitUntil(lambda: page.models.rowCount() == 1, timeout=30000)
        assert page.models.item(0, 0).text() == "●" and "SmolLM2" in page.models.item(0, 1).text()
        fit = [page.catalogue.item(i, 4).text() for i in range(page.catalogue.rowCount())]
        assert len(fit) >= 8 and any(f.startswith("Recommended") for f in fit)

        # a download cancelled half-way keeps its part; the next one resumes it
        _select(page, "Qwen2.5 0.5B Instruct")
        server.slow_s = 0.003
        page.download(server.url)
        assert not page.download_btn.isEnabled() and page.cancel_btn.isEnabled()
        qtbot.waitUntil(lambda: page.bar.value() > page.bar.maximum() // 3, timeout=30000)
        page.cancel_btn.click()
        qtbot.waitUntil(lambda: page.op is None, timeout=30000)
        assert "paused" in page.status.text() and page.download_btn.isEnabled()
        server.slow_s = 0
        page.download(server.url)
        qtbot.waitUntil(lambda: page.op is None, timeout=30000)
        assert page.status.text().startswith("Resumed and finished Tiny Qwen"), page.status.text()
        assert server.ranges[-1].startswith("bytes=") and server.ranges[-1] != "bytes=0-"
        qtbot.waitUntil(lambda: page.models.rowCount() == 2, timeout=30000)
        assert page.models.item(1, 1).text() == "Tiny Qwen" and page.models.item(1, 2).text() == "qwen2"

        # a file that does not match its published sha256 is refused and said so
        server.corrupt = True
        _select(
            page, "Llama 3.2 1B Instruct"
        )  # the catalogue pins this one's sha256: the server's file fails it
        page.download(server.url)
        qtbot.waitUntil(lambda: page.op is None, timeout=30000)
        assert "does not match its published sha256" in page.status.text()
        assert page.models.rowCount() == 2

        # drafting switches to the downloaded model, and the status area says so
        page.models.selectRow(1)
        page.use_selected()
        assert Path(g.app.model_path).name == "qwen2.5-0.5b-instruct-q4_k_m.gguf"
        qtbot.waitUntil(lambda: page.models.item(1, 0).text() == "●", timeout=30000)
        assert page.models.item(0, 0).text() == ""
        assert g.app.settings.model_path == g.app.model_path
        qtbot.waitUntil(lambda: not g.runner.busy, timeout=30000)
