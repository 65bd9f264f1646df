"""TwilioProvider messages and calls against respx: CreateMessage/FetchMessage/ListMessage and
CreateCall/FetchCall/ListCall request shapes, parsed results, and no retry of a send."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qs

import httpx
import pytest

from telcli.errors import ProviderRejected, ProviderUnavailable
from telcli.models import ProviderName
from telcli.providers.base import ProviderSettings
from telcli.providers.twilio import TwilioProvider
from telcli.transport import RetryPolicy
from tests.providers.helpers import ACCOUNT_SID, AUTH_TOKEN, basic

API = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}"
MESSAGE_SID = "SM1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c"
CALL_SID = "CA2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b"


def make(**kw) -> TwilioProvider:
    kw.setdefault("credentials", {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN})
    return TwilioProvider(ProviderSettings(**kw))


def form_of(request: httpx.Request) -> dict[str, list[str]]:
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    return parse_qs(request.content.decode(), keep_blank_values=True)


def message(**kw) -> dict:
    body = {
        "account_sid": ACCOUNT_SID,
        "api_version": "2010-04-01",
        "body": "telcli test 1",
        "date_created": "Sun, 22 Nov 2026 05:00:00 +0000",
        "date_sent": None,
        "date_updated": "Sun, 22 Nov 2026 05:00:00 +0000",
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": "+14155550100",
        "messaging_service_sid": None,
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": MESSAGE_SID,
        "status": "queued",
        "subresource_uris": {"media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/x/Media.json"},
        "to": "+14155550123",
        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{MESSAGE_SID}.json",
    }
    body.update(kw)
    return body


def call(**kw) -> dict:
    body = {
        "sid": CALL_SID,
        "account_sid": ACCOUNT_SID,
        "to": "+14155550123",
        "from": "+14155550100",
        "status": "queued",
        "date_created": "Sun, 22 Nov 2026 05:00:00 +0000",
        "date_updated": "Sun, 22 Nov 2026 05:00:00 +0000",
        "start_time": None,
        "end_time": None,
        "duration": None,
        "price": None,
        "price_unit": "USD",
        "direction": "outbound-api",
        "api_version": "2010-04-01",
        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{CALL_SID}.json",
    }
    body.update(kw)
    return body


def test_send_sms_posts_create_message_form(respx_mock):
    route = respx_mock.post(f"{API}/Messages.json").respond(201, json=message())
    result = make().send_sms(
        "+14155550123",
        "+14155550100",
        "telcli test 1",
        media_urls=["https://example.com/a.png", "https://example.com/b.png"],
        status_callback="https://example.com/status",
    )
    request = route.calls.last.request
    assert request.headers["Authorization"] == basic(ACCOUNT_SID, AUTH_TOKEN)
    assert form_of(request) == {
        "To": ["+14155550123"],
        "From": ["+14155550100"],
        "Body": ["telcli test 1"],
        "MediaUrl": ["https://example.com/a.png", "https://example.com/b.png"],
        "StatusCallback": ["https://example.com/status"],
    }
    assert (result.provider, result.id, result.status) == (
        ProviderName.twilio,
        MESSAGE_SID,
        "queued",
    )
    assert (result.to, result.from_, result.segments) == ("+14155550123", "+14155550100", 1)
    assert result.created_at == datetime(2026, 11, 22, 5, 0, tzinfo=UTC)


def test_fetch_message_maps_error_code_and_price(respx_mock):
    respx_mock.get(f"{API}/Messages/{MESSAGE_SID}.json").respond(
        200,
        json=message(
            status="undelivered",
            error_code=30003,
            error_message="Unreachable destination handset",
            price="-0.01580",
            num_segments="2",
        ),
    )
    result = make().fetch_message(MESSAGE_SID)
    assert result.status == "undelivered" and result.error_code == "30003"
    assert result.error_message == "Unreachable destination handset"
    assert (result.price, result.currency, result.segments) == (Decimal("0.01580"), "USD", 2)
    assert result.to_json()["price"] == "0.01580"


def test_find_messages_filters_to_from_and_time(respx_mock):
    old = message(sid="SM" + "0" * 32, date_created="Sat, 21 Nov 2026 05:00:00 +0000")
    route = respx_mock.get(f"{API}/Messages.json").respond(
        200,
        json={"messages": [message(), old], "next_page_uri": None, "page": 0, "page_size": 50},
    )
    found = make().find_messages(
        "+14155550123", "+14155550100", datetime(2026, 11, 22, 4, 59, tzinfo=UTC)
    )
    assert [m.id for m in found] == [MESSAGE_SID]
    params = route.calls.last.request.url.params
    assert (params["To"], params["From"]) == ("+14155550123", "+14155550100")


def test_a_send_is_never_retried_even_with_a_retry_policy(respx_mock):
    route = respx_mock.post(f"{API}/Messages.json").respond(
        503, json={"code": 20500, "message": "x"}
    )
    pauses: list[float] = []
    provider = make(retry=RetryPolicy(max_attempts=5, sleep=pauses.append, random=lambda: 0.5))
    with pytest.raises(ProviderUnavailable) as info:
        provider.send_sms("+14155550123", "+14155550100", "hi")
    assert route.call_count == 1 and pauses == [] and info.value.sent is True


def test_a_lost_response_to_a_send_is_sent_true(respx_mock):
    route = respx_mock.post(f"{API}/Calls.json").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(ProviderUnavailable) as info:
        make(retry=RetryPolicy(sleep=lambda _: None)).place_call("+14155550123", "+14155550100")
    assert route.call_count == 1 and info.value.sent is True


def test_rejected_destination_is_provider_rejected_with_code(respx_mock):
    respx_mock.post(f"{API}/Messages.json").respond(
        400, json={"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}
    )
    with pytest.raises(ProviderRejected) as info:
        make().send_sms("+15005550001", "+14155550100", "hi")
    assert info.value.code == "21211"


def test_place_call_sends_twiml_and_progress_events(respx_mock):
    route = respx_mock.post(f"{API}/Calls.json").respond(201, json=call())
    result = make().place_call(
        "+14155550123",
        "+14155550100",
        twiml="<Response><Say>hi</Say></Response>",
        status_callback="https://example.com/calls",
        timeout=20,
        time_limit=60,
    )
    form = form_of(route.calls.last.request)
    assert form["Twiml"] == ["<Response><Say>hi</Say></Response>"]
    assert form["StatusCallback"] == ["https://example.com/calls"]
    assert form["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    assert (form["Timeout"], form["TimeLimit"]) == (["20"], ["60"])
    assert "Url" not in form
    assert (result.id, result.status, result.duration) == (CALL_SID, "queued", None)


def test_place_call_with_url_and_default_twiml(respx_mock):
    route = respx_mock.post(f"{API}/Calls.json").respond(201, json=call())
    make().place_call("+14155550123", "+14155550100", url="https://example.com/twiml")
    assert form_of(route.calls.last.request)["Url"] == ["https://example.com/twiml"]
    make().place_call("+14155550123", "+14155550100")
    assert "<Say>" in form_of(route.calls.last.request)["Twiml"][0]


def test_fetch_call_reports_duration_price_and_times(respx_mock):
    respx_mock.get(f"{API}/Calls/{CALL_SID}.json").respond(
        200,
        json=call(
            status="completed",
            duration="5",
            price="-0.01400",
            start_time="Sun, 22 Nov 2026 05:00:03 +0000",
            end_time="Sun, 22 Nov 2026 05:00:08 +0000",
        ),
    )
    result = make().fetch_call(CALL_SID)
    assert (result.status, result.duration, result.answered) == ("completed", 5, True)
    assert result.price == Decimal("0.01400") and result.from_ == "+14155550100"
    assert result.ended_at == datetime(2026, 11, 22, 5, 0, 8, tzinfo=UTC)


def test_find_calls_lists_by_to_and_from(respx_mock):
    route = respx_mock.get(f"{API}/Calls.json").respond(
        200, json={"calls": [call()], "next_page_uri": None, "page": 0, "page_size": 50}
    )
    found = make().find_calls("+14155550123", "+14155550100", datetime(2026, 11, 22, tzinfo=UTC))
    assert [c.id for c in found] == [CALL_SID]
    params = route.calls.last.request.url.params
    assert (params["To"], params["From"]) == ("+14155550123", "+14155550100")


def test_sms_price_takes_the_highest_local_price(respx_mock):
    route = respx_mock.get("https://pricing.twilio.com/v1/Messaging/Countries/US").respond(
        200,
        json={
            "country": "United States",
            "iso_country": "US",
            "outbound_sms_prices": [
                {
                    "carrier": "A",
                    "mcc": "310",
                    "mnc": "1",
                    "prices": [
                        {"number_type": "local", "base_price": "0.0079", "current_price": "0.0079"},
                        {"number_type": "toll free", "base_price": "0.02", "current_price": "0.02"},
                    ],
                },
                {
                    "carrier": "B",
                    "mcc": "310",
                    "mnc": "2",
                    "prices": [
                        {"number_type": "local", "base_price": "0.0083", "current_price": "0.0083"}
                    ],
                },
            ],
            "inbound_sms_prices": [],
            "price_unit": "usd",
            "url": "https://pricing.twilio.com/v1/Messaging/Countries/US",
        },
    )
    assert make().sms_price("+14155550123") == (Decimal("0.0083"), "USD")
    assert route.call_count == 1


def test_call_price_reads_the_outbound_price_per_minute(respx_mock):
    route = respx_mock.get("https://pricing.twilio.com/v1/Voice/Numbers/%2B14155550123").respond(
        200,
        json={
            "number": "+14155550123",
            "country": "United States",
            "iso_country": "US",
            "outbound_call_price": {"base_price": "0.0140", "current_price": "0.0130"},
            "inbound_call_price": None,
            "price_unit": "usd",
            "url": "https://pricing.twilio.com/v1/Voice/Numbers/+14155550123",
        },
    )
    assert make().call_price("+14155550123") == (Decimal("0.0130"), "USD")
    assert route.call_count == 1
