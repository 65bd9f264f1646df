"""The sandbox's message and call responses validate strictly against the official specs
(Twilio CreateMessage/FetchMessage/ListMessage/CreateCall/FetchCall/ListCall, Telnyx
SendMessage/GetMessage/DialCall/RetrieveCallStatus/ListCallEvents), at every step of their
lifecycles."""

from __future__ import annotations

import httpx
import pytest

from telcli.sandbox import lifecycles

from .conftest import ACC, buy_twilio, telnyx_order
from .test_spec_responses import Checked, _check, _record

FROM = lifecycles.MAGIC_FROM


@pytest.fixture
def at(monkeypatch):
    """Move the sandbox clock: ``at(seconds)`` after the start."""
    now = [1_800_000_000.0]
    monkeypatch.setattr(lifecycles, "clock", lambda: now[0])

    def move(seconds: float) -> None:
        now[0] = 1_800_000_000.0 + seconds

    return move


def test_twilio_messages_and_calls_match_the_spec(twilio: httpx.Client, at) -> None:
    checked: Checked = []
    at(0)
    for to in ("+14155550123", "+15005550003", "+15005550002"):
        sid = _record(
            checked,
            "CreateMessage",
            twilio.post(f"{ACC}/Messages.json", data={"To": to, "From": FROM, "Body": "hi €"}),
            201,
        )["sid"]
        for seconds in (0.5, 1.5, 10):
            at(seconds)
            _record(checked, "FetchMessage", twilio.get(f"{ACC}/Messages/{sid}.json"), 200)
        at(0)
    _record(checked, "ListMessage", twilio.get(f"{ACC}/Messages.json", params={"To": to}), 200)
    bad = twilio.post(
        f"{ACC}/Messages.json", data={"To": "+15005550001", "From": FROM, "Body": "x"}
    )
    assert bad.status_code == 400 and bad.json()["code"] == 21211

    for to in ("+14155550123", "+15005550003", "+15005550004"):
        at(0)
        form = {"To": to, "From": FROM, "Twiml": "<Response/>"}
        sid = _record(checked, "CreateCall", twilio.post(f"{ACC}/Calls.json", data=form), 201)[
            "sid"
        ]
        for seconds in (1.5, 4, 20):
            at(seconds)
            _record(checked, "FetchCall", twilio.get(f"{ACC}/Calls/{sid}.json"), 200)
    _record(checked, "ListCall", twilio.get(f"{ACC}/Calls.json", params={"From": FROM}), 200)
    _check("twilio_api_v2010.json", checked)


def test_twilio_refuses_a_from_number_the_account_does_not_own(twilio: httpx.Client) -> None:
    response = twilio.post(
        f"{ACC}/Messages.json", data={"To": "+14155550123", "From": "+14155550999", "Body": "x"}
    )
    assert response.status_code == 400 and response.json()["code"] == 21606


def test_an_sms_from_a_number_without_sms_is_refused_like_a_carrier(
    twilio: httpx.Client, telnyx: httpx.Client
) -> None:
    # Issue 13: the sandbox sent SMS from a voice-only ZA landline; the carriers refuse.
    from telcli.sandbox import inventory as inv

    def voice_only(provider: str) -> inv.InventoryNumber:
        # A GB toll-free number: voice only, and no address needed to buy it.
        stock = inv.stock(provider, "GB", inv.TOLL_FREE)
        return next(n for n in stock if sorted(n.capabilities) == ["voice"])

    landline = voice_only("twilio")
    assert sorted(landline.capabilities) == ["voice"]
    assert buy_twilio(twilio, landline.phone_number).status_code == 201
    refused = twilio.post(
        f"{ACC}/Messages.json",
        data={"To": "+27217000000", "From": landline.phone_number, "Body": "x"},
    )
    assert (refused.status_code, refused.json()["code"]) == (400, 21606)
    assert "is not a valid, SMS-capable inbound phone number" in refused.json()["message"]

    landline = voice_only("telnyx")
    assert telnyx_order(telnyx, landline.phone_number).status_code == 200
    body = {"from": landline.phone_number, "to": "+27217000000", "text": "x"}
    (error,) = telnyx.post("/messages", json=body).json()["errors"]
    assert error["code"] == "40305" and error["source"] == {"pointer": "/from"}
    assert (
        error["detail"]
        == f"{landline.phone_number} cannot send SMS: the number has no SMS feature."
    )


