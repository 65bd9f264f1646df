"""TelnyxProvider messages and calls against respx: SendMessage/GetMessage and
DialCall/RetrieveCallStatus request shapes, status mapping, and no retry of a send."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest

from telcli.errors import ProviderRejected, ProviderUnavailable
from telcli.providers.base import ProviderSettings
from telcli.providers.telnyx import TelnyxProvider
from telcli.transport import RetryPolicy
from tests.providers.helpers import TELNYX_KEY

API = "https://api.telnyx.com/v2"
MESSAGE_ID = "40385f64-5717-4562-b3fc-2c963f66afa6"
CALL_ID = "v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg"


def make(**kw) -> TelnyxProvider:
    kw.setdefault("credentials", {"api_key": TELNYX_KEY})
    return TelnyxProvider(ProviderSettings(**kw))


def message(status: str = "queued", **kw) -> dict:
    data = {
        "record_type": "message",
        "direction": "outbound",
        "id": MESSAGE_ID,
        "type": "SMS",
        "from": {"phone_number": "+19705555098", "carrier": "Telnyx", "line_type": "VoIP"},
        "to": [{"phone_number": "+14155550123", "status": status, "carrier": "T-Mobile USA"}],
        "text": "hello",
        "parts": 1,
        "encoding": "GSM-7",
        "cost": None,
        "received_at": "2026-11-22T05:00:00.000Z",
        "sent_at": None,
        "completed_at": None,
        "errors": [],
    }
    data.update(kw)
    return {"data": data}


def test_send_sms_posts_send_message_json(respx_mock):
    route = respx_mock.post(f"{API}/messages").respond(200, json=message())
    result = make().send_sms(
        "+14155550123",
        "+19705555098",
        "hello",
        media_urls=["https://example.com/a.png"],
        status_callback="https://example.com/status",
    )
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {TELNYX_KEY}"
    assert json.loads(request.content) == {
        "from": "+19705555098",
        "to": "+14155550123",
        "text": "hello",
        "media_urls": ["https://example.com/a.png"],
        "type": "MMS",
        "webhook_url": "https://example.com/status",
    }
    assert (result.id, result.status, result.to, result.from_) == (
        MESSAGE_ID,
        "queued",
        "+14155550123",
        "+19705555098",
    )


@pytest.mark.parametrize(
    ("telnyx_status", "status"),
    [
        ("queued", "queued"),
        ("sending", "sending"),
        ("sent", "sent"),
        ("delivered", "delivered"),
        ("delivery_unconfirmed", "sent"),
        ("delivery_failed", "undelivered"),
        ("sending_failed", "failed"),
    ],
)
def test_fetch_message_maps_statuses(respx_mock, telnyx_status, status):
    respx_mock.get(f"{API}/messages/{MESSAGE_ID}").respond(200, json=message(telnyx_status))
    result = make().fetch_message(MESSAGE_ID)
    assert (result.status, result.carrier_status) == (status, telnyx_status)


def test_fetch_message_reports_errors_and_cost(respx_mock):
    body = message(
        "delivery_failed",
        errors=[{"code": "40008", "title": "Undeliverable", "detail": "handset unreachable"}],
        cost={"amount": "0.0080", "currency": "USD"},
        parts=2,
    )
    respx_mock.get(f"{API}/messages/{MESSAGE_ID}").respond(200, json=body)
    result = make().fetch_message(MESSAGE_ID)
    assert (result.error_code, result.error_message) == ("40008", "handset unreachable")
    assert (result.price, result.currency, result.segments) == (Decimal("0.0080"), "USD", 2)


def test_a_send_is_never_retried(respx_mock):
    route = respx_mock.post(f"{API}/messages").mock(side_effect=httpx.ReadTimeout("slow"))
    pauses: list[float] = []
    provider = make(retry=RetryPolicy(sleep=pauses.append, random=lambda: 0.5))
    with pytest.raises(ProviderUnavailable) as info:
        provider.send_sms("+14155550123", "+19705555098", "hello")
    assert route.call_count == 1 and pauses == [] and info.value.sent is True


def test_invalid_destination_is_rejected_with_the_telnyx_code(respx_mock):
    respx_mock.post(f"{API}/messages").respond(
        400, json={"errors": [{"code": "40310", "title": "Invalid 'to' address"}]}
    )
    with pytest.raises(ProviderRejected) as info:
        make().send_sms("+15005550001", "+19705555098", "hello")
    assert info.value.code == "40310"


def test_place_call_dials_from_the_connection(respx_mock):
    route = respx_mock.post(f"{API}/calls").respond(
        200,
        json={
            "data": {
                "record_type": "call",
                "call_control_id": CALL_ID,
                "call_leg_id": "2dc6fc34-f9e0-11ea-b68e-02420a0f7768",
                "call_session_id": "2dc1b3c8-f9e0-11ea-bc5a-02420a0f7768",
                "is_alive": False,
            }
        },
    )
    result = make().place_call(
        "+14155550123",
        "+19705555098",
        connection_id="1494404757140276705",
        status_callback="https://example.com/calls",
        timeout=20,
        time_limit=60,
        command_id="891510ac-f3e4-11e8-af5b-de00688a4901",
    )
    assert json.loads(route.calls.last.request.content) == {
        "connection_id": "1494404757140276705",
        "to": "+14155550123",
        "from": "+19705555098",
        "webhook_url": "https://example.com/calls",
        "timeout_secs": 20,
        "time_limit_secs": 60,
        "command_id": "891510ac-f3e4-11e8-af5b-de00688a4901",
    }
    assert (result.id, result.status, result.to) == (CALL_ID, "queued", "+14155550123")
    assert result.session_id == "2dc1b3c8-f9e0-11ea-bc5a-02420a0f7768"


@pytest.mark.parametrize(
    ("data", "status", "duration"),
    [
        ({"is_alive": True, "start_time": "2026-11-22T05:00:03Z"}, "in-progress", None),
        (
            {"is_alive": False, "end_time": "2026-11-22T05:00:08Z", "call_duration": 5},
            "completed",
            5,
        ),
        (
            {"is_alive": False, "end_time": "2026-11-22T05:00:08Z", "call_duration": 0},
            "no-answer",
            0,
        ),
        ({"is_alive": False}, "queued", None),
    ],
)
def test_fetch_call_classifies_retrieve_call_status(respx_mock, data, status, duration):
    body = {
        "record_type": "call",
        "call_control_id": CALL_ID,
        "call_leg_id": "l",
        "call_session_id": "s",
    }
    route = respx_mock.get(f"{API}/calls/{CALL_ID}").respond(200, json={"data": {**body, **data}})
    if status == "no-answer":  # ended unanswered: the leg's events are asked why (none yet)
        respx_mock.get(f"{API}/call_events").respond(200, json={"data": [], "meta": {}})
    result = make().fetch_call(CALL_ID, to="+14155550123", from_="+19705555098")
    assert (result.status, result.duration, result.to) == (status, duration, "+14155550123")
    assert route.calls.last.request.url.raw_path.decode().endswith(CALL_ID.replace(":", "%3A")) or (
        route.calls.last.request.url.path.endswith(CALL_ID)
    )


LEG = "308fe500-5213-11e9-ace7-02420a0f0668"


def _hangup(cause: str | None, *, nested: bool = True) -> dict:
    """A ListCallEvents answer: call.initiated, then call.hangup carrying ``cause`` in its
    metadata (the raw event, as the sandbox sends it, or flat)."""
    payload = {"call_leg_id": LEG, "hangup_cause": cause, "sip_hangup_cause": "486"}
    metadata = {"event": {"event_type": "call.hangup", "payload": payload}} if nested else payload
    base = {"record_type": "call_event", "call_leg_id": LEG, "call_session_id": "s"}
    return {
        "data": [
            {**base, "name": "call.initiated", "type": "webhook", "metadata": {}},
            {**base, "name": "call.hangup", "type": "webhook", "metadata": metadata},
        ],
        "meta": {"page_number": 1, "total_pages": 1},
    }


@pytest.mark.parametrize(
    ("cause", "status"),
    [
        ("user_busy", "busy"),
        ("call_rejected", "failed"),
        ("not_found", "failed"),
        ("originator_cancel", "canceled"),
        ("timeout", "no-answer"),
        ("no_answer", "no-answer"),
        ("something_new", "failed"),
    ],
)
def test_an_unanswered_call_reads_its_hangup_cause_from_the_call_events(respx_mock, cause, status):
    # Issue 13: RetrieveCallStatus cannot say why a call ended, so busy, failed and canceled
    # all read no-answer; the leg's call.hangup event (ListCallEvents) has the cause.
    ended = {"is_alive": False, "end_time": "2026-11-22T05:00:08Z", "call_duration": 0}
    record = {"call_control_id": CALL_ID, "call_leg_id": LEG, "call_session_id": "s", **ended}
    respx_mock.get(f"{API}/calls/{CALL_ID}").respond(200, json={"data": record})
    events = respx_mock.get(f"{API}/call_events").respond(
        200, json=_hangup(cause, nested=cause != "timeout")
    )

    result = make().fetch_call(CALL_ID)

    assert (result.status, result.carrier_status, result.answered) == (status, cause, False)
    assert dict(events.calls.last.request.url.params) == {
        "filter[leg_id]": LEG,
        "page[size]": "50",
    }


def test_an_answered_call_needs_no_events_and_a_missing_cause_stays_no_answer(respx_mock):
    answered = {"is_alive": False, "end_time": "2026-11-22T05:00:08Z", "call_duration": 4}
    base = {"call_control_id": CALL_ID, "call_leg_id": LEG, "call_session_id": "s"}
    route = respx_mock.get(f"{API}/calls/{CALL_ID}")
    route.respond(200, json={"data": {**base, **answered}})
    assert make().fetch_call(CALL_ID).status == "completed"  # respx: no call_events request

    route.respond(200, json={"data": {**base, **answered, "call_duration": 0}})
    respx_mock.get(f"{API}/call_events").respond(200, json=_hangup(None))
    assert make().fetch_call(CALL_ID).status == "no-answer"
