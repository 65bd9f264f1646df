"""Provider request ids (Twilio ``Twilio-Request-Id``, Telnyx ``x-request-id``): quoted in
every provider error message and handed to the ledger entry that caused them."""

from __future__ import annotations

import httpx
import pytest

from telcli.errors import AuthError, ProviderRejected, ProviderUnavailable
from telcli.providers.base import ProviderSettings
from telcli.providers.telnyx import TelnyxProvider
from telcli.providers.twilio import TwilioProvider
from telcli.providers.vapi import VapiProvider
from telcli.storage.state import StateDB, operation
from tests.providers.helpers import ACCOUNT_SID, AUTH_TOKEN, TELNYX_KEY, load
from tests.providers.test_telnyx import details

TWILIO = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}"
TELNYX = "https://api.telnyx.com/v2"
RQ = "RQ0123456789abcdef0123456789abcdef"
XID = "5b1c4d2e-8f9a-4b3c-9d1e-2f3a4b5c6d7e"


def twilio() -> TwilioProvider:
    return TwilioProvider(
        ProviderSettings(credentials={"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN})
    )


def telnyx() -> TelnyxProvider:
    return TelnyxProvider(ProviderSettings(credentials={"api_key": TELNYX_KEY}))


def test_twilio_error_names_its_request_id(respx_mock):
    respx_mock.post(f"{TWILIO}/IncomingPhoneNumbers.json").respond(
        400,
        json={"code": 21422, "message": "PhoneNumber is not available", "status": 400},
        headers={"Twilio-Request-Id": RQ},
    )
    with pytest.raises(ProviderRejected) as caught:
        twilio().purchase("+14159251571")
    assert caught.value.message == (
        f"twilio 400 on purchase of +14159251571 (request {RQ}): PhoneNumber is not available"
    )
    assert caught.value.request_id == RQ


def test_telnyx_errors_name_their_request_id(respx_mock):
    respx_mock.get(f"{TELNYX}/phone_numbers").respond(
        503,
        json={"errors": [{"code": "10007", "title": "Unexpected error"}]},
        headers={"x-request-id": XID},
    )
    with pytest.raises(ProviderUnavailable) as caught:
        telnyx().list_owned()
    assert f"(request {XID})" in caught.value.message
    assert caught.value.request_id == XID

    respx_mock.get(f"{TELNYX}/phone_numbers").respond(
        401, json=load("telnyx", "errors_401"), headers={"x-request-id": XID}
    )
    with pytest.raises(AuthError) as denied:
        telnyx().list_owned()
    assert denied.value.message.startswith(f"telnyx rejected the credentials (401) (request {XID})")


def test_an_error_without_a_request_id_reads_as_before(respx_mock):
    respx_mock.post(f"{TWILIO}/IncomingPhoneNumbers.json").respond(
        400, json={"code": 21422, "message": "gone", "status": 400}
    )
    with pytest.raises(ProviderRejected) as caught:
        twilio().purchase("+14159251571")
    assert caught.value.message == "twilio 400 on purchase of +14159251571: gone"
    assert caught.value.request_id is None


def test_the_ledger_keeps_the_entrys_own_providers_last_request_id(respx_mock, tmp_path):
    details(respx_mock)  # list_owned also asks for the numbers' capabilities and address
    respx_mock.post(f"{TWILIO}/IncomingPhoneNumbers.json").respond(
        201, json=load("twilio", "incoming_phone_number"), headers={"Twilio-Request-Id": RQ}
    )
    respx_mock.get(f"{TELNYX}/phone_numbers").respond(
        200, json=load("telnyx", "phone_numbers"), headers={"x-request-id": XID}
    )
    db = StateDB(tmp_path / "state.db")
    telnyx().list_owned()  # before the entry: not collected
    with operation(db, "buy", "twilio", "default", "+14159251571") as step:
        telnyx().list_owned()  # another provider's id: not this entry's
        step.result_id = twilio().purchase("+14159251571").id
    with operation(db, "vapi.import", "vapi", "default", "+14159251571"):
        telnyx().list_owned()
    vapi_row, buy_row = db.ledger_entries()
    assert (buy_row.request_id, buy_row.status) == (RQ, "succeeded")
    assert vapi_row.request_id is None


def test_operation_outcomes(tmp_path):
    db = StateDB(tmp_path / "state.db")
    with operation(db, "configure", "twilio", "p", "+1"):
        pass
    for exc in (
        ProviderRejected("no", provider="twilio"),
        ProviderUnavailable("down", provider="twilio", sent=False),
        ProviderUnavailable("timed out", provider="twilio", sent=True),
        KeyboardInterrupt(),
    ):
        with pytest.raises(type(exc)), operation(db, "configure", "twilio", "p", "+1"):
            raise exc
    rows = db.ledger_entries()[::-1]
    assert [(r.status, r.detail.get("error")) for r in rows] == [
        ("succeeded", None),
        ("failed", "no"),
        ("failed", "down"),  # provably never sent: nothing can have changed
        ("unknown", "timed out"),
        ("unknown", "interrupted"),
    ]
    assert len({r.operation_id for r in rows}) == 1 and rows[0].operation_id.startswith("op_")


def test_vapi_keeps_a_request_id_when_one_is_sent(respx_mock):
    respx_mock.get("https://api.vapi.ai/phone-number/x").respond(
        404, json={"message": "Not Found"}, headers={"x-request-id": XID}
    )
    provider = VapiProvider(ProviderSettings(credentials={"api_key": TELNYX_KEY}))
    with pytest.raises(ProviderRejected) as caught:
        provider._json("GET", "/phone-number/x", "number lookup")
    assert caught.value.request_id == XID


def test_retries_each_keep_their_own_request_id(respx_mock, tmp_path):
    details(respx_mock)  # list_owned also asks for the numbers' capabilities and address
    from telcli.transport import RetryPolicy

    respx_mock.get(f"{TELNYX}/phone_numbers").mock(
        side_effect=[
            httpx.Response(503, headers={"x-request-id": "first"}),
            httpx.Response(
                200, json=load("telnyx", "phone_numbers"), headers={"x-request-id": XID}
            ),
        ]
    )
    provider = TelnyxProvider(
        ProviderSettings(
            credentials={"api_key": TELNYX_KEY}, retry=RetryPolicy(sleep=lambda _: None)
        )
    )
    db = StateDB(tmp_path / "state.db")
    with operation(db, "lookup", "telnyx", "p", "+1"):
        provider.list_owned()
    [row] = db.ledger_entries()
    assert row.request_id == XID and row.detail["request_ids"] == ["first", XID]


def test_an_unreadable_answer_names_its_request_id(respx_mock):
    # A 2xx whose body is not JSON (cut short on the way): support still needs the id.
    respx_mock.get(f"{TELNYX}/phone_numbers").respond(
        200, text='{"data": [', headers={"x-request-id": XID}
    )
    respx_mock.get(f"{TWILIO}/IncomingPhoneNumbers.json").respond(
        200, text='{"incoming_phone', headers={"Twilio-Request-Id": RQ}
    )
    respx_mock.get("https://api.vapi.ai/assistant").respond(
        200, text="[{", headers={"x-request-id": XID}
    )
    vapi = VapiProvider(ProviderSettings(credentials={"api_key": TELNYX_KEY}))
    for read, rid in (
        (telnyx().list_owned, XID),
        (twilio().list_owned, RQ),
        (vapi.list_assistants, XID),
    ):
        with pytest.raises(ProviderUnavailable) as caught:
            read()
        assert "unreadable response" in caught.value.message
        assert f"(request {rid})" in caught.value.message
        assert caught.value.request_id == rid


def test_a_well_formed_answer_without_what_telcli_needs_names_its_request_id(respx_mock):
    # The answer arrived and parsed, but says the order failed or lacks the id telcli needs:
    # support still needs the request id (a ProviderError raised by telcli, not by the status).
    number = "+27217844565"
    respx_mock.post(f"{TELNYX}/number_orders").respond(
        200,
        json={"data": {"id": "ord-1", "status": "failure", "phone_numbers": []}},
        headers={"x-request-id": XID},
    )
    with pytest.raises(ProviderRejected) as caught:
        telnyx().purchase(number)
    assert caught.value.message == f"telnyx number order ord-1 for {number} failed (request {XID})"
    assert caught.value.request_id == XID

    respx_mock.get(f"{TELNYX}/phone_numbers_regulatory_requirements").respond(
        200,
        json={
            "data": [
                {
                    "phone_number": number,
                    "region_information": [{"region_type": "country_code", "region_name": "ZA"}],
                    "regulatory_requirements": [
                        {"id": "req-1", "field_type": "address", "name": "address"}
                    ],
                }
            ]
        },
    )
    respx_mock.post(f"{TELNYX}/requirement_groups").respond(
        200, json={"status": "ok"}, headers={"x-request-id": XID}
    )
    with pytest.raises(ProviderUnavailable) as caught:
        telnyx()._requirement_group(number, "addr-1")
    assert caught.value.message == (
        f"telnyx sent no requirement group id for {number} (request {XID})"
    )
    assert caught.value.request_id == XID

    respx_mock.post("https://api.vapi.ai/credential").respond(
        201, json={"provider": "twilio"}, headers={"x-request-id": XID}
    )
    vapi = VapiProvider(ProviderSettings(credentials={"api_key": TELNYX_KEY}))
    with pytest.raises(ProviderUnavailable) as caught:
        vapi.create_credential("twilio", "secret-key", "telcli twilio")
    assert caught.value.message == f"vapi sent no credential id (request {XID})"
    assert caught.value.request_id == XID
