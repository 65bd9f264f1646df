"""VapiProvider against respx: request shapes (Bearer auth, limit, PATCH always with provider,
the Telnyx credential) and parsed models; errors mapped onto the taxonomy."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from telcli.errors import AuthError, ProviderRejected, ProviderUnavailable
from telcli.models import VapiNumber
from telcli.providers.base import ProviderSettings
from telcli.providers.vapi import VapiProvider

API = "https://api.vapi.ai"
KEY = "3f9c2a1b-7d4e-4c8a-9b6f-0e1d2c3b4a59"
NUMBER_ID = "9a2f5c1e-3b4d-4e6f-8a7b-1c2d3e4f5a6b"
ASSISTANT_ID = "7c1e9a3b-2d4f-4a6e-8b0c-5d6e7f8a9b0c"
TWILIO_NUMBER = {
    "id": NUMBER_ID,
    "orgId": "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e",
    "provider": "twilio",
    "number": "+14155550123",
    "twilioAccountSid": "AC3f1c2a9be0d84c7f9a6b5e4d3c2b1a09",
    "name": "Front desk",
    "assistantId": ASSISTANT_ID,
    "server": {"url": "https://example.com/vapi", "timeoutSeconds": 20},
    "status": "active",
    "createdAt": "2026-03-01T10:00:00.000Z",
    "updatedAt": "2026-03-01T10:00:00.000Z",
}


def make() -> VapiProvider:
    return VapiProvider(ProviderSettings(credentials={"api_key": KEY}))


def test_list_numbers_parses_every_field(respx_mock):
    route = respx_mock.get(f"{API}/phone-number").respond(200, json=[TWILIO_NUMBER])
    (number,) = make().list_numbers()
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.url.params["limit"] == "1000"
    assert number == VapiNumber(
        id=NUMBER_ID,
        phone_number="+14155550123",
        carrier="twilio",
        name="Front desk",
        assistant_id=ASSISTANT_ID,
        server_url="https://example.com/vapi",
        status="active",
        created_at=datetime(2026, 3, 1, 10, 0, tzinfo=UTC),
    )
    assert number.to_json()["provider"] == "vapi" and number.to_json()["carrier"] == "twilio"


def test_find_number_by_e164(respx_mock):
    respx_mock.get(f"{API}/phone-number").respond(200, json=[TWILIO_NUMBER])
    assert make().find_number("+14155550123").id == NUMBER_ID
    assert make().find_number("+14155550199") is None


def test_create_number_posts_the_dto(respx_mock):
    route = respx_mock.post(f"{API}/phone-number").respond(201, json=TWILIO_NUMBER)
    body = {"provider": "twilio", "number": "+14155550123", "twilioAccountSid": "AC..."}
    assert make().create_number(body).id == NUMBER_ID
    assert json.loads(route.calls.last.request.content) == body


@pytest.mark.parametrize(
    "changes",
    [{"assistantId": ASSISTANT_ID}, {"assistantId": None}, {"name": "x", "server": {"url": "u"}}],
)
def test_update_always_sends_provider(respx_mock, changes):
    route = respx_mock.patch(f"{API}/phone-number/{NUMBER_ID}").respond(200, json=TWILIO_NUMBER)
    number = VapiNumber(id=NUMBER_ID, phone_number="+14155550123", carrier="telnyx")
    make().update_number(number, changes)
    assert json.loads(route.calls.last.request.content) == {"provider": "telnyx", **changes}


def test_assistants(respx_mock):
    assistant = {
        "id": ASSISTANT_ID,
        "orgId": "o",
        "name": "Receptionist",
        "createdAt": "2026-01-05T09:00:00.000Z",
        "updatedAt": "2026-01-06T09:00:00Z",
    }
    listing = respx_mock.get(f"{API}/assistant").respond(200, json=[assistant])
    one = respx_mock.get(f"{API}/assistant/{ASSISTANT_ID}").respond(200, json=assistant)
    (found,) = make().list_assistants()
    assert (found.id, found.name) == (ASSISTANT_ID, "Receptionist")
    assert found.updated_at == datetime(2026, 1, 6, 9, tzinfo=UTC)
    assert make().get_assistant(ASSISTANT_ID) == found
    assert listing.calls.last.request.url.params["limit"] == "1000" and one.called


def test_credentials(respx_mock):
    listing = respx_mock.get(f"{API}/credential").respond(
        200, json=[{"id": "c1", "provider": "telnyx", "name": "telcli telnyx"}]
    )
    create = respx_mock.post(f"{API}/credential").respond(
        201, json={"id": "c2", "provider": "telnyx", "name": "telcli telnyx"}
    )
    assert make().list_credentials()[0]["id"] == "c1"
    assert make().create_credential("telnyx", "KEYsecret", "telcli telnyx") == "c2"
    assert json.loads(create.calls.last.request.content) == {
        "provider": "telnyx",
        "apiKey": "KEYsecret",
        "name": "telcli telnyx",
    }
    assert listing.called


@pytest.mark.parametrize(
    ("status", "error"), [(401, AuthError), (400, ProviderRejected), (503, ProviderUnavailable)]
)
def test_errors_carry_vapi_messages(respx_mock, status, error):
    respx_mock.get(f"{API}/phone-number").respond(
        status,
        json={"message": ["number must be E.164", "provider bad"], "error": "x", "statusCode": 1},
    )
    with pytest.raises(error) as info:
        make().list_numbers()
    assert "number must be E.164; provider bad" in info.value.message


def test_delete_number(respx_mock):
    route = respx_mock.delete(f"{API}/phone-number/{NUMBER_ID}").respond(200, json=TWILIO_NUMBER)
    make().delete_number(VapiNumber(id=NUMBER_ID, phone_number="+14155550123", carrier="twilio"))
    assert route.called
