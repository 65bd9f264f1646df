"""The sandbox over loopback HTTP (``telcli sandbox serve``), for curl, the official SDKs and
separate processes.

One port serves every emulated API, told apart by a path prefix in place of the host::

    /twilio/...          -> api.twilio.com        (base URL for the Twilio SDK's ``api`` domain)
    /twilio-pricing/...  -> pricing.twilio.com
    /telnyx/v2/...       -> api.telnyx.com/v2
    /vapi/...            -> api.vapi.ai
    /vapi-control/...    -> a VAPI call's live call control host (the controlUrl the
                            sandbox's VAPI calls carry points here)

Each request runs in its own thread (``ThreadingHTTPServer``) on its own SQLite connection;
HTTP/1.1 keep-alive is supported. Stop it with ``shutdown()`` then ``server_close()``.
"""

from __future__ import annotations

import re
import sys
import time
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from telcli.sandbox import (
    TELNYX_API_HOST,
    TWILIO_API_HOST,
    TWILIO_PRICING_HOST,
    VAPI_API_HOST,
    VAPI_CONTROL_HOST,
)
from telcli.sandbox.app import DropConnection, FaultHook, handle
from telcli.sandbox.state import SandboxState
from telcli.sandbox.wire import json_response

# Longest prefix first: "/twilio-pricing" must win over "/twilio".
PREFIXES: tuple[tuple[str, str], ...] = (
    ("/twilio-pricing", TWILIO_PRICING_HOST),
    ("/twilio", TWILIO_API_HOST),
    ("/telnyx", TELNYX_API_HOST),
    ("/vapi-control", VAPI_CONTROL_HOST),
    ("/vapi", VAPI_API_HOST),
)
# A Host header fit to build this server's URLs from (name or [v6] address, optional port).
_HOST_HEADER = re.compile(r"^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")

LogFn = Callable[[str], None]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _split_prefix(path: str) -> tuple[str, str] | None:
    for prefix, host in PREFIXES:
        if path == prefix or path.startswith(prefix + "/"):
            return host, path[len(prefix) :] or "/"
    return None


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True  # a stuck keep-alive connection never blocks shutdown
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        state: SandboxState,
        *,
        faults: FaultHook | None = None,
        log: LogFn | None = None,
    ) -> None:
        self.state = state
        self.faults = faults
        self.log = log
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up or timed out is routine: nothing is printed (as `webhook
        listen`). Anything else that escaped the handler is one line, not a traceback."""
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):  # reset, broken pipe, timeout
            return
        (self.log or _stderr)(
            f"sandbox: request from {client_address[0]} failed: {type(exc).__name__}: {exc}"
        )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "telcli-sandbox"
    timeout = 60  # idle keep-alive connections end after a minute
    server: SandboxServer

    def _serve(self) -> None:
        split = urlsplit(self.path)
        try:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                body = self._read_chunked()
            else:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length > 0 else b""
        except ValueError:
            self.close_connection = True  # the framing is lost: nothing after it can be read
            self._answer(json_response(400, {"error": "malformed Content-Length or chunk size"}))
            return
        target = _split_prefix(unquote(split.path))
        if target is None:
            response = json_response(
                404,
                {
                    "error": f"no sandbox API under {split.path}",
                    "prefixes": [prefix for prefix, _ in PREFIXES],
                },
            )
        else:
            host, path = target
            try:
                response = handle(
                    self.server.state,
                    self.command,
                    host,
                    path,
                    split.query,
                    dict(self.headers.items()),
                    body,
                    faults=self.server.faults,
                    base_urls=self._base_urls(),
                )
            except DropConnection as exc:
                # faults.Hang: keep the client waiting first (it times out), then hang up.
                time.sleep(getattr(exc, "seconds", 0) or 0)
                self.close_connection = True  # hang up without a word
                return
            except Exception:
                # A bug in the sandbox: always say so, even when requests are not logged.
                (self.server.log or _stderr)(f"sandbox: internal error\n{traceback.format_exc()}")
                response = json_response(500, {"error": "internal error in the telcli sandbox"})
        self._answer(response)

    def _base_urls(self) -> dict[str, str]:
        """Each emulated host's base URL as this client reaches the server (its Host header,
        so a URL the sandbox hands out, such as a VAPI call's controlUrl, has the same origin
        as the base URL the client was given)."""
        host = self.headers.get("Host") or ""
        root = f"http://{host}" if _HOST_HEADER.match(host) else _root(self.server)
        return {name: f"{root}{prefix}" for prefix, name in PREFIXES}

    def _answer(self, response: Any) -> None:
        status, headers, content = response
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)

    def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size < 0:
                raise ValueError(f"negative chunk size {size}")
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()  # the CRLF after each chunk

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args: object) -> None:
        if self.server.log is not None:
            self.server.log(f"sandbox: {self.address_string()} {format % args}")


def make_server(
    host: str,
    port: int,
    db_path: Path,
    *,
    faults: FaultHook | None = None,
    log: LogFn | None = None,
) -> SandboxServer:
    """Bind (port 0 picks a free port) without serving yet: call ``serve_forever()``.

    ``log`` receives one line per request (nothing is logged without it).
    """
    return SandboxServer((host, port), SandboxState(db_path), faults=faults, log=log)


def _root(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    if host in ("0.0.0.0", "", "::"):
        host = "127.0.0.1"
    if isinstance(host, str) and ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def base_urls(server: ThreadingHTTPServer) -> dict[str, str]:
    """The base URL of each emulated API on this server."""
    root = _root(server)
    return {
        "twilio": f"{root}/twilio",
        "twilio_pricing": f"{root}/twilio-pricing",
        "telnyx": f"{root}/telnyx/v2",
        "vapi": f"{root}/vapi",
    }
