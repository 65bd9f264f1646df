"""The official SDKs, pointed at ``sandbox serve``, parse every answer into typed values:
the independent oracle that the sandbox speaks the providers' wire formats."""

from __future__ import annotations

from decimal import Decimal

import pytest

from .conftest import ACCOUNT_SID, AUTH_TOKEN, TELNYX_KEY


@pytest.fixture
def twilio_sdk(urls: dict[str, str]):
    from twilio.rest import Client

    client = Client(ACCOUNT_SID, AUTH_TOKEN)
    # Per-domain base URLs (the SDK has no constructor option); region/edge stay unset.
    client.api.base_url = urls["twilio"]
    client.pricing.base_url = urls["twilio_pricing"]
    return client


@pytest.fixture
def telnyx_sdk(urls: dict[str, str]):
    telnyx = pytest.importorskip("telnyx")
    with telnyx.Telnyx(api_key=TELNYX_KEY, base_url=urls["telnyx"], max_retries=0) as client:
        yield client


def test_twilio_sdk_round_trip(twilio_sdk) -> None:
    from twilio.base.exceptions import TwilioRestException

    account = twilio_sdk.api.v2010.accounts(ACCOUNT_SID).fetch()
    assert (account.sid, account.status, account.type) == (ACCOUNT_SID, "active", "Full")

    found = twilio_sdk.available_phone_numbers("US").local.list(
        area_code=415, sms_enabled=True, limit=3
    )
    assert len(found) == 3
    first = found[0]
    assert first.phone_number.startswith("+1415")
    assert first.locality == "San Francisco" and first.region == "CA"
    # The schema makes latitude a number (the live API sends "37.774900"); either way a Decimal.
    assert isinstance(first.latitude, Decimal) and round(first.latitude, 4) == Decimal("37.7749")
    assert first.address_requirements == "none"
    assert first.capabilities["SMS"] is True

    gb = twilio_sdk.available_phone_numbers("GB").mobile.list(limit=2)
    assert [n.iso_country for n in gb] == ["GB", "GB"]

    bought = [
        twilio_sdk.incoming_phone_numbers.create(
            phone_number=n.phone_number, voice_url="https://example.com/voice"
        )
        for n in found
    ]
    assert bought[0].sid.startswith("PN") and bought[0].voice_url == "https://example.com/voice"
    assert bought[0].date_created.year >= 2026  # parsed from RFC 2822

    # page_size=2 makes the SDK follow next_page_uri through the sandbox.
    listed = twilio_sdk.incoming_phone_numbers.list(page_size=2)
    assert [n.sid for n in listed] == [n.sid for n in bought]
    only = twilio_sdk.incoming_phone_numbers.list(phone_number=found[1].phone_number)
    assert [n.sid for n in only] == [bought[1].sid]

    updated = twilio_sdk.incoming_phone_numbers(bought[0].sid).update(
        sms_url="https://example.com/sms", friendly_name="tenant 7"
    )
    assert updated.sms_url == "https://example.com/sms" and updated.friendly_name == "tenant 7"
    assert twilio_sdk.incoming_phone_numbers(bought[0].sid).fetch().voice_method == "POST"

    with pytest.raises(TwilioRestException) as again:
        twilio_sdk.incoming_phone_numbers.create(phone_number=found[0].phone_number)
    assert (again.value.status, again.value.code) == (400, 21422)

    assert twilio_sdk.incoming_phone_numbers(bought[0].sid).delete() is True
    with pytest.raises(TwilioRestException) as gone:
        twilio_sdk.incoming_phone_numbers(bought[0].sid).fetch()
    assert (gone.value.status, gone.value.code) == (404, 20404)


