"""Who may call the local endpoint: a bearer token private to the user, and loopback-only binding by
default."""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
import socket
from pathlib import Path

TOKEN_FILENAME = "serve-token"


def load_or_create_token(home: Path) -> str:
    """The endpoint's bearer token, made at first start and kept in the data home, readable by the user
    only."""
    path = Path(home) / TOKEN_FILENAME
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    Path(home).mkdir(parents=True, exist_ok=True, mode=0o700)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token + "\n")
    return token


def token_matches(header: str, token: str) -> bool:
    """True when an Authorization header carries ``token`` as a bearer token (constant-time comparison)."""
    scheme, _, given = (header or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def is_loopback(host: str) -> bool:
    """True when every address ``host`` names is a loopback one (127.0.0.0/8, ::1)."""
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return False
    return bool(infos) and all(
        ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos
    )
