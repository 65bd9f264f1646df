"""The sandbox inventory: valid, deterministic, realistic, and different per carrier."""

from __future__ import annotations

import hashlib
from collections import Counter

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType

from telcli.sandbox import inventory as inv

ALL = inv.inventory("twilio") + inv.inventory("telnyx")
# sha256 of every number in inventory order, both carriers (see the determinism test).
FINGERPRINT = "c72fd689dbd174ba"
EXPECTED_TYPES = {
    inv.LOCAL: {PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE},
    inv.MOBILE: {PhoneNumberType.MOBILE},
    inv.TOLL_FREE: {PhoneNumberType.TOLL_FREE},
}


def test_every_number_is_valid_for_its_country_and_type() -> None:
    problems = []
    for n in ALL:
        parsed = phonenumbers.parse(n.phone_number)
        if not phonenumbers.is_valid_number(parsed):
            problems.append(f"{n.phone_number} invalid")
        elif phonenumbers.number_type(parsed) not in EXPECTED_TYPES[n.number_type]:
            problems.append(f"{n.phone_number} is not {n.number_type}")
        # NANP toll-free numbers belong to no single country; the rest must be where we say.
        elif n.number_type != inv.TOLL_FREE and (
            phonenumbers.region_code_for_number(parsed) != n.iso_country
        ):
            problems.append(f"{n.phone_number} is not in {n.iso_country}")
        if n.phone_number != f"+{parsed.country_code}{n.national}":
            problems.append(f"{n.phone_number} national part {n.national} is wrong")
    assert problems == []


def test_numbers_are_unique_and_the_carriers_stock_different_numbers() -> None:
    twilio = {n.phone_number for n in inv.inventory("twilio")}
    telnyx = {n.phone_number for n in inv.inventory("telnyx")}
    assert len(twilio) == len(inv.inventory("twilio"))
    assert len(telnyx) == len(inv.inventory("telnyx"))
    assert twilio.isdisjoint(telnyx)


def test_inventory_is_identical_across_runs() -> None:
    # Pinned: generated from fixed seeds, so these never change unless the inventory does on
    # purpose (then update the pins and say so in the changelog of the sandbox).
    twilio, telnyx = inv.inventory("twilio"), inv.inventory("telnyx")
    assert twilio[0].phone_number == "+14159281086"
    assert telnyx[0].phone_number == "+14154726685"
    digest = hashlib.sha256(" ".join(n.phone_number for n in ALL).encode()).hexdigest()
    assert digest[:16] == FINGERPRINT


@pytest.mark.parametrize("provider", inv.PROVIDERS)
@pytest.mark.parametrize("country", sorted(inv.COUNTRIES))
def test_each_country_has_enough_numbers_of_each_type(provider: str, country: str) -> None:
    counts = Counter(n.number_type for n in inv.inventory(provider) if n.iso_country == country)
    assert counts[inv.LOCAL] >= 30
    assert {t for t in counts} == set(inv.offered_types(country))
    for number_type in inv.offered_types(country):
        assert counts[number_type] >= 20
    localities = {n.locality for n in inv.stock(provider, country, inv.LOCAL)}
    area_codes = {n.ndc for n in inv.stock(provider, country, inv.LOCAL)}
    assert len(localities) >= 5 and len(area_codes) >= 4


def test_twilio_sells_no_us_mobile_numbers() -> None:
    assert inv.offered_types("US") == (inv.LOCAL, inv.TOLL_FREE)
    assert inv.offered_types("GB") == (inv.LOCAL, inv.MOBILE, inv.TOLL_FREE)


def test_every_number_has_price_region_capabilities_and_address_rule() -> None:
    for n in ALL:
        assert n.monthly_cost and n.currency == "USD"
        assert inv.VOICE in n.capabilities or inv.SMS in n.capabilities
        assert n.address_requirement in ("none", "any", "local", "foreign")
        if n.number_type == inv.LOCAL:
            assert n.locality and n.region
        if n.number_type == inv.TOLL_FREE:
            assert n.address_requirement == "none"
        # Twilio documents these for US and Canada only.
        if n.is_nanp and n.number_type == inv.LOCAL:
            assert n.latitude is not None and n.rate_center and n.postal_code
        else:
            assert n.latitude is None and n.lata is None and n.rate_center is None


def test_address_requirements_follow_the_documented_table() -> None:
    def rule(country: str, number_type: str) -> set[str]:
        return {
            n.address_requirement
            for n in ALL
            if (n.iso_country, n.number_type) == (country, number_type)
        }

    assert rule("US", inv.LOCAL) == {"none"}
    assert rule("CA", inv.LOCAL) == {"none"}
    assert rule("GB", inv.LOCAL) == {"any"}
    assert rule("DE", inv.LOCAL) == {"local"}
    assert rule("ZA", inv.LOCAL) == {"local"}
    assert rule("AU", inv.LOCAL) == {"any"}


def test_capabilities_vary_so_that_filters_remove_something() -> None:
    us_local = inv.stock("twilio", "US", inv.LOCAL)
    assert any(inv.MMS in n.capabilities for n in us_local)
    assert any(inv.MMS not in n.capabilities for n in us_local)
    assert any(inv.FAX in n.capabilities for n in us_local)
    gb_mobile = inv.stock("telnyx", "GB", inv.MOBILE)
    assert all(inv.SMS in n.capabilities for n in gb_mobile)
    assert all(inv.SMS not in n.capabilities for n in inv.stock("telnyx", "GB", inv.LOCAL))


def test_prices_differ_between_the_carriers() -> None:
    twilio_us = inv.stock("twilio", "US", inv.LOCAL)[0]
    telnyx_us = inv.stock("telnyx", "US", inv.LOCAL)[0]
    assert (twilio_us.monthly_cost, telnyx_us.monthly_cost) == ("1.15", "1.00")
    assert inv.TWILIO_PRICES[("GB", inv.TOLL_FREE)].base_price == "2.30"


@pytest.mark.parametrize(
    ("pattern", "digits"),
    [("STORM", "78676"), ("415-55*", "41555*"), ("+1 (415)", "1415"), ("tel", "835")],
)
def test_keypad_patterns(pattern: str, digits: str) -> None:
    assert inv.keypad_digits(pattern) == digits


def test_friendly_names_follow_twilio() -> None:
    assert inv.friendly_name("+14155550123") == "(415) 555-0123"
    assert inv.friendly_name("+442079460018") == "+442079460018"
