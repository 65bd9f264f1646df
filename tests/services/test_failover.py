"""The failover policy with fakes: breakers consulted and fed by every carrier call, reads that
fail over freely, writes that move on only when the first carrier provably did not act, the
purchase that reconciles instead of switching carriers, and ``numbers reconcile``."""

from __future__ import annotations

import pytest

from telcli.errors import (
    AllProvidersFailed,
    AuthError,
    ExitCode,
    OutcomeUnknown,
    ProviderRejected,
    ProviderUnavailable,
)
from telcli.models import NumberQuery, ProviderName
from telcli.services import failover
from telcli.services import numbers as svc
from telcli.services.settling import Settle
from telcli.storage.breakers import Breakers, BreakerSettings, CircuitOpen, clock_time
from telcli.storage.state import StateDB
from telcli.transport import RetryPolicy
from tests.fakes import FakeCarrier, fake_settle, offer

TW, TX = ProviderName.twilio, ProviderName.telnyx
N1, N2, N3 = "+14155550101", "+14155550102", "+14155550103"


class WallClock:
    now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def state(tmp_path):
    db = StateDB(tmp_path / "state.db")
    yield db
    db.close()


@pytest.fixture
def clock():
    return WallClock()


@pytest.fixture
def breakers(state, clock):
    b = Breakers(state, "default", BreakerSettings(failures=2, window=60, cooldown=30), clock=clock)
    yield b
    b.close()


def down(provider: str = "twilio", *, sent: bool = True, status: int | None = 503):
    return ProviderUnavailable(f"{provider} {status}", provider=provider, status=status, sent=sent)


def pair(breakers, lines=None):
    tw = FakeCarrier(TW, inventory=[offer(N1, "twilio")])
    tx = FakeCarrier(TX, inventory=[offer(N2, "telnyx", "2.00")])
    note = lines.append if lines is not None else None
    return (
        tw,
        tx,
        failover.guard(tw, breakers, notify=note),
        failover.guard(tx, breakers, notify=note),
    )


# --- Guarded: every call consults and feeds the breaker --------------------------------------


def test_calls_pass_through_and_record_latency(breakers):
    tw, _, gtw, _ = pair(breakers)
    assert [o.phone_number for o in gtw.search_numbers(NumberQuery())] == [N1]
    assert gtw.name == TW and gtw.inventory is tw.inventory  # attributes pass through
    row = breakers.get("twilio")
    assert row.state == "closed" and len(row.latency) == 1 and row.last_success_at is not None


def test_retryable_failures_open_the_circuit_then_no_call_is_made(breakers, clock):
    lines: list[str] = []
    tw, _, gtw, _ = pair(breakers, lines)
    tw.fail["search_numbers"] = down()
    for _ in range(2):
        with pytest.raises(ProviderUnavailable):
            gtw.search_numbers(NumberQuery())
    assert lines == [
        f"twilio: circuit opened after 2 failures in a row; skipping twilio until"
        f" {clock_time(clock.now + 30)}"
    ]
    calls = len(tw.calls)
    with pytest.raises(CircuitOpen) as err:
        gtw.list_owned()
    assert len(tw.calls) == calls, "an open circuit must not reach the carrier"
    assert err.value.sent is False and err.value.exit_code == ExitCode.UNAVAILABLE


def test_a_rejection_is_an_answer_and_resets_the_count(breakers):
    tw, _, gtw, _ = pair(breakers)
    tw.fail["search_numbers"] = [down(), ProviderRejected("bad", provider="twilio", status=400)]
    with pytest.raises(ProviderUnavailable):
        gtw.search_numbers(NumberQuery())
    with pytest.raises(ProviderRejected):
        gtw.search_numbers(NumberQuery())
    assert breakers.get("twilio").failures == 0


def test_missing_credentials_say_nothing_about_health(breakers):
    tw, _, gtw, _ = pair(breakers)
    tw.fail["list_owned"] = [down(), AuthError("twilio account SID is missing")]
    for error in (ProviderUnavailable, AuthError):
        with pytest.raises(error):
            gtw.list_owned()
    assert breakers.get("twilio").failures == 1


def test_a_successful_probe_closes_the_circuit_with_a_note(breakers, clock):
    lines: list[str] = []
    tw, _, gtw, _ = pair(breakers, lines)
    tw.fail["list_owned"] = [down(), down()]
    for _ in range(2):
        with pytest.raises(ProviderUnavailable):
            gtw.list_owned()
    clock.now += 30
    assert gtw.list_owned() == []
    assert lines[-1] == "twilio: answering again; circuit closed"
    assert breakers.get("twilio").state == "closed"


