"""Hints and audit fixes run as printed: they carry the global options in effect
(`--sandbox`, `--profile NAME`) and every required option, and never suggest importing a
number this profile does not own."""

from __future__ import annotations

import json
import re

import pytest

from telcli.output.console import runnable


def test_runnable_adds_the_prefix_to_every_quoted_command():
    text = "run `telcli numbers list` or `telcli auth login twilio`; telcli alone is prose"
    assert runnable(text, "telcli --profile acme --sandbox") == (
        "run `telcli --profile acme --sandbox numbers list` or"
        " `telcli --profile acme --sandbox auth login twilio`; telcli alone is prose"
    )
    assert runnable(text, "telcli") == text


def _commands(text: str) -> list[str]:
    return re.findall(r"`(telcli[^`]*)`", text)


def test_an_error_hint_carries_the_profile_and_sandbox_in_effect(telcli, home):
    (home / "config.yaml").write_text("profiles:\n  acme: {}\n")
    result = telcli("--sandbox", "numbers", "release", "+14155550100", "--profile", "acme")
    assert result.exit_code == 5, result
    commands = _commands(result.stderr)
    assert commands and all(c.startswith("telcli --profile acme --sandbox ") for c in commands)


def test_a_sandbox_profile_is_carried_by_its_name(telcli, home):
    (home / "config.yaml").write_text("profiles:\n  staging:\n    sandbox: true\n")
    result = telcli("--profile", "staging", "numbers", "release", "+14155550100")
    commands = _commands(result.stderr)
    assert commands and all(c.startswith("telcli --profile staging ") for c in commands)


def test_notes_on_stderr_carry_them_too(telcli):
    result = telcli("vapi", "numbers", "--sandbox", tty=True)
    assert "`telcli --sandbox vapi import NUMBER --assistant ID`" in result.stderr
    addresses = telcli("addresses", "list", "--sandbox", tty=True)
    assert (
        "`telcli --sandbox addresses create --customer-name NAME --street STREET --city CITY"
        " --region REGION --postal-code CODE --country CC`" in addresses.stderr
    )


@pytest.fixture
def owned_number(telcli) -> str:
    offer = json.loads(telcli("--sandbox", "numbers", "search", "-p", "twilio", "--json").stdout)[0]
    telcli("--sandbox", "numbers", "buy", offer["phone_number"], "--yes")
    return offer["phone_number"]


def test_audit_fixes_run_as_printed(telcli, home, owned_number):
    (home / "config.yaml").write_text("profiles:\n  acme: {}\n")
    result = telcli("--sandbox", "--profile", "acme", "audit", "--json")
    fixes = [d["fix"] for d in json.loads(result.stdout)]
    assert f"telcli --profile acme --sandbox vapi import {owned_number} --assistant ID" in fixes
    assert all(f.startswith("telcli --profile acme --sandbox ") for f in fixes)


def test_assign_suggests_import_only_for_an_owned_number(telcli, owned_number):
    owned = telcli("--sandbox", "vapi", "assign", owned_number, "--assistant", "Receptionist")
    assert owned.exit_code == 5
    assert f"`telcli --sandbox vapi import {owned_number} --assistant ID`" in owned.stderr
    stranger = telcli("--sandbox", "vapi", "assign", "+14155550100", "--assistant", "Receptionist")
    assert stranger.exit_code == 5
    assert "vapi import" not in stranger.stderr
    assert "this profile does not own it either" in stranger.stderr
