"""A provider down is not "you own nothing": `numbers list`, `addresses list`, `vapi numbers`
and `audit` show what they have and exit 7, the failure on stderr and, with --json, a second
JSON document `{"errors": [...]}` after the array. Search keeps today's behaviour."""

from __future__ import annotations

import json

import pytest

TWILIO_DOWN = {"TELCLI_SANDBOX_FAULTS": "twilio:status=503"}


def _documents(text: str) -> list[object]:
    decoder, docs, at = json.JSONDecoder(), [], 0
    while at < len(text.strip()):
        doc, at = decoder.raw_decode(text, at)
        docs.append(doc)
        while at < len(text) and text[at].isspace():
            at += 1
    return docs


@pytest.fixture
def telcli(telcli, make_ctx):
    """Retries of the failing provider's 503s skip their backoff sleeps."""

    def run(*args, tty=False, env=None):
        ctx = make_ctx(tty=tty, env=env, sleep=lambda _seconds: None)
        return telcli(*args, ctx=ctx, env=env)

    return run


@pytest.fixture
def owned(telcli):
    """One number bought at each sandbox carrier."""
    found = json.loads(telcli("--sandbox", "numbers", "search", "--json").stdout)
    for provider in ("twilio", "telnyx"):
        offer = next(o for o in found if o["provider"] == provider)
        assert telcli("--sandbox", "numbers", "buy", offer["phone_number"], "--yes").exit_code == 0
    return found


def test_numbers_list_with_a_provider_down_shows_the_rest_and_exits_7(telcli, owned):
    result = telcli("--sandbox", "numbers", "list", "--json", env=TWILIO_DOWN)
    assert result.exit_code == 7, result
    rows, trailer = _documents(result.stdout)
    assert [r["provider"] for r in rows] == ["telnyx"]
    assert [e["provider"] for e in trailer["errors"]] == ["twilio"]
    assert trailer["errors"][0]["exit_code"] == 6 and "503" in trailer["errors"][0]["error"]
    assert "error: the answer is incomplete: twilio failed" in result.stderr


def test_a_complete_answer_is_still_one_json_array(telcli, owned):
    result = telcli("--sandbox", "numbers", "list", "--json")
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)) == 2


def test_partial_tsv_and_table_show_the_rows_and_never_say_nothing_is_owned(telcli, owned):
    tsv = telcli("--sandbox", "numbers", "list", env=TWILIO_DOWN)
    assert tsv.exit_code == 7 and tsv.stdout.count("\n") == 1 and "telnyx" in tsv.stdout
    # Everything the answering carrier owns is gone too: still exit 7, and no "owns no numbers".
    telnyx = next(o for o in owned if o["provider"] == "telnyx")["phone_number"]
    assert telcli("--sandbox", "numbers", "release", telnyx, "--yes").exit_code == 0
    table = telcli("--sandbox", "numbers", "list", tty=True, env=TWILIO_DOWN)
    assert table.exit_code == 7, table
    assert "owns no numbers" not in table.stderr


def test_addresses_list_with_a_provider_down_exits_7(telcli):
    create = ("--sandbox", "addresses", "create", "--customer-name", "Acme", "--street", "1 Main")
    place = ("--city", "London", "--postal-code", "EC1A 1BB", "--country", "GB", "--region", "LDN")
    assert telcli(*create, *place, "--provider", "telnyx").exit_code == 0
    result = telcli("--sandbox", "addresses", "list", "--json", env=TWILIO_DOWN)
    assert result.exit_code == 7, result
    rows, trailer = _documents(result.stdout)
    assert [r["provider"] for r in rows] == ["telnyx"]
    assert trailer["errors"][0]["provider"] == "twilio"


def test_audit_with_a_provider_down_exits_7_even_without_drift(telcli, owned):
    result = telcli("--sandbox", "audit", "--json", env=TWILIO_DOWN)
    assert result.exit_code == 7, result
    rows, trailer = _documents(result.stdout)
    assert {r["provider"] for r in rows} == {"telnyx"}
    assert trailer == {"errors": [trailer["errors"][0]]}


def test_vapi_numbers_without_assistant_names_is_incomplete(telcli, owned, monkeypatch):
    from telcli.errors import ProviderUnavailable
    from telcli.providers.vapi import VapiProvider

    number = next(o for o in owned if o["provider"] == "twilio")["phone_number"]
    imported = telcli("--sandbox", "vapi", "import", number, "--assistant", "Receptionist")
    assert imported.exit_code == 0, imported

    def down(self):
        raise ProviderUnavailable("vapi 503 on assistant listing", provider="vapi", status=503)

    monkeypatch.setattr(VapiProvider, "list_assistants", down)
    result = telcli("--sandbox", "vapi", "numbers", "--json")
    assert result.exit_code == 7, result
    [row], trailer = _documents(result.stdout)
    assert row["phone_number"] == number and row["assistant_id"]
    assert trailer["errors"][0]["provider"] == "vapi"
    assert "vapi: assistant names unavailable" in result.stderr


def test_search_with_a_provider_down_is_still_a_full_answer(telcli):
    result = telcli("--sandbox", "numbers", "search", "--json", env=TWILIO_DOWN)
    assert result.exit_code == 0, result
    assert {o["provider"] for o in json.loads(result.stdout)} == {"telnyx"}