def test_guard_is_idempotent_and_optional(breakers):
    tw, _, gtw, _ = pair(breakers)
    assert failover.guard(gtw, breakers) is gtw
    assert failover.guard(tw, None) is tw
    assert failover.unguarded(gtw) is tw and failover.unguarded(tw) is tw


# --- reads ------------------------------------------------------------------------------------


def open_circuit(breakers, provider="twilio"):
    for _ in range(2):
        breakers.failure(provider, f"{provider} 503")


def test_each_skips_an_open_circuit_with_one_note(breakers, clock):
    lines: list[str] = []
    tw, _, gtw, gtx = pair(breakers)
    open_circuit(breakers)
    found = svc.search([gtw, gtx], NumberQuery(), notify=lines.append)
    assert [n.provider for n in found] == [TX] and tw.calls == []
    assert lines == [
        f"twilio: skipped (circuit open for twilio until {clock_time(clock.now + 30)})"
    ]


def test_each_with_every_circuit_open_is_exit_6(breakers):
    _, _, gtw, gtx = pair(breakers)
    open_circuit(breakers, "twilio")
    open_circuit(breakers, "telnyx")
    with pytest.raises(AllProvidersFailed) as err:
        svc.list_owned([gtw, gtx])
    assert err.value.exit_code == ExitCode.UNAVAILABLE
    assert "circuit open for twilio" in err.value.message
    assert "providers status" in err.value.hint


def test_first_moves_on_and_says_where_to(breakers):
    lines: list[str] = []
    tw, _, gtw, gtx = pair(breakers)
    tw.fail["list_owned"] = down()
    carrier, result = failover.first(
        [gtw, gtx], lambda c: c.list_owned(), what="listing", notify=lines.append
    )
    assert carrier is gtx and result == []
    assert lines == ["twilio: listing failed: twilio 503; trying telnyx"]


def test_first_takes_a_rejection_as_the_answer(breakers):
    tw, tx, gtw, gtx = pair(breakers)
    tw.fail["list_owned"] = ProviderRejected("no", provider="twilio", status=400)
    with pytest.raises(ProviderRejected):
        failover.first([gtw, gtx], lambda c: c.list_owned(), what="listing")
    assert tx.calls == []


# --- writes -----------------------------------------------------------------------------------


def test_write_ok_at_the_first_carrier(breakers):
    _, tx, gtw, gtx = pair(breakers)
    result, attempts = failover.write([gtw, gtx], lambda c: c.list_owned(), what="send")
    assert result == [] and [a.outcome for a in attempts] == ["ok"] and tx.calls == []


def test_write_skips_an_open_circuit_and_fails_over(breakers, clock):
    lines: list[str] = []
    tw, tx, gtw, gtx = pair(breakers)
    open_circuit(breakers)
    _, attempts = failover.write(
        [gtw, gtx], lambda c: c.list_owned(), what="SMS", notify=lines.append
    )
    assert tw.calls == [] and len(tx.calls) == 1
    assert [(a.provider, a.outcome, a.elapsed_ms) for a in attempts] == [
        (TW, "skipped", 0),
        (TX, "ok", attempts[1].elapsed_ms),
    ]
    assert attempts[0].error == f"circuit open for twilio until {clock_time(clock.now + 30)}"
    assert lines == [f"twilio: skipped ({attempts[0].error}); trying telnyx"]


def test_write_fails_over_when_the_request_was_never_sent(breakers):
    lines: list[str] = []
    tw, _, gtw, gtx = pair(breakers)
    tw.fail["list_owned"] = down(sent=False, status=None)
    _, attempts = failover.write(
        [gtw, gtx], lambda c: c.list_owned(), what="SMS", notify=lines.append
    )
    assert [a.outcome for a in attempts] == ["failed", "ok"]
    assert lines == ["twilio: SMS failed: twilio None; trying telnyx"]


def test_an_ambiguous_write_is_reconciled_not_repeated_elsewhere(breakers):
    tw, tx, gtw, gtx = pair(breakers)
    tw.fail["list_owned"] = down(sent=True)
    seen = []

    def reconcile(carrier, exc):
        seen.append((carrier.name, exc.message))
        return ["found it"]

    result, attempts = failover.write(
        [gtw, gtx], lambda c: c.list_owned(), what="SMS", reconcile=reconcile
    )
    assert result == ["found it"] and seen == [(TW, "twilio 503")] and tx.calls == []
    assert [(a.outcome, a.error) for a in attempts] == [
        ("unknown", "twilio 503"),
        ("reconciled", None),
    ]


