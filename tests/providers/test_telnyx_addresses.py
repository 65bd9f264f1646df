"""TelnyxProvider addresses, requirements and prices against respx, with the telnyx SDK as the
wire-format oracle for CreateAddress, FindAddresses, DeleteAddress, CreateRequirementGroup and
ListRegulatoryRequirementsPhoneNumbers."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from telcli.models import AddressInput, AddressRequirement, NumberQuery, NumberType
from telcli.providers.base import ProviderSettings
from telcli.providers.telnyx import TelnyxProvider, _address_requirement
from tests.providers.helpers import TELNYX_KEY, load

API = "https://api.telnyx.com/v2"
ADDRESS_ID = "1293384261075731461"
ADDRESS = AddressInput(
    customer_name="Alfred Foster",
    business_name="Toy-O'Kon",
    street="600 Congress Avenue",
    city="Austin",
    region="TX",
    postal_code="78701",
    country="us",
    friendly_name="Main office",
)
EXPECTED_BODY = {
    "first_name": "Alfred",
    "last_name": "Foster",
    "business_name": "Toy-O'Kon",
    "street_address": "600 Congress Avenue",
    "locality": "Austin",
    "administrative_area": "TX",
    "postal_code": "78701",
    "country_code": "US",
    "customer_reference": "Main office",
}


def make(transport: httpx.BaseTransport | None = None) -> TelnyxProvider:
    return TelnyxProvider(
        ProviderSettings(credentials={"api_key": TELNYX_KEY}, transport=transport)
    )


def test_create_address_body_and_model(respx_mock):
    route = respx_mock.post(f"{API}/addresses").respond(200, json=load("telnyx", "address"))

    created = make().create_address(ADDRESS)

    assert json.loads(route.calls.last.request.content) == EXPECTED_BODY
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {TELNYX_KEY}"
    assert (created.id, created.customer_name, created.business_name) == (
        ADDRESS_ID,
        "Alfred Foster",
        "Toy-O'Kon",
    )
    assert (created.street, created.city, created.region, created.country) == (
        "600 Congress Avenue",
        "Austin",
        "TX",
        "US",
    )
    assert created.friendly_name == "Main office"


def test_a_one_word_name_fills_first_and_last_name(respx_mock):
    route = respx_mock.post(f"{API}/addresses").respond(200, json=load("telnyx", "address"))
    make().create_address(AddressInput("Acme", "1 Main", "Austin", "TX", "78701", "US"))
    body = json.loads(route.calls.last.request.content)
    assert (body["first_name"], body["last_name"], body["business_name"]) == (
        "Acme",
        "Acme",
        "Acme",
    )


def test_list_addresses_pages_and_filters_by_country_locally(respx_mock):
    route = respx_mock.get(f"{API}/addresses").respond(200, json=load("telnyx", "addresses"))
    assert [a.id for a in make().list_addresses("US")] == [ADDRESS_ID]
    assert make().list_addresses("ZA") == []
    assert dict(route.calls.last.request.url.params) == {"page[number]": "1", "page[size]": "250"}


def test_delete_address(respx_mock):
    route = respx_mock.delete(f"{API}/addresses/{ADDRESS_ID}").respond(
        200, json=load("telnyx", "address")
    )
    make().delete_address(ADDRESS_ID)
    assert route.called


def test_pricing_reads_cost_information_per_type(respx_mock):
    route = respx_mock.get(f"{API}/available_phone_numbers").mock(
        side_effect=[
            httpx.Response(200, json=load("telnyx", "available_phone_numbers")),
            httpx.Response(200, json=load("telnyx", "available_phone_numbers_empty")),
            httpx.Response(400, json={"errors": [{"code": "10015", "title": "Bad Request"}]}),
        ]
    )
    prices = make().pricing("US")
    assert [(p.number_type, p.monthly_price, p.upfront_price, p.currency) for p in prices] == [
        ("local", Decimal("1.00"), Decimal("1.00"), "USD")
    ]
    types = [r.request.url.params["filter[phone_number_type]"] for r in route.calls]
    assert types == ["local", "mobile", "toll_free"]
    assert {r.request.url.params["filter[limit]"] for r in route.calls} == {"1"}


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        ("Worldwide", AddressRequirement.any),
        ("Identical locality as the numbers desired", AddressRequirement.local),
        ("Same country as the phone number", AddressRequirement.local),
        ("Outside the country of the phone number", AddressRequirement.foreign),
    ],
)
def test_locality_limit_maps_onto_twilio_vocabulary(limit, expected):
    record = {
        "regulatory_requirements": [
            {"field_type": "address", "acceptance_criteria": {"locality_limit": limit}}
        ]
    }
    assert _address_requirement(record) is expected
    assert _address_requirement({"regulatory_requirements": []}) is AddressRequirement.none
    assert _address_requirement(None) is AddressRequirement.none


def test_search_without_requirements_makes_one_request(respx_mock):
    respx_mock.get(f"{API}/available_phone_numbers").respond(
        200, json=load("telnyx", "available_phone_numbers")
    )
    found = make().search_numbers(NumberQuery(), requirements=False)
    assert len(found) == 2 and len(respx_mock.calls) == 1


# -- the telnyx SDK as the oracle --------------------------------------------------------------


class Recorder:
    def __init__(self, *answers: Any) -> None:
        self.requests: list[httpx.Request] = []
        self.answers = list(answers)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json=self.answers.pop(0) if self.answers else {"data": []})

    def shapes(self) -> list[tuple[str, str, list[tuple[str, str]], Any]]:
        return [
            (
                r.method,
                r.url.path,
                sorted(r.url.params.multi_items()),
                json.loads(r.content) if r.content else None,
            )
            for r in self.requests
        ]


@pytest.fixture(scope="module")
def telnyx_sdk():
    return pytest.importorskip("telnyx")


def sdk_with(telnyx_sdk, recorder: Recorder):
    return telnyx_sdk.Telnyx(
        api_key=TELNYX_KEY,
        base_url=API,
        max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(recorder)),
    )


def test_address_operations_match_the_sdk(telnyx_sdk):
    from telnyx.types import AddressCreateResponse

    theirs, ours = Recorder(load("telnyx", "address")), Recorder(load("telnyx", "address"))
    sdk = sdk_with(telnyx_sdk, theirs)
    sdk.addresses.create(**EXPECTED_BODY)
    make(httpx.MockTransport(ours)).create_address(ADDRESS)
    assert ours.shapes() == theirs.shapes()
    AddressCreateResponse.model_validate(load("telnyx", "address"))

    theirs, ours = Recorder(load("telnyx", "addresses")), Recorder(load("telnyx", "addresses"))
    list(sdk_with(telnyx_sdk, theirs).addresses.list(page_number=1, page_size=250))
    make(httpx.MockTransport(ours)).list_addresses()
    assert ours.shapes() == theirs.shapes()[:1]

    theirs, ours = Recorder(load("telnyx", "address")), Recorder(load("telnyx", "address"))
    sdk_with(telnyx_sdk, theirs).addresses.delete(ADDRESS_ID)
    make(httpx.MockTransport(ours)).delete_address(ADDRESS_ID)
    assert ours.shapes() == theirs.shapes()


def test_purchase_with_address_matches_the_sdk(telnyx_sdk):
    from telnyx.types import RequirementGroup

    answers = (
        load("telnyx", "phone_numbers_regulatory_requirements"),
        load("telnyx", "requirement_group"),
        load("telnyx", "number_order_success"),
        load("telnyx", "phone_numbers"),
    )
    theirs, ours = Recorder(*answers), Recorder(*answers)
    sdk = sdk_with(telnyx_sdk, theirs)
    sdk.phone_numbers_regulatory_requirements.retrieve(filter={"phone_number": "+19705555098"})
    group = sdk.requirement_groups.create(
        country_code="US",
        phone_number_type="local",
        action="ordering",
        customer_reference="telcli +19705555098",
        regulatory_requirements=[
            {"requirement_id": "12ade33a-21c0-473b-b055-b3c836e1c292", "field_value": ADDRESS_ID}
        ],
    )
    sdk.number_orders.create(
        phone_numbers=[{"phone_number": "+19705555098", "requirement_group_id": group.id}]
    )
    bought = make(httpx.MockTransport(ours)).purchase("+19705555098", address_id=ADDRESS_ID)
    assert ours.shapes()[:3] == theirs.shapes()
    RequirementGroup.model_validate(load("telnyx", "requirement_group"))
    assert bought.phone_number == "+19705555098"


def test_requirements_fixture_parses_with_the_sdk(telnyx_sdk):
    from telnyx.types import PhoneNumbersRegulatoryRequirementRetrieveResponse as Response

    parsed = Response.model_validate(load("telnyx", "phone_numbers_regulatory_requirements"))
    assert parsed.data[0].phone_number == "+19705555098"
    assert NumberType.local.value == parsed.data[0].phone_number_type
