"""webhook pull --provider telnyx: GetWebhookDeliveries (sandbox and respx), one capture per
attempt, idempotent re-pulls, filters on the wire, and errors mapped to exit codes."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest
import respx

from telcli.sandbox.state import SandboxState
from telcli.sandbox.webhook_deliveries import record_delivery

EVENT = {
    "record_type": "event",
    "event_type": "call.hangup",
    "id": "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0",
    "occurred_at": "2026-11-22T10:00:00.000Z",
    "payload": {"call_control_id": "v3:abc", "hangup_cause": "normal_clearing"},
}


def _seed(home: Path) -> None:
    state = SandboxState(home / "sandbox.db")
    record_delivery(
        state,
        event=EVENT,
        url="https://app.example.com/telnyx",
        request_headers=[("telnyx-timestamp", "1700000000"), ("User-Agent", "telnyx-webhooks")],
        status=200,
        response_body="ok",
        started_at="2026-11-22T10:00:01.000Z",
        finished_at="2026-11-22T10:00:01.250Z",
    )
    record_delivery(
        state,
        event={
            **EVENT,
            "event_type": "call.initiated",
            "id": "1ccc7b54-4df3-4bca-a65a-3da1ecc777f0",
        },
        url="https://down.example.com/telnyx",
        request_headers=[],
        status=None,
        started_at="2026-11-22T09:00:00.000Z",
        finished_at="2026-11-22T09:00:05.000Z",
        error="Unable to resolve the webhook URL domain name",
    )


def test_pull_from_the_sandbox_stores_each_attempt_once(telcli, home: Path):
    _seed(home)
    r = telcli("--sandbox", "webhook", "pull", "--provider", "telnyx", "--json")
    assert r.exit_code == 0, r
    pulled = json.loads(r.stdout)
    assert [(c["source"], c["provider"], c["event_type"], c["sid"]) for c in pulled] == [
        ("pull", "telnyx", "call.initiated", "v3:abc"),  # oldest first
        ("pull", "telnyx", "call.hangup", "v3:abc"),
    ]
    assert pulled[1]["response"]["status"] == 200 and pulled[1]["response"]["latency_ms"] == 250.0
    assert pulled[0]["response"]["status"] is None
    assert "Unable to resolve" in pulled[0]["response"]["error"]
    assert "pulled 2 delivery records from telnyx: 2 new captures" in r.stderr

    shown = json.loads(telcli("webhook", "show", str(pulled[1]["id"]), "--json").stdout)
    assert json.loads(base64.b64decode(shown["body_b64"])) == {"data": EVENT}
    assert ["telnyx-timestamp", "1700000000"] in shown["headers"]
    assert shown["url"] == "https://app.example.com/telnyx"

    again = telcli("--sandbox", "webhook", "pull", "--json")
    assert json.loads(again.stdout) == [] and "2 already stored" in again.stderr
    failed = telcli("--sandbox", "webhook", "pull", "--status", "failed", "--json")
    assert json.loads(failed.stdout) == []
    assert "pulled 1 delivery record from" in failed.stderr


@respx.mock(assert_all_called=True)
def test_pull_sends_the_spec_filters_and_pages(respx_mock, telcli, monkeypatch):
    monkeypatch.setenv("TELNYX_API_KEY", "KEY_test_not_real_0123456789")
    page = {"data": [], "meta": {"page_number": 1, "page_size": 250, "total_pages": 1}}
    route = respx_mock.get("https://api.telnyx.com/v2/webhook_deliveries").mock(
        return_value=httpx.Response(200, json=page)
    )
    r = telcli(
        "webhook",
        "pull",
        "--since",
        "2026-11-22T10:00:00Z",
        "--event",
        "call.hangup",
        "--status",
        "delivered",
    )
    assert r.exit_code == 0, r
    params = dict(route.calls[0].request.url.params)
    assert params == {
        "filter[started_at][gte]": "2026-11-22T10:00:00.000Z",
        "filter[event_type]": "call.hangup",
        "filter[status][eq]": "delivered",
        "page[number]": "1",
        "page[size]": "250",
    }
    assert route.calls[0].request.headers["Authorization"] == "Bearer KEY_test_not_real_0123456789"


@pytest.mark.parametrize(("status", "code"), [(401, 4), (503, 6), (422, 5)])
def test_pull_errors_map_to_exit_codes(respx_mock, telcli, monkeypatch, status, code):
    monkeypatch.setenv("TELNYX_API_KEY", "KEY_test_not_real_0123456789")
    respx_mock.get("https://api.telnyx.com/v2/webhook_deliveries").mock(
        return_value=httpx.Response(status, json={"errors": [{"code": "10000", "title": "nope"}]})
    )
    r = telcli("--timeout", "1", "webhook", "pull")
    assert r.exit_code == code, r
    assert r.stderr.startswith("error: ") and "Traceback" not in r.stderr


def test_pull_without_credentials_is_exit_4(telcli):
    r = telcli("webhook", "pull")
    assert r.exit_code == 4
    assert "TELNYX_API_KEY" in r.stderr
