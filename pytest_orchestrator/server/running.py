"""Running a context server with uvicorn: in the foreground until SIGTERM or Ctrl-C (``orchestrator
ctx serve``), or in a background thread of this process (the server a recipe starts)."""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING

from ..errors import OrchestratorError

if TYPE_CHECKING:
    import uvicorn
    from starlette.types import ASGIApp

    from .namespace import ServedNamespace

#: How long a background server may take to accept connections.
START_DEADLINE = 30.0


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` (port 0: a free one), or a message naming the address."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # The connections accepted inherit this; asyncio does not set it on the connections of a
    # socket it is handed, and without it each kept-alive request waits for a delayed ACK.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise OrchestratorError(f"cannot listen on {host}:{port}: {exc.strerror}",
                                hint="choose another --port (0 picks a free one)") from None
    sock.listen(512)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def make_server(app: ASGIApp) -> uvicorn.Server:
    """A quiet uvicorn server: no access log, no lifespan, no websockets; the HTTP/1.1 parser
    is h11's (pure Python, always installed with uvicorn)."""
    import uvicorn

    config = uvicorn.Config(app, log_config=None, log_level="warning", access_log=False,
                            lifespan="off", ws="none", http="h11", loop="asyncio",
                            server_header=False)
    return uvicorn.Server(config)


def serve_until_signal(app: ASGIApp, sock: socket.socket,
                       announce: Callable[[], None]) -> str:
    """Call ``announce``, then serve until SIGTERM or SIGINT, then stop gracefully: no new
    connections, every request in flight answered (its write committed) before this returns
    the signal's name. A signal that comes before uvicorn took over stops it as it starts."""
    server = make_server(app)
    received: list[str] = []

    def note(signum: int, frame: FrameType | None) -> None:
        # uvicorn raises the signals it caught again for the handler it found: this one
        received.append(signal.Signals(signum).name)
        server.should_exit = True

    previous = {sig: signal.signal(sig, note) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        announce()
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return received[0] if received else "stop"


class BackgroundServer:
    """A context server in a daemon thread of this process; ``url`` once started."""

    def __init__(self, space: ServedNamespace, token: str, host: str = "127.0.0.1") -> None:
        from .app import make_app

        self.space = space
        self._sock = listening_socket(host, 0)
        self.url = url_of(self._sock)
        self._server = make_server(make_app(space, token, on_stop=self.stop))
        self._thread = threading.Thread(target=self._run, name=f"context server {self.url}",
                                        daemon=True)
        self._failure: BaseException | None = None

    def start(self) -> BackgroundServer:
        """Start serving; return once the server accepts connections (or raise)."""
        self._thread.start()
        deadline = time.monotonic() + START_DEADLINE
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise OrchestratorError(f"the context server at {self.url} did not start: "
                                        f"{self._failure or 'no answer in time'}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Ask the server to stop once the requests in flight are answered."""
        self._server.should_exit = True

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; True when it has."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._sock])
        except BaseException as exc:  # reported by start(); a thread must not raise
            self._failure = exc
        finally:
            self._sock.close()