def test_an_ambiguous_write_proven_not_done_never_fails_over(breakers):
    tw, tx, gtw, gtx = pair(breakers)
    tw.fail["list_owned"] = down(sent=True)
    lines: list[str] = []
    with pytest.raises(ProviderUnavailable):
        failover.write(
            [gtw, gtx],
            lambda c: c.list_owned(),
            what="the test SMS",
            reconcile=lambda c, e: None,
            notify=lines.append,
        )
    assert tx.calls == [], "the request may have reached twilio: never sent through telnyx too"
    assert "not trying telnyx: the request reached twilio" in lines[-1]


def test_an_ambiguous_write_without_reconciliation_is_exit_7(breakers):
    tw, tx, gtw, gtx = pair(breakers)
    tw.fail["list_owned"] = down(sent=True)
    with pytest.raises(OutcomeUnknown) as err:
        failover.write(
            [gtw, gtx], lambda c: c.list_owned(), what="the SMS", resolve_hint="look it up"
        )
    assert err.value.exit_code == ExitCode.INCOMPLETE and err.value.hint == "look it up"
    assert "the SMS at twilio may or may not have happened" in err.value.message
    assert tx.calls == [], "never try elsewhere while the first outcome is unknown"


@pytest.mark.parametrize(
    ("error", "fails_over"),
    [
        (ProviderRejected("invalid To", provider="twilio", status=400), False),
        (ProviderRejected("no balance", provider="twilio", status=402), True),
        (AuthError("twilio rejected the credentials (401)"), True),
    ],
)
def test_which_refusals_fail_over(breakers, error, fails_over):
    tw, tx, gtw, gtx = pair(breakers)
    tw.fail["list_owned"] = error
    if fails_over:
        _, attempts = failover.write([gtw, gtx], lambda c: c.list_owned(), what="SMS")
        assert [a.outcome for a in attempts] == ["failed", "ok"]
    else:
        with pytest.raises(type(error)):
            failover.write([gtw, gtx], lambda c: c.list_owned(), what="SMS")
        assert tx.calls == []


def test_write_failing_everywhere_names_every_carrier(breakers):
    tw, tx, gtw, gtx = pair(breakers)
    tw.fail["list_owned"] = down("twilio", sent=False)
    tx.fail["list_owned"] = down("telnyx", sent=False)
    with pytest.raises(AllProvidersFailed) as err:
        failover.write([gtw, gtx], lambda c: c.list_owned(), what="SMS")
    assert "twilio: twilio 503; telnyx: telnyx 503" in err.value.message


# --- buy: failover means reconciliation, never another carrier -------------------------------


def test_a_lost_purchase_response_is_reconciled_even_when_it_opens_the_circuit(state, clock):
    one_strike = Breakers(state, "default", BreakerSettings(failures=1), clock=clock)
    lines: list[str] = []
    tw = FakeCarrier(TW, inventory=[offer(N1)])
    tw.commit_then_fail = down(sent=True)
    gtw = failover.guard(tw, one_strike, notify=lines.append)
    result = svc.buy(
        gtw, offer(N1), state=state, profile="default", settle=fake_settle(), notify=lines.append
    )
    assert tw.purchases == 1 and result.number.phone_number == N1
    assert [(a.outcome, a.error) for a in result.attempts] == [
        ("unknown", "twilio 503"),
        ("reconciled", None),
    ]
    assert result.to_json()["attempts"][0]["provider"] == "twilio"
    assert one_strike.get("twilio").state == "open"  # the purchase failure still counted
    assert lines[0].startswith("twilio: circuit opened after 1 failure in a row")
    assert lines[1] == "twilio: the purchase outcome is unclear (twilio 503); checking"
    assert [e.status for e in state.ledger_entries()] == ["succeeded"]


def test_an_unknown_purchase_names_the_reconcile_command(state):
    tw = FakeCarrier(TW, inventory=[offer(N1)])
    tw.commit_then_fail = down(sent=True)
    tw.fail["find_owned"] = down()
    with pytest.raises(OutcomeUnknown) as err:
        svc.buy(tw, offer(N1), state=state, profile="default", settle=fake_settle())
    assert "telcli numbers reconcile" in err.value.hint
    assert [e.status for e in state.ledger_entries()] == ["unknown"]


