"""The numbers service with fakes: merge and failover of reads, the ledgered buy that never
buys twice, and reconciliation of ambiguous outcomes."""

from __future__ import annotations

import pytest

from telcli.errors import (
    AllProvidersFailed,
    AuthError,
    OutcomeUnknown,
    ProviderRejected,
    ProviderUnavailable,
)
from telcli.models import NumberQuery, ProviderName
from telcli.services import numbers as svc
from telcli.storage.state import StateDB
from tests.fakes import FakeCarrier, fake_settle, notes, offer

TW, TX = ProviderName.twilio, ProviderName.telnyx
N1, N2 = "+14155550101", "+14155550102"


@pytest.fixture
def state(tmp_path):
    db = StateDB(tmp_path / "state.db")
    yield db
    db.close()


def carriers():
    tw = FakeCarrier(TW, inventory=[offer(N1, "twilio")])
    tx = FakeCarrier(TX, inventory=[offer(N2, "telnyx", "2.00")])
    return tw, tx


def test_search_merges_in_carrier_order_and_labels():
    tw, tx = carriers()
    found = svc.search([tw, tx], NumberQuery())
    assert [(n.phone_number, n.provider) for n in found] == [(N1, TW), (N2, TX)]


def test_search_fails_over_when_one_carrier_is_down():
    tw, tx = carriers()
    tw.fail["search_numbers"] = ProviderUnavailable("twilio 503", provider="twilio", status=503)
    lines, note = notes()
    found = svc.search([tw, tx], NumberQuery(), notify=note)
    assert [n.provider for n in found] == [TX]
    assert lines == ["twilio: search failed: twilio 503"]


def test_search_raises_when_every_carrier_fails():
    tw, tx = carriers()
    tw.fail["search_numbers"] = ProviderUnavailable("down", provider="twilio")
    tx.fail["search_numbers"] = ProviderUnavailable("down too", provider="telnyx")
    with pytest.raises(AllProvidersFailed) as err:
        svc.search([tw, tx], NumberQuery())
    assert "twilio: down" in err.value.message and "telnyx: down too" in err.value.message


def test_search_with_one_carrier_raises_its_own_error():
    tw, _ = carriers()
    tw.fail["search_numbers"] = AuthError("bad token")
    with pytest.raises(AuthError):
        svc.search([tw], NumberQuery())


def test_quote_finds_the_carrier_that_offers_the_number():
    tw, tx = carriers()
    carrier, found = svc.quote([tw, tx], N2)
    assert carrier is tx and found.phone_number == N2 and str(found.monthly_price) == "2.00"


def test_quote_says_when_the_number_is_already_owned():
    tw, tx = carriers()
    tw._own(N1)
    with pytest.raises(ProviderRejected, match="already yours at twilio"):
        svc.quote([tw, tx], N1)


def test_quote_unknown_number_is_rejected_with_a_search_hint():
    tw, tx = carriers()
    with pytest.raises(ProviderRejected) as err:
        svc.quote([tw, tx], "+14155550199")
    assert "not available" in err.value.message and "numbers search" in err.value.hint


def test_buy_writes_intent_then_outcome(state):
    tw, _ = carriers()
    result = svc.buy(tw, offer(N1), state=state, profile="default", settle=fake_settle())
    assert result.number.id == "twilio-1" and result.attempts[0].outcome == "ok"
    [entry] = state.ledger_entries(op="buy")
    assert (entry.target, entry.status, entry.result_id) == (N1, "succeeded", "twilio-1")


def test_buy_dry_run_touches_nothing(state):
    tw, _ = carriers()
    result = svc.buy(
        tw, offer(N1), state=state, profile="default", settle=fake_settle(), dry_run=True
    )
    assert result.dry_run and tw.purchases == 0 and state.ledger_entries() == []


def test_buy_rejected_is_recorded_as_failed(state):
    tw, _ = carriers()
    tw.fail["purchase"] = ProviderRejected("gone", provider="twilio", status=400)
    with pytest.raises(ProviderRejected):
        svc.buy(tw, offer(N1), state=state, profile="default", settle=fake_settle())
    assert [e.status for e in state.ledger_entries()] == ["failed"]


