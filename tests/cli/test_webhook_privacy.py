"""Privacy of captures (issue 15, item 6): delete by id, age or filter (asking first),
retention applied when listen or pull starts, and redacted exports for tickets."""

from __future__ import annotations

import base64
import json

import pytest

OLD, NEW = "2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z"


def _line(at: str, call: str, body: str | None = None) -> str:
    return json.dumps(
        {
            "method": "POST",
            "url": "https://hooks.example.com/status?meta_caller=%2B14155550123",
            "received_at": at,
            "headers": [
                ["Content-Type", "application/x-www-form-urlencoded"],
                ["X-Twilio-Signature", "sig"],
                ["Authorization", "Basic c2VjcmV0"],
            ],
            "body": body
            or f"CallSid={call}&CallStatus=completed&From=%2B14155550123&To=%2B442071234567"
            "&Body=meet+me+at+noon&SequenceNumber=1",
        }
    )


@pytest.fixture
def stored(telcli, tmp_path):
    path = tmp_path / "caps.ndjson"
    path.write_text("\n".join([_line(OLD, "CA1"), _line(NEW, "CA2"), _line(NEW, "CA3")]) + "\n")
    assert telcli("webhook", "import", str(path)).exit_code == 0
    return path


def _ids(telcli) -> list[int]:
    return sorted(c["id"] for c in json.loads(telcli("webhook", "list", "--json").stdout))


def test_delete_asks_first_and_needs_yes_without_a_tty(telcli, stored):
    refused = telcli("webhook", "delete", "1")
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    assert telcli("webhook", "delete", "1", tty=True, input="n\n").exit_code == 1
    assert _ids(telcli) == [1, 2, 3]
    assert telcli("webhook", "delete", "1", tty=True, input="y\n").exit_code == 0
    assert _ids(telcli) == [2, 3]


def test_delete_by_age_or_filter_and_dry_run(telcli, stored):
    dry = telcli("webhook", "delete", "--older-than", "30d", "--dry-run", "--json")
    assert json.loads(dry.stdout) == {"matched": 1, "deleted": 0, "dry_run": True}
    assert _ids(telcli) == [1, 2, 3]
    done = telcli("webhook", "delete", "--older-than", "30d", "--yes", "--json")
    assert json.loads(done.stdout) == {"matched": 1, "deleted": 1, "dry_run": False}
    assert telcli("webhook", "delete", "--filter", "call=CA3", "--yes").exit_code == 0
    assert _ids(telcli) == [2]
    assert telcli("webhook", "delete").exit_code == 2  # nothing named: nothing assumed
    soon = telcli("webhook", "delete", "--older-than", "soon", "--yes")
    assert soon.exit_code == 2
    assert soon.stderr.startswith("error: --older-than 'soon' is neither a time nor a duration")


def test_retention_days_applies_when_pull_starts(telcli, stored, home):
    (home / "config.yaml").write_text("webhooks: {retention_days: 30}\n")
    result = telcli("--sandbox", "webhook", "pull", "--provider", "telnyx")
    assert result.exit_code == 0, result
    assert "deleted 1 capture older than 30 days" in result.stderr
    assert _ids(telcli) == [2, 3]


def test_redacted_exports_keep_country_code_and_last_two_digits_only(telcli, stored):
    raw = [json.loads(x) for x in telcli("webhook", "export", "--redact").stdout.splitlines()]
    body = base64.b64decode(raw[0]["body_b64"]).decode()
    assert "4155550123" not in body and "2071234567" not in body
    assert "From=%2B1%2A%2A%2A%2A%2A%2A%2A%2A23" in body  # +1********23
    assert "meet" not in body and "Body=%5Bredacted%5D" in body
    assert dict(raw[0]["headers"])["Authorization"] == "[redacted]"
    assert "4155550123" not in raw[0]["url"]
    events = telcli("webhook", "export", "--normalized", "--redact").stdout.splitlines()
    first = json.loads(events[0])
    assert (first["from"], first["to"]) == ("+1********23", "+44********67")
    assert first["meta"] == {"caller": "+1********23"}
    # Without --redact, nothing is masked.
    assert "4155550123" in telcli("webhook", "export", "--normalized").stdout
