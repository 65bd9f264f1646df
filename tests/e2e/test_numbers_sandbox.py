"""End to end on the embedded sandbox: real commands, real providers, real wire formats."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


@pytest.fixture
def sb(telcli):
    def run(*args, tty=False, input=None):
        return telcli("--sandbox", *args, tty=tty, input=input)

    return run


def _first(sb, *filters, provider):
    result = sb("numbers", "search", "--provider", provider, "--limit", "1", "--json", *filters)
    assert result.exit_code == 0, result
    return json.loads(result.stdout)[0]


@pytest.mark.parametrize("provider", ["twilio", "telnyx"])
def test_search_buy_list_configure_release_in_json(sb, provider):
    offer = _first(sb, "--country", "US", "--area-code", "415", provider=provider)
    number = offer["phone_number"]
    assert offer["provider"] == provider and number.startswith("+1415")
    assert offer["monthly_price"] and offer["currency"] == "USD"

    bought = sb("numbers", "buy", number, "--yes", "--json")
    assert bought.exit_code == 0, bought
    data = json.loads(bought.stdout)
    assert (data["phone_number"], data["provider"], data["dry_run"]) == (number, provider, False)
    assert data["monthly_price"] == offer["monthly_price"]

    listed = json.loads(sb("numbers", "list", "--json").stdout)
    assert [(n["phone_number"], n["id"]) for n in listed] == [(number, data["id"])]

    # The bought number is no longer offered, and cannot be bought again.
    again = sb(
        "numbers",
        "search",
        "--provider",
        provider,
        "--country",
        "US",
        "--contains",
        number[2:],
        "--json",
    )
    assert number not in again.stdout
    twice = sb("numbers", "buy", number, "--yes")
    assert twice.exit_code == 5 and f"{number} is already yours at {provider}" in twice.stderr

    if provider == "twilio":
        args = ["--voice-url", "https://example.com/voice", "--sms-url", "https://example.com/sms"]
        expect = {"voice_url": "https://example.com/voice", "sms_url": "https://example.com/sms"}
    else:
        args = [
            "--connection-id",
            "1684641123236054244",
            "--messaging-profile-id",
            "40017f8e-49bd-4f9b-9df0-0a1b2c3d4e5f",
        ]
        expect = {
            "connection_id": "1684641123236054244",
            "messaging_profile_id": "40017f8e-49bd-4f9b-9df0-0a1b2c3d4e5f",
        }
    configured = sb("numbers", "configure", number, *args, "--json")
    assert configured.exit_code == 0, configured
    assert expect.items() <= json.loads(configured.stdout).items()
    relisted = json.loads(sb("numbers", "list", "--json").stdout)[0]
    assert expect.items() <= relisted.items()

    released = sb("numbers", "release", number, "--yes", "--json")
    assert released.exit_code == 0 and json.loads(released.stdout)["released"] is True
    assert json.loads(sb("numbers", "list", "--json").stdout) == []
    gone = sb("numbers", "release", number, "--yes")
    assert gone.exit_code == 5 and "not a number you own" in gone.stderr


def test_the_same_flow_in_tsv_and_table_modes(sb):
    tsv = sb("numbers", "search", "--country", "US", "--area-code", "212", "--limit", "2")
    rows = [line.split("\t") for line in tsv.stdout.splitlines()]
    assert rows and all(len(r) == 9 for r in rows) and rows[0][0].startswith("+1212")
    number = rows[0][0]
    assert sb("numbers", "buy", number, "--yes").exit_code == 0
    listed = sb("numbers", "list").stdout.splitlines()
    assert [line.split("\t")[0] for line in listed] == [number]

    table = sb("numbers", "list", tty=True)
    header = table.stdout.splitlines()[0].split()
    assert header[:4] == ["Number", "National", "International", "Provider"]
    assert number in table.stdout
    bought = sb("numbers", "release", number, tty=True, input="y\n")
    assert bought.exit_code == 0 and "Released" in bought.stderr
    assert sb("numbers", "list").stdout == ""


@pytest.mark.parametrize("country", ["US", "CA", "GB", "ZA", "AU", "DE"])
def test_every_country_has_valid_numbers_with_prices(sb, country):
    import phonenumbers

    result = sb("numbers", "search", "--country", country, "--json")
    data = json.loads(result.stdout)
    assert data, f"no {country} numbers"
    for item in data:
        parsed = phonenumbers.parse(item["phone_number"])
        assert phonenumbers.is_valid_number(parsed), item["phone_number"]
        assert phonenumbers.region_code_for_number(parsed) == country
        assert item["monthly_price"] is not None and item["locality"]


def test_filters_narrow_the_results(sb):
    everything = json.loads(
        sb("numbers", "search", "--country", "US", "--limit", "200", "--json").stdout
    )
    sms_only = json.loads(
        sb(
            "numbers",
            "search",
            "--country",
            "US",
            "--limit",
            "200",
            "--capability",
            "mms",
            "--json",
        ).stdout
    )
    assert 0 < len(sms_only) < len(everything)
    assert all("mms" in n["capabilities"] for n in sms_only)
    toll_free = json.loads(
        sb("numbers", "search", "--country", "US", "--type", "toll-free", "--json").stdout
    )
    assert toll_free and all(n["number_type"] == "toll-free" for n in toll_free)


def test_buying_an_unknown_number_is_exit_5(sb):
    result = sb("numbers", "buy", "+14155550123", "--yes")
    assert result.exit_code == 5
    assert "is not available to buy from twilio or telnyx" in result.stderr


def test_state_persists_across_processes(tmp_path):
    env = {**os.environ, "TELCLI_SANDBOX": "1"}

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "telcli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    number = json.loads(
        run("numbers", "search", "--provider", "telnyx", "--limit", "1", "--json").stdout
    )[0]["phone_number"]
    assert run("numbers", "buy", number, "--yes").returncode == 0
    listed = run("numbers", "list", "--json")
    assert [n["phone_number"] for n in json.loads(listed.stdout)] == [number]
    reset = run("sandbox", "reset")
    assert reset.returncode == 0, reset.stderr
    assert json.loads(run("numbers", "list", "--json").stdout) == []


def test_telnyx_connections_and_profiles_are_listed_and_named_in_configure(sb):
    # Issue 13: `numbers configure` took ids that only the portal showed.
    connections = json.loads(sb("telnyx", "connections", "--json").stdout)
    assert {(c["name"], c["type"]) for c in connections} >= {
        ("telcli sandbox calls", "call_control_application")
    }
    (profile,) = json.loads(sb("telnyx", "messaging-profiles", "--json").stdout)
    piped = sb("telnyx", "messaging-profiles")
    assert piped.stdout.split("\t")[:2] == [profile["id"], "telcli sandbox"]

    number = _first(sb, provider="telnyx")["phone_number"]
    assert sb("numbers", "buy", number, "--yes").exit_code == 0
    configured = sb(
        "numbers", "configure", number, "--connection-id", "TELCLI SANDBOX CALLS",
        "--messaging-profile-id", "telcli sandbox", "--json",
    )  # fmt: skip
    assert configured.exit_code == 0, configured
    data = json.loads(configured.stdout)
    calls = next(c["id"] for c in connections if c["name"] == "telcli sandbox calls")
    assert (data["connection_id"], data["messaging_profile_id"]) == (calls, profile["id"])

    unknown = sb("numbers", "configure", number, "--connection-id", "telcli sandbox")
    assert unknown.exit_code == 2 and unknown.stdout == ""
    assert "no Telnyx connection is named 'telcli sandbox' (did you mean" in unknown.stderr
    assert "telnyx connections" in unknown.stderr


def test_a_us_mobile_search_with_no_inventory_is_an_empty_answer_with_a_note(sb):
    # Issue 13: Twilio's 404 for US Mobile surfaced raw, with the account path.
    for tty in (False, True):
        result = sb("numbers", "search", "--country", "US", "--type", "mobile", tty=tty)
        assert result.exit_code == 0, result
        assert "404" not in result.stderr and "Accounts/" not in result.stderr
    assert "no numbers matched" in result.stderr  # on a terminal, a note says so
    piped = sb("numbers", "search", "--country", "US", "--type", "mobile", "--json")
    assert json.loads(piped.stdout) == []
