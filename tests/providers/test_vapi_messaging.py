"""VAPI outbound assistant calls against respx: CallController_create/findOne/findAll and
PhoneNumberController_findAll request shapes, and endedReason -> call status."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from telcli.errors import ProviderRejected, ProviderUnavailable
from telcli.providers import vapi
from telcli.providers.base import ProviderSettings
from telcli.providers.vapi import VapiProvider
from telcli.transport import RetryPolicy

API = "https://api.vapi.ai"
KEY = "9f1c2a3b-4d5e-4f60-8a7b-1c2d3e4f5a6b"
ASSISTANT = "5a1f7c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
NUMBER_ID = "7c3e1a2b-9d8f-4e6a-b5c4-3d2e1f0a9b8c"
CALL_ID = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"


def make(**kw) -> VapiProvider:
    kw.setdefault("credentials", {"api_key": KEY})
    return VapiProvider(ProviderSettings(**kw))


def call(**kw) -> dict:
    body = {
        "id": CALL_ID,
        "orgId": "aa0e8400-e29b-41d4-a716-446655440000",
        "createdAt": "2026-11-22T05:00:00.000Z",
        "updatedAt": "2026-11-22T05:00:00.000Z",
        "type": "outboundPhoneCall",
        "status": "queued",
        "assistantId": ASSISTANT,
        "phoneNumberId": NUMBER_ID,
        "customer": {"number": "+14155550123"},
    }
    body.update(kw)
    return body


def test_phone_number_id_of_an_imported_number(respx_mock):
    respx_mock.get(f"{API}/phone-number").respond(
        200,
        json=[
            {"id": "other", "number": "+14155550199"},
            {"id": NUMBER_ID, "number": "+14155550100"},
        ],
    )
    assert vapi.vapi_phone_number_id(make(), "+14155550100") == NUMBER_ID
    assert vapi.vapi_phone_number_id(make(), "+14155550101") is None


def test_place_assistant_call_posts_create_call(respx_mock):
    route = respx_mock.post(f"{API}/call").respond(201, json=call())
    result = vapi.place_assistant_call(
        make(),
        assistant_id=ASSISTANT,
        phone_number_id=NUMBER_ID,
        to="+14155550123",
        from_="+14155550100",
    )
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert json.loads(request.content) == {
        "assistantId": ASSISTANT,
        "phoneNumberId": NUMBER_ID,
        "customer": {"number": "+14155550123"},
    }
    assert (result.id, result.status, result.provider) == (CALL_ID, "queued", "vapi")
    assert (result.to, result.from_) == ("+14155550123", "+14155550100")


def test_a_create_call_is_never_retried(respx_mock):
    route = respx_mock.post(f"{API}/call").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(ProviderUnavailable):
        vapi.place_assistant_call(
            make(retry=RetryPolicy(sleep=lambda _: None)),
            assistant_id=ASSISTANT,
            phone_number_id=NUMBER_ID,
            to="+14155550123",
            from_="+14155550100",
        )
    assert route.call_count == 1


def test_a_rejected_call_carries_vapis_message(respx_mock):
    respx_mock.post(f"{API}/call").respond(
        400, json={"message": ["customer.number must be a valid phone number"], "statusCode": 400}
    )
    with pytest.raises(ProviderRejected, match=r"customer\.number must be a valid"):
        vapi.place_assistant_call(
            make(), assistant_id=ASSISTANT, phone_number_id=NUMBER_ID, to="+1", from_="+14155550100"
        )


@pytest.mark.parametrize(
    ("status", "reason", "expected", "duration"),
    [
        ("ringing", None, "ringing", None),
        ("forwarding", None, "in-progress", None),
        ("ended", "customer-ended-call", "completed", 42),
        ("ended", "assistant-ended-call", "completed", 42),
        ("ended", "silence-timed-out", "completed", 42),
        ("ended", "customer-busy", "busy", 42),
        ("ended", "customer-did-not-answer", "no-answer", 42),
        ("ended", "manually-canceled", "canceled", 42),
        ("ended", "twilio-failed-to-connect-call", "failed", 42),
    ],
)
def test_fetch_maps_status_and_ended_reason(respx_mock, status, reason, expected, duration):
    extra = {"status": status, "startedAt": "2026-11-22T05:00:03.000Z"}
    if reason:
        extra.update(endedReason=reason, endedAt="2026-11-22T05:00:45.000Z", cost=0.1234)
    respx_mock.get(f"{API}/call/{CALL_ID}").respond(200, json=call(**extra))
    result = vapi.fetch_assistant_call(make(), CALL_ID, to="+14155550123", from_="+14155550100")
    assert (result.status, result.duration) == (expected, duration)
    if reason:
        assert (result.price, result.currency) == (Decimal("0.1234"), "USD")
        assert result.error_code == (reason if expected == "failed" else None)


def test_find_calls_filters_by_number_time_and_customer(respx_mock):
    route = respx_mock.get(f"{API}/call").respond(
        200, json=[call(), call(id="x", customer={"number": "+14155550999"})]
    )
    found = vapi.find_assistant_calls(
        make(),
        phone_number_id=NUMBER_ID,
        to="+14155550123",
        from_="+14155550100",
        since=datetime(2026, 11, 22, 4, 59, tzinfo=UTC),
    )
    assert [c.id for c in found] == [CALL_ID]
    params = route.calls.last.request.url.params
    assert (params["phoneNumberId"], params["createdAtGe"]) == (NUMBER_ID, "2026-11-22T04:59:00Z")
