"""The capture server behind ``webhook listen``: record every request, optionally forward it.

A stdlib ``ThreadingHTTPServer`` on loopback. Each request is read whole (Content-Length or
chunked), forwarded byte for byte when a target is set (method, path and query, body, every
header except hop-by-hop ones; the original Host is kept so the receiver reconstructs the
URL the provider signed), and stored together with the receiver's answer *before* the
sender gets its response: whatever a sender saw answered is in the store. Storage runs on
one writer thread that commits in batches, so SQLite is never the bottleneck; stopping
waits for requests in flight and drains the writer, so Ctrl-C loses nothing.
"""

from __future__ import annotations

import contextlib
import queue
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from telcli.services.webhooks import end_to_end, label, request_problem
from telcli.storage.captures import Capture, CapturedResponse, CaptureStore, utc_now

MAX_BODY = 64 * 1024 * 1024  # refuse bigger bodies (413) rather than exhaust memory
# Bodies held in memory at once, across all connections: a request whose body does not fit
# waits for others to be stored (its sender is held by TCP), then gets 503 + Retry-After.
BODY_BUDGET = MAX_BODY
BUDGET_WAIT = 30.0
# A request's line and headers must arrive within this long (slowloris), and at most this
# many connections are served at once (one thread each); more are closed at once.
HEADER_TIMEOUT = 10.0
MAX_CONNECTIONS = 256
_SKIP_BACK = frozenset({"content-length", "date", "server"})
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")
_DIGITS = re.compile(r"[0-9]{1,20}")


