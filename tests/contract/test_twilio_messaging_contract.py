"""TwilioProvider messages and calls against Prism serving twilio_api_v2010.json: every
request satisfies the official spec (CreateMessage, FetchMessage, ListMessage, CreateCall,
FetchCall, ListCall) and the spec's example responses parse."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from telcli.providers.base import ProviderSettings
from telcli.providers.twilio import TwilioProvider
from tests.contract.conftest import Recorder
from tests.providers.helpers import ACCOUNT_SID, AUTH_TOKEN

pytestmark = pytest.mark.contract

MESSAGE_SID = "SM1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c"
CALL_SID = "CA2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b"


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    yield rec
    rec.close()


@pytest.fixture
def twilio(prism_twilio, recorder) -> TwilioProvider:
    return TwilioProvider(
        ProviderSettings(
            credentials={"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN},
            base_urls=prism_twilio,
            transport=recorder,
        )
    )


def test_send_sms_with_media_and_callback(twilio, recorder):
    message = twilio.send_sms(
        "+14155550123",
        "+14155550100",
        "telcli test €",
        media_urls=["https://example.com/a.png", "https://example.com/b.png"],
        status_callback="https://hooks.example.com/status",
    )
    recorder.assert_clean()
    assert message.id.startswith("SM") and message.status


def test_fetch_message(twilio, recorder):
    message = twilio.fetch_message(MESSAGE_SID)
    recorder.assert_clean()
    assert message.id.startswith("SM") and message.to.startswith("+")


def test_find_messages(twilio, recorder):
    twilio.find_messages("+14155550123", "+14155550100", datetime(2000, 1, 1, tzinfo=UTC))
    recorder.assert_clean()


def test_place_call_with_twiml_events_and_limits(twilio, recorder):
    call = twilio.place_call(
        "+14155550123",
        "+14155550100",
        twiml="<Response><Say>hi</Say></Response>",
        status_callback="https://hooks.example.com/calls",
        timeout=20,
        time_limit=60,
    )
    recorder.assert_clean()
    assert call.id.startswith("CA")


def test_place_call_with_url(twilio, recorder):
    twilio.place_call("+14155550123", "+14155550100", url="https://hooks.example.com/twiml")
    recorder.assert_clean()


def test_fetch_and_find_calls(twilio, recorder):
    call = twilio.fetch_call(CALL_SID)
    twilio.find_calls("+14155550123", "+14155550100", datetime(2000, 1, 1, tzinfo=UTC))
    recorder.assert_clean()
    assert call.id.startswith("CA") and call.status


def test_hangup_call(twilio, recorder):
    # Ctrl-C during `test call`: UpdateCall with Status=canceled (Prism's example answers an
    # in-progress call, so Status=completed follows, as for an answered call).
    twilio.hangup_call(CALL_SID)
    recorder.assert_clean()
    sent = [request for request, _ in recorder.exchanges]
    assert [r.method for r in sent] and all(r.method == "POST" for r in sent)
    assert all(r.url.path.endswith(f"/Calls/{CALL_SID}.json") for r in sent)
    assert b"Status=canceled" in sent[0].content


def test_sms_price(twilio, recorder):
    price, currency = twilio.sms_price("+14155550123")
    recorder.assert_clean()
    assert price is not None and currency


def test_call_price(twilio, recorder):
    price, currency = twilio.call_price("+14155550123")
    recorder.assert_clean()
    assert price is not None and currency
