"""Import parsers (telcli NDJSON, HAR, raw HTTP/1.1), labelling, export round trips: every
byte of the tricky bodies survives; malformed files fail whole, naming where."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from telcli.errors import UsageProblem
from telcli.services import webhooks as svc
from telcli.storage.captures import CaptureFilter, CaptureStore
from telcli.storage.state import StateDB

SID = "CA" + "0123456789abcdef" * 2
# Blank values, a repeated key, '+' (space) and %2B (plus), and a byte that is not UTF-8.
TRICKY = (
    f"CallSid={SID}&CallStatus=ringing&CallToken=&Digits=5678&Digits=1234&Digits=1234"
    "&From=%2B14155550100&Body=caf%C3%A9+%26+%2B+%27+%F0%9F%98%80&Raw="
).encode() + b"\xff\xfe"
TELNYX = (
    b'{"data": {"event_type": "call.hangup", "id": "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0",'
    b' "payload": {"call_control_id": "v3:abc", "to": "+14155550123"}}}  '
)


@pytest.fixture
def store(tmp_path: Path) -> CaptureStore:
    return CaptureStore(StateDB(tmp_path / "state.db"))


def _raw(target: str, headers: list[tuple[str, str]], body: bytes, eol: bytes = b"\r\n") -> bytes:
    head = [f"POST {target} HTTP/1.1".encode()]
    head += [f"{k}: {v}".encode("latin-1") for k, v in headers]
    return eol.join(head) + eol + eol + body


def test_raw_http_keeps_every_byte_and_header(tmp_path: Path, store: CaptureStore):
    headers = [
        ("Host", "abc.ngrok.app"),
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("X-Twilio-Signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        ("X-Dup", "1"),
        ("X-Dup", "2"),
        ("Content-Length", str(len(TRICKY))),
    ]
    file = tmp_path / "req.http"
    file.write_bytes(_raw("/twilio/voice?a=%2B1&b=x+y", headers, TRICKY))
    result = svc.import_file(store, file)
    assert result.format == "http" and len(result.added) == 1
    c = store.get(result.added[0].id)
    assert c is not None
    assert c.body == TRICKY
    assert c.url == "https://abc.ngrok.app/twilio/voice?a=%2B1&b=x+y"
    assert list(c.headers) == headers
    assert (c.provider, c.event_type, c.sid, c.source) == ("twilio", "ringing", SID, "import")
    # Importing the same file again adds nothing.
    again = svc.import_file(store, file)
    assert again.added == [] and again.duplicates == 1


def test_raw_http_several_requests_bare_lf_and_chunked(tmp_path: Path, store: CaptureStore):
    one = _raw(
        "/a", [("Host", "localhost:3000"), ("Content-Length", str(len(TELNYX)))], TELNYX, b"\n"
    )
    chunked = (
        b"POST /b HTTP/1.1\r\nHost: 127.0.0.1:9\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6; ext=1\r\n world\r\n0\r\n\r\n"
    )
    file = tmp_path / "reqs.txt"
    file.write_bytes(one + b"\n\n" + chunked)
    added = svc.import_file(store, file).added
    assert [c.url for c in added] == ["http://localhost:3000/a", "http://127.0.0.1:9/b"]
    assert added[0].body == TELNYX and added[0].provider is None  # unsigned: no provider
    assert added[1].body == b"hello world"


def test_ndjson_export_import_round_trip_is_byte_exact(tmp_path: Path, store: CaptureStore):
    big = bytes(range(256)) * 8192  # 2 MiB of every byte value
    lines = []
    for body, ctype in (
        (TRICKY, "application/x-www-form-urlencoded"),
        (big, "application/octet-stream"),
    ):
        lines.append(
            json.dumps(
                {
                    "received_at": "2026-11-22T10:00:00Z",
                    "method": "POST",
                    "url": "https://h.example/x?q=%2B",
                    "headers": [["Content-Type", ctype], ["X-Twilio-Signature", "sig"]],
                    "body_b64": base64.b64encode(body).decode(),
                    "response": {"status": 204, "headers": [["A", "b"]], "body_b64": "AP8="},
                }
            )
        )
    src = tmp_path / "in.ndjson"
    src.write_text("\n".join(lines) + "\n\n")
    first = svc.import_file(store, src)
    assert len(first.added) == 2
    exported = list(svc.export_lines(store, CaptureFilter()))
    back = tmp_path / "out.ndjson"
    back.write_text("\n".join(exported) + "\n")
    other = CaptureStore(StateDB(tmp_path / "other.db"))
    second = svc.import_file(other, back)
    a = store.query(CaptureFilter(newest_first=False))
    b = other.query(CaptureFilter(newest_first=False))
    assert [(c.body, c.headers, c.url, c.received_at, c.response) for c in a] == [
        (c.body, c.headers, c.url, c.received_at, c.response) for c in b
    ]
    assert b[0].body == TRICKY and b[1].body == big
    assert b[0].response is not None and b[0].response.body == b"\x00\xff"
    assert len(second.added) == 2


def test_har_entries_and_base64_bodies(tmp_path: Path, store: CaptureStore):
    har = {
        "log": {
            "version": "1.2",
            "entries": [
                {
                    "startedDateTime": "2026-11-22T10:00:00.123+02:00",
                    "time": 12.5,
                    "request": {
                        "method": "POST",
                        "url": "https://abc.ngrok.app/telnyx",
                        "headers": [
                            {"name": ":authority", "value": "abc.ngrok.app"},
                            {"name": "Content-Type", "value": "application/json"},
                            {"name": "telnyx-signature-ed25519", "value": "c2ln"},
                            {"name": "telnyx-timestamp", "value": "1700000000"},
                        ],
                        "postData": {"mimeType": "application/json", "text": TELNYX.decode()},
                    },
                    "response": {
                        "status": 200,
                        "headers": [{"name": "Content-Type", "value": "text/plain"}],
                        "content": {"text": "b2s=", "encoding": "base64"},
                    },
                },
                {
                    "startedDateTime": "2026-11-22T10:00:01Z",
                    "request": {
                        "method": "post",
                        "url": "https://abc.ngrok.app/bin",
                        "headers": [],
                        "postData": {
                            "text": base64.b64encode(b"\xff\x00").decode(),
                            "encoding": "base64",
                        },
                    },
                },
            ],
        }
    }
    file = tmp_path / "x.har"
    file.write_text(json.dumps(har))
    result = svc.import_file(store, file)
    assert result.format == "har"
    first, second = result.added
    assert first.body == TELNYX
    assert first.received_at == "2026-11-22T08:00:00.123Z"
    assert [h[0] for h in first.headers] == [
        "Content-Type",
        "telnyx-signature-ed25519",
        "telnyx-timestamp",
    ]
    assert (first.provider, first.event_type, first.sid) == ("telnyx", "call.hangup", "v3:abc")
    assert (
        first.response is not None
        and first.response.body == b"ok"
        and first.response.latency_ms == 12.5
    )
    assert second.method == "POST" and second.body == b"\xff\x00"


@pytest.mark.parametrize(
    ("content", "where"),
    [
        (b'{"method": "POST", "url": "http://h/x"}\nnot json\n', "line 3: not JSON"),
        (b'{"method": "POST"}\n', "line 2: missing 'url'"),
        (
            b'{"method": "POST", "url": "http://h/", "body_b64": "@@"}\n',
            "body_b64 is not valid base64",
        ),
        (b'{"method": "POST", "url": "http://h/", "headers": [["A"]]}\n', "bad header entry"),
        (
            b'{"method": "POST", "url": "http://h/", "received_at": "yesterday"}\n',
            "not an ISO-8601",
        ),
        (b'{"log": {"entries": [{"request": {}}]}}', "entry 0: missing request.method"),
        (
            b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nshort",
            "shorter than Content-Length",
        ),
        (b"POST /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "no Host header"),
        (b"POST /x HTTP/1.1\r\nHost h\r\n\r\n", "bad header line"),
        (b"hello world", "unrecognised capture file"),
        (b'{"method": "POST", "url": "\xff"}\n', "line 2: not JSON (not UTF-8)"),
        (
            b'{"method": "POST", "url": "http://h/", "body_b64": ' + b"9" * 5000 + b"}\n",
            "line 2: not JSON (Exceeds the limit (4300 digits)",
        ),
        (
            b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: -44\r\n\r\n",
            "Content-Length '-44' is not a byte count",
        ),
        (
            b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: " + b"9" * 60 + b"\r\n\r\n",
            "Content-Length '9999999999999999999999999999999999999999…' is not a byte count",
        ),
    ],
)
def test_malformed_files_fail_whole_and_say_where(
    tmp_path: Path, store: CaptureStore, content, where
):
    file = tmp_path / "bad"
    file.write_bytes(
        b'{"method": "POST", "url": "http://h/ok"}\n' + content
        if content.startswith(b'{"method')
        else content
    )
    with pytest.raises(UsageProblem) as info:
        svc.import_file(store, file)
    assert where in info.value.message
    assert store.count() == 0  # all or nothing


def test_empty_and_missing_files(tmp_path: Path, store: CaptureStore):
    (tmp_path / "empty").write_bytes(b"\n\n")
    with pytest.raises(UsageProblem, match="empty"):
        svc.import_file(store, tmp_path / "empty")
    with pytest.raises(UsageProblem, match="cannot read"):
        svc.import_file(store, tmp_path / "missing")


def test_since_accepts_durations_and_times():
    assert svc.since_filter("2h", now=1_700_000_000) == "2023-11-14T20:13:20.000Z"
    assert svc.since_filter("2026-11-22T10:00:00+01:00") == "2026-11-22T09:00:00.000Z"
    with pytest.raises(UsageProblem):
        svc.since_filter("last tuesday")


def test_decode_body_kinds():
    from telcli.storage.captures import Capture

    form = Capture(
        "POST", "http://h/", (("Content-Type", "application/x-www-form-urlencoded"),), TRICKY
    )
    decoded = svc.decode_body(form)
    assert decoded["kind"] == "form"
    assert ["Body", "café & + ' 😀"] in decoded["params"] and ["CallToken", ""] in decoded["params"]
    assert svc.decode_body(Capture("POST", "http://h/", (), TELNYX))["kind"] == "json"
    assert (
        svc.decode_body(Capture("POST", "http://h/", (("Content-Type", "x/y"),), b"\xff"))["kind"]
        == "binary"
    )
