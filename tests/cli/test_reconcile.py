"""``telcli numbers reconcile`` through the CLI with fake carriers: output modes and exit codes."""

from __future__ import annotations

import json

import pytest

from telcli.errors import ProviderUnavailable
from telcli.models import ProviderName
from tests.fakes import FakeCarrier
from tests.test_transport_retry import FakeClock

N1, N2 = "+14155550101", "+14155550102"


@pytest.fixture
def fakes():
    return FakeCarrier(ProviderName.twilio), FakeCarrier(ProviderName.telnyx)


@pytest.fixture
def ctx(make_ctx, fakes):
    clock = FakeClock()  # waiting for a purchase in flight takes no real time
    c = make_ctx(monotonic=clock.monotonic, sleep=clock.sleep)
    c._carriers.update({"twilio": fakes[0], "telnyx": fakes[1]})
    return c


LONG_AGO = "2000-01-01T00:00:00Z"  # a request that can no longer land


def test_nothing_to_reconcile_is_exit_0_and_an_empty_array(telcli, ctx):
    result = telcli("numbers", "reconcile", "--json", ctx=ctx)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "[]\n", "")


def test_settled_entries_are_rows_and_a_success_note(telcli, ctx, fakes):
    tw, _ = fakes
    owned = tw._own(N1)
    entry = ctx.state.ledger_begin("buy", "twilio", "default", N1)
    ctx.state.ledger_finish(entry, "unknown")
    gone = ctx.state.ledger_begin("release", "telnyx", "default", N2)
    result = telcli("numbers", "reconcile", ctx=ctx)
    assert result.exit_code == 0, result
    assert result.stdout.splitlines() == [
        f"{entry}\tbuy\t{N1}\ttwilio\tunknown\tsucceeded\t{owned.id}\towned at twilio",
        f"{gone}\trelease\t{N2}\ttelnyx\tpending\tsucceeded\t\tgone from telnyx",
    ]
    assert result.stderr == "ok: settled 2 ledger entries\n"
    assert {e.status for e in ctx.state.ledger_entries()} == {"succeeded"}


def test_a_provider_that_cannot_be_asked_is_exit_7_with_the_json_still_printed(telcli, ctx, fakes):
    tw, _ = fakes
    tw.fail["list_owned"] = ProviderUnavailable("twilio 503 on number listing", provider="twilio")
    entry = ctx.state.ledger_begin("buy", "twilio", "default", N1, {"lands_by": LONG_AGO})
    result = telcli("numbers", "reconcile", "--json", ctx=ctx)
    assert result.exit_code == 7, result
    [row] = json.loads(result.stdout)
    assert row == {
        "entry_id": entry,
        "op": "buy",
        "phone_number": N1,
        "provider": "twilio",
        "was": "pending",
        "status": "unknown",
        "result_id": None,
        "note": "cannot ask: twilio 503 on number listing",
    }
    assert result.stderr.splitlines() == [
        "twilio: cannot list owned numbers: twilio 503 on number listing",
        "error: 1 operation still unknown: twilio could not be asked",
        "hint: run `telcli numbers reconcile` again once twilio answers"
        " (see `telcli providers status`)",
    ]
    # ...and a later run, with twilio back, settles it and exits 0
    tw.fail.clear()
    again = telcli("numbers", "reconcile", "--json", ctx=ctx)
    assert again.exit_code == 0 and json.loads(again.stdout)[0]["status"] == "failed"


def test_a_purchase_that_may_still_land_is_waited_for(telcli, ctx, fakes):
    tw, _ = fakes
    entry = ctx.state.ledger_begin("buy", "twilio", "default", N1)  # just sent, maybe in flight
    lookups = 0

    def lands_late(number):
        nonlocal lookups
        lookups += 1
        if lookups == 4:
            tw._own(number)
        return FakeCarrier.find_owned(tw, number)

    tw.find_owned = lands_late
    result = telcli("numbers", "reconcile", "--json", ctx=ctx)
    assert result.exit_code == 0, result
    [row] = json.loads(result.stdout)
    assert (row["entry_id"], row["status"]) == (entry, "succeeded")
    assert "may still land until" in result.stderr and lookups == 4


def test_a_purchase_that_may_still_land_past_the_timeout_stays_open_exit_7(telcli, ctx, fakes):
    entry = ctx.state.ledger_begin("buy", "twilio", "default", N1)  # just sent, maybe in flight
    result = telcli("--timeout", "5", "numbers", "reconcile", "--json", ctx=ctx)
    assert result.exit_code == 7, result
    [row] = json.loads(result.stdout)
    assert (row["entry_id"], row["status"]) == (entry, "unknown")
    assert row["note"].startswith("may still land until ")
    assert "error: 1 purchase may still be in flight" in result.stderr
    assert [e.status for e in ctx.state.ledger_entries()] == ["pending"]


def test_provider_limits_the_scope(telcli, ctx, fakes):
    ctx.state.ledger_begin("buy", "twilio", "default", N1)
    result = telcli("numbers", "reconcile", "--provider", "telnyx", "--json", ctx=ctx)
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])
    assert fakes[0].calls == []
    assert [e.status for e in ctx.state.ledger_entries()] == ["pending"]


def test_sandbox_entries_are_kept_apart_from_the_real_profile(telcli, ctx):
    ctx.state.ledger_begin("buy", "twilio", "default (sandbox)", N1)
    result = telcli("numbers", "reconcile", "--json", ctx=ctx)
    assert json.loads(result.stdout) == [] and result.exit_code == 0
