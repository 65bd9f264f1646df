"""The capture server against hostile or broken senders (issue 12, item 2): raw sockets, no
client library smoothing anything over. Every case checks that the listener keeps serving."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from telcli.services import listen
from telcli.services.listen import CaptureServer
from telcli.storage.captures import CaptureFilter, CaptureStore
from telcli.storage.state import StateDB


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "state.db"
    StateDB(path).conn  # noqa: B018
    return path


def _exchange(port: int, data: bytes, *, half_close: bool = True, timeout: float = 10) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        chunks = []
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
        except (ConnectionResetError, TimeoutError):
            pass
    return b"".join(chunks)


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def _ok(port: int) -> None:
    """The listener still serves a well-formed request."""
    answer = _exchange(
        port, b"POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"
    )
    assert _status(answer) == 200


def _stored(db_path: Path) -> list:
    return CaptureStore(StateDB(db_path)).query(CaptureFilter())


def test_negative_or_malformed_chunk_sizes_are_400_and_nothing_is_stored(db_path):
    events = []
    with CaptureServer(db_path, on_event=events.append) as server:
        for size in (b"-3", b"0x10", b"+5", b"zz", b"1" * 17):
            answer = _exchange(
                server.port,
                b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + size
                + b"\r\nabc\r\n0\r\n\r\n",
            )
            assert _status(answer) == 400, size
        _ok(server.port)
    assert [c.url for c in _stored(db_path)] == ["http://x/ok"]
    assert sum(e.status == 400 for e in events) == 5


@pytest.mark.parametrize("length", [b"-44", b"-1", b"4 4", b"0x10", b"1e3", b"\xd9\xa3"])
def test_bad_content_length_is_400(db_path, length):
    with CaptureServer(db_path) as server:
        answer = _exchange(
            server.port, b"POST /l HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + b"\r\n\r\nab"
        )
        assert _status(answer) == 400
        _ok(server.port)
    assert len(_stored(db_path)) == 1


def test_a_body_shorter_than_its_content_length_is_refused_not_stored(db_path):
    with CaptureServer(db_path) as server:
        answer = _exchange(
            server.port,
            b"POST /short HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly 14 bytes.",
        )
        assert _status(answer) == 400 and b"ended after 14 of 100" in answer
        _ok(server.port)
    assert [c.url for c in _stored(db_path)] == ["http://x/ok"]


def test_absolute_form_target_is_the_url_and_other_targets_are_400(db_path):
    with CaptureServer(db_path) as server:
        answer = _exchange(
            server.port,
            b"POST http://hooks.example.com/voice?a=1 HTTP/1.1\r\nHost: hooks.example.com\r\n"
            b"Content-Length: 0\r\n\r\n",
        )
        assert _status(answer) == 200
        assert _status(_exchange(server.port, b"POST * HTTP/1.1\r\nHost: x\r\n\r\n")) == 400
        # An absolute URL that could not be sent again (replay crashed on it) is refused too.
        for target in (b"http://[::1/a", b"http://x:99999/a"):
            request = b"POST " + target + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
            assert _status(_exchange(server.port, request)) == 400
    assert [c.url for c in _stored(db_path)] == ["http://hooks.example.com/voice?a=1"]


def test_a_chunked_body_over_the_cap_is_413(db_path, monkeypatch):
    monkeypatch.setattr(listen, "MAX_BODY", 1000)
    with CaptureServer(db_path) as server:
        chunk = b"400\r\n" + b"x" * 1024 + b"\r\n"
        answer = _exchange(
            server.port,
            b"POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk * 2,
        )
        assert _status(answer) == 413
        _ok(server.port)


def test_senders_that_hang_up_early_print_nothing_and_do_not_stop_the_listener(db_path, capfd):
    with CaptureServer(db_path) as server:
        for _ in range(20):
            with socket.create_connection(("127.0.0.1", server.port)) as s:
                s.sendall(b"POST /gone HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\npart")
                s.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
        time.sleep(0.3)
        _ok(server.port)
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Exception" not in err


def test_slow_headers_are_cut_off_and_connections_are_bounded(db_path, monkeypatch):
    monkeypatch.setattr(listen, "HEADER_TIMEOUT", 0.6)
    monkeypatch.setattr(listen, "MAX_CONNECTIONS", 8)
    with CaptureServer(db_path) as server:
        slow = []
        for _ in range(12):  # more than MAX_CONNECTIONS: the extra ones are closed at once
            s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            s.sendall(b"POST /slow HTTP/1.1\r\nHost: x\r\n")
            slow.append(s)
        deadline = time.monotonic() + 5
        for s in slow:
            # A trickle of header bytes does not extend the deadline.
            for _ in range(3):
                try:
                    s.sendall(b"X-A: 1\r\n")
                except OSError:
                    break
                time.sleep(0.2)
        closed = 0
        for s in slow:
            s.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                closed += s.recv(1) == b""
            except (ConnectionResetError, TimeoutError):
                closed += 1
            s.close()
        assert closed == 12
        _ok(server.port)


def test_the_body_budget_holds_large_bodies_one_at_a_time(db_path, monkeypatch):
    monkeypatch.setattr(listen, "BUDGET_WAIT", 0.3)
    server = CaptureServer(db_path)
    server.budget = listen._Budget(1000)
    with server:
        server.budget.take(900)  # as if a large body were in flight
        answer = _exchange(
            server.port, b"POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n" + b"y" * 200
        )
        assert _status(answer) == 503 and b"Retry-After: 5" in answer
        server.budget.give(900)
        answer = _exchange(
            server.port, b"POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n" + b"y" * 200
        )
        assert _status(answer) == 200
    assert server.budget.used == 0  # every request gave back what it took


@pytest.mark.slow
@pytest.mark.parametrize("json_flag", [(), ("--json",)], ids=["lines", "json"])
def test_memory_stays_bounded_under_concurrent_large_bodies(tmp_path, json_flag):
    """Three 24 MiB bodies at once: one copy each at most in flight (budget), none in SQLite
    (blob I/O). Without them the listener held three copies of every body (~220 MiB). With
    --json each capture's line is written in chunks (it was base64 + JSON + encoded copies:
    ~300 MiB above idle for six 60 MiB bodies)."""
    import os
    import subprocess
    import sys
    import threading

    size = 24 * 1024 * 1024
    proc = subprocess.Popen(
        [sys.executable, "-m", "telcli", "webhook", "listen", "--port", "0", *json_flag],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "TELCLI_HOME": str(tmp_path)},
    )
    try:
        port = int(proc.stderr.readline().decode().split("127.0.0.1:")[1].split()[0])

        def kib(field: str) -> int:
            with open(f"/proc/{proc.pid}/status") as fh:
                return next(int(line.split()[1]) for line in fh if line.startswith(field))

        idle = kib("VmRSS")
        body = b"z" * size
        answers = []

        def send() -> None:
            answers.append(
                _exchange(
                    port,
                    b"POST /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                    b"Content-Length: %d\r\n\r\n" % size + body,
                    timeout=120,
                )
            )

        threads = [threading.Thread(target=send) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        delta_mib = (kib("VmHWM") - idle) / 1024
        assert [_status(a) for a in answers] == [200, 200, 200]
        assert delta_mib < 100, f"peak {delta_mib:.0f} MiB above idle"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    stored = _stored(tmp_path / "state.db")
    assert [len(c.body) for c in stored] == [size] * 3


@pytest.mark.slow
def test_listen_json_into_a_closed_pipe_stops_quietly_keeping_what_it_captured(tmp_path):
    """`webhook listen --json | head -1`: once the reader is gone, stop as on Ctrl-C."""
    import os
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "telcli", "webhook", "listen", "--port", "0", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "TELCLI_HOME": str(tmp_path)},
    )
    try:
        port = int(proc.stderr.readline().decode().split("127.0.0.1:")[1].split()[0])
        _ok(port)
        assert proc.stdout.readline().startswith(b'{"id":1')
        proc.stdout.close()  # head -1 exits
        _ok(port)  # answered and stored; writing its line finds the pipe closed
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
    err = proc.stderr.read().decode()
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert "stopped: 2 requests captured" in err
    assert len(_stored(tmp_path / "state.db")) == 2
