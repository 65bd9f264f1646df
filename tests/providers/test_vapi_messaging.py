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
from telcli.providers.base import HangupUnavailable, ProviderSettings
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


# -- ending a call: Live Call Control on the call's own host -------------------------------

CONTROL = (
    f"https://phone-call-websocket.aws-us-west-2-backend-production2.vapi.ai/{CALL_ID}/control"
)


def _placed(provider: VapiProvider, respx_mock, **extra) -> None:
    respx_mock.post(f"{API}/call").respond(201, json=call(**extra))
    vapi.place_assistant_call(
        provider,
        assistant_id=ASSISTANT,
        phone_number_id=NUMBER_ID,
        to="+14155550123",
        from_="+14155550100",
    )


def test_end_call_posts_end_call_to_the_control_url_without_the_api_key(respx_mock):
    provider = make()
    _placed(provider, respx_mock, monitor={"controlUrl": CONTROL})
    control = respx_mock.post(CONTROL).respond(200, text="OK")
    vapi.end_assistant_call(provider, CALL_ID)  # the URL kept from the create answer: no GET
    request = control.calls.last.request
    assert json.loads(request.content) == {"type": "end-call"}
    assert request.headers["Content-Type"] == "application/json"
    assert "Authorization" not in request.headers
    assert KEY not in str(request.headers) + request.content.decode()


def test_end_call_reads_the_control_url_when_it_was_not_kept(respx_mock):
    found = respx_mock.get(f"{API}/call/{CALL_ID}").respond(
        200, json=call(status="ringing", monitor={"listenUrl": "wss://x", "controlUrl": CONTROL})
    )
    control = respx_mock.post(CONTROL).respond(200)
    vapi.end_assistant_call(make(), CALL_ID)
    assert found.calls.last.request.headers["Authorization"] == f"Bearer {KEY}"
    assert "Authorization" not in control.calls.last.request.headers


def test_a_call_without_control_url_cannot_be_hung_up(respx_mock):
    respx_mock.get(f"{API}/call/{CALL_ID}").respond(200, json=call(monitor={}))
    with pytest.raises(HangupUnavailable, match=r"live call control is off .*monitor\.controlUrl"):
        vapi.end_assistant_call(make(), CALL_ID)


@pytest.mark.parametrize("status", [401, 403, 404])
def test_a_refusing_control_url_is_no_credential_problem(respx_mock, status):
    provider = make()
    _placed(provider, respx_mock, monitor={"controlUrl": CONTROL})
    respx_mock.post(CONTROL).respond(status, json={"message": "Invalid Key"})
    with pytest.raises(HangupUnavailable, match=rf"\({status}\)") as raised:
        vapi.end_assistant_call(provider, CALL_ID)
    assert raised.value.status == status  # not AuthError: the API key was never involved


def test_a_call_already_ended_is_a_rejection_not_a_missing_control(respx_mock):
    provider = make()
    _placed(provider, respx_mock, monitor={"controlUrl": CONTROL})
    respx_mock.post(CONTROL).respond(400, json={"message": ["Call has already ended."]})
    with pytest.raises(ProviderRejected, match="Call has already ended") as raised:
        vapi.end_assistant_call(provider, CALL_ID)
    assert not isinstance(raised.value, HangupUnavailable)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"http://phone-call-websocket.vapi.ai/{CALL_ID}/control", "http://phone-call-websocket"),
        (f"wss://phone-call-websocket.vapi.ai/{CALL_ID}/control", "wss://phone-call-websocket"),
        ("/relative/control", "?://?"),
    ],
)
def test_only_https_control_urls_are_posted_to(respx_mock, url, shown):
    provider = make()
    _placed(provider, respx_mock, monitor={"controlUrl": url})
    with pytest.raises(HangupUnavailable, match="not https") as raised:
        vapi.end_assistant_call(provider, CALL_ID)  # respx fails any request not routed
    assert shown in raised.value.message and CALL_ID not in raised.value.message


def test_http_control_on_the_api_base_urls_own_origin_is_the_served_sandbox(respx_mock):
    base = "http://127.0.0.1:4780/vapi"
    provider = make(base_urls={"api": base})
    respx_mock.post(f"{base}/call").respond(
        201,
        json=call(monitor={"controlUrl": f"http://127.0.0.1:4780/vapi-control/{CALL_ID}/control"}),
    )
    vapi.place_assistant_call(
        provider, assistant_id=ASSISTANT, phone_number_id=NUMBER_ID, to="+14155550123", from_="+1"
    )
    control = respx_mock.post(f"http://127.0.0.1:4780/vapi-control/{CALL_ID}/control").respond(200)
    vapi.end_assistant_call(provider, CALL_ID)
    assert "Authorization" not in control.calls.last.request.headers
    # Another port of the same host is another origin.
    other = make(base_urls={"api": "http://127.0.0.1:4781/vapi"})
    other._control_urls[CALL_ID] = f"http://127.0.0.1:4780/vapi-control/{CALL_ID}/control"
    with pytest.raises(HangupUnavailable, match=r"not https \(http://127\.0\.0\.1\)"):
        vapi.end_assistant_call(other, CALL_ID)
