"""National and international formats per country in tables (and JSON); TSV keeps one
rendering of each number."""

from __future__ import annotations

import json

import pytest

from telcli.phone import international_format, national_format

CASES = [
    ("+27216867207", "021 686 7207", "+27 21 686 7207"),
    ("+14155550123", "(415) 555-0123", "+1 415-555-0123"),
    ("+442079460018", "020 7946 0018", "+44 20 7946 0018"),
    ("+61292345678", "(02) 9234 5678", "+61 2 9234 5678"),
    ("+4930901820", "030 901820", "+49 30 901820"),
]


@pytest.mark.parametrize(("e164", "national", "international"), CASES)
def test_formats_per_country(e164, national, international):
    assert national_format(e164) == national
    assert international_format(e164) == international


def test_unparseable_numbers_are_shown_as_given():
    assert international_format("not a number") == "not a number"


@pytest.mark.parametrize("country", ["ZA", "US", "GB", "AU", "DE"])
def test_tables_show_both_formats_and_tsv_stays_one(telcli, country):
    table = telcli("--sandbox", "numbers", "search", "-c", country, "--limit", "1", tty=True)
    data = json.loads(
        telcli("--sandbox", "numbers", "search", "-c", country, "--limit", "1", "--json").stdout
    )
    assert table.stdout.splitlines()[0].split()[:3] == ["Number", "National", "International"]
    for offer in data:
        assert offer["international_format"] == international_format(offer["phone_number"])
        assert offer["international_format"] in table.stdout
        assert offer["national_format"] in table.stdout
    tsv = telcli("--sandbox", "numbers", "search", "-c", country, "--limit", "1").stdout
    assert len(tsv.splitlines()[0].split("\t")) == 9


# -- narrow terminals: numbers and IDs are never cut ----------------------------------------


def _buy_some(telcli, country: str) -> None:
    found = json.loads(telcli("--sandbox", "numbers", "search", "-c", country, "--json").stdout)
    for provider in ("twilio", "telnyx"):
        offer = next(o for o in found if o["provider"] == provider)
        assert telcli("--sandbox", "numbers", "buy", offer["phone_number"], "--yes").exit_code == 0


@pytest.mark.parametrize("columns", ["80", "60"])
@pytest.mark.parametrize("country", ["GB", "US", "ZA"])
def test_search_at_a_narrow_terminal_keeps_every_number_whole(telcli, country, columns):
    args = ("--sandbox", "numbers", "search", "-c", country, "--limit", "3")
    table = telcli(*args, tty=True, env={"COLUMNS": columns})
    offers = json.loads(telcli(*args, "--json").stdout)
    assert "…" not in table.stdout
    assert max(len(line) for line in table.stdout.splitlines()) <= int(columns)
    for offer in offers:
        assert offer["phone_number"] in table.stdout.split()
        assert offer["monthly_price"] in table.stdout
    # The first columns to go are the second and third renderings of the number.
    assert "International" not in table.stdout.splitlines()[0]


@pytest.mark.parametrize("columns", ["80", "40"])
def test_list_at_a_narrow_terminal_keeps_numbers_and_ids_whole(telcli, columns):
    _buy_some(telcli, "US")
    table = telcli("--sandbox", "numbers", "list", tty=True, env={"COLUMNS": columns})
    owned = json.loads(telcli("--sandbox", "numbers", "list", "--json").stdout)
    assert "…" not in table.stdout
    for number in owned:
        row = next(line for line in table.stdout.splitlines() if number["phone_number"] in line)
        assert row.split()[:3] == [number["phone_number"], number["provider"], number["id"]]


def test_a_wide_terminal_shows_every_column(telcli):
    table = telcli("--sandbox", "numbers", "search", "--limit", "1", tty=True)
    header = table.stdout.splitlines()[0].split()
    assert header == [
        "Number",
        "National",
        "International",
        "Locality",
        "Type",
        "Capabilities",
        "Monthly",
        "Upfront",
        "Address",
        "Provider",
    ]