def test_twilio_sdk_pricing_and_auth(twilio_sdk, urls: dict[str, str]) -> None:
    from twilio.base.exceptions import TwilioRestException
    from twilio.rest import Client

    country = twilio_sdk.pricing.v1.phone_numbers.countries("DE").fetch()
    assert country.iso_country == "DE" and country.price_unit == "USD"
    prices = {p["number_type"]: p["current_price"] for p in country.phone_number_prices}
    assert prices == {"local": "1.50", "mobile": "12.00", "toll free": "25.00"}
    listed = twilio_sdk.pricing.v1.phone_numbers.countries.list()
    assert {c.iso_country for c in listed} == {"US", "CA", "GB", "ZA", "AU", "DE"}

    wrong = Client(ACCOUNT_SID, "0" * 32)
    wrong.api.base_url = urls["twilio"]
    with pytest.raises(TwilioRestException) as denied:
        wrong.api.v2010.accounts(ACCOUNT_SID).fetch()
    assert (denied.value.status, denied.value.code) == (401, 20003)


def test_telnyx_sdk_round_trip(telnyx_sdk) -> None:
    import telnyx

    found = telnyx_sdk.available_phone_numbers.list(
        filter={
            "country_code": "US",
            "phone_number_type": "local",
            "national_destination_code": "415",
            "features": ["sms", "voice"],
            "limit": 3,
        }
    )
    assert len(found.data) == 3
    first = found.data[0]
    assert first.phone_number.startswith("+1415")
    assert first.cost_information.monthly_cost == "1.00"
    assert first.cost_information.currency == "USD"
    assert {f.name for f in first.features} >= {"sms", "voice"}
    assert found.meta.total_results == 3

    order = telnyx_sdk.number_orders.create(
        phone_numbers=[{"phone_number": n.phone_number} for n in found.data[:2]],
        connection_id="1293384261075731499",
        customer_reference="tenant-7",
    ).data
    assert order.status == "success" and order.phone_numbers_count == 2
    assert [p.phone_number for p in order.phone_numbers] == [n.phone_number for n in found.data[:2]]
    assert telnyx_sdk.number_orders.retrieve(order.id).data.id == order.id
    assert [o.id for o in telnyx_sdk.number_orders.list()] == [order.id]

    # page_size=1 makes the SDK walk page[number] through meta.total_pages.
    owned = list(telnyx_sdk.phone_numbers.list(page_size=1))
    assert sorted(n.phone_number for n in owned) == sorted(
        p.phone_number for p in order.phone_numbers
    )
    record = telnyx_sdk.phone_numbers.list(
        filter={"phone_number": found.data[0].phone_number}
    ).data[0]
    assert record.status == "active" and record.connection_id == "1293384261075731499"

    updated = telnyx_sdk.phone_numbers.update(record.id, tags=["sandbox"], external_pin="1234")
    assert updated.data.tags == ["sandbox"] and updated.data.external_pin == "1234"
    voice = telnyx_sdk.phone_numbers.voice.update(record.id, inbound_call_screening="flag_calls")
    assert voice.data.inbound_call_screening == "flag_calls"
    assert (
        telnyx_sdk.phone_numbers.voice.retrieve(record.id).data.usage_payment_method
        == "pay-per-minute"
    )
    messaging = telnyx_sdk.phone_numbers.messaging.update(record.id, messaging_profile_id="mp-1")
    assert messaging.data.messaging_profile_id == "mp-1"
    assert telnyx_sdk.phone_numbers.messaging.retrieve(record.id).data.type == "long-code"

    with pytest.raises(telnyx.UnprocessableEntityError):
        telnyx_sdk.number_orders.create(phone_numbers=[{"phone_number": record.phone_number}])

    deleted = telnyx_sdk.phone_numbers.delete(record.id)
    assert deleted.data.status == "deleted"
    with pytest.raises(telnyx.NotFoundError):
        telnyx_sdk.phone_numbers.retrieve(record.id)


def test_telnyx_sdk_auth(urls: dict[str, str]) -> None:
    telnyx = pytest.importorskip("telnyx")
    client = telnyx.Telnyx(api_key="KEYnope", base_url=urls["telnyx"], max_retries=0)
    with client, pytest.raises(telnyx.AuthenticationError):
        client.phone_numbers.list()
