"""The sandbox's addresses, requirement groups and VAPI endpoints: responses validate against
the official specs (strictly, as in test_spec_responses.py), Telnyx bodies parse with the
telnyx SDK's types, and the handlers keep state and refuse what the real APIs refuse."""

from __future__ import annotations

import httpx
import pytest

from telcli.sandbox import SANDBOX_CREDENTIALS
from telcli.sandbox.vapi import ASSISTANTS

from .conftest import ACC, available, buy_twilio, telnyx_order, telnyx_search
from .test_spec_responses import Checked, _check, _record

VAPI_KEY = SANDBOX_CREDENTIALS["vapi"]["api_key"]
TWILIO_ADDRESS = {
    "CustomerName": "Thandi Nkosi",
    "Street": "12 Long Street",
    "City": "Cape Town",
    "Region": "Western Cape",
    "PostalCode": "8001",
    "IsoCountry": "ZA",
    "FriendlyName": "Office",
}
TELNYX_ADDRESS = {
    "first_name": "Thandi",
    "last_name": "Nkosi",
    "business_name": "Nkosi Trading",
    "street_address": "12 Long Street",
    "locality": "Cape Town",
    "administrative_area": "Western Cape",
    "postal_code": "8001",
    "country_code": "ZA",
}


@pytest.fixture
def vapi(transport):
    with httpx.Client(
        transport=transport,
        base_url="https://api.vapi.ai",
        headers={"Authorization": f"Bearer {VAPI_KEY}"},
    ) as client:
        yield client


def test_twilio_addresses_match_the_spec_and_keep_state(twilio):
    checked: Checked = []
    created = _record(
        checked, "CreateAddress", twilio.post(f"{ACC}/Addresses.json", data=TWILIO_ADDRESS), 201
    )
    sid = created["sid"]
    listed = _record(
        checked,
        "ListAddress",
        twilio.get(f"{ACC}/Addresses.json", params={"IsoCountry": "ZA"}),
        200,
    )
    assert [a["sid"] for a in listed["addresses"]] == [sid]
    assert (
        twilio.get(f"{ACC}/Addresses.json", params={"IsoCountry": "US"}).json()["addresses"] == []
    )
    _record(checked, "FetchAddress", twilio.get(f"{ACC}/Addresses/{sid}.json"), 200)
    _check("twilio_api_v2010.json", checked)

    # In use by a number: refused (21625); free again after the release.
    number = available(twilio, "ZA")[0]["phone_number"]
    bought = buy_twilio(twilio, number, AddressSid=sid).json()
    refused = twilio.delete(f"{ACC}/Addresses/{sid}.json")
    assert (refused.status_code, refused.json()["code"]) == (400, 21625)
    twilio.delete(f"{ACC}/IncomingPhoneNumbers/{bought['sid']}.json")
    assert twilio.delete(f"{ACC}/Addresses/{sid}.json").status_code == 204
    assert twilio.get(f"{ACC}/Addresses/{sid}.json").status_code == 404


def test_twilio_address_validation_names_every_missing_field(twilio):
    response = twilio.post(f"{ACC}/Addresses.json", data={"CustomerName": "X"})
    assert response.status_code == 400
    assert response.json()["message"] == (
        "Street is required; City is required; Region is required; PostalCode is required;"
        " IsoCountry is required"
    )


def test_telnyx_addresses_and_groups_match_the_spec_and_the_sdk(telnyx):
    sdk = pytest.importorskip("telnyx")
    from telnyx.types import AddressCreateResponse, RequirementGroup

    checked: Checked = []
    created = _record(checked, "CreateAddress", telnyx.post("/addresses", json=TELNYX_ADDRESS), 200)
    AddressCreateResponse.model_validate(created)
    address_id = created["data"]["id"]
    listed = _record(checked, "FindAddresses", telnyx.get("/addresses"), 200)
    assert [a["id"] for a in listed["data"]] == [address_id]
    _record(checked, "GetAddress", telnyx.get(f"/addresses/{address_id}"), 200)
    group = _record(
        checked,
        "CreateRequirementGroup",
        telnyx.post(
            "/requirement_groups",
            json={
                "country_code": "ZA",
                "phone_number_type": "local",
                "action": "ordering",
                "regulatory_requirements": [{"requirement_id": "r1", "field_value": address_id}],
            },
        ),
        200,
    )
    RequirementGroup.model_validate(group)
    _record(checked, "GetRequirementGroup", telnyx.get(f"/requirement_groups/{group['id']}"), 200)
    _record(checked, "DeleteAddress", telnyx.delete(f"/addresses/{address_id}"), 200)
    _check("telnyx_v2.json", checked)
    assert telnyx.get(f"/addresses/{address_id}").status_code == 404
    assert sdk  # the SDK was importable