def test_telnyx_messages_and_calls_match_the_spec(telnyx: httpx.Client, at) -> None:
    checked: Checked = []
    for to in ("+14155550123", "+15005550003", "+15005550004"):
        at(0)
        body = {"from": FROM, "to": to, "text": "hi 😀", "webhook_url": None}
        body.pop("webhook_url")
        data = _record(checked, "SendMessage", telnyx.post("/messages", json=body), 200)
        for seconds in (0.5, 1.5, 10):
            at(seconds)
            _record(checked, "GetMessage", telnyx.get(f"/messages/{data['data']['id']}"), 200)
    for to in ("+14155550123", "+15005550003"):
        at(0)
        body = {"connection_id": "1494404757140276705", "from": FROM, "to": to}
        data = _record(checked, "DialCall", telnyx.post("/calls", json=body), 200)
        for seconds in (1.5, 4, 20):
            at(seconds)
            call_id = data["data"]["call_control_id"]
            _record(checked, "RetrieveCallStatus", telnyx.get(f"/calls/{call_id}"), 200)
            leg = {"filter[leg_id]": data["data"]["call_leg_id"]}
            _record(checked, "ListCallEvents", telnyx.get("/call_events", params=leg), 200)
    _check("telnyx_v2.json", checked)
    missing = telnyx.post("/calls", json={"from": FROM, "to": "+14155550123"})
    assert missing.status_code == 422


def test_telnyx_call_events_tell_why_a_call_ended(telnyx: httpx.Client, at) -> None:
    # ListCallEvents by leg: the events reached so far, the call.hangup one with its cause.
    at(0)
    body = {"connection_id": "1494404757140276705", "from": FROM, "to": "+15005550003"}
    call = telnyx.post("/calls", json=body).json()["data"]
    other = telnyx.post("/calls", json={**body, "to": "+14155550123"}).json()["data"]

    def events(seconds: float) -> list[dict]:
        at(seconds)
        leg = {"filter[leg_id]": call["call_leg_id"]}
        return telnyx.get("/call_events", params=leg).json()["data"]

    assert [e["name"] for e in events(0.5)] == []
    assert [e["name"] for e in events(1.5)] == ["call.initiated"]
    final = events(30)
    assert [e["name"] for e in final] == ["call.initiated", "call.hangup"]
    assert {e["call_leg_id"] for e in final} == {call["call_leg_id"]} != {other["call_leg_id"]}
    hangup = final[-1]["metadata"]["event"]
    assert (hangup["event_type"], hangup["payload"]["hangup_cause"]) == ("call.hangup", "user_busy")


def test_twilio_messaging_price_matches_the_spec(pricing: httpx.Client) -> None:
    checked: Checked = []
    for iso in ("US", "GB"):
        body = _record(
            checked, "FetchMessagingCountry", pricing.get(f"/v1/Messaging/Countries/{iso}"), 200
        )
        assert body["iso_country"] == iso
    for number in ("+14155550123", "+442071234567"):
        body = _record(checked, "FetchVoiceNumber", pricing.get(f"/v1/Voice/Numbers/{number}"), 200)
        assert body["number"] == number and body["outbound_call_price"]["current_price"]
    _check("twilio_pricing_v1.json", checked)