def test_lost_response_after_commit_is_reconciled_not_rebought(state):
    tw, _ = carriers()
    tw.commit_then_fail = ProviderUnavailable("read timeout", provider="twilio", sent=True)
    lines, note = notes()
    result = svc.buy(
        tw, offer(N1), state=state, profile="default", settle=fake_settle(), notify=note
    )
    assert result.number.phone_number == N1 and tw.purchases == 1
    assert [e.status for e in state.ledger_entries()] == ["succeeded"]
    assert "checking" in lines[0]


def test_ambiguous_failure_not_owned_is_failed_and_raised(state):
    tw, _ = carriers()
    tw.fail["purchase"] = ProviderUnavailable("502", provider="twilio", status=502, sent=True)
    with pytest.raises(ProviderUnavailable):
        svc.buy(tw, offer(N1), state=state, profile="default", settle=fake_settle())
    [entry] = state.ledger_entries()
    assert entry.status == "failed" and entry.detail["reconciled"] is True


def test_unreconcilable_outcome_is_unknown_exit_7(state):
    tw, _ = carriers()
    tw.commit_then_fail = ProviderUnavailable("reset", provider="twilio", sent=True)
    tw.fail["find_owned"] = ProviderUnavailable("still down", provider="twilio")
    with pytest.raises(OutcomeUnknown) as err:
        svc.buy(tw, offer(N1), state=state, profile="default", settle=fake_settle())
    assert err.value.exit_code == 7 and "numbers list --provider twilio" in err.value.hint
    assert [e.status for e in state.ledger_entries()] == ["unknown"]


def test_rerun_after_unknown_outcome_reconciles_and_never_buys_twice(state):
    tw, _ = carriers()
    tw.commit_then_fail = ProviderUnavailable("reset", provider="twilio", sent=True)
    tw.fail["find_owned"] = ProviderUnavailable("still down", provider="twilio")
    with pytest.raises(OutcomeUnknown):
        svc.buy(tw, offer(N1), state=state, profile="default", settle=fake_settle())
    tw.fail["find_owned"] = None  # it answers again
    result = svc.buy(tw, offer(N1), state=state, profile="default", settle=fake_settle())
    assert tw.purchases == 1 and result.number.phone_number == N1
    assert [e.status for e in state.ledger_entries()] == ["succeeded"]


def test_connect_failure_is_failed_without_reconciliation(state):
    tw, _ = carriers()
    tw.fail["purchase"] = ProviderUnavailable("refused", provider="twilio", sent=False)
    with pytest.raises(ProviderUnavailable):
        svc.buy(tw, offer(N1), state=state, profile="default", settle=fake_settle())
    assert ("find_owned", N1) not in tw.calls
    assert [e.status for e in state.ledger_entries()] == ["failed"]


def test_interrupt_during_purchase_leaves_an_unknown_entry(state):
    tw, _ = carriers()
    tw.fail["purchase"] = KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt):
        svc.buy(tw, offer(N1), state=state, profile="default", settle=fake_settle())
    assert [e.status for e in state.ledger_entries()] == ["unknown"]


def test_locate_and_release(state):
    tw, tx = carriers()
    tx._own(N2)
    carrier, owned = svc.locate([tw, tx], N2)
    assert carrier is tx
    result = svc.release(carrier, owned, state=state, profile="default")
    assert result.provider == TX and N2 not in tx.owned
    assert [(e.op, e.status) for e in state.ledger_entries()] == [("release", "succeeded")]


def test_locate_unowned_is_rejected():
    tw, tx = carriers()
    with pytest.raises(ProviderRejected, match="not a number you own"):
        svc.locate([tw, tx], N1)


def test_list_owned_in_carrier_order_then_by_number():
    tw, tx = carriers()
    tx._own(N2)
    tw._own("+14155550109")
    tw._own(N1)
    assert [(n.provider, n.phone_number) for n in svc.list_owned([tx, tw])] == [
        (TX, N2),
        (TW, N1),
        (TW, "+14155550109"),
    ]


