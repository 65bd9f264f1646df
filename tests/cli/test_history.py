"""``telcli history``: the ledger as an audit trail, after a real sandbox session."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3

import pytest

RQ = re.compile(r"^RQ[0-9a-f]{32}$")  # Twilio-Request-Id
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")  # Telnyx
OP = re.compile(r"^op_[0-9a-f]{12}$")
ADDRESS = [
    "--customer-name",
    "Acme",
    "--street",
    "1 Main St",
    "--city",
    "San Francisco",
    "--region",
    "CA",
    "--postal-code",
    "94105",
    "--country",
    "US",
]


@pytest.fixture
def sb(telcli, make_ctx):
    def run(*args: str, env: dict[str, str] | None = None, tty: bool = False):
        ctx = make_ctx(env=env, tty=tty, sleep=lambda _: None)
        return telcli("--sandbox", *args, ctx=ctx, env=env)

    return run


def offer(sb, provider: str) -> str:
    found = sb("numbers", "search", "-p", provider, "--limit", "1", "--json")
    return json.loads(found.stdout)[0]["phone_number"]


def history(sb, *args: str) -> list[dict]:
    result = sb("history", "--json", "--limit", "0", *args)
    assert result.exit_code == 0, result
    return json.loads(result.stdout)


def test_every_operation_of_a_session_is_in_the_history(sb):
    tw, tx = offer(sb, "twilio"), offer(sb, "telnyx")
    steps = [
        ("numbers", "buy", tw, "--yes"),
        ("numbers", "buy", tx, "--yes"),
        ("numbers", "configure", tw, "--voice-url", "https://example.com/v?token=hush"),
        ("addresses", "create", "--provider", "twilio", *ADDRESS),
        ("vapi", "import", tw, "--assistant", "Receptionist"),
        ("vapi", "assign", tw, "--assistant", "Appointment Setter"),
        ("vapi", "unassign", tw),
        ("vapi", "remove", tw, "--yes"),
        ("test", "sms", "--to", "+14155550100", "--from", tx, "--body", "hi", "--yes", "--no-wait"),
        ("test", "call", "--to", "+14155550100", "--from", tw, "--yes", "--no-wait"),
        ("numbers", "release", tx, "--yes"),
    ]
    for step in steps:
        result = sb(*step)
        assert result.exit_code == 0, (step, result)
    address = history(sb, "--action", "address.create")[0]["target"]
    assert sb("addresses", "delete", address, "--yes").exit_code == 0

    rows = history(sb)[::-1]  # oldest first
    assert [(r["action"], r["target"], r["provider"]) for r in rows] == [
        ("buy", tw, "twilio"),
        ("buy", tx, "telnyx"),
        ("configure", tw, "twilio"),
        ("address.create", address, "twilio"),
        ("vapi.import", tw, "vapi"),
        ("vapi.assign", tw, "vapi"),
        ("vapi.unassign", tw, "vapi"),
        ("vapi.remove", tw, "vapi"),
        ("sms", "+14155550100", "telnyx"),
        ("call", "+14155550100", "twilio"),
        ("release", tx, "telnyx"),
        ("address.delete", address, "twilio"),
    ]
    assert {r["outcome"] for r in rows} == {"done"}
    assert {r["profile"] for r in rows} == {"default (sandbox)"}
    assert {r["account"] for r in rows} == {"sandbox"}
    assert all(r["user"] and r["host"] for r in rows)
    # One operation id per command run, each distinct.
    assert all(OP.match(r["operation_id"]) for r in rows)
    assert len({r["operation_id"] for r in rows}) == len(rows)
    # The provider's request ids, as each API sends them (VAPI's spec declares none).
    for r in rows:
        pattern = {"twilio": RQ, "telnyx": UUID}.get(r["provider"])
        if pattern is None:
            assert r["request_id"] is None, r
        else:
            assert r["request_id"] and pattern.match(r["request_id"]), r
    bought = rows[0]
    assert (bought["price"], bought["currency"], bought["result_id"][:2]) == ("1.15", "USD", "PN")
    assert rows[1]["price"] == "2.00"  # Telnyx: upfront plus the first month
    # A configured webhook URL may hold a token: never in the ledger.
    assert "hush" not in json.dumps(rows)

    # Filters: --action (a family matches its members), --number, --provider.
    assert [r["action"] for r in history(sb, "--action", "vapi")] == [
        "vapi.remove",
        "vapi.unassign",
        "vapi.assign",
        "vapi.import",
    ]
    assert [r["action"] for r in history(sb, "--action", "buy")] == ["buy", "buy"]
    assert {r["target"] for r in history(sb, "--number", tw)} == {tw}
    spaced = f"{tw[:2]} {tw[2:5]} {tw[5:]}"  # the CLI edge normalises the number
    assert history(sb, "--number", spaced) == history(sb, "--number", tw)
    assert {r["provider"] for r in history(sb, "--provider", "telnyx")} == {"telnyx"}
    assert history(sb, "--tenant", "acme") == []
    assert len(history(sb, "--since", "1h")) == len(rows)
    assert history(sb, "--since", "2999-01-01") == []


def test_failures_and_reconciled_outcomes_are_told_apart(sb):
    tw = offer(sb, "twilio")
    refused = sb(
        "numbers", "buy", tw, "--yes", env={"TELCLI_SANDBOX_FAULTS": "twilio.purchase:status=400"}
    )
    assert refused.exit_code == 5, refused
    # The error names the provider's request id, and the ledger keeps the same one.
    said = re.search(r"\(request (RQ[0-9a-f]{32})\)", refused.stderr)
    assert said, refused.stderr
    lost = sb(
        "numbers",
        "buy",
        tw,
        "--yes",
        env={"TELCLI_SANDBOX_FAULTS": "twilio.purchase:drop-response"},
    )
    assert lost.exit_code == 0, lost  # the answer was lost; the lookup found it bought
    newest, oldest = history(sb)
    assert (oldest["outcome"], oldest["request_id"]) == ("failed", said.group(1))
    assert "twilio 400 on purchase" in oldest["error"]
    # What failed cost nothing: no price, so a finance sum of the column does not count it.
    assert (oldest["price"], oldest["currency"]) == (None, None)
    assert newest["price"] is not None and newest["currency"] == "USD"
    assert (newest["outcome"], newest["status"], newest["reconciled"]) == (
        "unknown → reconciled as done",
        "succeeded",
        True,
    )


def test_formats_round_trip(sb):
    for i in range(3):  # three different addresses (an identical one would be reused)
        street = ["--street", f"{i} Main St"]
        assert sb("addresses", "create", "-p", "telnyx", *ADDRESS, *street).exit_code == 0
    rows = history(sb)
    ndjson = sb("history", "--format", "ndjson").stdout.splitlines()
    assert [json.loads(line) for line in ndjson] == rows
    text = sb("history", "--format", "csv").stdout
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert [r["request_id"] for r in parsed] == [r["request_id"] for r in rows]
    assert parsed[0].keys() == rows[0].keys()
    assert parsed[0]["tenant"] == "" and parsed[0]["reconciled"] == "false"
    # Piped: TSV, one line per operation, no header.
    tsv = sb("history").stdout.splitlines()
    assert len(tsv) == 3 and tsv[0].split("\t")[1] == "address.create"
    # A TTY gets a table with a header.
    table = sb("history", tty=True).stdout
    assert "Time (UTC)" in table and "Request ID" in table and rows[0]["request_id"] in table
    # --json prints exactly what Output.json prints for the same list.
    assert sb("history", "--json").stdout == json.dumps(rows, indent=2, ensure_ascii=False) + "\n"


def test_limit_keeps_the_newest_and_says_so(sb):
    for i in range(3):  # three different addresses (an identical one would be reused)
        street = ["--street", f"{i} Main St"]
        assert sb("addresses", "create", "-p", "telnyx", *ADDRESS, *street).exit_code == 0
    everything = history(sb)
    two = sb("history", "--json", "--limit", "2")
    assert [r["id"] for r in json.loads(two.stdout)] == [r["id"] for r in everything[:2]]
    assert "showing the newest 2; --limit 0 shows all" in two.stderr
    three = sb("history", "--json", "--limit", "3")
    assert len(json.loads(three.stdout)) == 3 and three.stderr == ""


def test_empty_history_and_bad_input(sb):
    assert sb("history", "--json").stdout == "[]\n"
    assert sb("history", "--format", "ndjson").stdout == ""
    assert sb("history", tty=True).stderr == "no operations recorded\n"
    bad = sb("history", "--since", "yesterday")
    assert bad.exit_code == 2
    assert bad.stderr.startswith("error: --since 'yesterday' is neither a span nor a date")
    both = sb("history", "--json", "--format", "csv")
    assert both.exit_code == 2 and "conflict" in both.stderr


def test_tenant_recorded_by_a_step_is_filterable(sb, home):
    """Tenants (issue 11) journal through ``ledger_begin(..., tenant=...)``."""
    from telcli.storage.state import StateDB, operation

    db = StateDB(home / "state.db")
    with operation(db, "tenants.apply", "twilio", "default", "+14155550100", tenant="acme"):
        pass
    db.ledger_begin("buy", "telnyx", "default", "+14155550101", tenant="globex")
    rows = history(sb, "--tenant", "acme")
    assert [(r["action"], r["tenant"], r["outcome"]) for r in rows] == [
        ("tenants.apply", "acme", "done")
    ]
    assert history(sb, "--tenant", "globex")[0]["outcome"] == "pending"
    tw = offer(sb, "twilio")
    assert sb("numbers", "buy", tw, "--tenant", "acme", "--yes").exit_code == 0
    assert [r["action"] for r in history(sb, "--tenant", "acme")] == ["buy", "tenants.apply"]


def test_history_over_an_old_ledger(sb, home):
    """A state DB written before the audit columns existed still reads: they are null."""
    from telcli.storage.state import MIGRATIONS

    conn = sqlite3.connect(home / "state.db")
    for script in MIGRATIONS[:3]:
        conn.executescript(script)
    conn.execute("PRAGMA user_version = 3")
    conn.execute(
        "INSERT INTO ledger (op, provider, profile, target, status, detail, created_at,"
        " updated_at) VALUES ('buy', 'twilio', 'default', '+14155550100', 'unknown',"
        " '{\"error\": \"timed out\"}', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z')"
    )
    conn.commit()
    conn.close()
    [row] = history(sb)
    assert (row["outcome"], row["error"], row["request_id"], row["operation_id"]) == (
        "unknown",
        "timed out",
        None,
        None,
    )


def test_debug_shows_the_operation_id_the_ledger_keeps(sb):
    result = sb("--debug", "addresses", "create", "--provider", "twilio", *ADDRESS)
    assert result.exit_code == 0, result
    said = re.search(r"^debug: operation (op_[0-9a-f]{12})$", result.stderr, re.M)
    assert said, result.stderr
    [row] = history(sb)
    assert row["operation_id"] == said.group(1)
    assert "debug: operation" not in sb("history").stderr  # only with --debug


def test_debug_after_the_command_shows_the_operation_id_too(sb):
    # Global options may come anywhere after the command (README); --debug there is the same.
    result = sb("addresses", "create", "--provider", "twilio", *ADDRESS, "--debug")
    assert result.exit_code == 0, result
    said = re.findall(r"^debug: operation (op_[0-9a-f]{12})$", result.stderr, re.M)
    assert said == [history(sb)[0]["operation_id"]], result.stderr  # once, and the ledger's


def test_a_narrow_terminal_keeps_the_outcome_and_the_ids(sb, telcli, make_ctx):
    refused = sb(
        "addresses",
        "create",
        "--provider",
        "twilio",
        *ADDRESS,
        env={"TELCLI_SANDBOX_FAULTS": "twilio.address.create:status=400"},
    )
    assert refused.exit_code == 5, refused
    [row] = history(sb)
    table = telcli("history", tty=True, env={"COLUMNS": "80"}).stdout
    assert "failed" in table and row["request_id"] in table  # never cut, never dropped
    assert "Operation" not in table  # the first to go when space is short


def test_a_wide_terminal_shows_who_did_it_and_where(sb, telcli):
    assert sb("addresses", "create", "--provider", "twilio", *ADDRESS).exit_code == 0
    [row] = history(sb)
    table = telcli("history", tty=True, env={"COLUMNS": "250"}).stdout
    header, line = table.splitlines()[:2]
    assert header.split() == [
        *("Time", "(UTC)", "Action", "Target", "Provider", "Profile", "Account", "Outcome"),
        *("Price", "Request", "ID", "Operation", "User", "Host"),
    ]
    for field in ("profile", "account", "user", "host", "operation_id", "request_id"):
        assert row[field] in line, field
