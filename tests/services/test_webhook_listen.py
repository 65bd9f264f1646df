"""The capture server: byte-exact forwarding minus hop-by-hop headers, both sides recorded,
502 when the target is down, and a stop that loses nothing (in process and via SIGINT)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from telcli.services.listen import CaptureServer
from telcli.storage.captures import CaptureFilter, CaptureStore
from telcli.storage.state import StateDB
from tests.webhook_receiver import Receiver, dead_url

BODY = b"A=1&B=&B=&C=%2B+x&D=\xff\xfe" + b"z" * 300_000


def _raw_request(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "state.db"
    StateDB(path).conn  # migrate once, as the CLI does  # noqa: B018
    return path


def test_forwards_byte_exact_without_hop_by_hop_and_records_both_sides(db_path: Path):
    events = []
    rx = Receiver(lambda r: (201, b"\x00created"))
    with rx, CaptureServer(db_path, forward_to=rx.url, on_event=events.append) as server:
        head = (
            "POST /twilio/status?x=%2B1&y=a+b HTTP/1.1\r\n"
            "Host: abc.ngrok.app\r\n"
            "X-Twilio-Signature: c2ln\r\n"
            "X-Dup: 1\r\n"
            "Connection: close, X-Private\r\n"
            "X-Private: hop\r\n"
            "Keep-Alive: timeout=5\r\n"
            "Proxy-Authorization: Basic eA==\r\n"
            "X-Dup: 2\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(BODY)}\r\n\r\n"
        ).encode()
        answer = _raw_request(server.port, head + BODY)
    assert answer.startswith(b"HTTP/1.1 201 ")
    assert b"X-Receiver: test" in answer and answer.endswith(b"\r\n\r\n\x00created")
    got = rx.requests[0]
    assert got.path == "/twilio/status?x=%2B1&y=a+b"
    assert got.body == BODY
    assert got.headers == [
        ("Host", "abc.ngrok.app"),  # kept: the receiver rebuilds the URL the provider signed
        ("X-Twilio-Signature", "c2ln"),
        ("X-Dup", "1"),
        ("X-Dup", "2"),
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Content-Length", str(len(BODY))),
    ]
    [capture] = CaptureStore(StateDB(db_path)).query(CaptureFilter())
    assert capture.body == BODY and capture.source == "listen" and capture.provider == "twilio"
    assert capture.url == "http://abc.ngrok.app/twilio/status?x=%2B1&y=a+b"
    assert ("Keep-Alive", "timeout=5") in capture.headers  # the capture keeps everything received
    assert capture.forwarded_to == rx.url + "/twilio/status?x=%2B1&y=a+b"
    assert capture.response is not None
    assert (capture.response.status, capture.response.body) == (201, b"\x00created")
    assert ("X-Receiver", "test") in capture.response.headers
    assert events[0].capture.id == capture.id and events[0].status == 201


def test_chunked_request_bodies_are_forwarded_whole(db_path: Path):
    with Receiver() as rx, CaptureServer(db_path, forward_to=rx.url) as server:
        answer = _raw_request(
            server.port,
            b"POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
            b"Connection: close\r\n\r\n"
            b"3\r\nabc\r\n2\r\n\xff\x00\r\n0\r\n\r\n",
        )
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert rx.requests[0].body == b"abc\xff\x00"
    assert rx.requests[0].header("Transfer-Encoding") is None
    assert rx.requests[0].header("Content-Length") == "5"


def test_target_down_answers_502_and_records_the_failure(db_path: Path):
    target = dead_url()
    with CaptureServer(db_path, forward_to=target) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("POST", "/x", body=b"payload", headers={"Content-Type": "text/plain"})
        response = conn.getresponse()
        assert response.status == 502 and b"forward failed" in response.read()
        # Still serving after the failure.
        conn.request("POST", "/y", body=b"again")
        assert conn.getresponse().status == 502
        conn.close()
    captures = CaptureStore(StateDB(db_path)).query(CaptureFilter(newest_first=False))
    assert [c.body for c in captures] == [b"payload", b"again"]
    assert captures[0].response is not None and captures[0].response.status is None
    assert captures[0].response.error == f"cannot connect to {target} (refused or unreachable)"


def test_without_a_target_it_answers_200_and_captures(db_path: Path):
    with CaptureServer(db_path) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        for i in range(5):  # one keep-alive connection
            conn.request("POST", f"/n/{i}", body=b"x" * i)
            assert conn.getresponse().read() == b""
        conn.close()
    assert CaptureStore(StateDB(db_path)).count() == 5


def test_stop_waits_for_requests_in_flight(db_path: Path):
    all_in = threading.Event()

    def slow(r):
        all_in.wait(10)  # every request holds until all three reached the receiver
        time.sleep(0.3)
        return 200, b"slow"

    statuses = []
    with Receiver(slow) as rx:
        server = CaptureServer(db_path, forward_to=rx.url).start()

        def send():
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            conn.request("POST", "/slow", body=b"in flight")
            statuses.append(conn.getresponse().status)

        threads = [threading.Thread(target=send) for _ in range(3)]
        for t in threads:
            t.start()
        # Wait on the receiver, not the clock: on a loaded machine a fixed sleep can stop the
        # server before the third connection was even accepted.
        deadline = time.monotonic() + 10
        while len(rx.requests) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(rx.requests) == 3
        all_in.set()  # the requests are now in flight, 0.3 s from their answers
        server.stop()
        for t in threads:
            t.join(5)
    assert statuses == [200, 200, 200]
    assert CaptureStore(StateDB(db_path)).count() == 3


def test_cli_listen_stops_cleanly_on_sigint(tmp_path: Path):
    env = {**os.environ, "TELCLI_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "telcli", "webhook", "listen", "--port", "0", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        first = proc.stderr.readline().decode()
        assert first.startswith("listening on http://127.0.0.1:"), first
        port = int(first.split("127.0.0.1:")[1].split()[0])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request(
            "POST",
            "/telnyx",
            body=b'{"data":{"event_type":"call.initiated"}}',
            headers={"telnyx-signature-ed25519": "x", "telnyx-timestamp": "1"},
        )
        assert conn.getresponse().status == 200
        conn.close()
        line = proc.stderr.readline().decode()
        assert line.startswith("#1 POST /telnyx [telnyx call.initiated]"), line
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    [record] = [json.loads(x) for x in out.decode().splitlines()]
    assert record["id"] == 1 and record["event_type"] == "call.initiated"
    assert "stopped: 1 request captured" in err.decode()
    assert "Traceback" not in err.decode()
    store = CaptureStore(StateDB(tmp_path / "home" / "state.db"))
    assert store.count() == 1


def test_port_in_use_is_a_usage_error(telcli):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = telcli("webhook", "listen", "--port", str(port))
    assert r.exit_code == 2
    assert r.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}")
