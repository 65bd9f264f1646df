"""TwilioProvider addresses and pricing against respx: the exact requests (CreateAddress form,
ListAddress filters, DeleteAddress, Pricing v1 FetchPhoneNumberCountry) and parsed models."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qs

import httpx
import pytest

from telcli.errors import ProviderRejected
from telcli.models import AddressInput, NumberType, ProviderName
from telcli.providers.base import ProviderSettings
from telcli.providers.twilio import TwilioProvider
from tests.providers.helpers import ACCOUNT_SID, AUTH_TOKEN, basic, load

API = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}"
PRICING = "https://pricing.twilio.com/v1/PhoneNumbers/Countries"
SID = "ADaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"


def make() -> TwilioProvider:
    return TwilioProvider(
        ProviderSettings(credentials={"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN})
    )


def form_of(request: httpx.Request) -> dict[str, list[str]]:
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    return parse_qs(request.content.decode(), keep_blank_values=True)


ADDRESS = AddressInput(
    customer_name="name",
    street="4th",
    city="SF",
    region="CA",
    postal_code="94019",
    country="us",
    friendly_name="Main Office",
)


def test_create_address_sends_the_required_form_fields(respx_mock):
    route = respx_mock.post(f"{API}/Addresses.json").respond(201, json=load("twilio", "address"))

    created = make().create_address(ADDRESS)

    request = route.calls.last.request
    assert request.headers["Authorization"] == basic(ACCOUNT_SID, AUTH_TOKEN)
    assert form_of(request) == {
        "CustomerName": ["name"],
        "Street": ["4th"],
        "City": ["SF"],
        "Region": ["CA"],
        "PostalCode": ["94019"],
        "IsoCountry": ["US"],
        "FriendlyName": ["Main Office"],
    }
    assert created.provider is ProviderName.twilio
    assert (created.id, created.customer_name, created.country) == (SID, "name", "US")
    assert (created.street, created.city, created.region, created.postal_code) == (
        "4th",
        "SF",
        "CA",
        "94019",
    )
    assert created.friendly_name == "Main Office" and created.validated is False
    assert created.created_at == datetime(2015, 8, 18, 17, 7, 30, tzinfo=UTC)


def test_business_name_is_the_customer_name_at_twilio(respx_mock):
    route = respx_mock.post(f"{API}/Addresses.json").respond(201, json=load("twilio", "address"))
    make().create_address(
        AddressInput("Jane", "4th", "SF", "CA", "94019", "US", business_name="Acme Inc")
    )
    assert form_of(route.calls.last.request)["CustomerName"] == ["Acme Inc"]


def test_list_addresses_filters_by_country(respx_mock):
    route = respx_mock.get(f"{API}/Addresses.json").respond(200, json=load("twilio", "addresses"))

    found = make().list_addresses("za")

    params = route.calls.last.request.url.params
    assert params["IsoCountry"] == "ZA" and params["PageSize"] == "1000"
    assert [a.id for a in found] == [SID]


def test_delete_address(respx_mock):
    route = respx_mock.delete(f"{API}/Addresses/{SID}.json").respond(204)
    make().delete_address(SID)
    assert route.called


def test_delete_address_in_use_is_rejected_with_twilio_text(respx_mock):
    respx_mock.delete(f"{API}/Addresses/{SID}.json").respond(
        400, json={"code": 21625, "message": "Cannot delete this address", "status": 400}
    )
    with pytest.raises(ProviderRejected, match="Cannot delete this address") as info:
        make().delete_address(SID)
    assert info.value.code == "21625"


def test_pricing_lists_every_type_with_list_price(respx_mock):
    respx_mock.get(f"{PRICING}/US").respond(
        200, json=load("twilio", "pricing_phone_numbers_country_us")
    )

    prices = make().pricing("us")

    assert [(p.number_type, p.monthly_price, p.base_price, p.currency) for p in prices] == [
        (str(NumberType.local), Decimal("1.15"), Decimal("1.15"), "USD"),
        (str(NumberType.toll_free), Decimal("2.15"), Decimal("2.15"), "USD"),
    ]
    assert all(p.upfront_price is None and p.country == "US" for p in prices)


def test_pricing_of_one_type(respx_mock):
    respx_mock.get(f"{PRICING}/US").respond(
        200, json=load("twilio", "pricing_phone_numbers_country_us")
    )
    prices = make().pricing("US", NumberType.toll_free)
    assert [p.number_type for p in prices] == ["toll-free"]
