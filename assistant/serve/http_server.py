"""``ownvoice serve``: an OpenAI-compatible endpoint whose completions are OwnVoice drafts.

Design decisions:
- One core (``OwnVoice``) for the server's life; request threads share it (the store connection
  serializes them) and drafts run one at a time under a lock, since one llama.cpp context drafts.
  A request that waits says nothing; it is simply answered after the one before it.
- Every request needs the bearer token (``auth.load_or_create_token``); the server binds loopback
  only unless the caller passes both an explicit token and ``allow_remote``. No CORS headers are
  ever sent, so a web page cannot read answers from it.
- Streaming (``stream: true``) sends the *checked* draft: OwnVoice tries up to four candidates and
  checks the facts of each before choosing, so text a client has already shown would otherwise be
  taken back. While it drafts, SSE comment lines keep the connection alive; then the draft comes in
  ``chat.completion.chunk`` pieces and ``data: [DONE]``.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional

from ownvoice.assistant.errors import InputError, OwnVoiceError, ProfileError

from .auth import is_loopback, token_matches
from .chat import ChatError, chunks, completion, read_chat

MAX_BODY_BYTES = 1_000_000
KEEPALIVE_S = 1.0
ACCEPT_PATH = "/v1/ownvoice/accept"  # report that the user kept a draft (and what they changed)


class DraftService:
    """What the endpoint does, without HTTP: list profiles, draft for a chat request (any thread)."""

    def __init__(self, core, profile: Optional[str] = None) -> None:
        self.core = core
        self.profile = profile or core.settings.default_profile
        self.core.profile(self.profile)  # a clear error at start when the profile does not exist
        self._draft_lock = threading.Lock()

    def models(self) -> dict:
        """The /v1/models answer: every profile is a model."""
        names = [p.name for p in self.core.list_profiles()]
        return {
            "object": "list",
            "data": [{"id": n, "object": "model", "owned_by": "ownvoice"} for n in names],
        }

    def draft(self, body, on_update=None):
        """(chat request as read, DraftResult) for a chat-completions body."""
        chat = read_chat(body)
        name = chat.profile if chat.profile and chat.profile != "ownvoice" else self.profile
        try:
            self.core.profile(name)
        except ProfileError as exc:
            raise ChatError(404, str(exc), "model_not_found") from exc
        with self._draft_lock:  # one llama.cpp context: one draft at a time
            try:
                return chat, name, self.core.draft(chat.request, name, on_update=on_update)
            except InputError as exc:
                raise ChatError(400, str(exc)) from exc
            except OwnVoiceError as exc:
                raise ChatError(503, str(exc), "ownvoice_error") from exc

    def accept(self, body) -> dict:
        """The user kept a draft (as generated, or their edited ``final_text``): it becomes their writing and
        teaches OwnVoice (learning curve, exemplars, preference pairs). Body: generation_id, final_text."""
        if not isinstance(body, dict) or not isinstance(body.get("generation_id"), int):
            raise ChatError(
                400, "give the draft's generation_id (an integer, from the draft's 'ownvoice' part)"
            )
        final = body.get("final_text")
        if final is not None and not isinstance(final, str):
            raise ChatError(400, "final_text must be the text the user kept")
        try:
            doc_id = self.core.accept_generation(
                body["generation_id"], final, subject=str(body.get("subject", ""))
            )
        except InputError as exc:
            raise ChatError(404, str(exc), "not_found") from exc
        return {"generation_id": body["generation_id"], "document_id": doc_id, "accepted": True}


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        if self.server.verbose:
            super().log_message(format, *args)

    # -- replies ------------------------------------------------------------------------------------
    def _json(self, status: int, obj: dict, headers: Optional[dict] = None) -> None:
        data = json.dumps(obj).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, code: str = "invalid_request_error") -> None:
        extra = {"WWW-Authenticate": 'Bearer realm="ownvoice"'} if status == 401 else None
        self._json(status, {"error": {"message": message, "type": code, "code": code}}, extra)

    def _authorised(self) -> bool:
        if token_matches(self.headers.get("Authorization", ""), self.server.token):
            return True
        self._error(401, "a bearer token is required (ownvoice serve --show-token prints it)", "unauthorized")
        return False

    # -- routes -------------------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802 - the base class's name
        if not self._authorised():
            return
        if self.path.rstrip("/") == "/v1/models":
            self._json(200, self.server.service.models())
        else:
            self._error(404, f"no such endpoint: {self.path}", "not_found")

    def do_POST(self) -> None:  # noqa: N802 - the base class's name
        if not self._authorised():
            return
        route = self.path.rstrip("/")
        if route not in ("/v1/chat/completions", ACCEPT_PATH):
            self._error(404, f"no such endpoint: {self.path}", "not_found")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 < length <= MAX_BODY_BYTES:
            self._error(
                413 if length > MAX_BODY_BYTES else 400, f"the body must be 1 to {MAX_BODY_BYTES:,} bytes"
            )
            return
        try:
            body = json.loads(self.rfile.read(length))
        except (json.JSONDecodeError, UnicodeDecodeError):
            self._error(400, "the body is not valid JSON")
            return
        if route == ACCEPT_PATH:
            try:
                self._json(200, self.server.service.accept(body))
            except ChatError as exc:
                self._error(exc.status, str(exc), exc.code)
            return
        stream = isinstance(body, dict) and bool(body.get("stream"))
        if stream:
            self._stream(body)
            return
        try:
            _, name, result = self.server.service.draft(body)
        except ChatError as exc:
            self._error(exc.status, str(exc), exc.code)
            return
        self._json(200, completion(result, name))

    def _stream(self, body: dict) -> None:
        started = False
        last = [0.0]

        def start() -> None:
            nonlocal started
            if not started:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                started = True

        def keepalive(_text: str) -> None:
            now = time.monotonic()
            if now - last[0] >= KEEPALIVE_S:
                start()
                self.wfile.write(b": drafting\n\n")
                self.wfile.flush()
                last[0] = now

        try:
            _, name, result = self.server.service.draft(body, on_update=keepalive)
        except ChatError as exc:
            if not started:
                self._error(exc.status, str(exc), exc.code)
                return
            payload = {"error": {"message": str(exc), "type": exc.code, "code": exc.code}}
            self.wfile.write(f"data: {json.dumps(payload)}\n\ndata: [DONE]\n\n".encode())
            self.close_connection = True
            return
        start()
        for piece in chunks(result, name):
            self.wfile.write(f"data: {json.dumps(piece)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, service: DraftService, token: str, verbose: bool = False) -> None:
        super().__init__(address, _Handler)
        self.service, self.token, self.verbose = service, token, verbose


def make_server(
    service: DraftService,
    token: str,
    host: str = "127.0.0.1",
    port: int = 8765,
    allow_remote: bool = False,
    explicit_token: bool = False,
    verbose: bool = False,
) -> _Server:
    """The HTTP server (not started); OwnVoiceError when the address may not be bound."""
    if not is_loopback(host) and not (allow_remote and explicit_token):
        raise OwnVoiceError(
            f"refusing to listen on {host}: other machines could reach your drafts. "
            "Use the default 127.0.0.1, or pass both --token and --allow-remote if you really mean it"
        )
    try:
        return _Server((host, port), service, token, verbose)
    except OSError as exc:
        raise OwnVoiceError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from exc
