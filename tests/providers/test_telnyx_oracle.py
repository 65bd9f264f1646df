"""The official ``telnyx`` SDK as an independent oracle of the wire format.

For each operation, the request TelnyxProvider sends must equal the SDK's (method, path,
query parameters, JSON body), and the response fixtures the provider parses must validate
against the SDK's own response types, with the same values coming out of both.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from telcli.models import (
    Capability,
    NumberConfig,
    NumberQuery,
    NumberType,
    OwnedNumber,
    ProviderName,
)
from telcli.providers.base import ProviderSettings
from telcli.providers.telnyx import TelnyxProvider
from tests.providers.helpers import TELNYX_KEY, load

NUMBER_ID = "1293384261075731499"


class Recorder:
    """An httpx transport answering from a queue of fixtures and recording what was sent."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.answers: list[Any] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        body = self.answers.pop(0) if self.answers else {"data": []}
        return httpx.Response(200, json=body)

    def shape(self, index: int = 0) -> tuple[str, str, list[tuple[str, str]], Any]:
        request = self.requests[index]
        body = json.loads(request.content) if request.content else None
        return (
            request.method,
            request.url.path,
            sorted(request.url.params.multi_items()),
            body,
        )


@pytest.fixture(scope="module")
def telnyx_sdk():
    return pytest.importorskip("telnyx")


@pytest.fixture
def both(telnyx_sdk):
    """(sdk client, sdk recorder, provider, provider recorder) on the real base URL."""
    sdk_rec, our_rec = Recorder(), Recorder()
    sdk = telnyx_sdk.Telnyx(
        api_key=TELNYX_KEY,
        base_url="https://api.telnyx.com/v2",
        max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(sdk_rec)),
    )
    provider = TelnyxProvider(
        ProviderSettings(
            credentials={"api_key": TELNYX_KEY}, transport=httpx.MockTransport(our_rec)
        )
    )
    yield sdk, sdk_rec, provider, our_rec
    sdk.close()


def answer(recorders: tuple[Recorder, ...], *bodies: Any) -> None:
    for rec in recorders:
        rec.answers.extend(bodies)


def same_request(sdk_rec: Recorder, our_rec: Recorder) -> None:
    ours, theirs = our_rec.shape(), sdk_rec.shape()
    assert ours == theirs
    assert (
        our_rec.requests[0].headers["Authorization"]
        == sdk_rec.requests[0].headers["Authorization"]
        == f"Bearer {TELNYX_KEY}"
    )


def validated(model: type, fixture: dict[str, Any]) -> Any:
    """Validate with the SDK's pydantic type (strict parsing, not the lenient construct)."""
    return model.model_validate(fixture)


def test_search(both, telnyx_sdk):
    sdk, sdk_rec, provider, our_rec = both
    fixture = load("telnyx", "available_phone_numbers")
    answer((sdk_rec, our_rec), fixture)

    theirs = sdk.available_phone_numbers.list(
        filter={
            "country_code": "US",
            "phone_number_type": "toll_free",
            "national_destination_code": "888",
            "phone_number": {"contains": "555"},
            "locality": "Fort Collins",
            "administrative_area": "CO",
            "features": ["sms", "voice"],
            "limit": 5,
        }
    )
    ours = provider.search_numbers(
        NumberQuery(
            country="US",
            number_type=NumberType.toll_free,
            area_code="888",
            contains="555",
            locality="Fort Collins",
            region="CO",
            capabilities=(Capability.sms, Capability.voice),
            limit=5,
        )
    )

    same_request(sdk_rec, our_rec)
    from telnyx.types import AvailablePhoneNumberListResponse

    parsed = validated(AvailablePhoneNumberListResponse, fixture)
    assert parsed == theirs
    assert [n.phone_number for n in ours] == [d.phone_number for d in parsed.data]
    for mine, data in zip(ours, parsed.data, strict=True):
        assert mine.monthly_price == Decimal(data.cost_information.monthly_cost)
        assert mine.upfront_price == Decimal(data.cost_information.upfront_cost)
        assert mine.currency == data.cost_information.currency
        sdk_features = {f.name for f in data.features}
        assert {c.value for c in mine.capabilities} == sdk_features & {c.value for c in Capability}


