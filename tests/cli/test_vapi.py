"""vapi import | assign | unassign | numbers | assistants on the sandbox."""

from __future__ import annotations

import json

import pytest

from telcli.sandbox import SANDBOX_CREDENTIALS

RECEPTIONIST = "5a4db0c5-a551-4000-8000-000000000001"
SETTER = "5a4db0c5-a551-4000-8000-000000000002"


@pytest.fixture
def sb(telcli):
    def run(*args, tty=False, input=None):
        return telcli("--sandbox", *args, tty=tty, input=input)

    return run


def bought(sb, provider: str) -> str:
    found = sb("numbers", "search", "-p", provider, "--limit", "1", "--json")
    number = json.loads(found.stdout)[0]["phone_number"]
    assert sb("numbers", "buy", number, "--yes").exit_code == 0
    return number


def test_assistants_are_listed_by_name(sb):
    result = sb("vapi", "assistants", "--json")
    assert result.exit_code == 0, result
    data = json.loads(result.stdout)
    assert [a["name"] for a in data] == [
        "After-hours Support",
        "Appointment Setter",
        "Receptionist",
    ]
    assert data[2]["id"] == RECEPTIONIST and data[2]["provider"] == "vapi"
    piped = sb("vapi", "assistants").stdout.splitlines()
    assert piped[2] == f"{RECEPTIONIST}\tReceptionist\t2026-01-05T09:00:00Z"


@pytest.mark.parametrize("provider", ["twilio", "telnyx"])
def test_import_is_idempotent_and_updates(sb, provider):
    number = bought(sb, provider)
    first = sb("vapi", "import", number, "--assistant", "Receptionist", "--json")
    assert first.exit_code == 0, first
    data = json.loads(first.stdout)
    assert (data["phone_number"], data["carrier"], data["action"]) == (number, provider, "created")
    assert (data["assistant_id"], data["assistant_name"]) == (RECEPTIONIST, "Receptionist")

    again = sb(
        "vapi",
        "import",
        number,
        "-a",
        SETTER,
        "--name",
        "Front desk",
        "--server-url",
        "https://example.com/vapi",
        "--json",
    )
    assert again.exit_code == 0, again
    updated = json.loads(again.stdout)
    assert updated["id"] == data["id"] and updated["action"] == "updated"
    assert (updated["assistant_name"], updated["name"], updated["server_url"]) == (
        "Appointment Setter",
        "Front desk",
        "https://example.com/vapi",
    )
    listed = json.loads(sb("vapi", "numbers", "--json").stdout)
    assert [(n["phone_number"], n["assistant_name"]) for n in listed] == [
        (number, "Appointment Setter")
    ]


def test_telnyx_credential_is_created_once_and_reused(sb):
    first, second = bought(sb, "telnyx"), bought(sb, "telnyx")
    one = sb("vapi", "import", first, "-a", "Receptionist")
    two = sb("vapi", "import", second, "-a", "Receptionist")
    assert "creating the VAPI credential for Telnyx" in one.stderr
    assert "creating the VAPI credential" not in two.stderr
    assert two.exit_code == 0, two


def test_assign_and_unassign(sb):
    number = bought(sb, "twilio")
    sb("vapi", "import", number, "-a", "Receptionist")
    assigned = sb("vapi", "assign", number, "--assistant", "Appointment Setter", "--json")
    assert assigned.exit_code == 0, assigned
    assert json.loads(assigned.stdout)["assistant_id"] == SETTER
    unassigned = sb("vapi", "unassign", number, "--json")
    assert unassigned.exit_code == 0, unassigned
    assert json.loads(unassigned.stdout)["assistant_id"] is None
    assert json.loads(sb("vapi", "numbers", "--json").stdout)[0]["assistant_id"] is None
    # Unassigning again changes nothing and still succeeds.
    assert sb("vapi", "unassign", number).exit_code == 0


def test_unknown_assistant_and_unimported_number_are_exit_5(sb):
    number = bought(sb, "twilio")
    nope = sb("vapi", "import", number, "-a", "Nobody")
    assert nope.exit_code == 5 and "no VAPI assistant has the ID or name 'Nobody'" in nope.stderr
    missing = sb("vapi", "assign", number, "-a", "Receptionist")
    assert missing.exit_code == 5
    assert f"{number} is not imported into VAPI" in missing.stderr
    assert f"`telcli --sandbox vapi import {number} --assistant ID`" in missing.stderr


def test_import_of_a_number_nobody_owns_is_exit_5(sb):
    result = sb("vapi", "import", "+14155550123", "-a", "Receptionist")
    assert result.exit_code == 5 and "not a number you own" in result.stderr


def test_bad_arguments_are_usage_errors(sb):
    assert sb("vapi", "import", "+1415", "-a", "x").exit_code == 2
    assert sb("vapi", "import", "+14155550123", "-a", "x", "--server-url", "ftp://x").exit_code == 2
    assert sb("vapi", "import", "+14155550123", "-a", "x", "--name", "n" * 41).exit_code == 2


def test_empty_numbers_list(sb):
    result = sb("vapi", "numbers", "--json")
    assert result.exit_code == 0 and result.stdout == "[]\n"


def test_import_never_shows_the_carrier_secrets(sb, home):
    number = bought(sb, "twilio")
    result = sb("--debug", "vapi", "import", number, "-a", "Receptionist", "--json")
    assert result.exit_code == 0, result
    token = SANDBOX_CREDENTIALS["twilio"]["auth_token"]
    for text in (result.stdout, result.stderr):
        assert token not in text
    state = (home / "state.db").read_bytes() if (home / "state.db").exists() else b""
    assert token.encode() not in state
