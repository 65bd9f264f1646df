"""The tenant at each provider, against respx: the field each purchase request carries, how
listings read it back and filter by it, and setting or clearing it on an owned number.
The codec itself is tested in tests/test_tenancy.py."""

from __future__ import annotations

import copy
import json
from dataclasses import replace

import httpx
import pytest

from telcli.errors import ProviderUnavailable, UsageProblem
from telcli.models import AddressInput, NumberConfig, OwnedNumber, ProviderName, TenantTag
from telcli.providers.base import ProviderSettings
from telcli.providers.telnyx import TelnyxProvider
from telcli.providers.twilio import TwilioProvider
from telcli.providers.vapi import _number
from tests.providers.helpers import ACCOUNT_SID, AUTH_TOKEN, NUMBER_SID, TELNYX_KEY, load
from tests.providers.test_telnyx import details
from tests.providers.test_twilio import form_of, query_of

TW_API = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}"
TX_API = "https://api.telnyx.com/v2"
TX_NUMBER_ID = "1293384261075731499"
ACME = TenantTag("acme-dental", "Acme Dental")


def twilio() -> TwilioProvider:
    creds = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}
    return TwilioProvider(ProviderSettings(credentials=creds))


def telnyx() -> TelnyxProvider:
    return TelnyxProvider(ProviderSettings(credentials={"api_key": TELNYX_KEY}))


def twilio_record(friendly_name: str, phone_number: str = "+14159251571") -> dict:
    record = copy.deepcopy(load("twilio", "incoming_phone_number"))
    record.update(friendly_name=friendly_name, phone_number=phone_number)
    return record


def twilio_page(*records: dict) -> dict:
    page = copy.deepcopy(load("twilio", "incoming_phone_numbers_page0"))
    page.update(incoming_phone_numbers=list(records), next_page_uri=None)
    return page


def telnyx_record(reference: str | None, phone_number: str = "+19705555098") -> dict:
    record = copy.deepcopy(load("telnyx", "phone_numbers")["data"][0])
    record.update(customer_reference=reference, phone_number=phone_number)
    return record


def telnyx_page(*records: dict) -> dict:
    return {"data": list(records), "meta": {"total_pages": 1, "page_number": 1}}


def json_of(request: httpx.Request) -> object:
    return json.loads(request.content)


# -- Twilio: FriendlyName ----------------------------------------------------------------------


def test_twilio_purchase_sends_the_tenant_as_friendly_name_in_the_same_request(respx_mock):
    route = respx_mock.post(f"{TW_API}/IncomingPhoneNumbers.json").respond(
        201, json=twilio_record("acme-dental · Acme Dental")
    )

    number = twilio().purchase("+14159251571", tenant=ACME)

    assert form_of(route.calls.last.request) == {
        "PhoneNumber": ["+14159251571"],
        "FriendlyName": ["acme-dental · Acme Dental"],
    }
    assert number.tenant == "acme-dental"
    assert number.to_json()["tenant"] == "acme-dental"


def test_twilio_listing_reads_the_tenant_and_filters_by_it_here(respx_mock):
    route = respx_mock.get(f"{TW_API}/IncomingPhoneNumbers.json").respond(
        200,
        json=twilio_page(
            twilio_record("acme-dental · Acme Dental", "+14155550001"),
            twilio_record("bolt-gym · Bolt Gym", "+14155550002"),
            twilio_record("(415) 555-0003", "+14155550003"),
        ),
    )

    everything = twilio().list_owned()
    acme = twilio().list_owned("acme-dental")

    assert [n.tenant for n in everything] == ["acme-dental", "bolt-gym", None]
    assert [n.phone_number for n in acme] == ["+14155550001"]
    # FriendlyName filters match the whole label, display name included: not sent.
    assert query_of(route.calls.last.request) == {"PageSize": ["1000"]}


def test_twilio_set_tenant_updates_the_friendly_name(respx_mock):
    route = respx_mock.post(f"{TW_API}/IncomingPhoneNumbers/{NUMBER_SID}.json").respond(
        200, json=twilio_record("acme-dental · Acme Dental")
    )
    number = OwnedNumber(ProviderName.twilio, "+14159251571", NUMBER_SID)

    tagged = twilio().set_tenant(number, ACME)

    assert form_of(route.calls.last.request) == {"FriendlyName": ["acme-dental · Acme Dental"]}
    assert tagged.tenant == "acme-dental"