# With an address the order is preceded by a requirement group: see test_telnyx_addresses.py.
@pytest.mark.parametrize("requirement_group", [None])
def test_number_order(both, requirement_group):
    sdk, sdk_rec, provider, our_rec = both
    fixture = load("telnyx", "number_order_success")
    answer((sdk_rec, our_rec), fixture, load("telnyx", "phone_numbers"))

    entry = {"phone_number": "+19705555098"}
    if requirement_group:
        entry["requirement_group_id"] = requirement_group
    theirs = sdk.number_orders.create(phone_numbers=[entry])
    ours = provider.purchase("+19705555098", address_id=requirement_group)

    same_request(sdk_rec, our_rec)  # the order itself; the provider then looks the number up
    from telnyx.types import NumberOrderCreateResponse

    parsed = validated(NumberOrderCreateResponse, fixture)
    assert parsed == theirs
    assert parsed.data.status == "success"
    assert parsed.data.phone_numbers[0].phone_number == ours.phone_number


def test_list_and_lookup(both):
    sdk, sdk_rec, provider, our_rec = both
    fixture = load("telnyx", "phone_numbers")
    messaging = load("telnyx", "phone_number_messaging")
    answer((sdk_rec, our_rec), fixture)
    # Then the provider asks for the ordering requirement groups and the messaging settings.
    our_rec.answers.extend([[load("telnyx", "requirement_group")], messaging])
    sdk_rec.answers.extend([[load("telnyx", "requirement_group")], messaging])

    page = sdk.phone_numbers.list(
        filter={"phone_number": "19705555098"}, page_number=1, page_size=250
    )
    ours = provider.find_owned("+19705555098")
    groups = sdk.requirement_groups.list(
        filter={"action": "ordering", "customer_reference": "telcli +19705555098"}
    )
    settings = sdk.phone_numbers.messaging.retrieve(NUMBER_ID)

    assert our_rec.shape(0) == sdk_rec.shape(0)
    assert our_rec.shape(1) == sdk_rec.shape(1)  # GetRequirementGroups
    assert our_rec.shape(2) == sdk_rec.shape(2)  # GetPhoneNumberMessagingSettings
    (theirs,) = page.data
    sms = {name for name in ("sms", "mms") if getattr(settings.data.features, name) is not None}
    assert ours == OwnedNumber(
        provider=ProviderName.telnyx,
        phone_number=theirs.phone_number,
        id=theirs.id,
        country=theirs.country_iso_alpha2,
        capabilities=(Capability.voice, *(c for c in Capability if c.value in sms)),
        address_id=groups[0].regulatory_requirements[0].field_value,
        friendly_name=theirs.customer_reference,
        connection_id=theirs.connection_id,
        messaging_profile_id=theirs.messaging_profile_id,
        status=theirs.status,
        created_at=ours.created_at,
    )
    assert ours.created_at is not None and ours.created_at.isoformat().startswith(
        theirs.purchased_at[:19]
    )


def test_list_all(both):
    sdk, sdk_rec, provider, our_rec = both
    answer((sdk_rec, our_rec), load("telnyx", "phone_numbers"))

    sdk.phone_numbers.list(page_number=1, page_size=250)
    assert [n.id for n in provider.list_owned()] == [NUMBER_ID]

    same_request(sdk_rec, our_rec)


def test_verify(both):
    sdk, sdk_rec, provider, our_rec = both
    answer((sdk_rec, our_rec), load("telnyx", "phone_numbers"))

    sdk.phone_numbers.list(page_size=1)
    provider.verify()

    same_request(sdk_rec, our_rec)


def _owned() -> OwnedNumber:
    return OwnedNumber(provider=ProviderName.telnyx, phone_number="+19705555098", id=NUMBER_ID)