class BadBody(Exception):
    """The request body cannot be accepted: ``status`` says how (400, 413 or 503)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class _Budget:
    """Bytes of request bodies in memory across all connections (see BODY_BUDGET)."""

    def __init__(self, limit: int) -> None:
        self.limit, self.used = limit, 0
        self._cond = threading.Condition()

    def take(self, size: int) -> None:
        deadline = time.monotonic() + BUDGET_WAIT
        with self._cond:
            while self.used + size > self.limit:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise BadBody(503, "too many large bodies at once; retry shortly")
                self._cond.wait(left)
            self.used += size

    def give(self, size: int) -> None:
        if size:
            with self._cond:
                self.used -= size
                self._cond.notify_all()


@dataclass
class _Pending:
    capture: Capture
    done: threading.Event = field(default_factory=threading.Event)
    stored: Capture | None = None
    error: str | None = None


class _Writer(threading.Thread):
    """The one thread that writes captures: batches of up to 500 per transaction."""

    def __init__(self, db_path: Path) -> None:
        super().__init__(name="telcli-capture-writer", daemon=True)
        self.db_path = db_path
        self.inbox: queue.Queue[_Pending | None] = queue.Queue()
        self.failure: str | None = None
        self.stopped = False

    def run(self) -> None:
        from telcli.storage.state import StateDB

        db = StateDB(self.db_path)
        store = CaptureStore(db)
        stop = False
        try:
            while not stop:
                item = self.inbox.get()
                batch: list[_Pending] = []
                if item is None:
                    stop = True
                else:
                    batch.append(item)
                while len(batch) < 500:
                    try:
                        more = self.inbox.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        stop = True
                        continue
                    batch.append(more)
                if batch:
                    self._write(store, batch)
        finally:
            db.close()

    def _write(self, store: CaptureStore, batch: list[_Pending]) -> None:
        try:
            stored = store.add_many([p.capture for p in batch])
        except Exception as exc:  # the DB failed: every sender in the batch is told (500)
            self.failure = f"cannot store captures: {exc}"
            for p in batch:
                p.error = self.failure
                p.done.set()
            return
        for p, s in zip(batch, stored, strict=True):
            p.stored = s
            p.done.set()

    def put(self, capture: Capture) -> _Pending:
        pending = _Pending(capture)
        if self.stopped:  # a late request on a kept-alive connection after Ctrl-C
            pending.error = "telcli is shutting down"
            pending.done.set()
            return pending
        self.inbox.put(pending)
        return pending


@dataclass(frozen=True, slots=True)
class ListenEvent:
    """One handled request, for the CLI's line on stderr / NDJSON on stdout."""

    capture: Capture | None
    status: int
    error: str | None = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: providers and load tools reuse connections
    timeout = 60  # an idle keep-alive connection is closed after this long
    server: CaptureServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def handle_one_request(self) -> None:
        # The request line and headers must arrive within HEADER_TIMEOUT (CaptureServer's
        # service_actions closes the connection otherwise); the body then has `timeout`
        # seconds per read.
        self.server.watch(self.connection)
        try:
            super().handle_one_request()
        finally:
            self.server.unwatch(self.connection)

    def _read_exactly(self, size: int) -> bytes:
        data = self.rfile.read(size)
        if len(data) < size:
            raise BadBody(400, f"body ended after {len(data)} of {size} bytes")
        return data

    def _read_body(self) -> bytes:
        """The whole body, its size taken from the server's budget (given back by _handle).
        Raises BadBody: 400 malformed or cut short, 413 over MAX_BODY, 503 budget exhausted."""
        encoding = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in encoding:
            chunks = bytearray()
            while True:
                line = self.rfile.readline(1024)
                field = line.split(b";")[0].strip()
                if not _CHUNK_SIZE.fullmatch(field):
                    raise BadBody(400, f"bad chunk size {field[:20]!r}")
                size = int(field, 16)
                if size == 0:
                    while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(chunks)
                if len(chunks) + size > MAX_BODY:
                    raise BadBody(413, f"body over {MAX_BODY} bytes")
                self.server.budget.take(size)
                self._taken += size
                chunks += self._read_exactly(size)
                self.rfile.readline(8)
        length = (self.headers.get("Content-Length") or "").strip()
        if not length:
            return b""
        if not _DIGITS.fullmatch(length):
            raise BadBody(400, f"bad Content-Length {length[:20]!r}")
        size = int(length)
        if size > MAX_BODY:
            raise BadBody(413, f"body over {MAX_BODY} bytes")
        self.server.budget.take(size)
        self._taken += size
        return self._read_exactly(size)

    def _url(self, host: str) -> str | None:
        """The URL the sender requested; None for a target that is not a path or a URL."""
        target = self.path
        if target.startswith(("http://", "https://")):  # absolute-form (RFC 9112 §3.2.2)
            # One that could not be sent again (`http://[::1`) is refused, not stored.
            return None if request_problem(self.command, target) else target
        if not target.startswith("/"):
            return None
        # Behind a TLS-terminating tunnel (ngrok, cloudflared) the provider requested
        # https: record the URL it signed, not the loopback hop's scheme.
        proto = (self.headers.get("X-Forwarded-Proto") or "").split(",")[0].strip().lower()
        scheme = proto if proto in ("http", "https") else "http"
        return f"{scheme}://{host}{target}"

    def _handle(self) -> None:
        server = self.server
        server.unwatch(self.connection)  # the headers are in: the body has `timeout` per read
        server.enter()
        self._taken = 0
        try:
            host = self.headers.get("Host") or f"{server.host}:{server.port}"
            url = self._url(host)
            try:
                if url is None:
                    raise BadBody(400, f"bad request target {self.path[:40]!r}")
                body = self._read_body()
            except BadBody as bad:
                # Not stored: a cut-short or refused body is not what the sender meant.
                extra = (("Retry-After", "5"),) if bad.status == 503 else ()
                self.close_connection = True
                self._answer(bad.status, extra, f"telcli: {bad.reason}\n".encode())
                server.report(ListenEvent(None, bad.status, bad.reason))
                return
            headers = tuple(self.headers.items())
            capture = Capture(
                method=self.command,
                url=url,
                headers=headers,
                body=body,
                received_at=utc_now(),
                source="listen",
            )
            capture = label(capture, server.provider)
            status, back_body = 200, b""
            back_headers: tuple[tuple[str, str], ...] = ()
            if server.forward_to:
                response = server.forward(capture)
                capture = replace(capture, forwarded_to=server.target(capture), response=response)
                if response.error is None and response.status is not None:
                    status, back_headers, back_body = (
                        response.status,
                        response.headers,
                        response.body,
                    )
                else:
                    status, back_body = 502, f"telcli: forward failed: {response.error}\n".encode()
            pending = server.writer.put(capture)
            pending.done.wait()
            if pending.error is not None:
                self._answer(500, (), b"telcli: capture not stored\n")
                server.report(ListenEvent(None, 500, pending.error))
                return
            self._answer(status, back_headers, back_body)
            server.report(
                ListenEvent(
                    pending.stored, status, capture.response.error if capture.response else None
                )
            )
        finally:
            server.budget.give(self._taken)
            if server.closing:
                self.close_connection = True
            server.leave()

    def _answer(self, status: int, headers: tuple[tuple[str, str], ...], body: bytes) -> None:
        self.send_response_only(status)
        for name, value in end_to_end(headers):
            if name.lower() not in _SKIP_BACK:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self.server.closing or self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle


class CaptureServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self,
        db_path: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        forward_to: str | None = None,
        provider: str | None = None,
        on_event: Callable[[ListenEvent], None] | None = None,
        timeout: float = 30.0,
        transport: Any = None,
    ) -> None:
        super().__init__((host, port), _Handler)
        self.host, self.port = str(self.server_address[0]), int(self.server_address[1])
        self.forward_to = forward_to
        self.provider = provider
        self.on_event = on_event
        self.closing = False
        self.budget = _Budget(BODY_BUDGET)
        self._connections = 0
        self._watched: dict[socket.socket, float] = {}
        self._watch_lock = threading.Lock()
        self._in_flight = 0
        self._idle = threading.Condition()
        self._report_lock = threading.Lock()
        self.writer = _Writer(db_path)
        self.writer.start()
        self._thread: threading.Thread | None = None
        self._client: Any = None
        if forward_to:
            import httpx

            from telcli.services.replay import target_url

            # A bad --forward-to is a usage error now, not a failure per request.
            target_url(forward_to, "/", flag="--forward-to")
            self._client = httpx.Client(
                transport=transport,
                timeout=timeout,
                follow_redirects=False,
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
            )

    # --- bookkeeping -------------------------------------------------------------------

    def enter(self) -> None:
        with self._idle:
            self._in_flight += 1

    def leave(self) -> None:
        with self._idle:
            self._in_flight -= 1
            self._idle.notify_all()

    def report(self, event: ListenEvent) -> None:
        if self.on_event is not None:
            with self._report_lock:
                self.on_event(event)

    # --- connections: a bounded number, and headers within HEADER_TIMEOUT ------------------

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._watch_lock:
            full = self._connections >= MAX_CONNECTIONS
            if not full:
                self._connections += 1
        if full:  # one thread per connection: refuse rather than grow without bound
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._watch_lock:
                self._connections -= 1

    def watch(self, conn: socket.socket) -> None:
        with self._watch_lock:
            self._watched[conn] = time.monotonic() + HEADER_TIMEOUT

    def unwatch(self, conn: socket.socket) -> None:
        with self._watch_lock:
            self._watched.pop(conn, None)

    def service_actions(self) -> None:
        """Called by serve_forever about twice a second: drop connections whose request line
        and headers did not arrive in time (a trickle of bytes resets no deadline)."""
        now = time.monotonic()
        with self._watch_lock:
            late = [c for c, deadline in self._watched.items() if deadline < now]
            for conn in late:
                del self._watched[conn]
        for conn in late:
            with contextlib.suppress(OSError):  # already gone
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A sender that hung up or timed out is routine; anything else is one line, not a
        traceback per request."""
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):  # reset, broken pipe, timeout, shut down by service_actions
            return
        self.report(ListenEvent(None, 500, f"internal error: {type(exc).__name__}: {exc}"))

    # --- forwarding --------------------------------------------------------------------

    def target(self, capture: Capture) -> str:
        from telcli.services.replay import target_url

        assert self.forward_to is not None
        return target_url(self.forward_to, capture.url)

    def forward(self, capture: Capture) -> CapturedResponse:
        import httpx

        from telcli.services.replay import wire_bytes

        headers = [
            (wire_bytes(n), wire_bytes(v)) for n, v in end_to_end(capture.headers)
        ]  # a chunked body arrives without Content-Length; httpx then adds the right one
        request = httpx.Request(
            capture.method, self.target(capture), headers=headers, content=capture.body
        )
        start = time.perf_counter()
        try:
            response = self._client.send(request, stream=True)
            try:
                raw = b"".join(response.iter_raw())  # as sent: no decompression
            finally:
                response.close()
        except httpx.HTTPError as exc:
            from telcli.services.replay import _error_text

            return CapturedResponse(
                None,
                latency_ms=(time.perf_counter() - start) * 1000,
                error=_error_text(exc, request.url),
            )
        latency = (time.perf_counter() - start) * 1000
        back = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw)
        return CapturedResponse(response.status_code, back, raw, latency)

    # --- life cycle --------------------------------------------------------------------

    def start(self) -> CaptureServer:
        self._thread = threading.Thread(
            target=self.serve_forever, name="telcli-listen", daemon=True
        )
        self._thread.start()
        return self

    def stop(self, *, grace: float = 30.0) -> None:
        """Stop accepting, let requests in flight finish (up to ``grace`` seconds), store
        everything queued, then close."""
        self.closing = True
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
        deadline = time.monotonic() + grace
        with self._idle:
            while self._in_flight and time.monotonic() < deadline:
                self._idle.wait(0.1)
        self.writer.stopped = True
        self.writer.inbox.put(None)
        self.writer.join()
        self.server_close()
        if self._client is not None:
            self._client.close()

    def __enter__(self) -> CaptureServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