def test_an_open_circuit_at_purchase_time_buys_nothing(breakers, state):
    tw, _, gtw, _ = pair(breakers)
    open_circuit(breakers)
    with pytest.raises(CircuitOpen):
        svc.buy(gtw, offer(N1), state=state, profile="default", settle=fake_settle())
    assert tw.purchases == 0 and ("purchase", N1) not in tw.calls
    [entry] = state.ledger_entries()
    assert entry.status == "failed" and "circuit open" in entry.detail["error"]


def test_a_pending_purchase_at_another_carrier_blocks_with_the_reconcile_hint(state):
    state.ledger_begin("buy", "telnyx", "default", N1)
    tw = FakeCarrier(TW, inventory=[offer(N1)])
    with pytest.raises(OutcomeUnknown) as err:
        svc.buy(tw, offer(N1), state=state, profile="default", settle=fake_settle())
    assert "telcli numbers reconcile" in err.value.hint and tw.purchases == 0


def test_another_profiles_pending_purchase_is_not_ours(state):
    state.ledger_begin("buy", "telnyx", "acme", N1)
    tw = FakeCarrier(TW, inventory=[offer(N1)])
    svc.buy(tw, offer(N1), state=state, profile="default", settle=fake_settle())
    assert tw.purchases == 1


def test_a_release_answered_404_after_a_retry_is_checked_not_failed(state):
    tw = FakeCarrier(TW)
    owned = tw._own(N1)
    tw.owned.pop(N1)  # the first DELETE worked; its retry is told 404
    tw.fail["release"] = ProviderRejected("not found", provider="twilio", status=404)
    result = svc.release(tw, owned, state=state, profile="default")
    assert result.phone_number == N1
    assert [e.status for e in state.ledger_entries()] == ["succeeded"]


def test_a_release_404_for_a_number_still_owned_is_a_failure(state):
    tw = FakeCarrier(TW)
    owned = tw._own(N1)
    tw.fail["release"] = ProviderRejected("not found", provider="twilio", status=404)
    with pytest.raises(ProviderRejected):
        svc.release(tw, owned, state=state, profile="default")
    assert [e.status for e in state.ledger_entries()] == ["failed"]


# --- numbers reconcile --------------------------------------------------------------------------


def test_reconcile_settles_every_open_intent(state):
    tw, tx = FakeCarrier(TW), FakeCarrier(TX)
    tw._own(N1)
    tx._own(N3)
    bought = state.ledger_begin("buy", "twilio", "default", N1)
    state.ledger_finish(bought, "unknown")
    not_bought = state.ledger_begin("buy", "telnyx", "default", N2)  # pending: crashed
    released = state.ledger_begin("release", "twilio", "default", "+14155550199")
    kept = state.ledger_begin("release", "telnyx", "default", N3)
    state.ledger_finish(kept, "unknown")
    # requests that can no longer land (no timeout, no window): absence is proof at once
    landed = Settle(window=0, request_timeout=0)
    settled = svc.reconcile(
        [tw, tx], state=state, profile="default", providers=["twilio", "telnyx"], settle=landed
    )
    assert [(s.entry_id, s.op, s.was, s.status, s.result_id) for s in settled] == [
        (bought, "buy", "unknown", "succeeded", "twilio-1"),
        (not_bought, "buy", "pending", "failed", None),
        (released, "release", "pending", "succeeded", None),
        (kept, "release", "unknown", "failed", "telnyx-1"),
    ]
    statuses = {e.id: e.status for e in state.ledger_entries()}
    assert statuses == {
        bought: "succeeded",
        not_bought: "failed",
        released: "succeeded",
        kept: "failed",
    }
    assert (
        svc.reconcile([tw, tx], state=state, profile="default", providers=["twilio", "telnyx"])
        == []
    )


def test_reconcile_leaves_open_a_purchase_that_may_still_land(state):
    tw = FakeCarrier(TW)
    entry = state.ledger_begin("buy", "twilio", "default", N1)  # its run may still be waiting
    short = fake_settle(deadline=5.0)  # less time than the request may take to land
    [row] = svc.reconcile([tw], state=state, profile="default", providers=["twilio"], settle=short)
    assert (row.entry_id, row.status) == (entry, "unknown")
    assert row.note.startswith("may still land until ")
    assert [e.status for e in state.ledger_entries()] == ["pending"]  # not guessed "failed"
    # once it has landed, the same entry settles as bought
    tw._own(N1)
    [row] = svc.reconcile([tw], state=state, profile="default", providers=["twilio"])
    assert (row.entry_id, row.status, row.result_id) == (entry, "succeeded", "twilio-1")