class LateCarrier(FakeCarrier):
    """A purchase whose answer is lost while it is still being processed: it shows up
    among the owned numbers only after ``lands_after`` lookups (never, with None)."""

    def __init__(self, lands_after: int | None) -> None:
        super().__init__(TW, inventory=[offer(N1, "twilio")])
        self.lands_after = lands_after
        self.lookups = 0

    def purchase(self, phone_number: str, **_: object):
        self.calls.append(("purchase", phone_number))
        raise ProviderUnavailable("twilio did not answer in time", provider="twilio", sent=True)

    def find_owned(self, phone_number: str):
        self.lookups += 1
        if self.lands_after is not None and self.lookups > self.lands_after and not self.owned:
            self._own(phone_number)
        return super().find_owned(phone_number)


def test_a_late_purchase_is_waited_for_not_sent_again(state):
    tw = LateCarrier(lands_after=5)  # not there for the first 5 lookups (~5 s)
    lines, note = notes()
    result = svc.buy(
        tw, offer(N1), state=state, profile="default", settle=fake_settle(), notify=note, tries=3
    )
    assert [c for c, _ in tw.calls].count("purchase") == 1 and tw.purchases == 1
    assert [a.outcome for a in result.attempts] == ["unknown", "reconciled"]
    assert [e.status for e in state.ledger_entries()] == ["succeeded"]
    assert not any("nothing was spent" in line or "trying again" in line for line in lines)


def test_a_deadline_shorter_than_the_window_is_unknown_never_nothing_spent(state):
    tw = LateCarrier(lands_after=None)
    lines, note = notes()
    with pytest.raises(OutcomeUnknown) as err:
        svc.buy(
            tw,
            offer(N1),
            state=state,
            profile="default",
            settle=fake_settle(deadline=10.0),
            notify=note,
            tries=3,
        )
    assert err.value.exit_code == 7 and "--timeout" in err.value.message
    assert "telcli numbers reconcile" in (err.value.hint or "")
    assert [c for c, _ in tw.calls].count("purchase") == 1
    assert [e.status for e in state.ledger_entries()] == ["unknown"]
    assert not any("nothing was spent" in line for line in lines)


def test_an_open_purchase_of_a_running_process_is_waited_for(state):
    tw = LateCarrier(lands_after=3)
    earlier = state.ledger_begin("buy", "twilio", "default", N1)  # this very process: alive
    lines, note = notes()
    result = svc.buy(
        tw, offer(N1), state=state, profile="default", settle=fake_settle(), notify=note
    )
    assert [c for c, _ in tw.calls].count("purchase") == 0, "never sent beside an open one"
    assert result.attempts[-1].outcome == "reconciled"
    assert [(e.id, e.status) for e in state.ledger_entries()] == [(earlier, "succeeded")]
    assert any("already bought by an earlier run" in line for line in lines)
    assert any("still running" in line for line in lines)


def test_an_open_purchase_that_cannot_land_anymore_is_settled_then_bought(state):
    tw = FakeCarrier(TW, inventory=[offer(N1, "twilio")])
    old = state.ledger_begin("buy", "twilio", "default", N1, {"lands_by": "2000-01-01T00:00:00Z"})
    result = svc.buy(tw, offer(N1), state=state, profile="default", settle=fake_settle())
    assert tw.purchases == 1 and result.attempts[-1].outcome == "ok"
    entries = [(e.id, e.status) for e in reversed(state.ledger_entries())]
    assert entries[0] == (old, "failed") and entries[1][1] == "succeeded"


def test_earlier_purchase_reports_a_number_an_earlier_run_bought(state):
    tw = FakeCarrier(TW)
    entry = state.ledger_begin("buy", "twilio", "default", N1)
    state.ledger_finish(entry, "unknown")
    tw._own(N1)
    bought = svc.earlier_purchase([tw], N1, state=state, profile="default", settle=fake_settle())
    assert bought is not None and bought.number.phone_number == N1
    assert [e.status for e in state.ledger_entries()] == ["succeeded"]
    assert (
        svc.earlier_purchase([tw], N2, state=state, profile="default", settle=fake_settle()) is None
    )