def test_telnyx_address_validation_points_at_each_field(telnyx):
    response = telnyx.post("/addresses", json={"first_name": "X", "country_code": "ZAF"})
    assert response.status_code == 422
    pointers = [e["source"]["pointer"] for e in response.json()["errors"]]
    assert pointers == [
        "/last_name",
        "/business_name",
        "/street_address",
        "/locality",
        "/country_code",
    ]


def test_vapi_responses_match_the_spec(vapi, twilio, telnyx):
    checked: Checked = []
    assistants = _record(checked, "AssistantController_findAll", vapi.get("/assistant"), 200)
    assert {a["name"] for a in assistants} == {a["name"] for a in ASSISTANTS}
    one = ASSISTANTS[0]["id"]
    _record(checked, "AssistantController_findOne", vapi.get(f"/assistant/{one}"), 200)

    tw_number = available(twilio)[0]["phone_number"]
    buy_twilio(twilio, tw_number)
    creds = SANDBOX_CREDENTIALS["twilio"]
    created = _record(
        checked,
        "PhoneNumberController_create",
        vapi.post(
            "/phone-number",
            json={
                "provider": "twilio",
                "number": tw_number,
                "twilioAccountSid": creds["account_sid"],
                "twilioAuthToken": creds["auth_token"],
                "assistantId": one,
                "server": {"url": "https://example.com/vapi"},
            },
        ),
        201,
    )
    assert "twilioAuthToken" not in created

    tx_number = telnyx_search(telnyx)[0]["phone_number"]
    telnyx_order(telnyx, tx_number)
    credential = vapi.post(
        "/credential",
        json={"provider": "telnyx", "apiKey": SANDBOX_CREDENTIALS["telnyx"]["api_key"]},
    ).json()
    assert "apiKey" not in credential
    _record(
        checked,
        "PhoneNumberController_create",
        vapi.post(
            "/phone-number",
            json={"provider": "telnyx", "number": tx_number, "credentialId": credential["id"]},
        ),
        201,
    )
    _record(checked, "PhoneNumberController_findAll", vapi.get("/phone-number"), 200)
    _record(
        checked,
        "PhoneNumberController_update",
        vapi.patch(
            f"/phone-number/{created['id']}", json={"provider": "twilio", "assistantId": None}
        ),
        200,
    )
    _record(
        checked, "PhoneNumberController_findOne", vapi.get(f"/phone-number/{created['id']}"), 200
    )
    _record(
        checked,
        "PhoneNumberController_remove",
        vapi.delete(f"/phone-number/{created['id']}"),
        200,
    )
    _check("vapi.json", checked)


def test_vapi_refuses_what_vapi_refuses(vapi, twilio):
    number = available(twilio)[0]["phone_number"]
    creds = SANDBOX_CREDENTIALS["twilio"]
    body = {"provider": "twilio", "number": number, "twilioAccountSid": creds["account_sid"]}
    # Not owned at Twilio yet; then a wrong token; then a duplicate import.
    assert "Number Not Found on Twilio" in str(
        vapi.post("/phone-number", json={**body, "twilioAuthToken": creds["auth_token"]}).json()
    )
    buy_twilio(twilio, number)
    wrong = vapi.post("/phone-number", json={**body, "twilioAuthToken": "nope"})
    assert wrong.status_code == 400 and "Authenticate" in str(wrong.json()["message"])
    good = vapi.post("/phone-number", json={**body, "twilioAuthToken": creds["auth_token"]})
    assert good.status_code == 201
    again = vapi.post("/phone-number", json={**body, "twilioAuthToken": creds["auth_token"]})
    assert again.status_code == 400 and "Existing Phone Number" in str(again.json()["message"])
    # PATCH without provider is refused, as the spec's oneOf would.
    patched = vapi.patch(f"/phone-number/{good.json()['id']}", json={"name": "x"})
    assert patched.status_code == 400
    unknown = vapi.patch(
        f"/phone-number/{good.json()['id']}",
        json={"provider": "twilio", "assistantId": "00000000-0000-4000-8000-000000000000"},
    )
    assert unknown.status_code == 400 and "Couldn't Find Assistant" in str(unknown.json())
    assert vapi.get("/phone-number/not-a-uuid").status_code == 400
    with httpx.Client(transport=vapi._transport, base_url="https://api.vapi.ai") as anonymous:
        assert anonymous.get("/assistant").status_code == 401


def test_twilio_refuses_a_number_that_needs_an_address_without_one(twilio):
    number = available(twilio, "ZA")[0]["phone_number"]
    refused = buy_twilio(twilio, number)
    assert (refused.status_code, refused.json()["code"]) == (400, 21631)
    assert "needs a local address" in refused.json()["message"]
    assert buy_twilio(twilio, number, AddressSid="AD" + "ab" * 16).status_code == 201