def test_twilio_clearing_the_tenant_restores_the_default_name(respx_mock):
    route = respx_mock.post(f"{TW_API}/IncomingPhoneNumbers/{NUMBER_SID}.json").respond(
        200, json=twilio_record("(415) 925-1571")
    )
    number = OwnedNumber(ProviderName.twilio, "+14159251571", NUMBER_SID, tenant="acme-dental")

    cleared = twilio().set_tenant(number, None)

    assert form_of(route.calls.last.request) == {"FriendlyName": ["(415) 925-1571"]}
    assert cleared.tenant is None


def test_twilio_renaming_a_tenant_number_keeps_its_tenant(respx_mock):
    route = respx_mock.post(f"{TW_API}/IncomingPhoneNumbers/{NUMBER_SID}.json").respond(
        200, json=twilio_record("acme-dental · Front desk")
    )
    number = OwnedNumber(ProviderName.twilio, "+14159251571", NUMBER_SID, tenant="acme-dental")

    renamed = twilio().configure(number, NumberConfig(friendly_name="Front desk"))

    assert form_of(route.calls.last.request) == {"FriendlyName": ["acme-dental · Front desk"]}
    assert renamed.tenant == "acme-dental"


def test_twilio_address_for_a_tenant_is_labelled_with_it(respx_mock):
    record = copy.deepcopy(load("twilio", "address"))
    record["friendly_name"] = "acme-dental · Main Office"
    route = respx_mock.post(f"{TW_API}/Addresses.json").respond(201, json=record)
    address = AddressInput(
        "name", "4th", "SF", "CA", "94019", "US", friendly_name="Main Office", tenant=ACME
    )

    created = twilio().create_address(address)

    assert form_of(route.calls.last.request)["FriendlyName"] == ["acme-dental · Main Office"]
    assert created.tenant == "acme-dental"
    assert created.to_json()["tenant"] == "acme-dental"


# -- Telnyx: customer_reference ----------------------------------------------------------------


def test_telnyx_order_carries_the_tenant_as_customer_reference(respx_mock):
    details(respx_mock)  # capabilities and address of the listed numbers
    order = respx_mock.post(f"{TX_API}/number_orders").respond(
        200, json=load("telnyx", "number_order_success")
    )
    respx_mock.get(f"{TX_API}/phone_numbers").respond(
        200, json=telnyx_page(telnyx_record("tenant:acme-dental"))
    )

    number = telnyx().purchase("+19705555098", tenant=ACME)

    assert json_of(order.calls.last.request) == {
        "phone_numbers": [{"phone_number": "+19705555098"}],
        "customer_reference": "tenant:acme-dental",
    }
    assert number.tenant == "acme-dental"


def test_telnyx_number_without_the_order_reference_is_tagged_at_once(respx_mock):
    details(respx_mock)  # capabilities and address of the listed numbers
    # The spec does not promise that an order's customer_reference reaches its numbers.
    respx_mock.post(f"{TX_API}/number_orders").respond(
        200, json=load("telnyx", "number_order_success")
    )
    respx_mock.get(f"{TX_API}/phone_numbers").respond(200, json=telnyx_page(telnyx_record(None)))
    patch = respx_mock.patch(f"{TX_API}/phone_numbers/{TX_NUMBER_ID}").respond(
        200, json={"data": telnyx_record("tenant:acme-dental")}
    )

    number = telnyx().purchase("+19705555098", tenant=ACME)

    assert json_of(patch.calls.last.request) == {"customer_reference": "tenant:acme-dental"}
    assert number.tenant == "acme-dental"
    # The PATCH answer has no features: the tagged number keeps what the lookup found.
    assert [str(c) for c in number.capabilities] == ["voice", "sms"]