def test_reconcile_leaves_unknown_what_it_cannot_ask(state):
    tw, tx = FakeCarrier(TW), FakeCarrier(TX)
    tw.fail["list_owned"] = down()
    a = state.ledger_begin("buy", "twilio", "default", N1)
    b = state.ledger_begin("buy", "telnyx", "default", N2)
    lines: list[str] = []
    settled = svc.reconcile(
        [tw], state=state, profile="default", providers=["twilio", "telnyx"], notify=lines.append
    )
    assert [(s.entry_id, s.status, s.note) for s in settled] == [
        (a, "unknown", "cannot ask: twilio 503"),
        (b, "unknown", "cannot ask: no credentials for telnyx"),
    ]
    assert lines == ["twilio: cannot list owned numbers: twilio 503"]
    assert tx.calls == []


def test_reconcile_bypasses_open_circuits(state, breakers):
    tw, _, gtw, _ = pair(breakers)
    tw._own(N1)
    open_circuit(breakers)
    entry = state.ledger_begin("buy", "twilio", "default", N1)
    [s] = svc.reconcile([gtw], state=state, profile="default", providers=["twilio"])
    assert (s.entry_id, s.status) == (entry, "succeeded")


def test_reconcile_lists_numbers_bought_but_recorded_as_failed(state):
    tw = FakeCarrier(TW)
    owned = tw._own(N1)
    tw._own(N2)  # bought outside telcli: not telcli's business
    entry = state.ledger_begin("buy", "twilio", "default", N1)
    state.ledger_finish(entry, "failed", detail={"error": "twilio 502"})
    [s] = svc.reconcile([tw], state=state, profile="default", providers=["twilio"])
    assert (s.entry_id, s.phone_number, s.was, s.status, s.result_id) == (
        entry,
        N1,
        "failed",
        "succeeded",
        owned.id,
    )
    assert s.note == "owned at twilio, but the ledger said failed"
    assert s.to_json() == {
        "entry_id": entry,
        "op": "buy",
        "phone_number": N1,
        "provider": "twilio",
        "was": "failed",
        "status": "succeeded",
        "result_id": owned.id,
        "note": "owned at twilio, but the ledger said failed",
    }


def test_reconcile_ignores_other_profiles_and_providers_out_of_scope(state):
    tw = FakeCarrier(TW)
    state.ledger_begin("buy", "twilio", "acme", N1)
    state.ledger_begin("buy", "telnyx", "default", N2)
    assert svc.reconcile([tw], state=state, profile="default", providers=["twilio"]) == []
    assert [e.status for e in state.ledger_entries()] == ["pending", "pending"]


def test_two_open_buys_of_one_owned_number_settle_once(state):
    tw = FakeCarrier(TW)
    tw._own(N1)
    first = state.ledger_begin("buy", "twilio", "default", N1)
    second = state.ledger_begin("buy", "twilio", "default", N1)
    settled = svc.reconcile([tw], state=state, profile="default", providers=["twilio"])
    assert [(s.entry_id, s.status) for s in settled] == [(first, "succeeded"), (second, "failed")]


def test_quote_with_a_carrier_down_is_unavailable_not_a_no(breakers):
    lines: list[str] = []
    tw, _tx, gtw, gtx = pair(breakers)
    tw.fail["search_numbers"] = down()
    with pytest.raises(ProviderUnavailable) as err:
        svc.quote([gtw, gtx], "+14155550199", notify=lines.append)
    assert err.value.exit_code == ExitCode.UNAVAILABLE
    assert err.value.message == (
        "cannot tell whether +14155550199 is available: twilio could not be asked (twilio 503)"
    )
    assert lines == ["twilio: availability check failed: twilio 503"]
    # ...while a number the reachable carrier offers is still found
    carrier, found = svc.quote([gtw, gtx], N2)
    assert carrier is gtx and found.phone_number == N2


