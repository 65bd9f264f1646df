"""The capture store (migration 3): raw bytes, ordered duplicate headers, filters, idempotent
re-imports, and parallel writers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from telcli.storage.captures import Capture, CapturedResponse, CaptureFilter, CaptureStore
from telcli.storage.state import MIGRATIONS, StateDB

NON_UTF8 = b"Body=caf\xe9+%2B+&Body=&Digits=1234&Digits=1234&Empty="


@pytest.fixture
def store(tmp_path: Path) -> CaptureStore:
    return CaptureStore(StateDB(tmp_path / "state.db"))


def _capture(**kw) -> Capture:
    base = dict(
        method="POST",
        url="https://example.com/twilio/voice?x=%2B1&y=a+b",
        headers=(
            ("Host", "example.com"),
            ("X-Dup", "one"),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("x-dup", "two"),
            ("X-Latin", "caf\xe9"),
        ),
        body=NON_UTF8,
        received_at="2026-11-22T10:00:00.000Z",
        source="listen",
        provider="twilio",
        event_type="ringing",
        sid="CA" + "a" * 32,
    )
    base.update(kw)
    return Capture(**base)


def test_the_schema_is_the_last_migration(store: CaptureStore):
    assert "CREATE TABLE captures" in MIGRATIONS[2]
    assert store.db.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_bytes_headers_and_response_round_trip_exactly(store: CaptureStore):
    response = CapturedResponse(
        201, (("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")), b"\x00\xff<Response/>", 12.5
    )
    stored = store.add(_capture(response=response))
    assert stored.id > 0
    back = store.get(stored.id)
    assert back is not None
    assert back.body == NON_UTF8
    assert back.headers == _capture().headers  # order, case and duplicates kept
    assert back.response == response
    assert back.url == "https://example.com/twilio/voice?x=%2B1&y=a+b"


def test_large_bodies_are_stored_whole(store: CaptureStore):
    body = bytes(range(256)) * 20_000  # 5 MB, every byte value
    back = store.get(store.add(_capture(body=body)).id)
    assert back is not None and back.body == body


def test_filters_and_order(store: CaptureStore):
    store.add(_capture(received_at="2026-11-22T09:00:00.000Z"))
    store.add(
        _capture(
            provider="telnyx",
            event_type="call.initiated",
            sid="v3:abc",
            received_at="2026-11-22T11:00:00.000Z",
        )
    )
    store.add(_capture(event_type="completed", received_at="2026-11-22T12:00:00.000Z"))
    assert [c.provider for c in store.query(CaptureFilter())] == ["twilio", "telnyx", "twilio"]
    assert len(store.query(CaptureFilter(provider="twilio"))) == 2
    assert [c.event_type for c in store.query(CaptureFilter(event_type="completed"))] == [
        "completed"
    ]
    assert [c.sid for c in store.query(CaptureFilter(sid="v3:abc"))] == ["v3:abc"]
    assert len(store.query(CaptureFilter(since="2026-11-22T10:30:00.000Z"))) == 2
    assert len(store.query(CaptureFilter(limit=1))) == 1


def test_same_fingerprint_is_stored_once(store: CaptureStore):
    first = store.add(_capture(fingerprint="sha256:x"))
    again = store.add(_capture(fingerprint="sha256:x"))
    assert first.id > 0 and again.id == -first.id
    # Live captures carry no fingerprint: identical requests are all kept.
    store.add(_capture())
    store.add(_capture())
    assert store.count() == 3


def test_parallel_processes_write_safely(tmp_path: Path):
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from telcli.storage.captures import Capture, CaptureStore\n"
        "from telcli.storage.state import StateDB\n"
        "s = CaptureStore(StateDB(Path(sys.argv[1])))\n"
        "for i in range(50):\n"
        "    s.add(Capture('POST', 'http://h/x', (('A', str(i)),), b'x' * i))\n"
    )
    db = tmp_path / "state.db"
    procs = [subprocess.Popen([sys.executable, "-c", code, str(db)]) for _ in range(3)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0]
    assert CaptureStore(StateDB(db)).count() == 150


@pytest.mark.parametrize(
    "capture",
    [
        Capture("POST", "http://x/a", (), b""),
        Capture(
            "POST",
            "http://x/\u00e9?a=1",
            (("X-Sig", "v\u00ff"), ("body-0", "body-1")),
            bytes(range(256)) * 9000,  # over two base64 chunks, not a multiple of 3
            response=CapturedResponse(200, (("A", "b"),), b"\x00ok" * 5, 1.25, None),
        ),
        Capture("GET", "http://x/", (), b"x", response=CapturedResponse(None, error="refused")),
    ],
    ids=["empty", "large-with-response", "error-response"],
)
def test_json_line_is_the_export_json_written_in_pieces(capture) -> None:
    import json

    pieces = list(capture.json_line())
    assert "".join(pieces) == json.dumps(capture.to_json(), separators=(",", ":"))
    assert max(map(len, pieces)) < 1024 * 1024 + 4096  # no piece holds a whole large body
