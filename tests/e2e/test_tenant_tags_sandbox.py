"""Tenants recorded at the provider, end to end on the sandbox: `numbers buy --tenant` tags
in the purchase request, `numbers list --tenant` sees only that tenant's numbers, and a
machine with an empty local state sees the same tenants."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def sb(telcli):
    def run(*args, env=None):
        return telcli("--sandbox", *args, env=env)

    return run


def _numbers(sb, provider, count):
    found = sb(
        "numbers",
        "search",
        "--provider",
        provider,
        "--area-code",
        "415",
        "--limit",
        str(count),
        "--json",
    )
    assert found.exit_code == 0, found
    return [n["phone_number"] for n in json.loads(found.stdout)]


@pytest.mark.parametrize("provider", ["twilio", "telnyx"])
def test_buy_with_tenant_and_list_by_tenant(sb, provider, home, tmp_path):
    acme, bolt, plain = _numbers(sb, provider, 3)

    bought = sb("numbers", "buy", acme, "--tenant", "acme-dental", "--yes", "--json")
    assert bought.exit_code == 0, bought
    assert json.loads(bought.stdout)["tenant"] == "acme-dental"
    assert sb("numbers", "buy", bolt, "--tenant", "bolt-gym", "--yes").exit_code == 0
    assert sb("numbers", "buy", plain, "--yes").exit_code == 0

    rows = json.loads(sb("numbers", "list", "--json").stdout)
    assert {r["phone_number"]: r["tenant"] for r in rows} == {
        acme: "acme-dental",
        bolt: "bolt-gym",
        plain: None,
    }
    only = sb("numbers", "list", "--tenant", "acme-dental", "--json")
    assert only.exit_code == 0, only
    assert [r["phone_number"] for r in json.loads(only.stdout)] == [acme]

    # TSV: the tenant is the last column, empty when untagged.
    tsv = sb("numbers", "list").stdout.splitlines()
    assert {line.split("\t")[0]: line.split("\t")[-1] for line in tsv} == {
        acme: "acme-dental",
        bolt: "bolt-gym",
        plain: "",
    }

    # Another machine (an empty TELCLI_HOME) on the same sandbox sees the same tenants.
    other = tmp_path / "other-home"
    other.mkdir()
    fresh = sb(
        "numbers",
        "list",
        "--tenant",
        "bolt-gym",
        "--json",
        env={"TELCLI_HOME": str(other), "TELCLI_SANDBOX_DB": str(home / "sandbox.db")},
    )
    assert [r["phone_number"] for r in json.loads(fresh.stdout)] == [bolt]


def test_tenant_without_numbers_lists_nothing_and_says_so(telcli):
    result = telcli("--sandbox", "numbers", "list", "--tenant", "nobody", tty=True)
    assert result.exit_code == 0 and "tenant nobody holds no numbers" in result.stderr


@pytest.mark.parametrize(
    "command", [("numbers", "list"), ("numbers", "buy", "+14155550123", "--yes")]
)
def test_an_invalid_tenant_id_is_a_usage_error(sb, command):
    result = sb(*command, "--tenant", "Acme Dental")
    assert result.exit_code == 2
    assert "error: --tenant 'Acme Dental' is not a tenant id" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("provider", ["twilio", "telnyx"])
def test_vapi_names_the_tenant_and_lists_and_audits_by_it(sb, provider):
    acme, plain = _numbers(sb, provider, 2)
    assert sb("numbers", "buy", acme, "--tenant", "acme-dental", "--yes").exit_code == 0
    assert sb("numbers", "buy", plain, "--yes").exit_code == 0
    for number in (acme, plain):
        imported = sb("vapi", "import", number, "--assistant", "Receptionist", "--json")
        assert imported.exit_code == 0, imported

    rows = json.loads(sb("vapi", "numbers", "--json").stdout)
    assert {r["phone_number"]: (r["name"], r["tenant"]) for r in rows} == {
        acme: ("acme-dental · acme-dental", "acme-dental"),
        plain: (None, None),
    }
    only = json.loads(sb("vapi", "numbers", "--tenant", "acme-dental", "--json").stdout)
    assert [r["phone_number"] for r in only] == [acme]

    audit = sb("audit", "--tenant", "acme-dental", "--json")
    # acme's number is owned, imported, assigned and agrees on its tenant: only webhooks
    # could be missing, and a number in VAPI counts as wired.
    assert audit.exit_code == 0, audit
    assert json.loads(audit.stdout) == []


def _capture_line(url: str, headers: list[list[str]], body: bytes, at: str) -> str:
    import base64

    record = {"received_at": at, "method": "POST", "url": url, "headers": headers}
    return json.dumps({**record, "body_b64": base64.b64encode(body).decode()})


def test_webhook_list_tenant_shows_captures_to_or_from_its_numbers(sb, tmp_path):
    from urllib.parse import urlencode

    acme, other = _numbers(sb, "twilio", 2)
    [bolt] = _numbers(sb, "telnyx", 1)
    assert sb("numbers", "buy", acme, "--tenant", "acme-dental", "--yes").exit_code == 0
    assert sb("numbers", "buy", bolt, "--tenant", "bolt-gym", "--yes").exit_code == 0
    assert sb("numbers", "buy", other, "--yes").exit_code == 0

    twilio_headers = [
        ["X-Twilio-Signature", "x"],
        ["Content-Type", "application/x-www-form-urlencoded"],
    ]
    telnyx_headers = [["telnyx-signature-ed25519", "x"], ["Content-Type", "application/json"]]
    lines = [
        # Twilio call to acme's number, a Twilio SMS from the untagged one to acme's customer.
        _capture_line(
            "https://h/voice",
            twilio_headers,
            urlencode({"CallSid": "CA1", "To": acme, "From": "+15550001"}).encode(),
            "2026-11-22T09:00:00Z",
        ),
        _capture_line(
            "https://h/sms",
            twilio_headers,
            urlencode({"MessageSid": "SM1", "From": other, "To": "+15550001"}).encode(),
            "2026-11-22T09:01:00Z",
        ),
        # Telnyx message to bolt's number: `to` is a list of objects on message events.
        _capture_line(
            "https://h/telnyx",
            telnyx_headers,
            json.dumps(
                {
                    "data": {
                        "event_type": "message.received",
                        "payload": {
                            "id": "m1",
                            "from": {"phone_number": "+15550002"},
                            "to": [{"phone_number": bolt}],
                        },
                    }
                }
            ).encode(),
            "2026-11-22T09:02:00Z",
        ),
        # VAPI event of a call on acme's imported number.
        _capture_line(
            "https://h/vapi",
            [["Content-Type", "application/json"]],
            json.dumps(
                {
                    "message": {
                        "type": "status-update",
                        "phoneNumber": {"number": acme},
                        "customer": {"number": "+15550003"},
                    }
                }
            ).encode(),
            "2026-11-22T09:03:00Z",
        ),
    ]
    path = tmp_path / "caps.ndjson"
    path.write_text("\n".join(lines) + "\n")
    assert sb("webhook", "import", str(path)).exit_code == 0

    def listed(*args):
        result = sb("webhook", "list", *args, "--json")
        assert result.exit_code == 0, result
        return [(c["provider"], c["url"]) for c in json.loads(result.stdout)]

    assert listed("--tenant", "acme-dental") == [
        ("vapi", "https://h/vapi"),
        ("twilio", "https://h/voice"),
    ]
    assert listed("--tenant", "bolt-gym") == [("telnyx", "https://h/telnyx")]
    assert listed("--tenant", "acme-dental", "--limit", "1") == [("vapi", "https://h/vapi")]
    assert listed("--tenant", "acme-dental", "--provider", "twilio") == [
        ("twilio", "https://h/voice")
    ]
    assert listed("--tenant", "nobody") == []
    assert len(listed()) == 4


ZA_ADDRESS = [
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


@pytest.mark.parametrize("provider", ["twilio", "telnyx"])
def test_no_purchase_takes_another_tenants_address(sb, provider):
    created = sb("addresses", "create", "-p", provider, *ZA_ADDRESS, "--tenant", "acme-dental")
    assert created.exit_code == 0, created
    listed = json.loads(sb("addresses", "list", "--tenant", "acme-dental", "--json").stdout)
    assert [(a["tenant"], a["country"]) for a in listed] == [("acme-dental", "ZA")]
    assert json.loads(sb("addresses", "list", "--tenant", "bolt-gym", "--json").stdout) == []
    offers = json.loads(
        sb("numbers", "search", "-p", provider, "-c", "ZA", "--limit", "2", "--json").stdout
    )
    first, second = (o["phone_number"] for o in offers)

    # Before: the one ZA address (acme's) was attached to anyone's purchase, exit 0.
    for tenant in (["--tenant", "bolt-gym"], []):
        refused = sb("numbers", "buy", first, *tenant, "--yes")
        assert refused.exit_code == 5, refused
        assert "another tenant's address is never used by default" in refused.stderr

    bought = sb("numbers", "buy", second, "--tenant", "acme-dental", "--yes", "--json")
    assert bought.exit_code == 0, bought
    data = json.loads(bought.stdout)
    assert (data["address_id"], data["tenant"]) == (listed[0]["id"], "acme-dental")


@pytest.mark.parametrize("provider", ["twilio", "telnyx"])
def test_numbers_tag_adopts_moves_and_clears(sb, provider):
    [number] = _numbers(sb, provider, 1)
    assert sb("numbers", "buy", number, "--yes").exit_code == 0

    def tenant_of():
        rows = json.loads(sb("numbers", "list", "--json").stdout)
        return next(r["tenant"] for r in rows if r["phone_number"] == number)

    adopted = sb("numbers", "tag", number, "--tenant", "acme-dental", "--name", "Acme", "--json")
    assert adopted.exit_code == 0, adopted
    assert json.loads(adopted.stdout)["tenant"] == "acme-dental" == tenant_of()
    again = sb("numbers", "tag", number, "--tenant", "acme-dental")
    assert again.exit_code == 0 and "already belongs to acme-dental" in again.stderr

    moving = sb("numbers", "tag", number, "--tenant", "bolt-gym")
    assert moving.exit_code == 2 and "belongs to tenant acme-dental" in moving.stderr
    assert tenant_of() == "acme-dental"
    assert sb("numbers", "tag", number, "--tenant", "bolt-gym", "--force").exit_code == 0
    assert tenant_of() == "bolt-gym"

    assert sb("numbers", "tag", number, "--clear").exit_code == 0
    assert tenant_of() is None
    history = json.loads(sb("history", "--action", "tag", "--json").stdout)
    assert len(history) == 3


@pytest.mark.parametrize("args", [[], ["--tenant", "a", "--clear"], ["--clear", "--name", "x"]])
def test_numbers_tag_needs_exactly_one_of_tenant_or_clear(sb, args):
    result = sb("numbers", "tag", "+14155550123", *args)
    assert result.exit_code == 2 and result.stdout == ""


def test_releasing_a_tenants_number_names_the_tenant_and_is_in_its_history(telcli):
    [number] = _numbers(lambda *a: telcli("--sandbox", *a), "twilio", 1)
    bought = telcli("--sandbox", "numbers", "buy", number, "--tenant", "acme-dental", "--yes")
    assert bought.exit_code == 0, bought

    declined = telcli("--sandbox", "numbers", "release", number, tty=True, input="n\n")
    assert f"Release {number} (tenant acme-dental) at twilio?" in declined.stderr
    released = telcli("--sandbox", "numbers", "release", number, "--yes")
    assert released.exit_code == 0, released

    history = telcli("--sandbox", "history", "--tenant", "acme-dental", "--json")
    assert [(e["action"], e["target"]) for e in json.loads(history.stdout)] == [
        ("release", number),
        ("buy", number),
    ]


@pytest.mark.parametrize(
    "command",
    [("numbers", "list"), ("numbers", "tag"), ("vapi", "numbers"), ("audit",), ("test", "sms")],
)
def test_the_tenant_option_help_reads_as_written(telcli, command):
    # Rich took "[a-z0-9][a-z0-9-]" for markup and printed "Tenant id ({0,39})".
    shown = telcli(*command, "--help", env={"COLUMNS": "200"}).stdout
    assert "Tenant id: 1-40 lowercase letters, digits and dashes" in shown
    assert "({0,39})" not in shown
