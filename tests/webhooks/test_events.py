"""What captured webhooks mean (telcli/webhooks/events): the providers' published examples and
the sandbox's own callbacks normalise to the expected records, and the same event delivered
through listen, pull and import is stored once with three deliveries."""

from __future__ import annotations

import base64
import json

import pytest

from telcli.webhooks.events import Event, normalize
from tests.conftest import specs_dir

TWILIO_FORM = "application/x-www-form-urlencoded"


def _telnyx_examples() -> dict[str, dict]:
    spec = json.loads((specs_dir() / "telnyx_v2.json").read_text())
    schemas = spec["components"]["schemas"]

    def deref(node: dict) -> dict:
        while "$ref" in node:
            node = schemas[node["$ref"].rsplit("/", 1)[-1]]
        return node

    found = {}
    for name, hook in spec["webhooks"].items():
        schema = deref(hook["post"]["requestBody"]["content"]["application/json"]["schema"])
        example = deref(schema["properties"]["data"]).get("example")
        if example:
            found[name] = example
    return found


def _telnyx(data: dict) -> Event | None:
    return normalize(
        "telnyx", [("Content-Type", "application/json")], json.dumps({"data": data}).encode()
    )


def test_the_telnyx_spec_examples_normalise():
    examples = _telnyx_examples()
    hangup = _telnyx(examples["callHangup"])
    assert hangup is not None and hangup.to_json() == {
        "provider": "telnyx",
        "event_id": "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0",
        "event_type": "call.failed",  # hangup_cause call_rejected
        "provider_event_type": "call.hangup",
        "call_id": examples["callHangup"]["payload"]["call_control_id"],
        "message_id": None,
        "from": examples["callHangup"]["payload"]["from"],
        "to": "+35319605860",
        "direction": None,
        "status": "hangup",
        "duration_seconds": None,
        "hangup_cause": "call_rejected",
        "error_code": None,
        "recording_url": None,
        "occurred_at": "2018-02-02T22:25:27.521Z",  # the spec's 22:25:27.521992Z
        "tenant": None,
        "meta": {},  # the example's client_state is not telcli's base64 JSON
    }
    assert _telnyx(examples["callInitiated"]).event_type == "call.initiated"
    assert _telnyx(examples["callAnswered"]).event_type == "call.answered"
    assert _telnyx(examples["callMachineDetectionEnded"]).event_type == "call.machine-detection"
    inbound = _telnyx(examples["inboundMessage"])
    assert (inbound.event_type, inbound.direction) == ("message.received", "inbound")
    assert inbound.message_id == examples["inboundMessage"]["payload"]["id"]
    sent = _telnyx(examples["deliveryUpdate"])
    assert sent.event_type.startswith("message.") and sent.from_ and sent.to
    assert sent.occurred_at == "2019-01-23T18:10:02.574Z"


@pytest.mark.parametrize(
    ("kind", "status", "event_type"),
    [
        ("message.sent", "sent", "message.sent"),
        ("message.finalized", "delivered", "message.delivered"),
        ("message.finalized", "delivery_failed", "message.undelivered"),
        ("message.finalized", "sending_failed", "message.failed"),
        # Final without a receipt: nothing more will come, so it must not read as "sent".
        ("message.finalized", "delivery_unconfirmed", "message.unconfirmed"),
    ],
)
def test_telnyx_delivery_updates_map_by_event_and_recipient_status(kind, status, event_type):
    event = _telnyx(
        {
            "event_type": kind,
            "id": "e2",
            "occurred_at": "2026-12-01T10:00:05Z",
            "payload": {
                "id": "msg-1",
                "direction": "outbound",
                "from": {"phone_number": "+14155550100"},
                "to": [{"phone_number": "+14155550199", "status": status}],
            },
        }
    )
    assert (event.event_type, event.message_id, event.status) == (event_type, "msg-1", status)
    assert event.terminal == (kind == "message.finalized")


@pytest.mark.parametrize(
    ("cause", "event_type"),
    [
        ("normal_clearing", "call.completed"),
        ("user_busy", "call.busy"),
        ("timeout", "call.no-answer"),
        ("originator_cancel", "call.canceled"),
        ("call_rejected", "call.failed"),
    ],
)
def test_telnyx_hangup_causes_map_to_the_common_terminal_events(cause, event_type):
    state = base64.b64encode(json.dumps({"run": "42"}).encode()).decode()
    event = _telnyx(
        {
            "event_type": "call.hangup",
            "id": "e1",
            "occurred_at": "2026-12-01T10:00:05.5+01:00",
            "payload": {
                "call_control_id": "v3:abc",
                "from": "+14155550100",
                "to": "+14155550199",
                "direction": "outgoing",
                "hangup_cause": cause,
                "client_state": state,
                "tags": ["tenant:acme-dental"],
            },
        }
    )
    assert event.event_type == event_type
    assert event.occurred_at == "2026-12-01T09:00:05.500Z"  # UTC, milliseconds
    assert (event.direction, event.tenant, event.meta) == ("outbound", "acme-dental", {"run": "42"})


