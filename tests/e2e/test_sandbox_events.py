"""Golden records (issue 15, "the sandbox's own callbacks normalise to the expected records"):
the status callbacks the sandbox sends for Twilio and Telnyx calls and messages, captured by
`webhook listen`'s server, read as the documented event records and settled by `webhook
outcomes`. Event ids (the providers' tokens and uuids) and times vary per run: checked for
shape, the rest field by field."""

from __future__ import annotations

import json
import re
import time

import pytest

from telcli.sandbox import lifecycles

MAGIC_FROM = "+15005550006"
UTC_MILLIS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
def fast(monkeypatch):
    monkeypatch.setenv(lifecycles.SPEED_ENV, "200")


def _record(provider, event_type, provider_event_type, status, *, call=None, message=None,
            to, duration=None, cause=None, error=None, direction="outbound"):  # fmt: skip
    return {
        "provider": provider,
        "event_type": event_type,
        "provider_event_type": provider_event_type,
        "call_id": call,
        "message_id": message,
        "from": MAGIC_FROM,
        "to": to,
        "direction": direction,
        "status": status,
        "duration_seconds": duration,
        "hangup_cause": cause,
        "error_code": error,
        "recording_url": None,
        "tenant": None,
        "meta": {},
    }


@pytest.mark.slow
def test_the_sandbox_callbacks_normalise_to_the_expected_records(telcli, home, fast):
    from telcli.services.listen import CaptureServer
    from telcli.storage.state import StateDB

    StateDB(home / "state.db").conn  # noqa: B018
    common = ["--from", MAGIC_FROM, "--yes", "--json"]
    with CaptureServer(home / "state.db") as server:
        url = f"http://127.0.0.1:{server.port}/hooks"
        runs = {
            "twilio call": ("call", "--to", "+14155550123", "--provider", "twilio"),
            "telnyx call": ("call", "--to", "+15005550003", "--provider", "telnyx",
                            "--connection-id", "1494404757140276705", "--expect", "busy"),
            "twilio sms": ("sms", "--to", "+15005550003", "--provider", "twilio", "--body", "hi",
                           "--expect", "undelivered"),
            "telnyx sms": ("sms", "--to", "+14155550123", "--provider", "telnyx", "--body", "hi"),
        }  # fmt: skip
        ids = {}
        for name, args in runs.items():
            result = telcli("--sandbox", "test", *args, "--callback-url", url, *common)
            assert result.exit_code == 0, (name, result)
            ids[name] = json.loads(result.stdout)[0]["id"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            outcomes = json.loads(telcli("webhook", "outcomes", "--json").stdout)
            if len(outcomes) == 4 and all(o["outcome_class"] for o in outcomes):
                break
            time.sleep(0.2)
    captures = json.loads(telcli("webhook", "list", "--limit", "100", "--json").stdout)
    events: dict[str, list[dict]] = {}
    for capture in reversed(captures):  # oldest first: the order the sandbox sent them in
        event = dict(capture["event"])
        assert event.pop("event_id"), event
        when = event.pop("occurred_at")
        if event["provider"] == "twilio" and event["message_id"]:
            assert when is None  # Twilio's messaging callbacks carry no time
        else:
            assert UTC_MILLIS.match(when), event
        events.setdefault(event["call_id"] or event["message_id"], []).append(event)

    call, busy, sms, text = (ids[n] for n in runs)
    assert events[call] == [
        _record("twilio", "call.ringing", "ringing", "ringing", call=call, to="+14155550123"),
        _record("twilio", "call.answered", "in-progress", "in-progress", call=call,
                to="+14155550123"),
        _record("twilio", "call.completed", "completed", "completed", call=call,
                to="+14155550123", duration=5),
    ]  # fmt: skip
    assert events[busy] == [
        _record("telnyx", "call.initiated", "call.initiated", "bridging", call=busy,
                to="+15005550003"),
        _record("telnyx", "call.busy", "call.hangup", "hangup", call=busy, to="+15005550003",
                cause="user_busy"),
    ]  # fmt: skip
    twilio_sms = [e["event_type"] for e in events[sms]]
    assert twilio_sms[-1] == "message.undelivered" and set(twilio_sms[:-1]) <= {
        "message.queued",
        "message.sent",
    }
    assert events[sms][-1] == _record(
        "twilio", "message.undelivered", "undelivered", "undelivered", message=sms,
        to="+15005550003", error="30003", direction=None,
    )  # fmt: skip
    assert events[text] == [
        _record("telnyx", "message.sent", "message.sent", "sent", message=text,
                to="+14155550123"),
        _record("telnyx", "message.delivered", "message.finalized", "delivered",
                message=text, to="+14155550123"),
    ]  # fmt: skip
    classes = {o["id"]: (o["outcome_class"], o["reason"]) for o in outcomes}
    assert classes == {
        call: ("no-answer", "answered for 5s, under 10s"),
        busy: ("busy", "user_busy"),
        sms: ("undelivered", "30003"),
        text: ("delivered", None),
    }