def test_telnyx_failed_follow_up_tag_is_not_a_failed_purchase(respx_mock):
    details(respx_mock)  # capabilities and address of the listed numbers
    respx_mock.post(f"{TX_API}/number_orders").respond(
        200, json=load("telnyx", "number_order_success")
    )
    respx_mock.get(f"{TX_API}/phone_numbers").respond(200, json=telnyx_page(telnyx_record(None)))
    respx_mock.patch(f"{TX_API}/phone_numbers/{TX_NUMBER_ID}").respond(503)

    number = telnyx().purchase("+19705555098", tenant=ACME)

    assert number.id == TX_NUMBER_ID and number.tenant is None  # bought; the caller sees untagged


def test_telnyx_listing_filters_by_customer_reference_and_checks_again(respx_mock):
    details(respx_mock)  # capabilities and address of the listed numbers
    route = respx_mock.get(f"{TX_API}/phone_numbers").respond(
        200,
        json=telnyx_page(
            telnyx_record("tenant:acme-dental", "+19705550001"),
            # A server matching "contains" would return this one too: it is dropped here.
            telnyx_record("tenant:acme-dental-2", "+19705550002"),
        ),
    )

    found = telnyx().list_owned("acme-dental")

    assert [n.phone_number for n in found] == ["+19705550001"]
    assert query_of(route.calls.last.request) == {
        "filter[customer_reference]": ["tenant:acme-dental"],
        "page[number]": ["1"],
        "page[size]": ["250"],
    }


def test_telnyx_set_and_clear_tenant_patch_customer_reference(respx_mock):
    route = respx_mock.patch(f"{TX_API}/phone_numbers/{TX_NUMBER_ID}")
    route.side_effect = [
        httpx.Response(200, json={"data": telnyx_record("tenant:acme-dental")}),
        httpx.Response(200, json={"data": telnyx_record("")}),
    ]
    number = OwnedNumber(ProviderName.telnyx, "+19705555098", TX_NUMBER_ID)

    tagged = telnyx().set_tenant(number, ACME)
    cleared = telnyx().set_tenant(tagged, None)

    assert [json_of(c.request) for c in route.calls] == [
        {"customer_reference": "tenant:acme-dental"},
        {"customer_reference": ""},
    ]
    assert (tagged.tenant, cleared.tenant) == ("acme-dental", None)


def test_telnyx_refuses_to_rename_a_tenant_number(respx_mock):
    number = OwnedNumber(ProviderName.telnyx, "+19705555098", TX_NUMBER_ID, tenant="acme-dental")

    with pytest.raises(UsageProblem) as err:
        telnyx().configure(number, NumberConfig(friendly_name="Front desk"))

    assert "acme-dental" in err.value.message  # and no request was sent (respx: none routed)


def test_telnyx_address_for_a_tenant_carries_its_reference(respx_mock):
    record = copy.deepcopy(load("telnyx", "address"))
    record["data"]["customer_reference"] = "tenant:acme-dental"
    route = respx_mock.post(f"{TX_API}/addresses").respond(200, json=record)
    address = AddressInput("Ann Lee", "1 Main St", "Leeds", "WYK", "LS1 1AA", "GB", tenant=ACME)

    created = telnyx().create_address(address)

    assert json_of(route.calls.last.request)["customer_reference"] == "tenant:acme-dental"
    assert created.tenant == "acme-dental"


def test_telnyx_purchase_outcome_unclear_is_still_raised(respx_mock):
    respx_mock.post(f"{TX_API}/number_orders").respond(503)

    with pytest.raises(ProviderUnavailable):
        telnyx().purchase("+19705555098", tenant=ACME)


# -- VAPI: name --------------------------------------------------------------------------------


def test_vapi_number_reads_its_tenant_from_the_name():
    base = {"id": "n1", "number": "+14155550001", "provider": "twilio"}

    assert _number({**base, "name": "acme-dental · Acme Dental"}).tenant == "acme-dental"
    assert _number({**base, "name": "Front desk"}).tenant is None
    assert _number(base).to_json()["tenant"] is None


def test_owned_number_json_has_tenant_null_when_untagged():
    number = OwnedNumber(ProviderName.twilio, "+14159251571", NUMBER_SID)

    assert number.to_json()["tenant"] is None
    assert replace(number, tenant="acme-dental").to_json()["tenant"] == "acme-dental"
