"""TelnyxProvider messages, calls and webhook deliveries against Prism serving
telnyx_v2.json: SendMessage, GetMessage, DialCall, RetrieveCallStatus and
GetWebhookDeliveries requests satisfy the official spec and the spec's example responses
parse."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from telcli.providers.base import ProviderSettings
from telcli.providers.telnyx import TelnyxProvider
from telcli.services.webhooks import delivery_captures
from tests.contract.conftest import Recorder
from tests.providers.helpers import TELNYX_KEY

pytestmark = pytest.mark.contract

MESSAGE_ID = "40385f64-5717-4562-b3fc-2c963f66afa6"
CALL_ID = "v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg"


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    yield rec
    rec.close()


@pytest.fixture
def telnyx(prism_telnyx, recorder) -> TelnyxProvider:
    return TelnyxProvider(
        ProviderSettings(
            credentials={"api_key": TELNYX_KEY}, base_urls=prism_telnyx, transport=recorder
        )
    )


def test_send_sms(telnyx, recorder):
    message = telnyx.send_sms(
        "+14155550123", "+19705555098", "hello", status_callback="https://hooks.example.com/m"
    )
    recorder.assert_clean()
    assert message.id and message.status


def test_send_mms(telnyx, recorder):
    telnyx.send_sms("+14155550123", "+19705555098", "pic", media_urls=["https://example.com/a.png"])
    recorder.assert_clean()


def test_fetch_message(telnyx, recorder):
    message = telnyx.fetch_message(MESSAGE_ID)
    recorder.assert_clean()
    assert message.id and message.status


def test_place_and_fetch_call(telnyx, recorder):
    call = telnyx.place_call(
        "+14155550123",
        "+19705555098",
        connection_id="1494404757140276705",
        status_callback="https://hooks.example.com/calls",
        timeout=20,
        time_limit=60,
        command_id="891510ac-f3e4-11e8-af5b-de00688a4901",
    )
    fetched = telnyx.fetch_call(call.id or CALL_ID)
    recorder.assert_clean()
    assert call.id and fetched.status in ("queued", "in-progress", "completed", "no-answer")


def test_hangup_call(telnyx, recorder):
    # Ctrl-C during `test call`: HangupCall on the call telcli dialed.
    telnyx.hangup_call(CALL_ID)
    recorder.assert_clean()
    [(request, _)] = recorder.exchanges
    assert request.method == "POST" and request.url.path.endswith("/actions/hangup")


def test_webhook_deliveries_with_every_filter(telnyx, recorder):
    # GetWebhookDeliveries: deepObject filters and page[] parameters as the spec names them;
    # the spec's example record must become captures (what `webhook pull` stores).
    records = telnyx.webhook_deliveries(
        since="2026-11-01T00:00:00Z", event_type="message.finalized", status="failed", limit=5
    )
    recorder.assert_clean()
    assert records and all(r.get("id") for r in records)
    captures = [c for r in records for c in delivery_captures(r)]
    assert captures and all(c.method == "POST" and c.url for c in captures)
    assert all(c.body.startswith(b'{"data":') for c in captures)


def test_call_events_of_a_leg(telnyx, recorder):
    # ListCallEvents filtered by leg (a UUID, as the spec's filter[leg_id] format says): how an
    # unanswered call's hangup cause is found. The spec's example event is a call.hangup.
    telnyx.hangup_cause("308fe500-5213-11e9-ace7-02420a0f0668")
    recorder.assert_clean()
    ((request, response),) = recorder.exchanges
    assert request.url.path == "/call_events" and response.status_code == 200
    assert response.json()["data"][0]["name"] == "call.hangup"
