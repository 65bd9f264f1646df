"""numbers pricing on the sandbox, and prices in search results and the buy confirmation."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def sb(telcli):
    def run(*args, tty=False, input=None):
        return telcli("--sandbox", *args, tty=tty, input=input)

    return run


def test_pricing_json_has_decimal_strings_and_currency(sb):
    result = sb("numbers", "pricing", "--country", "us", "--json")
    assert result.exit_code == 0, result
    data = json.loads(result.stdout)
    assert {(p["provider"], p["number_type"]) for p in data} == {
        ("twilio", "local"),
        ("twilio", "toll-free"),
        ("telnyx", "local"),
        ("telnyx", "toll-free"),
    }
    twilio_local = next(p for p in data if p == data[0])
    assert twilio_local == {
        "country": "US",
        "number_type": "local",
        "monthly_price": "1.15",
        "upfront_price": None,
        "base_price": "1.15",
        "currency": "USD",
        "provider": "twilio",
    }
    telnyx_local = next(
        p for p in data if p["provider"] == "telnyx" and p["number_type"] == "local"
    )
    assert (telnyx_local["monthly_price"], telnyx_local["upfront_price"]) == ("1.00", "1.00")


def test_pricing_of_one_type_and_provider_as_tsv(sb):
    result = sb("numbers", "pricing", "-c", "GB", "--type", "toll-free", "-p", "telnyx")
    assert result.exit_code == 0, result
    assert result.stdout == "GB\ttoll-free\t3.00 USD\t3.00 USD\t\ttelnyx\n"


def test_pricing_table_on_a_tty(sb):
    result = sb("numbers", "pricing", "-c", "DE", tty=True)
    assert result.stdout.splitlines()[0].split() == [
        "Country",
        "Type",
        "Monthly",
        "Upfront",
        "List",
        "price",
        "Provider",
    ]


def test_unknown_country_has_no_prices(sb):
    result = sb("numbers", "pricing", "-c", "FR", "-p", "telnyx", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout) == []


def test_buy_confirmation_and_json_carry_the_price(sb):
    offer = json.loads(
        sb("numbers", "search", "-p", "telnyx", "-c", "GB", "--type", "toll-free", "--json").stdout
    )[0]
    assert (offer["monthly_price"], offer["upfront_price"], offer["currency"]) == (
        "3.00",
        "3.00",
        "USD",
    )
    bought = sb("numbers", "buy", offer["phone_number"], "--json", tty=True, input="y\n")
    assert bought.exit_code == 0, bought
    assert "monthly   3.00 USD" in bought.stderr and "upfront   3.00 USD" in bought.stderr
    data = json.loads(bought.stdout)
    assert (data["monthly_price"], data["upfront_price"], data["currency"]) == (
        "3.00",
        "3.00",
        "USD",
    )
