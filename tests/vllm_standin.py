"""A loopback stand-in for a vLLM server (no vLLM on a CPU-only machine): the part of its API OwnVoice uses.

It speaks vLLM's routes and messages (``/v1/models``, ``/v1/load_lora_adapter`` with ``lora_name`` /
``lora_path`` and its "has already been loaded" refusal, ``/tokenize`` and ``/detokenize``,
``/v1/completions``
with ``"model": <adapter name>``, a bearer API key) and is backed by the real thing underneath: transformers
and peft load each pushed folder exactly as ``PeftModel.load_adapter`` does, and completions are generated
by the base model with that adapter applied. So a folder that peft cannot load, or an adapter that is not
the user's, fails here as it would on the GPU box.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class VllmStandIn:
    """The server: start() on 127.0.0.1 and an ephemeral port, stop() when done."""

    def __init__(self, base_dir: Path, api_key: str, served_name: str = "base", runtime_updates: bool = True):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.served_name = served_name
        self.api_key = api_key
        self.runtime_updates = runtime_updates  # VLLM_ALLOW_RUNTIME_LORA_UPDATING
        self.tokenizer = AutoTokenizer.from_pretrained(str(base_dir))
        self.model = AutoModelForCausalLM.from_pretrained(str(base_dir), dtype=torch.float32).eval()
        self.adapters: dict[str, str] = {}  # name -> path on "the server"
        self.completions: list[str] = []  # the model each completion asked for
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- vLLM's behaviour -------------------------------------------------------------------------
    def load(self, name: str, path: str) -> tuple[int, str]:
        """POST /v1/load_lora_adapter."""
        from peft import PeftModel

        if name in self.adapters:
            return 400, f"The lora adapter '{name}' has already been loaded."
        folder = Path(path)
        if not (folder / "adapter_config.json").is_file():
            return 404, f"No adapter found for {path}"
        with self._lock:
            if isinstance(self.model, PeftModel):
                self.model.load_adapter(str(folder), adapter_name=name)
            else:
                self.model = PeftModel.from_pretrained(self.model, str(folder), adapter_name=name).eval()
        self.adapters[name] = path
        return 200, f"Success: LoRA adapter '{name}' added successfully."

    def models(self) -> dict:
        """GET /v1/models: the base, then every loaded adapter with its parent."""
        data = [{"id": self.served_name, "object": "model", "parent": None}]
        data += [
            {"id": n, "object": "model", "parent": self.served_name, "root": p}
            for n, p in self.adapters.items()
        ]
        return {"object": "list", "data": data}

    def complete(self, body: dict) -> str:
        """The completion text for a /v1/completions body (greedy or sampled, stop strings cut)."""
        import torch

        name = body.get("model") or self.served_name
        if name != self.served_name and name not in self.adapters:
            raise KeyError(name)
        self.completions.append(name)
        ids = self.tokenizer(body["prompt"], return_tensors="pt", add_special_tokens=False)["input_ids"]
        temperature = float(body.get("temperature", 1.0))
        kwargs = {"max_new_tokens": int(body.get("max_tokens") or 16), "do_sample": temperature > 0}
        if temperature > 0:
            kwargs |= {"temperature": temperature, "top_p": float(body.get("top_p", 1.0))}
            torch.manual_seed(int(body.get("seed") or 0))
        kwargs["repetition_penalty"] = float(body.get("repetition_penalty", 1.0))
        with self._lock, torch.no_grad():
            if name == self.served_name:
                if hasattr(self.model, "disable_adapter"):
                    with self.model.disable_adapter():
                        out = self.model.generate(ids, **kwargs)
                else:
                    out = self.model.generate(ids, **kwargs)
            else:
                self.model.set_adapter(name)
                out = self.model.generate(ids, **kwargs)
        text = self.tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True)
        for stop in body.get("stop") or []:
            if stop and stop in text:
                text = text[: text.index(stop)]
        return text

    # -- HTTP ---------------------------------------------------------------------------------------
    def start(self) -> str:
        """Serve in a thread; return the base URL."""
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _send(self, status: int, payload) -> None:
                data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorized(self) -> bool:
                if self.headers.get("Authorization") == f"Bearer {standin.api_key}":
                    return True
                self._send(401, {"error": "Unauthorized"})
                return False

            def do_GET(self) -> None:
                if not self._authorized():
                    return
                if self.path == "/v1/models":
                    self._send(200, standin.models())
                else:
                    self._send(404, {"detail": "Not Found"})

            def do_POST(self) -> None:
                if not self._authorized():
                    return
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                tok = standin.tokenizer
                if self.path == "/v1/load_lora_adapter" and standin.runtime_updates:
                    self._send(*standin.load(body["lora_name"], body["lora_path"]))
                elif self.path == "/tokenize":
                    if "messages" in body:
                        text = tok.apply_chat_template(
                            body["messages"],
                            tokenize=False,
                            add_generation_prompt=body.get("add_generation_prompt"),
                        )
                    else:
                        text = body["prompt"]
                    ids = tok(text, add_special_tokens=bool(body.get("add_special_tokens")))["input_ids"]
                    self._send(200, {"count": len(ids), "max_model_len": 8192, "tokens": ids})
                elif self.path == "/detokenize":
                    self._send(200, {"prompt": tok.decode(body["tokens"])})
                elif self.path == "/v1/completions":
                    try:
                        text = standin.complete(body)
                    except KeyError as exc:
                        self._send(404, {"error": f"The model `{exc.args[0]}` does not exist."})
                        return
                    if not body.get("stream"):
                        self._send(200, {"choices": [{"index": 0, "text": text, "finish_reason": "stop"}]})
                        return
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()
                    try:
                        for piece in [text[i : i + 8] for i in range(0, len(text), 8)]:
                            event = {"choices": [{"index": 0, "text": piece, "finish_reason": None}]}
                            self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                        self.wfile.write(b"data: [DONE]\n\n")
                    except (BrokenPipeError, ConnectionResetError):
                        # the client had enough (a draft stops at its sign-off) and
                        # hung up, as with vLLM
                        pass
                else:
                    self._send(404, {"detail": "Not Found"})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        """Shut the server down."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
