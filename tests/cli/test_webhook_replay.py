"""webhook replay from the command line: selection, output modes, exit 0 / 7 / 2."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from telcli.webhooks import twilio as twilio_scheme
from tests.webhook_receiver import Receiver, dead_url

TOKEN = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"  # fake Auth Token, test-only
SID = "CA" + "0123456789abcdef" * 2
URL = "https://abc.ngrok.app/twilio/status"


def _line(status: str, at: str) -> str:
    body = f"CallSid={SID}&CallStatus={status}&Digits=".encode()
    sig = twilio_scheme.compute_signature(TOKEN, URL, twilio_scheme.form_params(body))
    return json.dumps(
        {
            "received_at": at,
            "method": "POST",
            "url": URL,
            "headers": [
                ["Content-Type", "application/x-www-form-urlencoded"],
                ["X-Twilio-Signature", sig],
            ],
            "body_b64": base64.b64encode(body).decode(),
            "response": {"status": 200, "headers": [], "body_b64": ""},
        }
    )


@pytest.fixture
def imported(telcli, tmp_path: Path) -> None:
    path = tmp_path / "caps.ndjson"
    path.write_text(
        "\n".join(
            [
                _line("ringing", "2026-11-22T10:00:00Z"),
                _line("completed", "2026-11-22T10:00:05Z"),
            ]
        )
    )
    assert telcli("webhook", "import", str(path)).exit_code == 0


def test_replay_ids_json_and_secret_never_printed(telcli, imported):
    with Receiver(lambda r: (200, b"")) as rx:
        # One at a time, so arrival order is the order given (with more, only the report is).
        r = telcli(
            "webhook",
            "replay",
            "2",
            "1",
            "--to",
            rx.url,
            "--secret",
            TOKEN,
            "--json",
            "--concurrency",
            "1",
        )
    assert r.exit_code == 0, r
    rows = json.loads(r.stdout)
    assert [(x["capture_id"], x["status"], x["ok"], x["signature"]) for x in rows] == [
        (2, 200, True, "resigned"),
        (1, 200, True, "resigned"),
    ]
    assert set(rows[0]) == {
        "capture_id",
        "attempt",
        "url",
        "status",
        "latency_ms",
        "ok",
        "differs",
        "signature",
        "error",
        "idempotency",
        "idempotency_detail",
    }
    assert rows[0]["differs"] is False
    assert TOKEN not in r.stdout + r.stderr
    assert [req.body.split(b"&")[1] for req in rx.requests] == [
        b"CallStatus=completed",
        b"CallStatus=ringing",
    ]


def test_replay_filter_tsv_and_exit_7_on_unexpected_status(telcli, imported):
    with Receiver(lambda r: (500, b"boom")) as rx:
        r = telcli(
            "webhook", "replay", "--filter", "provider=twilio", "--to", rx.url, "--keep-signature"
        )
    assert r.exit_code == 7, r
    lines = r.stdout.splitlines()
    cells = [x.split("\t") for x in lines]
    assert [(c[0], c[1], c[2], c[4], c[5]) for c in cells] == [
        ("1", "1", "500", "no", "yes"),  # oldest first; differs from the captured 200
        ("2", "1", "500", "no", "yes"),
    ]
    assert "error: 2 of 2 replayed requests did not meet the expectation (2xx)" in r.stderr
    assert "Traceback" not in r.stderr
    with Receiver(lambda r: (500, b"boom")) as rx:
        ok = telcli(
            "webhook", "replay", "1", "--to", rx.url, "--keep-signature", "--expect-status", "500"
        )
    assert ok.exit_code == 0, ok


def test_unreachable_target_is_one_clear_line(telcli, imported):
    target = dead_url()
    r = telcli("webhook", "replay", "1", "--to", target, "--secret", TOKEN)
    assert r.exit_code == 7
    errors = [x for x in r.stderr.splitlines() if x.startswith("error:")]
    assert errors == [
        "error: 1 of 1 replayed request did not meet the expectation (2xx); first: capture 1:"
        f" cannot connect to {target} (refused or unreachable)"
    ]
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("webhook", "replay", "1"), "--to URL is required"),
        (("webhook", "replay", "--to", "http://127.0.0.1:9"), "name the captures to replay"),
        (
            ("webhook", "replay", "1", "--to", "http://127.0.0.1:9", "--resign"),
            "needs the twilio key",
        ),
        (("webhook", "replay", "1", "--to", "mailto:x"), "is not an http(s) URL"),
        (("webhook", "replay", "--filter", "colour=red", "--to", "http://h"), "not KEY=VALUE"),
        (("webhook", "replay", "1", "--to", "http://h", "--speed", "2"), "--speed only applies"),
        (
            ("webhook", "replay", "1", "--to", "http://h", "--preserve-timing", "--speed", "nan"),
            "--speed must be a finite number",
        ),
        (
            ("webhook", "replay", "1", "--to", "http://h", "--preserve-timing", "--speed", "inf"),
            "--speed must be a finite number",
        ),
        (("webhook", "replay", "1", "--to", "http://h", "--set", "nokey"), "not FIELD=VALUE"),
        (("webhook", "replay", "77", "--to", "http://h"), "no capture with id 77"),
    ],
)
def test_usage_errors_exit_2(telcli, imported, args, message):
    r = telcli(*args)
    assert r.exit_code == 2, r
    assert message in r.stderr.splitlines()[0]
    assert "Traceback" not in r.stderr


def test_kept_twilio_signature_warns_about_the_url(telcli, imported):
    with Receiver() as rx:
        r = telcli("webhook", "replay", "1", "--to", rx.url)
    assert r.exit_code == 0
    assert "warning: twilio signatures cover the URL" in r.stderr


def test_long_replay_on_a_tty_draws_progress_and_a_table(telcli, tmp_path: Path):
    path = tmp_path / "many.ndjson"
    path.write_text("\n".join(_line("ringing", f"2026-11-22T10:00:{i:02d}Z") for i in range(25)))
    assert telcli("webhook", "import", str(path)).exit_code == 0
    with Receiver() as rx:
        r = telcli("webhook", "replay", "--filter", "event=ringing", "--to", rx.url, tty=True)
    assert r.exit_code == 0, r
    assert len(rx.requests) == 25
    assert "Capture" in r.stdout and "Signature" in r.stdout  # the table header
    assert "replay" in r.stderr and "25/25" in r.stderr  # the Rich progress bar


def test_debug_logs_each_request_and_never_the_secret(telcli, imported):
    with Receiver() as rx:
        r = telcli(
            "--debug", "webhook", "replay", "1", "--to", rx.url + "/x?token=abc", "--secret", TOKEN
        )
    assert r.exit_code == 0, r
    assert f"http: POST {rx.url}/x?token=*** -> 200" in r.stderr
    assert TOKEN not in r.stdout + r.stderr