def test_locate_with_a_carrier_down_is_unavailable_not_a_no(breakers):
    tw, tx, gtw, gtx = pair(breakers)
    tw.fail["find_owned"] = down()
    with pytest.raises(ProviderUnavailable) as err:
        svc.locate([gtw, gtx], N1)
    assert (
        err.value.message == "cannot tell whether you own +14155550101: twilio could not be asked"
    )
    tx._own(N2)
    carrier, owned = svc.locate([gtw, gtx], N2)  # found where it could be asked
    assert carrier is gtx and owned.phone_number == N2


def test_quote_cannot_say_not_available_when_ownership_cannot_be_checked(breakers):
    tw, _tx, gtw, gtx = pair(breakers)
    tw._own(N1)  # bought earlier: no longer offered
    tw.fail["find_owned"] = down()
    with pytest.raises(ProviderUnavailable, match="cannot tell whether"):
        svc.quote([gtw, gtx], N1)


def test_a_purchase_answered_500_is_waited_for_not_sent_again(state):
    # A 500 may come after the work was queued (a Telnyx number order is asynchronous): the
    # purchase lands a few lookups later, and is found, never re-sent.
    class Queued(FakeCarrier):
        lookups = 0

        def find_owned(self, phone_number: str):
            self.lookups += 1
            if self.lookups == 4:
                self._own(phone_number)
            return super().find_owned(phone_number)

    tw = Queued(TW, inventory=[offer(N1)])
    tw.fail["purchase"] = [down(sent=True, status=500)]
    lines: list[str] = []
    result = svc.buy(
        tw,
        offer(N1),
        state=state,
        profile="default",
        settle=fake_settle(),
        notify=lines.append,
        tries=3,
    )
    assert [c for c, _ in tw.calls] == ["purchase", *["find_owned"] * 4]
    assert tw.purchases == 1 and result.number.phone_number == N1
    assert [a.outcome for a in result.attempts] == ["unknown", "reconciled"]
    assert [e.status for e in state.ledger_entries()] == ["succeeded"]
    assert "the purchase outcome is unclear (twilio 500); checking" in lines[0]


def test_a_purchase_answered_503_is_settled_by_one_lookup(state):
    tw = FakeCarrier(TW, inventory=[offer(N1)])
    tw.fail["purchase"] = [down(sent=True, status=503), None]
    lines: list[str] = []
    svc.buy(
        tw,
        offer(N1),
        state=state,
        profile="default",
        settle=fake_settle(),
        notify=lines.append,
        tries=3,
    )
    # 503: the server could not handle the request (RFC 9110), so no window; one lookup, then
    # the resend
    assert [c for c, _ in tw.calls] == ["purchase", "find_owned", "purchase"]
    assert "(not owned after twilio answered 503); trying again" in lines[-1]


def test_a_purchase_proven_not_done_is_tried_again(state):
    tw = FakeCarrier(TW, inventory=[offer(N1)])
    # 504: the gateway gave up on a backend that may still be buying it
    tw.fail["purchase"] = [down(sent=True, status=504), down(sent=True, status=504), None]
    lines: list[str] = []
    pauses: list[float] = []
    result = svc.buy(
        tw,
        offer(N1),
        state=state,
        profile="default",
        settle=fake_settle(),
        notify=lines.append,
        tries=3,
        retry=RetryPolicy(sleep=pauses.append, random=lambda: 1.0),
    )
    assert tw.purchases == 1 and result.number.phone_number == N1
    assert [a.outcome for a in result.attempts] == ["unknown", "unknown", "ok"]
    statuses = [e.status for e in reversed(state.ledger_entries())]
    assert statuses == ["failed", "failed", "succeeded"]
    assert lines[-1] == (
        "twilio: +14155550101 was not bought (not owned 30s after twilio answered 504);"
        " trying again"
    )
    # The lookup was a round trip already: the first resend is immediate, the next backs off.
    assert pauses == [0.0, 0.2]
    # before every resend, lookups over the whole settle window (after 0.25, 0.5, 1 s, then
    # every 2 s: 19 in 30 s), the last one at its end finding nothing
    calls = [c for c, _ in tw.calls]
    assert calls == ["purchase", *["find_owned"] * 19] * 2 + ["purchase"]


def test_a_purchase_that_happened_is_never_tried_again(state):
    tw = FakeCarrier(TW, inventory=[offer(N1)])
    tw.commit_then_fail = down(sent=True)
    result = svc.buy(tw, offer(N1), state=state, profile="default", settle=fake_settle(), tries=3)
    assert tw.purchases == 1 and [a.outcome for a in result.attempts] == ["unknown", "reconciled"]
