"""Model manager: catalogue fit, downloads from a real HTTP server on 127.0.0.1 (redirect with a published
sha256 as Hugging Face does, interrupt and resume, cancel and resume, corrupt file refused, offline), and
`ownvoice models` download / use / list --json."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ownvoice.assistant.cli import main
from ownvoice.assistant.errors import Cancelled, ModelError
from ownvoice.assistant.jobs import CancelToken
from ownvoice.assistant.model_catalog import CATALOGUE, Machine, catalogue_entry, fit
from ownvoice.assistant.model_download import download
from tests.gguf_files import write_gguf


class FileServer:
    """Serves one GGUF like a model hub: /resolve/F redirects (302, X-Linked-Etag = sha256) to /cdn/F, which
    honours Range; switches to break the connection part-way, ignore ranges, or serve corrupt bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.sha = hashlib.sha256(data).hexdigest()
        self.cut_at = 0  # > 0: close the connection after this many bytes of the body
        self.ignore_range = False
        self.corrupt = False
        self.publish_sha = True
        self.ranges: list[str] = []
        self.slow_s = 0.0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                if self.path.startswith("/resolve/"):
                    self.send_response(302)
                    self.send_header("Location", "/cdn/" + self.path.split("/", 2)[2])
                    if outer.publish_sha:
                        self.send_header("X-Linked-Etag", f'"{outer.sha}"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if not self.path.startswith("/cdn/"):
                    self.send_error(404)
                    return
                body = bytearray(outer.data)
                if outer.corrupt:
                    body[len(body) // 2] ^= 0xFF
                rng = self.headers.get("Range")
                outer.ranges.append(rng or "")
                start = 0
                if rng and not outer.ignore_range:
                    start = int(rng.removeprefix("bytes=").split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                payload = bytes(body[start:])
                if outer.cut_at:
                    self.wfile.write(payload[: outer.cut_at])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                for i in range(0, len(payload), 4096):
                    self.wfile.write(payload[i : i + 4096])
                    if outer.slow_s:
                        import time

                        time.sleep(outer.slow_s)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/resolve/model.gguf"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gguf_bytes(tmp_path) -> bytes:
    return write_gguf(
        tmp_path / "src" / "tiny.gguf", arch="qwen2", name="Tiny Qwen", rows=20_000
    ).read_bytes()


@pytest.fixture
def server(gguf_bytes):
    s = FileServer(gguf_bytes)
    yield s
    s.close()


def test_download_follows_the_hub_redirect_and_checks_the_published_sha256(server, tmp_path):
    events = []
    done = download(server.url, tmp_path / "m.gguf", progress=events.append)
    assert done.sha256 == server.sha and not done.resumed
    assert (tmp_path / "m.gguf").read_bytes() == server.data
    assert not list(tmp_path.glob("*.part*"))
    steps = [e for e in events if e.stage == "download"]
    assert steps[-1].done == steps[-1].total == len(server.data) and len(steps) > 2
    assert [e.stage for e in events][-1] == "verify"


def test_an_interrupted_download_resumes_where_it_stopped(server, tmp_path):
    server.cut_at = 300_000
    with pytest.raises(ModelError, match="run the same download again to resume|run it again to resume"):
        download(server.url, tmp_path / "m.gguf")
    part = tmp_path / "m.gguf.part"
    assert part.stat().st_size == 300_000 and not (tmp_path / "m.gguf").exists()
    server.cut_at = 0
    done = download(server.url, tmp_path / "m.gguf")
    assert server.ranges[-1] == "bytes=300000-"
    assert done.resumed and done.fetched_bytes == len(server.data) - 300_000
    assert (tmp_path / "m.gguf").read_bytes() == server.data


def test_a_cancelled_download_keeps_its_part_and_resumes(server, tmp_path):
    server.slow_s = 0.002
    cancel = CancelToken()

    def stop_half_way(event) -> None:
        if event.stage == "download" and event.done > len(server.data) // 2:
            cancel.cancel()

    with pytest.raises(Cancelled, match="run it again to resume"):
        download(server.url, tmp_path / "m.gguf", progress=stop_half_way, cancel=cancel)
    kept = (tmp_path / "m.gguf.part").stat().st_size
    assert 0 < kept < len(server.data)
    server.slow_s = 0
    done = download(server.url, tmp_path / "m.gguf")
    assert done.resumed and server.ranges[-1] == f"bytes={kept}-"
    assert done.sha256 == server.sha


def test_a_server_that_ignores_the_range_starts_the_file_again(server, tmp_path):
    server.cut_at = 100_000
    with pytest.raises(ModelError):
        download(server.url, tmp_path / "m.gguf")
    server.cut_at, server.ignore_range = 0, True
    done = download(server.url, tmp_path / "m.gguf")
    assert not done.resumed and done.fetched_bytes == len(server.data)
    assert (tmp_path / "m.gguf").read_bytes() == server.data


def test_a_corrupt_download_is_refused_and_deleted(server, tmp_path):
    server.corrupt = True
    with pytest.raises(ModelError, match="does not match its published sha256"):
        download(server.url, tmp_path / "m.gguf")
    assert not list(tmp_path.glob("m.gguf*"))
    # a pinned checksum is checked too, whatever the server says
    server.corrupt = False
    with pytest.raises(ModelError, match="does not match"):
        download(server.url, tmp_path / "m.gguf", sha256="0" * 64)


def test_nothing_is_kept_without_a_checksum_to_verify(server, tmp_path):
    server.publish_sha = False
    with pytest.raises(ModelError, match="no checksum to verify"):
        download(server.url, tmp_path / "m.gguf")
    assert not (tmp_path / "m.gguf").exists()
    # with the catalogue's pinned sha256 the same server is fine
    assert download(server.url, tmp_path / "m.gguf", sha256=server.sha).sha256 == server.sha


def test_offline_is_a_clear_error(tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    with pytest.raises(ModelError, match="are you offline"):
        download(f"http://127.0.0.1:{port}/resolve/model.gguf", tmp_path / "m.gguf")


def test_catalogue_fit_follows_memory_gpu_and_cores():
    llama1b = catalogue_entry("llama3.2-1b")
    mistral = catalogue_entry("mistral-7b")
    assert llama1b.ram_gb == pytest.approx(807_694_464 / (1 << 30) + 1.0, abs=0.05)
    assert fit(llama1b, Machine(ram_available_gb=20, cores=2)).recommended
    small_box = fit(mistral, Machine(ram_available_gb=20, cores=2))
    assert small_box.usable and not small_box.recommended and "slow on 2 CPU cores" in small_box.reason
    assert fit(mistral, Machine(ram_available_gb=20, cores=12)).recommended
    assert not fit(mistral, Machine(ram_available_gb=3, cores=12)).usable
    assert fit(mistral, Machine(ram_available_gb=3, cores=2, vram_gb=24)).recommended  # on the GPU
    assert all(e.url.startswith(("https://", "pypi:")) and e.licence for e in CATALOGUE)
    with pytest.raises(ModelError, match="no model called 'nope'"):
        catalogue_entry("nope")


def test_cli_download_use_and_list_json(home, server, capsys):
    assert main(["models", "download", "qwen2.5-0.5b", "--url", server.url, "--use", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["sha256"] == server.sha and Path(got["path"]).parent == home / "models"
    assert main(["models", "list", "--json"]) == 0
    models = json.loads(capsys.readouterr().out)
    assert models[0]["default"] and models[0]["architecture"] == "llama" and models[0]["quant"] == "Q4_1"
    assert 0.1e9 < models[0]["parameters"] < 0.2e9 and len(models[0]["sha256"]) == 64
    added = models[1]
    assert added["active"] and not models[0]["active"]  # --use switched drafting to it
    assert added["architecture"] == "qwen2" and added["name"] == "Tiny Qwen" and added["quant"] == "ALL_F32"
    assert added["parameters"] == 20_000 * 32 + 32 and added["sha256"] == server.sha
    assert added["size"] == len(server.data) and added["adapters"] == {}
    # back to the embedded model
    assert main(["models", "use", models[0]["path"]]) == 0
    capsys.readouterr()
    assert main(["models", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["active"]


def test_cli_download_errors_are_one_line(home, server, capsys):
    server.corrupt = True
    assert main(["models", "download", "qwen2.5-0.5b", "--url", server.url]) == 2
    err = capsys.readouterr().err
    assert "does not match its published sha256" in err and "Traceback" not in err
    assert main(["models", "download", "smollm2-135m"]) == 2
    assert "ships with OwnVoice" in capsys.readouterr().err
    assert main(["models", "use", str(home / "nothing.gguf")]) == 2
    assert "model file not found" in capsys.readouterr().err
