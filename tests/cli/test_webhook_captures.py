"""webhook import | export | list | show: output modes, verdicts, exit codes, clean errors."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest

from telcli.webhooks import telnyx as telnyx_scheme
from telcli.webhooks import twilio as twilio_scheme

TOKEN = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"  # a fake Auth Token: test-only
SEED_B64 = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="  # RFC 8032 TEST 1 seed
PUBLIC_B64 = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
SID = "CA" + "0123456789abcdef" * 2
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
FORM = f"CallSid={SID}&CallStatus=completed&Caller=%2B14158675309&Digits=&Body=a+b".encode()
TELNYX_BODY = (
    b'{"data":{"event_type":"call.initiated","id":"0ccc7b54-4df3-4bca-a65a-3da1ecc777f0",'
    b'"payload":{"call_control_id":"v3:abc"}}}'
)


def _line(url: str, headers: list[list[str]], body: bytes, at: str = "2026-11-22T10:00:00Z") -> str:
    return json.dumps(
        {
            "received_at": at,
            "method": "POST",
            "url": url,
            "headers": headers,
            "body_b64": base64.b64encode(body).decode(),
        }
    )


@pytest.fixture
def captures(tmp_path: Path) -> Path:
    sig = twilio_scheme.compute_signature(TOKEN, URL, twilio_scheme.form_params(FORM))
    ts = str(int(time.time()) - 3600)  # an hour old: outside Telnyx's 300 s window
    signed = telnyx_scheme.sign(SEED_B64, body=TELNYX_BODY, timestamp=ts)
    lines = [
        _line(
            URL,
            [["Content-Type", "application/x-www-form-urlencoded"], ["X-Twilio-Signature", sig]],
            FORM,
            "2026-11-22T09:00:00Z",
        ),
        _line(
            "https://example.com/telnyx",
            [["Content-Type", "application/json"], *([k, v] for k, v in signed.headers.items())],
            TELNYX_BODY,
        ),
    ]
    path = tmp_path / "caps.ndjson"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_import_prints_ids_and_a_note(telcli, captures: Path):
    r = telcli("webhook", "import", str(captures))
    assert r.exit_code == 0, r
    assert r.stdout == "1\n2\n"
    assert "imported 2 captures" in r.stderr and "(ndjson)" in r.stderr
    again = telcli("webhook", "import", str(captures), "--json")
    assert json.loads(again.stdout) == {"format": "ndjson", "added": 0, "duplicates": 2, "ids": []}


def test_list_modes_and_filters(telcli, captures: Path):
    telcli("webhook", "import", str(captures))
    tsv = telcli("webhook", "list").stdout.splitlines()
    assert [line.split("\t")[:6] for line in tsv] == [
        ["2", "2026-11-22T10:00:00.000Z", "import", "telnyx", "call.initiated", "v3:abc"],
        ["1", "2026-11-22T09:00:00.000Z", "import", "twilio", "completed", SID],
    ]
    data = json.loads(telcli("webhook", "list", "--json", "--provider", "twilio").stdout)
    assert [d["id"] for d in data] == [1]
    assert set(data[0]) >= {
        "id",
        "received_at",
        "provider",
        "event_type",
        "sid",
        "url",
        "body_size",
    }
    assert "body_b64" not in data[0]
    assert json.loads(telcli("webhook", "list", "--json", "--sid", "v3:abc").stdout)[0]["id"] == 2
    assert json.loads(telcli("webhook", "list", "--json", "--event", "nope").stdout) == []
    assert len(json.loads(telcli("webhook", "list", "--json", "-n", "1").stdout)) == 1
    since = telcli("webhook", "list", "--json", "--since", "2026-11-22T09:30:00Z")
    assert [d["id"] for d in json.loads(since.stdout)] == [2]
    table = telcli("webhook", "list", tty=True)
    assert "Provider" in table.stdout and "call.initiated" in table.stdout


def test_show_with_secret_says_valid_without_printing_the_secret(telcli, captures: Path):
    telcli("webhook", "import", str(captures))
    r = telcli("webhook", "show", "1", "--secret", TOKEN)
    assert r.exit_code == 0, r
    assert f"POST {URL}" in r.stdout
    assert "  Body = 'a b'" in r.stdout and "  Digits = ''" in r.stdout
    assert "signature: valid (twilio)" in r.stdout
    assert TOKEN not in r.stdout + r.stderr
    wrong = telcli("webhook", "show", "1", "--secret", "54321", "--json")
    verdict = json.loads(wrong.stdout)["verdict"]
    assert wrong.exit_code == 0 and verdict["valid"] is False
    unknown = telcli("webhook", "show", "1")
    assert "signature: not checked" in unknown.stdout


def test_show_telnyx_expired_timestamp(telcli, captures: Path):
    telcli("webhook", "import", str(captures))
    r = telcli("webhook", "show", "2", "--public-key", PUBLIC_B64, "--json")
    data = json.loads(r.stdout)
    assert data["verdict"]["valid"] is False and "old" in data["verdict"]["reason"]
    assert data["body_decoded"]["kind"] == "json"
    assert base64.b64decode(data["body_b64"]) == TELNYX_BODY
    # Judged as of its own time, the same capture is valid.
    ts = int(dict(data["headers"])["telnyx-timestamp"])
    ok = telcli("webhook", "show", "2", "--public-key", PUBLIC_B64, "--at", str(ts + 10), "--json")
    assert json.loads(ok.stdout)["verdict"]["valid"] is True


def test_export_is_ndjson_oldest_first_and_reimportable(telcli, captures: Path, tmp_path: Path):
    telcli("webhook", "import", str(captures))
    r = telcli("webhook", "export")
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["id"] for x in lines] == [1, 2]
    assert base64.b64decode(lines[0]["body_b64"]) == FORM
    assert "exported 2 captures" in r.stderr
    only = telcli("webhook", "export", "2")
    assert [json.loads(x)["id"] for x in only.stdout.splitlines()] == [2]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("webhook", "show", "99"), 2, "error: no capture with id 99"),
        (("webhook", "list", "--since", "whenever"), 2, "error: --since 'whenever'"),
        (("webhook", "import", "/nonexistent/file"), 2, "error: cannot read /nonexistent/file"),
    ],
)
def test_errors_are_one_clear_line(telcli, args, code, message):
    r = telcli(*args)
    assert r.exit_code == code, r
    assert r.stderr.startswith(message)
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_malformed_capture_file(telcli, tmp_path: Path):
    bad = tmp_path / "bad.ndjson"
    bad.write_text('{"method": "POST", "url": "http://h/"}\n{"method": "POST", "url": 3}\n')
    r = telcli("webhook", "import", str(bad))
    assert r.exit_code == 2
    assert r.stderr.splitlines()[0] == f"error: {bad} line 2: missing 'url'"
    assert "Traceback" not in r.stderr
    assert json.loads(telcli("webhook", "list", "--json").stdout) == []
