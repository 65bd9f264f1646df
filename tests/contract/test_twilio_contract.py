"""TwilioProvider against Prism serving twilio_api_v2010.json and twilio_pricing_v1.json:
every operation's request must satisfy the official spec, and the provider must parse the
spec's own example responses."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

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
from telcli.providers.twilio import TwilioProvider
from tests.contract.conftest import Recorder
from tests.providers.helpers import (
    ACCOUNT_SID,
    ADDRESS_SID,
    API_KEY_SID,
    API_SECRET,
    AUTH_TOKEN,
    NUMBER_SID,
)

pytestmark = pytest.mark.contract

# The spec examples' numbers (Prism's static answers).
EXAMPLE_LOCAL = "+18089251571"
EXAMPLE_OWNED = "+18089255327"


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


def owned() -> OwnedNumber:
    return OwnedNumber(provider=ProviderName.twilio, phone_number=EXAMPLE_OWNED, id=NUMBER_SID)


def test_verify(twilio, recorder):
    assert ACCOUNT_SID not in twilio.verify()  # the example account answers, not ours
    recorder.assert_clean()


def test_verify_with_api_key(prism_twilio, recorder):
    provider = TwilioProvider(
        ProviderSettings(
            credentials={
                "account_sid": ACCOUNT_SID,
                "api_key": API_KEY_SID,
                "api_secret": API_SECRET,
            },
            base_urls=prism_twilio,
            transport=recorder,
        )
    )
    assert "active" in provider.verify()
    recorder.assert_clean()


def test_search_local_with_every_filter(twilio, recorder):
    found = twilio.search_numbers(
        NumberQuery(
            area_code="808",
            contains="925",
            locality="Hilo",
            region="HI",
            capabilities=tuple(Capability),
            limit=10,
        )
    )

    recorder.assert_clean()
    assert len(recorder.exchanges) == 2  # numbers + one pricing call
    (number,) = found
    assert number.phone_number == EXAMPLE_LOCAL
    assert (number.locality, number.region) == ("Hilo", "HI")
    assert number.capabilities == (Capability.voice, Capability.mms)
    assert (number.monthly_price, number.currency) == (Decimal("1.00"), "USD")


@pytest.mark.parametrize("number_type", [NumberType.toll_free, NumberType.mobile])
def test_search_other_types(twilio, recorder, number_type):
    found = twilio.search_numbers(NumberQuery(country="US", number_type=number_type, limit=3))

    recorder.assert_clean()
    assert found and all(n.number_type is number_type for n in found)
    assert all(n.phone_number.startswith("+") for n in found)


def test_purchase(twilio, recorder):
    number = twilio.purchase(EXAMPLE_OWNED, address_id=ADDRESS_SID)

    recorder.assert_clean()
    assert number.id.startswith("PN") and number.phone_number == EXAMPLE_OWNED
    assert number.created_at is not None and number.created_at.tzinfo is not None


def test_list_and_find(twilio, recorder):
    numbers = twilio.list_owned()
    found = twilio.find_owned(EXAMPLE_OWNED)

    recorder.assert_clean()
    assert [n.phone_number for n in numbers] == [EXAMPLE_OWNED]
    assert found is not None and found.id == numbers[0].id


def test_release(twilio, recorder):
    twilio.release(owned())
    recorder.assert_clean()
    assert recorder.exchanges[0][1].status_code == 204


def test_configure(twilio, recorder):
    number = twilio.configure(
        owned(),
        NumberConfig(
            voice_url="https://hooks.example.com/voice",
            sms_url="https://hooks.example.com/sms",
            status_callback="https://hooks.example.com/status",
            friendly_name="front desk",
        ),
    )

    recorder.assert_clean()
    assert number.phone_number == EXAMPLE_OWNED


def test_the_harness_sees_a_bad_request(prism_twilio, recorder):
    """Guard against a harness that passes everything: a wrong query type must be caught."""
    import httpx

    with httpx.Client(transport=recorder, auth=(ACCOUNT_SID, AUTH_TOKEN)) as client:
        client.get(
            f"{prism_twilio['api']}/2010-04-01/Accounts/{ACCOUNT_SID}"
            "/AvailablePhoneNumbers/US/Local.json",
            params={"AreaCode": "abc"},
        )
        client.post(
            f"{prism_twilio['api']}/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers.json",
            json={"PhoneNumber": EXAMPLE_OWNED},
        )

    problems = recorder.violations()
    assert any("areacode" in p.lower() and "integer" in p for p in problems), problems
    assert any("HTTP 415" in p for p in problems), problems