def test_twilio_callbacks_normalise_with_their_idempotency_token_as_event_id():
    form = (
        b"CallSid=CA123&CallStatus=completed&From=%2B14155550100&To=%2B14155550199"
        b"&Direction=outbound-api&CallDuration=42&Timestamp=Mon%2C+16+Aug+2010+03%3A45%3A01+%2B0000"
        b"&SequenceNumber=3&RecordingUrl=https%3A%2F%2Fapi.twilio.com%2Frec"
    )
    headers = [("Content-Type", TWILIO_FORM), ("I-Twilio-Idempotency-Token", "tok-1")]
    event = normalize("twilio", headers, form, "https://hooks.example.com/status?meta_run=42")
    assert event.to_json() == {
        "provider": "twilio",
        "event_id": "tok-1",
        "event_type": "call.completed",
        "provider_event_type": "completed",
        "call_id": "CA123",
        "message_id": None,
        "from": "+14155550100",
        "to": "+14155550199",
        "direction": "outbound",
        "status": "completed",
        "duration_seconds": 42,
        "hangup_cause": None,
        "error_code": None,
        "recording_url": "https://api.twilio.com/rec",
        "occurred_at": "2010-08-16T03:45:01.000Z",
        "tenant": None,
        "meta": {"run": "42"},
    }
    # Without the header, the id is derived (documented): the same callback, the same id.
    bare = normalize("twilio", [("Content-Type", TWILIO_FORM)], form)
    assert bare.event_id == "twilio:CA123:completed:3"
    message = normalize(
        "twilio",
        [("Content-Type", TWILIO_FORM)],
        b"MessageSid=SM1&MessageStatus=undelivered&ErrorCode=30003&From=%2B1&To=%2B2",
    )
    assert (message.event_type, message.message_id, message.error_code) == (
        "message.undelivered",
        "SM1",
        "30003",
    )


def test_vapi_status_updates_and_end_of_call_reports_normalise():
    def vapi(message: dict) -> Event:
        return normalize("vapi", [], json.dumps({"message": message}).encode())

    call = {"id": "call-1", "type": "outboundPhoneCall"}
    ringing = vapi({"type": "status-update", "status": "ringing", "call": call,
                    "timestamp": 1764842400000})  # fmt: skip
    assert (ringing.event_type, ringing.occurred_at) == (
        "call.ringing",
        "2025-12-04T10:00:00.000Z",
    )
    report = vapi(
        {
            "type": "end-of-call-report",
            "endedReason": "customer-busy",
            "call": call,
            "customer": {"number": "+14155550199"},
            "phoneNumber": {"number": "+14155550100"},
            "startedAt": "2025-12-04T10:00:00Z",
            "endedAt": "2025-12-04T10:00:07Z",
            "artifact": {"recordingUrl": "https://storage.vapi.ai/rec.wav"},
        }
    )
    assert report.event_type == "call.busy"
    assert (report.from_, report.to, report.duration_seconds) == (
        "+14155550100",
        "+14155550199",
        7,
    )
    assert report.recording_url == "https://storage.vapi.ai/rec.wav"
    ended = vapi({"type": "end-of-call-report", "endedReason": "pipeline-error-openai-voice-failed",
                  "call": call})  # fmt: skip
    assert ended.event_type == "call.failed"
    assert vapi({"type": "transcript", "call": call}) is None


def test_livekit_events_normalise_from_its_documented_examples():
    room_finished = {
        "event": "room_finished",
        "id": "EV_abc",
        "createdAt": 1764842460,
        "room": {"sid": "RM_1", "name": "call-1", "creationTime": 1764842400},
    }
    event = normalize("livekit", [], json.dumps(room_finished).encode())
    assert (event.event_id, event.event_type, event.call_id, event.duration_seconds) == (
        "EV_abc",
        "call.completed",
        "RM_1",
        60,
    )
    joined = {
        "event": "participant_joined",
        "id": "EV_def",
        "createdAt": 1764842401,
        "room": {"sid": "RM_1"},
        "participant": {
            "identity": "sip_1",
            "attributes": {
                "sip.phoneNumber": "+14155550199",
                "sip.trunkPhoneNumber": "+14155550100",
            },
        },
    }
    event = normalize("livekit", [], json.dumps(joined).encode())
    assert (event.event_type, event.from_, event.to) == (
        "participant.joined",
        "+14155550199",
        "+14155550100",
    )


@pytest.mark.parametrize("body", [b"", b"not json", b"[1]", b'{"data": 5}', b'{"message": []}'])
@pytest.mark.parametrize("provider", ["twilio", "telnyx", "vapi", "livekit", "hmac-sha256", None])
def test_anything_else_is_not_an_event_and_never_raises(provider, body):
    assert normalize(provider, [], body) is None


# --- exactly once by event id ------------------------------------------------------------------