def test_twilio_update_call_hangs_up_like_twilio(twilio: httpx.Client, at) -> None:
    # UpdateCall with Status (Ctrl-C during `test call`): canceled ends a ringing call for
    # good; an answered call ignores canceled and ends on completed; an ended call is 400.
    checked: Checked = []
    at(0)

    def place(to: str) -> str:
        form = {"To": to, "From": FROM, "Twiml": "<Response/>"}
        return twilio.post(f"{ACC}/Calls.json", data=form).json()["sid"]

    ringing, answered = place("+15005550005"), place("+14155550123")
    at(1.5)
    done = _record(
        checked,
        "UpdateCall",
        twilio.post(f"{ACC}/Calls/{ringing}.json", data={"Status": "canceled"}),
        200,
    )
    assert (done["status"], done["duration"]) == ("canceled", "0")
    at(5)
    still = twilio.post(f"{ACC}/Calls/{answered}.json", data={"Status": "canceled"}).json()
    assert still["status"] == "in-progress"
    ended = _record(
        checked,
        "UpdateCall",
        twilio.post(f"{ACC}/Calls/{answered}.json", data={"Status": "completed"}),
        200,
    )
    assert (ended["status"], ended["duration"]) == ("completed", "2")
    at(60)  # the scripted lifecycle (ringing forever, completed at 8 s) no longer applies
    later = _record(checked, "FetchCall", twilio.get(f"{ACC}/Calls/{ringing}.json"), 200)
    assert later["status"] == "canceled"
    assert twilio.get(f"{ACC}/Calls/{answered}.json").json()["duration"] == "2"
    again = twilio.post(f"{ACC}/Calls/{ringing}.json", data={"Status": "canceled"})
    assert again.status_code == 400 and again.json()["code"] == 21220
    _check("twilio_api_v2010.json", checked)


def test_telnyx_hangup_ends_the_call_with_its_cause(telnyx: httpx.Client, at) -> None:
    checked: Checked = []
    at(0)
    body = {"connection_id": "1494404757140276705", "from": FROM, "to": "+15005550005"}
    call = telnyx.post("/calls", json=body).json()["data"]
    call_id = call["call_control_id"]
    at(1.5)
    _record(checked, "HangupCall", telnyx.post(f"/calls/{call_id}/actions/hangup", json={}), 200)
    at(60)
    status = _record(checked, "RetrieveCallStatus", telnyx.get(f"/calls/{call_id}"), 200)
    assert status["data"]["is_alive"] is False and status["data"]["call_duration"] == 0
    leg = {"filter[leg_id]": call["call_leg_id"]}
    events = telnyx.get("/call_events", params=leg).json()["data"]
    assert [e["name"] for e in events] == ["call.initiated", "call.hangup"]
    payload = events[-1]["metadata"]["event"]["payload"]
    assert (payload["hangup_cause"], payload["hangup_source"]) == ("originator_cancel", "caller")
    again = telnyx.post(f"/calls/{call_id}/actions/hangup", json={})
    assert again.status_code == 422
    _check("telnyx_v2.json", checked)


def test_callbacks_after_a_hang_up_say_canceled(twilio: httpx.Client, monkeypatch) -> None:
    # +15005550004 rings, then would end no-answer at 7 s: hung up while ringing, its last
    # status callback says canceled, and the scripted no-answer one is never sent.
    import time
    from urllib.parse import parse_qs

    from telcli.sandbox import callbacks
    from tests.webhook_receiver import Receiver

    monkeypatch.setenv(lifecycles.SPEED_ENV, "5")  # ringing at 0.2 s, no-answer at 1.4 s
    with Receiver() as rx:
        form = {
            "To": "+15005550004",
            "From": FROM,
            "Twiml": "<Response/>",
            "StatusCallback": rx.url + "/status",
            "StatusCallbackEvent": ["initiated", "ringing", "completed"],
        }
        sid = twilio.post(f"{ACC}/Calls.json", data=form).json()["sid"]
        deadline = time.monotonic() + 10
        while not rx.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        twilio.post(f"{ACC}/Calls/{sid}.json", data={"Status": "canceled"})
        assert callbacks.drain(timeout=10)
        sent = [parse_qs(r.body.decode()) for r in rx.requests]
    assert [(p["CallStatus"][0], p["SequenceNumber"][0]) for p in sent] == [
        ("ringing", "0"),
        ("canceled", "1"),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("200", 200.0), ("0.5", 0.5), ("nan", 1.0), ("inf", 1.0), ("0", 1.0), ("-3", 1.0), ("x", 1.0)],
)
def test_sandbox_speed_takes_only_a_finite_positive_factor(monkeypatch, value, expected):
    monkeypatch.setenv(lifecycles.SPEED_ENV, value)
    assert lifecycles.speed() == expected
