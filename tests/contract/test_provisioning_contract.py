"""Addresses, requirement groups, requirements and pricing against Prism: the requests of the
new Twilio and Telnyx operations satisfy the official specs, and the spec examples parse."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from telcli.models import AddressInput, AddressRequirement, NumberQuery, NumberType
from telcli.providers.base import ProviderSettings
from telcli.providers.telnyx import TelnyxProvider
from telcli.providers.twilio import TwilioProvider
from tests.contract.conftest import Recorder
from tests.providers.helpers import ACCOUNT_SID, ADDRESS_SID, AUTH_TOKEN, TELNYX_KEY

pytestmark = pytest.mark.contract

ADDRESS = AddressInput(
    customer_name="Thandi Nkosi",
    business_name="Nkosi Trading",
    street="12 Long Street",
    city="Cape Town",
    region="Western Cape",
    postal_code="8001",
    country="ZA",
    friendly_name="Cape Town office",
)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    yield rec
    rec.close()


@pytest.fixture
def twilio(prism_twilio, recorder) -> TwilioProvider:
    return TwilioProvider(
        ProviderSettings(
            credentials={"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN},
            base_urls=prism_twilio,
            transport=recorder,
        )
    )


@pytest.fixture
def telnyx(prism_telnyx, recorder) -> TelnyxProvider:
    return TelnyxProvider(
        ProviderSettings(
            credentials={"api_key": TELNYX_KEY}, base_urls=prism_telnyx, transport=recorder
        )
    )


def test_twilio_address_create_list_delete(twilio, recorder):
    created = twilio.create_address(ADDRESS)
    assert created.id.startswith("AD") and created.country
    assert twilio.list_addresses("ZA")
    twilio.list_addresses()
    twilio.delete_address(ADDRESS_SID)
    recorder.assert_clean()


def test_twilio_pricing(twilio, recorder):
    prices = twilio.pricing("US")
    assert prices and all(p.currency for p in prices)
    twilio.pricing("GB", NumberType.mobile)
    recorder.assert_clean()


def test_telnyx_address_create_list_delete(telnyx, recorder):
    created = telnyx.create_address(ADDRESS)
    assert created.id and created.street
    telnyx.list_addresses()
    telnyx.delete_address(created.id)
    recorder.assert_clean()


def test_telnyx_search_with_requirements_and_pricing(telnyx, recorder):
    found = telnyx.search_numbers(NumberQuery(country="US", limit=2))
    assert found and all(isinstance(n.address_requirement, AddressRequirement) for n in found)
    assert telnyx.pricing("US", NumberType.local)
    recorder.assert_clean()


def test_telnyx_purchase_with_an_address_creates_a_requirement_group(telnyx, recorder):
    # Prism's static requirements example is for +41215471644, with an address requirement.
    telnyx.purchase("+41215471644", address_id="1293384261075731461")
    paths = [r.url.path for r, _ in recorder.exchanges]
    assert paths[:3] == [
        "/phone_numbers_regulatory_requirements",
        "/requirement_groups",
        "/number_orders",
    ]
    recorder.assert_clean()
