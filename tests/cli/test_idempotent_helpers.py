"""Helpers a script can re-run: `addresses create` reuses an identical address, deleting
or removing what is already gone succeeds with a note, and `numbers buy --dry-run` checks
`--address` as the purchase will."""

from __future__ import annotations

import json

import pytest

ADDRESS = (
    "--customer-name",
    "Acme Ltd",
    "--street",
    "1 Main St",
    "--city",
    "London",
    "--region",
    "London",
    "--postal-code",
    "EC1A 1BB",
    "--country",
    "GB",
)


@pytest.fixture
def sb(telcli):
    def run(*args: str, **kw):
        return telcli("--sandbox", *args, **kw)

    return run


@pytest.mark.parametrize("provider", ["twilio", "telnyx"])
def test_creating_the_same_address_twice_reuses_it(sb, provider):
    first = sb("addresses", "create", *ADDRESS, "--provider", provider, "--json")
    assert first.exit_code == 0, first
    # Same fields, other case and spacing, another label: the same address.
    again = sb(
        "addresses",
        "create",
        *ADDRESS[:2],
        "--street",
        "1  main st",
        *ADDRESS[4:],
        "--friendly-name",
        "HQ",
        "--provider",
        provider,
        "--json",
    )
    assert again.exit_code == 0, again
    assert json.loads(again.stdout)["id"] == json.loads(first.stdout)["id"]
    assert "exists with these fields; reused it" in again.stderr
    listed = json.loads(sb("addresses", "list", "--provider", provider, "--json").stdout)
    assert len(listed) == 1


def test_a_different_address_is_created(sb):
    sb("addresses", "create", *ADDRESS, "--provider", "twilio")
    other = sb("addresses", "create", *ADDRESS[:-2], "--country", "ZA", "--provider", "twilio")
    assert other.exit_code == 0 and "Created address" in other.stderr
    assert len(json.loads(sb("addresses", "list", "--json").stdout)) == 2


def test_create_defaults_to_the_first_configured_provider_as_its_help_says(sb, home):
    (home / "config.yaml").write_text("providers: [telnyx, twilio]\n")
    created = sb("addresses", "create", *ADDRESS, "--json")
    assert json.loads(created.stdout)["provider"] == "telnyx"
    help_text = " ".join(sb("addresses", "create", "--help").stdout.split())
    assert "default: the first configured provider" in help_text


def test_removing_a_number_not_in_vapi_succeeds_with_a_note(sb):
    result = sb("vapi", "remove", "+14155550100", "--yes", "--json")
    assert result.exit_code == 0, result
    assert result.stdout == ""
    assert "+14155550100 is not in VAPI: nothing to remove" in result.stderr


def test_remove_does_not_ask_about_a_number_not_in_vapi(sb):
    result = sb("vapi", "remove", "+14155550100", tty=True, input="")
    assert result.exit_code == 0 and "[y/N]" not in result.stderr


def _za_offer(sb) -> dict:
    """A Twilio ZA number: it needs a local (South African) address."""
    offers = json.loads(sb("numbers", "search", "-c", "ZA", "-p", "twilio", "--json").stdout)
    return next(o for o in offers if o["address_requirement"] == "local")


def test_dry_run_refuses_an_address_the_provider_does_not_hold(sb):
    offer = _za_offer(sb)
    result = sb("numbers", "buy", offer["phone_number"], "--address", "AD" + "0" * 32, "--dry-run")
    assert result.exit_code == 5, result
    assert f"address AD{'0' * 32} is not at twilio" in result.stderr


def test_dry_run_refuses_an_address_of_the_wrong_country(sb):
    offer = _za_offer(sb)
    gb = json.loads(sb("addresses", "create", *ADDRESS, "-p", "twilio", "--json").stdout)
    result = sb("numbers", "buy", offer["phone_number"], "--address", gb["id"], "--dry-run")
    assert result.exit_code == 5, result
    needs = f"address {gb['id']} is in GB; {offer['phone_number']} needs one in ZA"
    assert needs in result.stderr


def test_dry_run_accepts_a_fitting_address(sb):
    offer = _za_offer(sb)
    create = ("addresses", "create", *ADDRESS[:-2], "--country", "ZA", "-p", "twilio", "--json")
    za = json.loads(sb(*create).stdout)
    buy = ("numbers", "buy", offer["phone_number"], "--address", za["id"], "--dry-run", "--json")
    result = sb(*buy)
    assert result.exit_code == 0, result
    planned = json.loads(result.stdout)  # what the real buy would attach, and no id yet
    assert (planned["address_id"], planned["id"], planned["dry_run"]) == (za["id"], None, True)
