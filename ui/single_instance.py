"""Single instance: the first OwnVoice GUI listens on a local socket; later launches send it a
command ('show' or 'quick') and exit. The socket name is per user and per data home."""

from __future__ import annotations

import getpass
import hashlib
from typing import Optional

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

COMMANDS = ("show", "quick")


def server_name(home: str) -> str:
    """Local socket name for a user's data home."""
    digest = hashlib.sha1(str(home).encode()).hexdigest()[:10]
    return f"ownvoice-{getpass.getuser()}-{digest}"


def send_command(home: str, command: str, timeout_ms: int = 1500) -> bool:
    """Send a command to a running instance; False when none is running."""
    sock = QLocalSocket()
    sock.connectToServer(server_name(home))
    if not sock.waitForConnected(timeout_ms):
        return False
    sock.write(command.encode() + b"\n")
    sock.flush()
    sock.waitForBytesWritten(timeout_ms)
    sock.disconnectFromServer()
    return True


class InstanceServer(QObject):
    """Listens for commands from later launches (Qt thread)."""

    command = Signal(str)

    def __init__(self, home: str, parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        name = server_name(home)
        if not self.server.listen(name):
            QLocalServer.removeServer(name)  # a stale socket left by a crash
            self.server.listen(name)
        self.server.newConnection.connect(self._accept)

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            sock = self.server.nextPendingConnection()
            sock.readyRead.connect(lambda s=sock: self._read(s))

    def _read(self, sock: QLocalSocket) -> None:
        for line in bytes(sock.readAll().data()).decode(errors="replace").split():
            if line in COMMANDS:
                self.command.emit(line)

    def close(self) -> None:
        """Stop listening."""
        self.server.close()