def test_update_number(both):
    sdk, sdk_rec, provider, our_rec = both
    fixture = load("telnyx", "phone_number_updated")
    answer((sdk_rec, our_rec), fixture)

    theirs = sdk.phone_numbers.update(
        NUMBER_ID, connection_id="1684641123236054244", customer_reference="front desk"
    )
    ours = provider.configure(
        _owned(), NumberConfig(connection_id="1684641123236054244", friendly_name="front desk")
    )

    same_request(sdk_rec, our_rec)
    from telnyx.types import PhoneNumberUpdateResponse

    assert validated(PhoneNumberUpdateResponse, fixture) == theirs
    assert (ours.connection_id, ours.friendly_name) == (
        theirs.data.connection_id,
        theirs.data.customer_reference,
    )


def test_update_messaging(both):
    sdk, sdk_rec, provider, our_rec = both
    fixture = load("telnyx", "phone_number_messaging")
    answer((sdk_rec, our_rec), fixture)

    theirs = sdk.phone_numbers.messaging.update(
        NUMBER_ID, messaging_profile_id="dd50eba1-a0c0-4563-9925-b25e842a7cb6"
    )
    ours = provider.configure(
        _owned(), NumberConfig(messaging_profile_id="dd50eba1-a0c0-4563-9925-b25e842a7cb6")
    )

    same_request(sdk_rec, our_rec)
    from telnyx.types.phone_numbers import MessagingUpdateResponse

    assert validated(MessagingUpdateResponse, fixture) == theirs
    assert ours.messaging_profile_id == theirs.data.messaging_profile_id


def test_delete(both):
    sdk, sdk_rec, provider, our_rec = both
    fixture = load("telnyx", "phone_number_deleted")
    answer((sdk_rec, our_rec), fixture)

    theirs = sdk.phone_numbers.delete(NUMBER_ID)
    provider.release(_owned())

    method, path, query, body = our_rec.shape()
    assert (method, path, query) == sdk_rec.shape()[:3]
    # The SDK sends an empty body; neither sends JSON content on DELETE.
    assert body is None and not sdk_rec.requests[0].content
    from telnyx.types import PhoneNumberDeleteResponse

    assert validated(PhoneNumberDeleteResponse, fixture) == theirs
    assert theirs.data.status == "deleted"


def test_fixtures_all_validate_against_sdk_types(telnyx_sdk):
    """Every Telnyx fixture the provider tests use is a valid SDK response."""
    from telnyx.types import (
        AvailablePhoneNumberListResponse,
        NumberOrderCreateResponse,
        NumbersPhoneNumberDetailed,
        PhoneNumberDeleteResponse,
        PhoneNumberUpdateResponse,
    )
    from telnyx.types.phone_numbers import MessagingUpdateResponse

    def each(model: type) -> Callable[[dict[str, Any]], None]:
        return lambda body: [model.model_validate(d) for d in body["data"]]  # type: ignore[return-value]

    checks: dict[str, Callable[[dict[str, Any]], Any]] = {
        "available_phone_numbers": AvailablePhoneNumberListResponse.model_validate,
        "available_phone_numbers_empty": AvailablePhoneNumberListResponse.model_validate,
        "number_order_success": NumberOrderCreateResponse.model_validate,
        "number_order_pending": NumberOrderCreateResponse.model_validate,
        "number_order_failure": NumberOrderCreateResponse.model_validate,
        "phone_number": PhoneNumberUpdateResponse.model_validate,
        "phone_number_updated": PhoneNumberUpdateResponse.model_validate,
        "phone_number_deleted": PhoneNumberDeleteResponse.model_validate,
        "phone_number_messaging": MessagingUpdateResponse.model_validate,
        "phone_numbers": each(NumbersPhoneNumberDetailed),
        "phone_numbers_empty": each(NumbersPhoneNumberDetailed),
        "phone_number_pending": each(NumbersPhoneNumberDetailed),
    }
    for name, check in checks.items():
        check(load("telnyx", name))
