"""VAPI calls in the sandbox and their live call control: each call's ``monitor.controlUrl``
(on the control host in process, under ``/vapi-control`` with ``sandbox serve``) ends the
call on ``{"type": "end-call"}``, with the spec's ``endedReason`` for a call its placer
stopped; other control messages are 400. The provider ends calls through it without its key."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from telcli.providers import vapi as provider_vapi
from telcli.providers.base import ProviderSettings
from telcli.providers.vapi import VapiProvider
from telcli.sandbox import SANDBOX_CREDENTIALS, VAPI_CONTROL_HOST, lifecycles
from telcli.sandbox.vapi import ASSISTANTS
from tests.conftest import skip_or_fail, specs_dir

VAPI_KEY = SANDBOX_CREDENTIALS["vapi"]["api_key"]
ASSISTANT = ASSISTANTS[0]["id"]
NUMBER_ID = "5a4db0c5-7e1e-4000-8000-000000000001"
RINGS_FOREVER = "+15005550005"
ANSWERED = "+14155550123"  # ringing at 1 s, answered at 3 s, would end at 8 s


@pytest.fixture
def at(monkeypatch):
    """Move the sandbox clock: ``at(seconds)`` after the start."""
    now = [1_800_000_000.0]
    monkeypatch.setattr(lifecycles, "clock", lambda: now[0])

    def move(seconds: float) -> None:
        now[0] = 1_800_000_000.0 + seconds

    return move


@pytest.fixture
def api(transport) -> httpx.Client:
    with httpx.Client(
        transport=transport,
        base_url="https://api.vapi.ai",
        headers={"Authorization": f"Bearer {VAPI_KEY}"},
    ) as client:
        yield client


@pytest.fixture
def bare(transport) -> httpx.Client:
    """No key at all: the control URL needs none (control authentication off)."""
    with httpx.Client(transport=transport) as client:
        yield client


def _place(api: httpx.Client, to: str) -> dict[str, Any]:
    body = {"assistantId": ASSISTANT, "phoneNumberId": NUMBER_ID, "customer": {"number": to}}
    response = api.post("/call", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_end_call_ends_a_ringing_call_canceled(api, bare, at):
    at(0)
    call = _place(api, RINGS_FOREVER)
    control = call["monitor"]["controlUrl"]
    assert control == f"https://{VAPI_CONTROL_HOST}/{call['id']}/control"
    at(1.5)
    assert api.get(f"/call/{call['id']}").json()["status"] == "ringing"
    assert bare.post(control, json={"type": "end-call"}).status_code == 200
    at(60)  # the scripted lifecycle (ringing forever) no longer applies
    ended = api.get(f"/call/{call['id']}").json()
    assert (ended["status"], ended["endedReason"], ended["cost"]) == (
        "ended",
        "manually-canceled",
        0.0,
    )
    assert "startedAt" not in ended
    assert ended["monitor"]["controlUrl"] == control
    again = bare.post(control, json={"type": "end-call"})
    assert again.status_code == 400 and again.json()["message"] == ["Call has already ended."]


def test_the_provider_ends_an_answered_call_and_it_keeps_what_it_lasted(transport, at):
    at(0)
    vapi = VapiProvider(ProviderSettings(credentials={"api_key": VAPI_KEY}, transport=transport))
    placed = provider_vapi.place_assistant_call(
        vapi, assistant_id=ASSISTANT, phone_number_id=NUMBER_ID, to=ANSWERED, from_="+1"
    )
    at(5)
    assert (
        provider_vapi.fetch_assistant_call(vapi, placed.id, to=ANSWERED, from_="+1").status
        == "in-progress"
    )
    provider_vapi.end_assistant_call(vapi, placed.id)
    at(60)
    ended = provider_vapi.fetch_assistant_call(vapi, placed.id, to=ANSWERED, from_="+1")
    assert (ended.status, ended.duration, ended.carrier_status) == (
        "canceled",
        2,
        "ended: manually-canceled",
    )
    assert str(ended.price) == "0.05"  # one started minute


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"type": "hang-up"}, "type must be one of the following values: add-message, control"),
        ({}, "type must be one of"),
        ([{"type": "end-call"}], "type must be one of"),
        ({"message": {"type": "end-call"}}, "type must be one of"),  # the SDK envelope
        ({"type": "say", "message": "hi"}, "the sandbox carries out end-call only, not say"),
        (b"end-call", "body must be JSON"),
    ],
)
def test_other_control_messages_are_400_and_end_nothing(api, bare, at, body, says):
    at(0)
    call = _place(api, RINGS_FOREVER)
    at(1.5)
    control = call["monitor"]["controlUrl"]
    if isinstance(body, bytes):
        answer = bare.post(control, content=body)
    else:
        answer = bare.post(control, json=body)
    assert answer.status_code == 400
    assert says in answer.json()["message"][0]
    assert api.get(f"/call/{call['id']}").json()["status"] == "ringing"


def test_control_of_an_unknown_call_or_path_is_404(bare):
    unknown = f"https://{VAPI_CONTROL_HOST}/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e/control"
    assert bare.post(unknown, json={"type": "end-call"}).status_code == 404
    assert bare.get(unknown).status_code == 404


def test_served_sandbox_hands_out_control_urls_on_its_own_origin(urls):
    vapi = VapiProvider(
        ProviderSettings(credentials={"api_key": VAPI_KEY}, base_urls={"api": urls["vapi"]})
    )
    placed = provider_vapi.place_assistant_call(
        vapi, assistant_id=ASSISTANT, phone_number_id=NUMBER_ID, to=RINGS_FOREVER, from_="+1"
    )
    assert vapi._control_urls[placed.id] == f"{urls['vapi']}-control/{placed.id}/control"
    provider_vapi.end_assistant_call(vapi, placed.id)  # http, but the API's own origin
    ended = provider_vapi.fetch_assistant_call(vapi, placed.id, to=RINGS_FOREVER, from_="+1")
    assert (ended.status, ended.carrier_status) == ("canceled", "ended: manually-canceled")


def test_call_and_control_shapes_are_the_specs(api, at):
    """What the trimmed vapi.json lacks (Call, Monitor, ClientInboundMessageEndCall), held
    against the full document: the sandbox's monitor and endedReason, the provider's body."""
    import jsonschema

    full = specs_dir() / "full" / "vapi_openapi.json"
    if not full.is_file():
        skip_or_fail(f"the full VAPI spec is not at {full}")
    schemas = json.loads(full.read_text())["components"]["schemas"]
    call_props = schemas["Call"]["properties"]
    at(0)
    ringing, answered = _place(api, RINGS_FOREVER), _place(api, ANSWERED)
    at(5)
    for call in (ringing, answered):
        api.post(call["monitor"]["controlUrl"], json={"type": "end-call"})
    seen = [api.get(f"/call/{c['id']}").json() for c in (ringing, answered)]
    monitor = {**schemas["Monitor"], "additionalProperties": False}
    monitor["properties"] = {k: v for k, v in monitor["properties"].items() if k != "monitors"}
    for call in (ringing, *seen):
        jsonschema.validate(call["monitor"], monitor)
    reasons = {c["endedReason"] for c in seen} | set(lifecycles._ENDED_REASON.values())
    assert reasons <= set(call_props["endedReason"]["enum"])
    assert {c["status"] for c in (ringing, *seen)} <= set(call_props["status"]["enum"])
    jsonschema.validate(provider_vapi._END_CALL, schemas["ClientInboundMessageEndCall"])
