"""The whole provisioning path on the sandbox: address -> search shows the requirement -> buy
picks the address -> VAPI import -> assign -> audit clean; unassign -> drift (exit 7);
release at the carrier -> the VAPI orphan is reported."""

from __future__ import annotations

import json

import pytest

ADDRESS = [
    "--customer-name",
    "Thandi Nkosi",
    "--street",
    "12 Long Street",
    "--city",
    "Cape Town",
    "--region",
    "Western Cape",
    "--postal-code",
    "8001",
    "--country",
    "ZA",
]


@pytest.fixture
def sb(telcli):
    def run(*args, tty=False, input=None):
        return telcli("--sandbox", *args, tty=tty, input=input)

    return run


def ok(result):
    assert result.exit_code == 0, result
    return json.loads(result.stdout) if result.stdout.strip().startswith(("[", "{")) else None


@pytest.mark.parametrize("provider", ["twilio", "telnyx"])
def test_address_buy_import_assign_audit_release(sb, provider):
    address = ok(sb("addresses", "create", "-p", provider, *ADDRESS, "--json"))

    offers = ok(sb("numbers", "search", "-p", provider, "-c", "ZA", "--limit", "3", "--json"))
    assert {o["address_requirement"] for o in offers} == {"local"}
    number = offers[0]["phone_number"]

    bought = ok(sb("numbers", "buy", number, "--yes", "--json"))
    assert (bought["address_id"], bought["provider"]) == (address["id"], provider)

    # Owned, not yet in VAPI, no webhook: two findings, each with its fix; exit 7.
    before = sb("audit", "--json")
    assert before.exit_code == 7
    assert [(d["kind"], d["fix"]) for d in json.loads(before.stdout)] == [
        ("not_in_vapi", f"telcli --sandbox vapi import {number} --assistant ID"),
        (
            "no_webhook",
            f"telcli --sandbox numbers configure {number} --connection-id ID"
            if provider == "telnyx"
            else f"telcli --sandbox numbers configure {number} --voice-url URL --sms-url URL",
        ),
    ]

    imported = ok(sb("vapi", "import", number, "--assistant", "Receptionist", "--json"))
    assert imported["carrier"] == provider and imported["action"] == "created"
    assigned = ok(sb("vapi", "assign", number, "--assistant", "Appointment Setter", "--json"))
    assert assigned["assistant_name"] == "Appointment Setter"

    clean = sb("audit", "--json")
    assert clean.exit_code == 0, clean
    assert clean.stdout == "[]\n" and "no drift" in clean.stderr

    ok(sb("vapi", "unassign", number))
    drift = sb("audit")
    assert drift.exit_code == 7
    assert drift.stdout == (
        f"{number}\t{provider}\tno_assistant\tin VAPI without an assistant: calls are not"
        f" answered\ttelcli --sandbox vapi assign {number} --assistant ID\n"
    )

    ok(sb("numbers", "release", number, "--yes"))
    orphan = sb("audit", "--json")
    assert orphan.exit_code == 7
    assert json.loads(orphan.stdout) == [
        {
            "phone_number": number,
            "kind": "not_owned",
            "provider": provider,
            "detail": f"in VAPI, but {provider} no longer owns it",
            "fix": f"telcli --sandbox vapi remove {number} --yes",
        }
    ]
    ok(sb("vapi", "remove", number, "--yes"))
    assert sb("audit", "--json").stdout == "[]\n"


def test_audit_table_on_a_tty(sb):
    number = ok(sb("numbers", "search", "-p", "twilio", "--limit", "1", "--json"))[0]
    ok(sb("numbers", "buy", number["phone_number"], "--yes", "--json"))
    table = sb("audit", tty=True)
    assert table.exit_code == 7
    assert table.stdout.splitlines()[0].split() == ["Number", "Provider", "Drift", "Detail", "Fix"]
    assert "telcli --sandbox vapi import" in table.stdout


def test_a_configured_number_outside_vapi_has_only_one_finding(sb):
    number = ok(sb("numbers", "search", "-p", "twilio", "--limit", "1", "--json"))[0]
    e164 = number["phone_number"]
    ok(sb("numbers", "buy", e164, "--yes", "--json"))
    ok(sb("numbers", "configure", e164, "--voice-url", "https://example.com/voice", "--json"))
    found = json.loads(sb("audit", "--json").stdout)
    assert [d["kind"] for d in found] == ["not_in_vapi"]


def test_vapi_remove_asks_first(sb):
    number = ok(sb("numbers", "search", "-p", "twilio", "--limit", "1", "--json"))[0]
    e164 = number["phone_number"]
    ok(sb("numbers", "buy", e164, "--yes", "--json"))
    ok(sb("vapi", "import", e164, "-a", "Receptionist", "--json"))
    refused = sb("vapi", "remove", e164)
    assert refused.exit_code == 2
    declined = sb("vapi", "remove", e164, tty=True, input="n\n")
    assert declined.exit_code == 1
    assert len(json.loads(sb("vapi", "numbers", "--json").stdout)) == 1