def test_one_event_via_listen_then_pull_then_import_is_one_capture_with_three_deliveries(
    telcli, home, tmp_path
):
    from telcli.services.webhooks import label
    from telcli.storage.captures import Capture, CaptureFilter, CaptureStore
    from telcli.storage.state import StateDB

    data = {"event_type": "call.answered", "id": "evt-1", "occurred_at": "2026-12-01T10:00:00Z",
            "payload": {"call_control_id": "v3:x", "from": "+1", "to": "+2"}}  # fmt: skip
    body = json.dumps({"data": data}).encode()
    headers = (("Content-Type", "application/json"), ("telnyx-signature-ed25519", "sig"))
    store = CaptureStore(StateDB(home / "state.db"))
    listened = label(Capture("POST", "http://127.0.0.1/telnyx", headers, body, source="listen"))
    [first] = store.add_many([listened])
    assert first.id > 0
    # pull rebuilds the body as {"data": ...} with other bytes, and other headers.
    pulled = label(
        Capture("POST", "https://hooks.example.com/telnyx", (), body.replace(b" ", b""),
                received_at="2026-12-01T10:00:01.000Z", source="pull"),
        "telnyx",
    )  # fmt: skip
    [again] = store.add_many([pulled])
    assert again.id == -first.id and again.deliveries == 2
    line = json.dumps(
        {"method": "POST", "url": "https://hooks.example.com/telnyx", "provider": "telnyx",
         "received_at": "2026-12-01T10:00:02Z", "headers": [["Content-Type", "application/json"]],
         "body_b64": base64.b64encode(body).decode()}
    )  # fmt: skip
    path = tmp_path / "one.ndjson"
    path.write_text(line + "\n")
    assert telcli("webhook", "import", str(path)).exit_code == 0
    assert telcli("webhook", "import", str(path)).exit_code == 0  # a re-import adds nothing
    [stored] = store.query(CaptureFilter())
    assert stored.deliveries == 3
    assert [s for _, s, _ in store.deliveries(stored.id)] == ["listen", "pull", "import"]
    shown = json.loads(telcli("webhook", "show", str(stored.id), "--json").stdout)
    assert len(shown["deliveries"]) == 3 and shown["event"]["event_id"] == "evt-1"


def test_an_export_imported_back_is_redelivery_not_new_events(telcli, home, tmp_path):
    """telcli's own export carries provider, event type and sid: importing it must still read
    the event (and so its id), or every capture comes back as a second, eventless copy."""
    from telcli.services.webhooks import label
    from telcli.storage.captures import Capture, CaptureFilter, CaptureStore
    from telcli.storage.state import StateDB

    form = b"CallSid=CA9&CallStatus=completed&From=%2B14155550100&To=%2B14155550199&CallDuration=12"
    headers = (
        ("Content-Type", TWILIO_FORM),
        ("I-Twilio-Idempotency-Token", "tok-9"),
        ("X-Twilio-Signature", "sig"),
    )
    store = CaptureStore(StateDB(home / "state.db"))
    [first] = store.add_many(
        [label(Capture("POST", "http://127.0.0.1:8787/tw", headers, form, source="listen"))]
    )
    exported = telcli("webhook", "export")
    assert exported.exit_code == 0
    line = json.loads(exported.stdout)
    assert (line["provider"], line["event_type"], line["sid"]) == ("twilio", "completed", "CA9")
    path = tmp_path / "export.ndjson"
    path.write_text(exported.stdout)
    # A receiver's own log of the same delivery, received a second later.
    line["received_at"] = "2099-01-01T00:00:01Z"
    later = tmp_path / "later.ndjson"
    later.write_text(json.dumps(line) + "\n")

    back = telcli("webhook", "import", str(path), "--json")  # the same delivery: nothing new
    assert json.loads(back.stdout)["added"] == 0
    result = telcli("webhook", "import", str(later), "--json")
    assert json.loads(result.stdout)["added"] == 0
    [stored] = store.query(CaptureFilter())
    assert stored.id == first.id and stored.deliveries == 2
    assert [s for _, s, _ in store.deliveries(stored.id)] == ["listen", "import"]


def test_a_pulled_capture_exported_and_imported_back_adds_no_delivery(telcli, home, tmp_path):
    """`webhook pull` fingerprints a capture by its Telnyx delivery record, not by content:
    its export imported back is still that one delivery."""
    from telcli.services.webhooks import label
    from telcli.storage.captures import Capture, CaptureFilter, CaptureStore
    from telcli.storage.state import StateDB

    data = {"event_type": "call.answered", "id": "evt-7", "occurred_at": "2026-12-01T10:00:00Z",
            "payload": {"call_control_id": "v3:y", "from": "+1", "to": "+2"}}  # fmt: skip
    pulled = label(
        Capture("POST", "https://hooks.example.com/telnyx", (("Content-Type", "application/json"),),
                json.dumps({"data": data}).encode(), received_at="2026-12-01T10:00:01.000Z",
                source="pull", fingerprint="telnyx-delivery:d1:0"),
        "telnyx",
    )  # fmt: skip
    store = CaptureStore(StateDB(home / "state.db"))
    store.add_many([pulled])
    path = tmp_path / "export.ndjson"
    path.write_text(telcli("webhook", "export").stdout)
    back = telcli("webhook", "import", str(path), "--json")
    assert json.loads(back.stdout)["added"] == 0
    [stored] = store.query(CaptureFilter())
    assert stored.deliveries == 1
