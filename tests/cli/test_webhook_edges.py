"""Bad input on the webhook surfaces never crashes, hangs or grows without bound (issue 12,
items 1, 6, 7, 8, 12): one `error:` line and exit 2 (or a verdict), nothing half-stored.
Generated input for the same surfaces is in tests/fuzzing.py (webhook-import,
webhook-sign-verify, webhook-options), run by tests/test_fuzz.py and bench_fuzz.py."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time

import pytest

from tests.webhook_receiver import Receiver


def _one_error(result) -> None:
    assert result.exit_code == 2, result
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error: ") and "Traceback" not in result.stderr, result


def _ndjson(**fields) -> bytes:
    record = {"method": "POST", "url": "http://hooks.example.com/a", **fields}
    return (json.dumps(record) + "\n").encode()


IMPORTS = {
    "negative chunk size": (
        "http",
        b"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n",
    ),
    "negative content-length": (
        "http",
        b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: -44\r\n\r\n" + b"x" * 44,
    ),
    "chunk past the end": (
        "http",
        b"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffff\r\nabc",
    ),
    "har status text": (
        "har",
        json.dumps(
            {
                "log": {
                    "entries": [
                        {
                            "request": {"method": "POST", "url": "http://x/"},
                            "response": {"status": "abc"},
                        }
                    ]
                }
            }
        ).encode(),
    ),
    "har status list": (
        "har",
        json.dumps(
            {
                "log": {
                    "entries": [
                        {
                            "request": {"method": "POST", "url": "http://x/"},
                            "response": {"status": [200]},
                        }
                    ]
                }
            }
        ).encode(),
    ),
    "har params not objects": (
        "har",
        json.dumps(
            {
                "log": {
                    "entries": [
                        {
                            "request": {
                                "method": "POST",
                                "url": "http://x/",
                                "postData": {"params": [1, "a"]},
                            }
                        }
                    ]
                }
            }
        ).encode(),
    ),
    "har on a list": ("har", b"[1, 2]"),
    "har on text": ("har", b"POST is not json"),
    "received_at out of range": ("ndjson", _ndjson(received_at="99999-01-01T00:00:00Z")),
    "status 2^63": ("ndjson", _ndjson(response={"status": 2**63})),
    "latency an object": ("ndjson", _ndjson(response={"status": 200, "latency_ms": {"a": 1}})),
    "latency slow": ("ndjson", _ndjson(response={"status": 200, "latency_ms": "slow"})),
    "latency nan": (
        "ndjson",
        _ndjson(response={"status": 200}).replace(b"200", b'200, "latency_ms": NaN'),
    ),
    "error an object": ("ndjson", _ndjson(response={"status": 200, "error": {"x": 1}})),
    "deeply nested": ("ndjson", b"[" * 50_000 + b"]" * 50_000 + b"\n"),
    # Values that typed fine but could not be stored or sent again (replay crashed on them).
    "lone surrogate escape": ("ndjson", _ndjson(url="http://x/\ud800")),
    "lone surrogate in a body": ("ndjson", _ndjson(body="\udcff")),
    "method not a token": ("ndjson", _ndjson(method="PÖST")),
    "method with a newline": ("ndjson", _ndjson(method="PO ST\r\n")),
    "url with a NUL": ("ndjson", _ndjson(url="http://x/\x00")),
    "url that does not parse": ("ndjson", _ndjson(url="http://[::1/a")),
    "url of 100,000 characters": ("ndjson", _ndjson(url="http://x/" + "a" * 100_000)),
    "har url with a newline": (
        "har",
        json.dumps(
            {"log": {"entries": [{"request": {"method": "POST", "url": "http://x/\n"}}]}}
        ).encode(),
    ),
    "raw target with a control character": (
        "http",
        b"POST /a\x01b HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    ),
}


@pytest.mark.parametrize("case", sorted(IMPORTS))
def test_malformed_imports_are_one_line_and_store_nothing(telcli, tmp_path, case):
    fmt, data = IMPORTS[case]
    path = tmp_path / "in.txt"
    path.write_bytes(data)
    result = telcli("webhook", "import", str(path), "--format", fmt)
    _one_error(result)
    assert telcli("webhook", "list", "--json").stdout.strip() == "[]"


@pytest.mark.slow
@pytest.mark.parametrize("case", ["negative chunk size", "negative content-length"])
def test_raw_http_imports_that_used_to_loop_end_at_once(tmp_path, case):
    path = tmp_path / "in.http"
    path.write_bytes(IMPORTS[case][1])
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "telcli", "webhook", "import", str(path)],
        capture_output=True,
        text=True,
        timeout=20,  # it looped forever (and grew to 475 MB) before
        env={**os.environ, "TELCLI_HOME": str(tmp_path / "home")},
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert time.monotonic() - start < 20


def test_one_bad_stored_row_does_not_break_reading_the_others(telcli, home, tmp_path):
    good = tmp_path / "good.ndjson"
    good.write_bytes(_ndjson(response={"status": 200, "latency_ms": 5}))
    assert telcli("webhook", "import", str(good)).exit_code == 0
    import sqlite3

    # A row written by an older telcli (or by hand) with values of the wrong types.
    with sqlite3.connect(home / "state.db") as db:
        db.execute(
            "UPDATE captures SET latency_ms = 'slow', response_status = 'x', headers = '{bad'"
        )
    listed = json.loads(telcli("webhook", "list", "--json").stdout)
    assert listed[0]["response"] == {"status": None, "latency_ms": None, "error": None}
    assert telcli("webhook", "show", "1").exit_code == 0
    exported = telcli("webhook", "export")
    assert json.loads(exported.stdout)["headers"] == []


@pytest.mark.parametrize(
    ("method", "url"),
    [("POST", "http://[::1/a"), ("POST", "http://x/\x00"), ("PÖST", "http://x/a")],
)
def test_a_stored_capture_that_cannot_be_sent_again_is_a_usage_error(
    telcli, home, tmp_path, method, url
):
    good = tmp_path / "good.ndjson"
    good.write_bytes(_ndjson())
    assert telcli("webhook", "import", str(good)).exit_code == 0
    import sqlite3

    # Written by an older telcli, which imported such values (replay then crashed in httpx).
    with sqlite3.connect(home / "state.db") as db:
        db.execute("UPDATE captures SET method = ?, url = ?", (method, url))
    result = telcli("webhook", "replay", "1", "--to", "http://127.0.0.1:9/")
    _one_error(result)
    assert "capture 1 cannot be sent again" in result.stderr


# --- sign / verify --------------------------------------------------------------------------


@pytest.mark.parametrize("at", ["inf", "nan", "-1", "1e308"])
def test_verify_at_must_be_a_unix_time(telcli, tmp_path, at):
    body = tmp_path / "b"
    body.write_bytes(b"a=1")
    result = telcli(
        "webhook",
        "verify",
        "-s",
        "twilio",
        "-b",
        str(body),
        "--secret",
        "s",
        "--url",
        "http://x/",
        "-H",
        "X-Twilio-Signature: abc",
        "--at",
        at,
    )
    _one_error(result)
    assert "--at" in result.stderr


def test_a_livekit_token_claiming_an_infinite_expiry_is_invalid_not_a_crash(telcli, tmp_path):
    import jwt

    body = b'{"event":"room_started"}'
    body_file = tmp_path / "b"
    body_file.write_bytes(body)
    sha = base64.b64encode(__import__("hashlib").sha256(body).digest()).decode()
    token = jwt.encode({"iss": "APIkey", "sha256": sha, "nbf": 0}, "secret" * 6, "HS256")
    # Forge the exp claim as the JSON number 1e999 (PyJWT would refuse to encode infinity).
    head, claims, _ = token.split(".")
    raw = json.loads(base64.urlsafe_b64decode(claims + "=="))
    text = json.dumps(raw)[:-1] + ', "exp": 1e999}'
    claims = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
    import hashlib
    import hmac

    sig = hmac.new(b"secret" * 6, f"{head}.{claims}".encode(), hashlib.sha256).digest()
    forged = f"{head}.{claims}." + base64.urlsafe_b64encode(sig).decode().rstrip("=")
    result = telcli(
        "webhook",
        "verify",
        "-s",
        "livekit",
        "-b",
        str(body_file),
        "--api-key",
        "APIkey",
        "--secret",
        "secret" * 6,
        "-H",
        f"Authorization: {forged}",
    )
    assert result.exit_code == 5, result
    assert "exp" in result.stderr and "Traceback" not in result.stderr


def test_an_hmac_plan_with_wrong_types_is_a_usage_error(telcli, tmp_path):
    body = tmp_path / "b"
    body.write_bytes(b"{}")
    for plan in ({"signatureEncoding": 5}, {"includeTimestamp": "yes"}, {"algorithm": None}):
        (tmp_path / "plan.json").write_text(json.dumps(plan))
        result = telcli(
            "webhook",
            "sign",
            "-s",
            "vapi",
            "--variant",
            "hmac",
            "-b",
            str(body),
            "--secret",
            "s",
            "--plan",
            str(tmp_path / "plan.json"),
        )
        _one_error(result)


# --- replay / list / show / export options ---------------------------------------------------


@pytest.fixture
def one_capture(telcli, tmp_path):
    path = tmp_path / "one.ndjson"
    record = {
        "method": "POST",
        "url": "https://hooks.example.com/voice",
        "headers": [
            ["Host", "hooks.example.com"],
            ["Authorization", "Bearer captured"],
            ["Cookie", "session=1"],
            ["Content-Type", "application/json"],
        ],
        "body": '{"a": 1}',
    }
    path.write_text(json.dumps(record) + "\n")
    assert telcli("webhook", "import", str(path)).exit_code == 0
    return 1


@pytest.mark.parametrize(
    "to",
    [
        "http://127.0.0.1:99999",
        "http://[::1",
        "http://127.0.0.1:0/",
        "http://exa mple.com/",
        "http://example.com/\x07",
        "http://" + "a" * 70_000 + ".com/",
        "ftp://example.com/",
        "http:///nohost",
        # hosts httpx refuses only when it sends (an IDNAError or InvalidURL traceback)
        "http://xn--.com/",
        "http://exa\u00admple.com/",
        "http://999.1.1.1/",
    ],
)
def test_replay_to_must_be_an_http_url(telcli, one_capture, to):
    _one_error(telcli("webhook", "replay", "1", "--to", to))


@pytest.mark.parametrize(
    "args",
    [
        ["webhook", "list", "--since", "9999999999d"],
        ["webhook", "list", "--since", "99999999999999999999999d"],
        ["webhook", "list", "--limit", "99999999999999999999999"],
        ["webhook", "export", "--limit", "99999999999999999999999"],
        ["webhook", "show", str(2**63)],
        ["webhook", "export", str(2**64)],
        ["webhook", "replay", str(2**63), "--to", "http://127.0.0.1:1"],
        ["webhook", "replay", "--filter", "limit=", "--to", "http://127.0.0.1:1"],
        ["webhook", "replay", "--filter", "limit=99999999999999999999", "--to", "http://x/"],
        ["webhook", "replay", "--filter", "limit=²", "--to", "http://127.0.0.1:1"],
        ["webhook", "replay", "1", "--to", "http://127.0.0.1:1", "--set", "a=" + "[" * 100_000],
        ["webhook", "replay", "1", "--to", "http://127.0.0.1:1", "--set", "." * 100_000 + "=1"],
    ],
)
def test_out_of_range_options_are_usage_errors(telcli, one_capture, args):
    _one_error(telcli(*args))


def test_credentials_in_to_are_sent_as_basic_auth_and_never_printed(telcli, home, tmp_path):
    path = tmp_path / "plain.ndjson"
    path.write_bytes(_ndjson(headers=[["Content-Type", "application/json"]], body="{}"))
    telcli("webhook", "import", str(path))
    with Receiver() as rx:
        target = rx.url.replace("http://", "http://ops:s3cret-pw@")
        result = telcli("webhook", "replay", "1", "--to", target, "--json")
    assert result.exit_code == 0, result
    assert "s3cret-pw" not in result.stdout + result.stderr
    [received] = rx.requests
    assert (
        received.header("Authorization") == "Basic " + base64.b64encode(b"ops:s3cret-pw").decode()
    )
    assert "@" not in (received.header("Host") or "")


def test_captured_credentials_to_another_host_warn_and_can_be_stripped(telcli, one_capture):
    with Receiver() as rx:
        warned = telcli("webhook", "replay", "1", "--to", rx.url)
        stripped = telcli("webhook", "replay", "1", "--to", rx.url, "--strip-credentials")
    assert "Authorization, Cookie" in warned.stderr and "--strip-credentials" in warned.stderr
    assert stripped.exit_code == 0 and "credential headers" not in stripped.stderr
    first, second = rx.requests
    assert first.header("Authorization") == "Bearer captured"
    assert second.header("Authorization") is None and second.header("Cookie") is None


def test_credentials_in_to_and_a_captured_authorization_conflict(telcli, one_capture):
    _one_error(telcli("webhook", "replay", "1", "--to", "http://u:p@127.0.0.1:1/"))


@pytest.mark.parametrize("flag", ["--secret", "--private-key", "--api-key"])
def test_a_secret_that_is_not_utf8_is_refused_without_echoing_it(telcli, tmp_path, flag):
    body = tmp_path / "b"
    body.write_bytes(b"a=1")
    value = "topsecretvalue" + b"\xff".decode("utf-8", "surrogateescape")
    result = telcli(
        "webhook", "sign", "-s", "twilio", "-b", str(body), "--url", "http://x/", flag, value
    )
    _one_error(result)
    assert flag in result.stderr and "topsecret" not in result.stderr
