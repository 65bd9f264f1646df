"""An in-test webhook receiver on loopback: records every request exactly as it arrived and
answers through a pluggable ``decide`` function (e.g. verify a signature like a real app)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    method: str
    path: str  # raw request target, byte for byte as sent
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


Decide = Callable[[Received], tuple[int, bytes]]


class QuietHTTPServer(ThreadingHTTPServer):
    """A test server that keeps its handlers' errors in ``errors`` instead of printing them.
    A handler can outlive its test (a client that hung up long ago, a slow answer to a killed
    process), and a traceback printed from that thread lands in whatever another test's
    CliRunner is capturing as sys.stderr at that moment."""

    daemon_threads = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.errors: list[BaseException | None] = []
        super().__init__(*args, **kwargs)

    def handle_error(self, request: Any, client_address: Any) -> None:
        self.errors.append(sys.exc_info()[1])


class Receiver:
    def __init__(self, decide: Decide | None = None) -> None:
        self.requests: list[Received] = []
        self.decide: Decide = decide or (lambda r: (200, b"ok"))
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _any(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(size) if size else b""
                got = Received(self.command, self.path, list(self.headers.items()), body)
                receiver.requests.append(got)
                status, answer = receiver.decide(got)
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.send_header("X-Receiver", "test")
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = do_PUT = do_DELETE = _any

        self.server = QuietHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def dead_url() -> str:
    """A loopback URL nothing listens on (a port just released)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
