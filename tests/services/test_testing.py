"""The test SMS/call service with plain fakes: classification against --expect, exit codes,
polling with backoff on an injected clock, the allowlist, and never sending twice."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

import pytest

from telcli.errors import (
    AuthError,
    ProviderRejected,
    ProviderUnavailable,
    UsageProblem,
)
from telcli.models import CallResult, Capability, MessageResult, OwnedNumber, ProviderName
from telcli.services import testing as svc
from telcli.storage.state import StateDB

FROM = "+14155550100"
TO = "+14155550123"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> svc.Clock:
        return svc.Clock(self.monotonic, self.sleep)


@dataclass
class Messenger:
    """A carrier that sends and reports scripted statuses; ``lose_response`` commits a send
    and then raises, like a response lost on the way back."""

    name: ProviderName = ProviderName.twilio
    statuses: list[str] = field(default_factory=lambda: ["sending", "sent", "delivered"])
    error_code: str | None = None
    send_error: Exception | None = None
    lose_response: Exception | None = None
    find_error: Exception | None = None
    can_list: bool = True
    sent: list[MessageResult] = field(default_factory=list)
    placed: list[CallResult] = field(default_factory=list)
    fetches: int = 0
    duration: int = 5
    owned: list[OwnedNumber] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.can_list:
            self.find_messages = None  # type: ignore[assignment]

    def list_owned(self, tenant: str | None = None) -> list[OwnedNumber]:
        return self.owned

    def find_owned(self, number: str) -> OwnedNumber | None:
        return next((n for n in self.owned if n.phone_number == number), None)

    def send_sms(self, to, from_, body, *, media_urls=(), status_callback=None) -> MessageResult:
        if self.send_error:
            raise self.send_error
        message = MessageResult(self.name, f"SM{len(self.sent)}", to, from_, "queued", body=body)
        self.sent.append(message)
        if self.lose_response:
            raise self.lose_response
        return message

    def fetch_message(self, message_id: str) -> MessageResult:
        self.fetches += 1
        status = self.statuses[min(self.fetches, len(self.statuses)) - 1]
        code = self.error_code if status in ("undelivered", "failed") else None
        return replace(self.sent[-1], status=status, carrier_status=status, error_code=code)

    def find_messages(self, to, from_, since) -> list[MessageResult]:
        if self.find_error:
            raise self.find_error
        return [m for m in self.sent if m.to == to and m.from_ == from_]

    def place_call(self, to, from_, **kw) -> CallResult:
        if self.send_error:
            raise self.send_error
        call = CallResult(self.name, f"CA{len(self.placed)}", to, from_, "queued")
        self.placed.append(call)
        self.kw = kw
        if self.lose_response:
            raise self.lose_response
        return call

    def fetch_call(self, call_id: str) -> CallResult:
        self.fetches += 1
        status = self.statuses[min(self.fetches, len(self.statuses)) - 1]
        duration = (
            self.duration if status == "completed" else (0 if status in svc.CALL_FINAL else None)
        )
        return replace(self.placed[-1], status=status, duration=duration)

    def find_calls(self, to, from_, since) -> list[CallResult]:
        return [c for c in self.placed if c.to == to]


@pytest.fixture
def state(tmp_path) -> StateDB:
    return StateDB(tmp_path / "state.db")


def sms(carrier, state, clock=None, to=TO, **test) -> svc.TestOutcome:
    test.setdefault("body", "telcli test")
    return svc.run_sms(
        [svc.Sender(carrier, FROM)],
        to,
        svc.SmsTest(**test),
        state=state,
        profile="default",
        clock=(clock or FakeClock()).clock(),
    )


@pytest.mark.parametrize(
    ("statuses", "expect", "outcome", "code"),
    [
        (["sending", "sent", "delivered"], "delivered", "passed", 0),
        (["sending", "sent", "undelivered"], "delivered", "failed", 5),
        (["failed"], "delivered", "failed", 5),
        (["sending", "sent", "undelivered"], "undelivered", "passed", 0),
        (["sending", "failed"], "failed", "passed", 0),
        (["sending", "sent"], "sent", "passed", 0),
        (["sending", "sent", "delivered"], "failed", "failed", 5),
        (["queued"], "delivered", "unknown", 7),
        (["sending", "sent"], "delivered", "unknown", 7),
    ],
)
def test_sms_outcomes_and_exit_codes(state, statuses, expect, outcome, code):
    carrier = Messenger(statuses=statuses, error_code="30003")
    result = sms(carrier, state, expect=expect, timeout=30)
    assert (result.outcome, result.exit_code) == (outcome, code)
    assert len(carrier.sent) == 1
    assert result.to_json()["passed"] is (outcome == "passed")


def test_polling_backs_off_and_stops_at_the_timeout(state):
    carrier = Messenger(statuses=["queued"])
    clock = FakeClock()
    result = sms(carrier, state, clock, timeout=20)
    assert result.outcome == "unknown" and result.note == "still queued after 20s"
    assert clock.sleeps[:5] == [0.5, 1.0, 2.0, 4.0, 5.0]
    assert sum(clock.sleeps) == pytest.approx(20)


def test_undelivered_carries_the_error_code_and_its_meaning(state):
    carrier = Messenger(statuses=["sent", "undelivered"], error_code="30003")
    data = sms(carrier, state).to_json()
    assert data["status"] == "undelivered" and data["error_code"] == "30003"
    assert data["error_meaning"] == "unreachable destination handset (off, out of coverage)"
    assert (data["encoding"], data["segments"]) == ("GSM-7", 1)


def test_no_wait_returns_after_the_send(state):
    carrier = Messenger()
    result = sms(carrier, state, wait=False)
    assert (result.outcome, result.exit_code, result.status) == ("sent", 0, "queued")
    assert carrier.fetches == 0


def test_rejected_send_is_exit_5_and_ledgered_failed(state):
    carrier = Messenger(
        send_error=ProviderRejected("bad To", provider="twilio", status=400, code="21211")
    )
    result = sms(carrier, state)
    assert (result.outcome, result.exit_code, result.status) == ("failed", 5, "not-sent")
    assert result.to_json()["error_meaning"] == "the destination is not a valid phone number"
    [entry] = state.ledger_entries(op="sms")
    assert (entry.status, entry.target, entry.detail["from"]) == ("failed", TO, FROM)


def test_a_lost_response_is_reconciled_by_listing_and_never_resent(state):
    lost = ProviderUnavailable("read timeout", provider="twilio", sent=True)
    carrier = Messenger(lose_response=lost)
    result = sms(carrier, state)
    assert len(carrier.sent) == 1
    assert (result.outcome, result.result.id) == ("passed", "SM0")
    assert [a.outcome for a in result.attempts] == ["unknown", "reconciled"]
    [entry] = state.ledger_entries(op="sms")
    assert (entry.status, entry.result_id) == ("succeeded", "SM0")


def test_a_lost_response_without_a_way_to_list_is_unknown_and_not_resent(state):
    lost = ProviderUnavailable("connection reset", provider="telnyx", sent=True)
    telnyx = Messenger(name=ProviderName.telnyx, lose_response=lost, can_list=False)
    twilio = Messenger()
    result = svc.run_sms(
        [svc.Sender(telnyx, FROM), svc.Sender(twilio, "+14155550199")],
        TO,
        svc.SmsTest(body="hi"),
        state=state,
        profile="default",
        clock=FakeClock().clock(),
    )
    assert (result.outcome, result.exit_code) == ("unknown", 7)
    assert len(telnyx.sent) == 1 and twilio.sent == []  # never failed over, never resent
    assert state.ledger_entries(op="sms")[0].status == "unknown"


def test_a_listing_failure_after_a_lost_response_is_unknown(state):
    carrier = Messenger(
        lose_response=ProviderUnavailable("timeout", provider="twilio", sent=True),
        find_error=ProviderUnavailable("503", provider="twilio"),
    )
    result = sms(carrier, state)
    assert result.exit_code == 7 and len(carrier.sent) == 1


def test_a_send_that_provably_did_not_happen_fails_over(state):
    down = Messenger(send_error=ProviderUnavailable("refused", provider="twilio", sent=False))
    up = Messenger(name=ProviderName.telnyx)
    notes: list[str] = []
    result = svc.run_sms(
        [svc.Sender(down, FROM), svc.Sender(up, "+19705555098")],
        TO,
        svc.SmsTest(body="hi"),
        state=state,
        profile="default",
        clock=FakeClock().clock(),
        notify=notes.append,
    )
    assert result.outcome == "passed" and result.provider == "telnyx"
    assert result.to_json()["from"] == "+19705555098"
    assert any("trying telnyx" in n for n in notes)


def test_auth_failure_is_exit_4(state):
    result = sms(Messenger(send_error=AuthError("rejected")), state)
    assert (result.outcome, result.exit_code) == ("error", 4)


@pytest.mark.parametrize(
    ("statuses", "expect", "min_duration", "outcome", "code"),
    [
        (["ringing", "in-progress", "completed"], "completed", 0, "passed", 0),
        (["ringing", "in-progress", "completed"], "completed", 10, "failed", 5),
        (["ringing", "busy"], "completed", 0, "failed", 5),
        (["ringing", "busy"], "busy", 0, "passed", 0),
        (["ringing", "no-answer"], "no-answer", 0, "passed", 0),
        (["failed"], "failed", 0, "passed", 0),
        (["ringing", "canceled"], "completed", 0, "failed", 5),
        (["ringing"], "completed", 0, "unknown", 7),
    ],
)
def test_call_outcomes(state, statuses, expect, min_duration, outcome, code):
    carrier = Messenger(statuses=statuses)
    result = svc.run_call(
        [svc.Sender(carrier, FROM)],
        TO,
        svc.CallTest(expect=expect, min_duration=min_duration, timeout=60),
        state=state,
        profile="default",
        clock=FakeClock().clock(),
    )
    assert (result.outcome, result.exit_code) == (outcome, code)
    assert len(carrier.placed) == 1
    data = result.to_json()
    assert data["kind"] == "call" and data["min_duration"] == min_duration
    if min_duration == 10:
        assert result.note == "answered but lasted 5s, less than --min-duration 10s"


def test_twilio_call_gets_default_twiml(state):
    carrier = Messenger(statuses=["completed"])
    svc.run_call([svc.Sender(carrier, FROM)], TO, svc.CallTest(), state=state, profile="p")
    assert carrier.kw["twiml"] == svc.DEFAULT_CALL_TWIML and carrier.kw["url"] is None


def test_telnyx_call_needs_a_connection(state):
    carrier = Messenger(name=ProviderName.telnyx)
    result = svc.run_call([svc.Sender(carrier, FROM)], TO, svc.CallTest(), state=state, profile="p")
    assert result.exit_code == 2 and "Call Control connection" in result.error
    assert carrier.placed == []
    ok = svc.run_call(
        [svc.Sender(carrier, FROM, connection_id="1494404757140276705")],
        TO,
        svc.CallTest(wait=False),
        state=state,
        profile="p",
    )
    assert ok.outcome == "sent" and carrier.kw["connection_id"] == "1494404757140276705"


def test_a_lost_call_response_is_reconciled_not_redialed(state):
    carrier = Messenger(
        statuses=["completed"], lose_response=ProviderUnavailable("reset", provider="twilio")
    )
    result = svc.run_call(
        [svc.Sender(carrier, FROM)],
        TO,
        svc.CallTest(),
        state=state,
        profile="p",
        clock=FakeClock().clock(),
    )
    assert len(carrier.placed) == 1 and result.outcome == "passed"


@pytest.mark.parametrize(
    ("number", "patterns", "ok"),
    [
        ("+14155550123", ["+1415"], True),
        ("+14155550123", ["+1212"], False),
        ("+447700900123", ["+4477009*"], True),
        ("+447700900123", ["+4477009??"], False),
        ("+447700900123", ["+4477009?????"], True),
        ("+14155550123", [], False),
    ],
)
def test_allowlist_prefixes_and_patterns(number, patterns, ok):
    assert svc.allowed(number, patterns) is ok


def test_check_allowlist_names_what_is_outside():
    with pytest.raises(UsageProblem) as info:
        svc.check_allowlist(["+14155550123", "+12125550100", "+13105550100"], ["+1415"])
    assert info.value.message == "+12125550100, +13105550100 are not in test.allowed_destinations"
    assert "--force" in info.value.hint


def test_exit_code_takes_the_most_serious():
    def o(code: int) -> svc.TestOutcome:
        return svc.TestOutcome("sms", TO, "delivered", "x", code)

    assert svc.exit_code([o(0), o(0)]) == 0
    assert svc.exit_code([o(0), o(7), o(5)]) == 5
    assert svc.exit_code([o(7), o(6)]) == 6
    assert svc.exit_code([o(7), o(4)]) == 4


def _number(provider, phone_number, *caps, country=None):
    return OwnedNumber(
        provider, phone_number, "id" + phone_number, country=country, capabilities=caps
    )


def test_pick_senders_uses_owned_capable_numbers_per_carrier():
    tw = Messenger(
        owned=[
            _number(ProviderName.twilio, "+14155550199", Capability.voice),
            _number(ProviderName.twilio, "+14155550100", Capability.sms),
        ]
    )
    tx = Messenger(
        name=ProviderName.telnyx,
        owned=[_number(ProviderName.telnyx, "+19705555098", Capability.voice, Capability.sms)],
    )
    senders = svc.pick_senders([tw, tx], None, capability="sms", explicit_provider=False)
    assert [(s.name, s.from_) for s in senders] == [
        ("twilio", "+14155550100"),
        ("telnyx", "+19705555098"),
    ]
    pinned = svc.pick_senders([tw, tx], "+19705555098", capability="sms", explicit_provider=False)
    assert [(s.name, s.from_) for s in pinned] == [("telnyx", "+19705555098")]
    with pytest.raises(UsageProblem):
        svc.pick_senders([tw, tx], "+18005550100", capability="sms", explicit_provider=False)
    with pytest.raises(UsageProblem):
        svc.pick_senders([Messenger()], None, capability="sms", explicit_provider=False)


def test_a_voice_only_number_never_sends_an_sms_even_on_failover():
    # Issue 13: with Twilio's breaker open, a test SMS went out from a voice-only ZA landline
    # (Telnyx numbers listed no capabilities, and "none known" counted as capable).
    tw = Messenger(owned=[_number(ProviderName.twilio, "+14155550100", Capability.sms)])
    tx = Messenger(
        name=ProviderName.telnyx,
        owned=[
            _number(ProviderName.telnyx, "+27217844565", Capability.voice, country="ZA"),
            _number(ProviderName.telnyx, "+27210000000", country="ZA"),  # nothing known
        ],
    )
    notes: list[str] = []
    senders = svc.pick_senders(
        [tw, tx], None, capability="sms", explicit_provider=False, notify=notes.append
    )
    assert [(s.name, s.from_) for s in senders] == [("twilio", "+14155550100")]
    assert notes == ["telnyx: no sms-capable number to send from; skipped"]

    with pytest.raises(UsageProblem) as info:
        svc.pick_senders([tx], None, capability="sms", explicit_provider=False)
    assert info.value.message == (
        "this profile owns no sms-capable number to send from (none of its 2 numbers has sms)"
    )
    for explicit in (False, True):
        with pytest.raises(UsageProblem) as info:
            svc.pick_senders([tx], "+27217844565", capability="sms", explicit_provider=explicit)
        assert info.value.message == "+27217844565 (telnyx) cannot send SMS: it has only voice"


def test_the_sender_matches_the_destination_country_where_one_does():
    carrier = Messenger(
        owned=[
            _number(ProviderName.twilio, "+14155550100", Capability.voice, Capability.sms),
            _number(ProviderName.twilio, "+447400100100", Capability.voice, Capability.sms),
            _number(ProviderName.twilio, "+447400100001", Capability.voice),
        ]
    )

    def pick(*to: str) -> str:
        (sender,) = svc.pick_senders(
            [carrier], None, capability="sms", explicit_provider=False, to=to
        )
        return sender.from_

    assert pick("+447400123456") == "+447400100100"  # GB to GB, not the first in order
    assert pick("+12125550123") == "+14155550100"
    assert pick("+27217844565") == "+14155550100"  # no ZA number: any capable one
    assert pick("+447400123456", "+447400123457", "+12125550123") == "+447400100100"


def test_run_all_keeps_destination_order():
    out = svc.run_all(
        ["+1", "+2", "+3"], lambda d: svc.TestOutcome("sms", d, "delivered", "passed", 0)
    )
    assert [o.to for o in out] == ["+1", "+2", "+3"]


def test_estimate():
    info = svc.analyze("a" * 161)
    assert svc.estimate(info, Decimal("0.0079"), 3) == Decimal("0.0474")
    assert svc.estimate(info, None, 3) is None


def test_config_reads_allowed_destinations_per_profile(tmp_path):
    from telcli.storage.config import load_settings

    path = tmp_path / "config.yaml"
    path.write_text(
        'test:\n  allowed_destinations: ["+1415555", "+4477009*"]\n'
        "profiles:\n  qa:\n    test: {allowed_destinations: ['+1212']}\n"
    )
    assert load_settings(path, None).allowed_destinations == ("+1415555", "+4477009*")
    assert load_settings(path, "qa").allowed_destinations == ("+1212",)


@pytest.mark.parametrize(
    "text",
    [
        "test: [+1415]\n",
        "test:\n  allowed: ['+1415']\n",
        "test:\n  allowed_destinations: '+1415'\n",
        "test:\n  allowed_destinations: [1415]\n",
    ],
)
def test_config_rejects_bad_allowlists_with_file_and_line(tmp_path, text):
    from telcli.errors import ConfigError
    from telcli.storage.config import load_settings

    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(path, None)
    assert str(path) + ":" in info.value.message and "test" in info.value.message


def test_losing_track_after_the_send_keeps_the_result_and_the_error_code(state):
    class Revoked(Messenger):
        def fetch_message(self, message_id):
            raise AuthError("twilio rejected the credentials")

    carrier = Revoked()
    result = sms(carrier, state)
    assert (result.outcome, result.exit_code, result.status) == ("error", 4, "queued")
    assert (
        result.error
        == "sent, but its status could not be followed: twilio rejected the credentials"
    )
    assert len(carrier.sent) == 1


def test_quote_sms_prices_every_segment_for_every_recipient():
    from decimal import Decimal

    from telcli.services.testing import Sender, quote_sms

    class Priced:
        name = "twilio"

        def sms_price(self, to: str) -> tuple[Decimal, str]:
            assert to == "+14155550100"
            return Decimal("0.0079"), "USD"

    class Unpriced:
        name = "telnyx"

    quote = quote_sms(Sender(Priced(), "+14155550199"), ["+14155550100", "+14155550101"], "ж" * 71)
    assert (quote.segments.encoding, quote.segments.segments) == ("UCS-2", 2)
    assert (quote.price, quote.currency, quote.cost) == (
        Decimal("0.0079"),
        "USD",
        Decimal("0.0316"),
    )
    unknown = quote_sms(Sender(Unpriced(), "+14155550199"), ["+14155550100"], "hi")
    assert (unknown.segments.segments, unknown.cost) == (1, None)


# -- a late answer is still a send (issue 10) -------------------------------------------------


class LateMessenger(Messenger):
    """A send whose answer is lost while the carrier is still processing it: the message
    shows up in its log only after ``lands_after`` lookups (never, with None)."""

    def __init__(self, lands_after: int | None, **kw) -> None:
        super().__init__(**kw)
        self.lands_after = lands_after
        self.lookups = 0
        self.pending: list[MessageResult] = []

    def send_sms(self, to, from_, body, *, media_urls=(), status_callback=None) -> MessageResult:
        self.pending.append(MessageResult(self.name, "SMlate", to, from_, "queued", body=body))
        raise ProviderUnavailable("twilio did not answer in time", provider="twilio", sent=True)

    def find_messages(self, to, from_, since) -> list[MessageResult]:
        self.lookups += 1
        if self.lands_after is not None and self.lookups > self.lands_after and self.pending:
            self.sent.extend(self.pending)
            self.pending.clear()
        return super().find_messages(to, from_, since)


def settle_on(clock: FakeClock, deadline: float | None = None):
    from telcli.services.settling import Settle
    from telcli.transport import Deadline

    return Settle(
        deadline=None if deadline is None else Deadline(deadline, clock=clock.monotonic),
        monotonic=clock.monotonic,
        sleep=clock.sleep,
    )


def two_carriers_sms(first, state, clock, deadline=None, notes=None):
    second = Messenger(name=ProviderName.telnyx)
    outcome = svc.run_sms(
        [svc.Sender(first, FROM), svc.Sender(second, "+14155550199")],
        TO,
        svc.SmsTest(body="telcli test", wait=False),
        state=state,
        profile="default",
        clock=clock.clock(),
        settle=settle_on(clock, deadline),
        notify=(notes.append if notes is not None else lambda _: None),
    )
    return outcome, second


def test_a_late_sms_is_found_and_never_sent_through_the_second_carrier(state):
    clock = FakeClock()
    twilio = LateMessenger(lands_after=4)  # shows up ~2 s after the answer was lost
    outcome, telnyx = two_carriers_sms(twilio, state, clock)
    assert outcome.exit_code == 0 and outcome.result.id == "SMlate"
    assert [a.outcome for a in outcome.attempts] == ["unknown", "reconciled"]
    assert telnyx.sent == [], "one message to one person"
    [entry] = state.ledger_entries(op="sms")
    assert (entry.status, entry.result_id) == ("succeeded", "SMlate")


def test_an_sms_absent_past_the_window_is_not_sent_and_never_moves_on(state):
    clock = FakeClock()
    notes: list[str] = []
    outcome, telnyx = two_carriers_sms(LateMessenger(lands_after=None), state, clock, notes=notes)
    assert outcome.exit_code == 6 and outcome.status == "not-sent"
    assert clock.now - 1000.0 >= 30, "absence is proof only past the settle window"
    assert telnyx.sent == []
    assert any("not trying telnyx: the request reached twilio" in n for n in notes)
    assert [e.status for e in state.ledger_entries(op="sms")] == ["failed"]


def test_an_sms_the_deadline_cannot_wait_for_is_unknown_not_not_sent(state):
    clock = FakeClock()
    outcome, telnyx = two_carriers_sms(LateMessenger(lands_after=None), state, clock, deadline=5)
    assert outcome.exit_code == 7 and outcome.outcome == "unknown"
    assert outcome.status == "unknown" and outcome.to_json()["status"] == "unknown"
    assert clock.now - 1000.0 <= 5
    assert telnyx.sent == []
    assert [e.status for e in state.ledger_entries(op="sms")] == ["unknown"]


def test_a_refused_sms_never_takes_an_earlier_identical_message_as_its_own(state):
    clock = FakeClock()
    twilio = Messenger()
    first = sms(twilio, state, clock, wait=False)
    assert first.exit_code == 0 and first.result.id == "SM0"
    twilio.send_error = ProviderUnavailable("twilio 503", provider="twilio", status=503, sent=True)
    outcome, telnyx = two_carriers_sms(twilio, state, clock)
    # SM0 (same to/from/body, seconds earlier) belongs to the first send's ledger entry
    assert outcome.exit_code == 6 and outcome.result is None and outcome.status == "not-sent"
    assert telnyx.sent == []
    assert [e.status for e in reversed(state.ledger_entries(op="sms"))] == ["succeeded", "failed"]


def test_a_late_call_is_found_and_never_placed_twice(state):
    class LateCaller(Messenger):
        lookups = 0

        def place_call(self, to, from_, **kw):
            self.later = CallResult(self.name, "CAlate", to, from_, "queued")
            raise ProviderUnavailable("twilio did not answer in time", provider="twilio", sent=True)

        def find_calls(self, to, from_, since):
            self.lookups += 1
            return [self.later] if self.lookups > 3 else []

    clock = FakeClock()
    twilio, other = LateCaller(), Messenger(name=ProviderName.telnyx)
    outcome = svc.run_call(
        [svc.Sender(twilio, FROM), svc.Sender(other, "+14155550199", "conn")],
        TO,
        svc.CallTest(wait=False),
        state=state,
        profile="default",
        clock=clock.clock(),
        settle=settle_on(clock),
    )
    assert outcome.exit_code == 0 and outcome.result.id == "CAlate"
    assert other.placed == []
    assert [a.outcome for a in outcome.attempts] == ["unknown", "reconciled"]


# -- Ctrl-C (issue 16, item 3) ----------------------------------------------------------------


@dataclass
class Hanger(Messenger):
    """A carrier that can hang up: the call then ends canceled."""

    hung: list[str] = field(default_factory=list)

    def hangup_call(self, call_id: str) -> None:
        self.hung.append(call_id)
        self.statuses, self.fetches = ["canceled"], 0


class CtrlCClock(FakeClock):
    """Ctrl-C arrives during the first wait between two status checks."""

    def __init__(self, cancel) -> None:
        super().__init__()
        self.cancel = cancel

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        self.cancel.set()


def _call(carrier, state, cancel, clock=None, to=TO) -> svc.TestOutcome:
    notes: list[str] = []
    outcome = svc.run_call(
        [svc.Sender(carrier, FROM)],
        to,
        svc.CallTest(),
        state=state,
        profile="default",
        clock=(clock or FakeClock()).clock(),
        notify=notes.append,
        cancel=cancel,
    )
    return replace(outcome, error="; ".join(notes) or None)


def test_ctrl_c_hangs_up_a_ringing_call_and_places_no_more(state):
    from telcli.interrupt import Cancel

    cancel = Cancel()
    carrier = Hanger(statuses=["ringing"])
    first = _call(carrier, state, cancel, CtrlCClock(cancel))
    assert carrier.hung == ["CA0"]
    assert (first.status, first.outcome, first.exit_code) == ("canceled", "interrupted", 130)
    assert first.to_json()["outcome_class"] == "canceled"
    # Ctrl-C came: the next destination is not dialed at all.
    second = _call(carrier, state, cancel, to="+14155550124")
    assert len(carrier.placed) == 1
    assert (second.status, second.outcome, second.note) == (
        "not-sent",
        "interrupted",
        "not started: interrupted",
    )
    assert svc.exit_code([first, second]) == 130
    # The placed call's ledger row records what happened: placed, not left pending.
    [entry] = state.ledger_entries(target=TO)
    assert (entry.status, entry.result_id) == ("succeeded", "CA0")


def test_ctrl_c_on_a_carrier_that_cannot_hang_up_says_so(state):
    from telcli.interrupt import Cancel

    cancel = Cancel()
    carrier = Messenger(name=ProviderName.vapi, statuses=["ringing"])
    outcome = _call(carrier, state, cancel, CtrlCClock(cancel))
    assert (outcome.status, outcome.outcome, outcome.exit_code) == ("ringing", "interrupted", 130)
    assert "vapi cannot hang up call CA0: it offers no way to end a call; it ends on its own" in (
        outcome.error or ""
    )
    assert outcome.note == "interrupted: vapi cannot hang up; the call ends on its own"


def test_ctrl_c_where_live_call_control_is_off_leaves_the_call_and_says_why(state):
    from telcli.interrupt import Cancel
    from telcli.providers.base import HangupUnavailable

    class ControlOff(Hanger):
        def hangup_call(self, call_id: str) -> None:
            self.hung.append(call_id)
            raise HangupUnavailable("live call control is off for its assistant", provider="vapi")

    cancel = Cancel()
    carrier = ControlOff(name=ProviderName.vapi, statuses=["ringing"])
    outcome = _call(carrier, state, cancel, CtrlCClock(cancel))
    assert carrier.hung == ["CA0"]
    assert (outcome.status, outcome.outcome, outcome.exit_code) == ("ringing", "interrupted", 130)
    assert outcome.error == (
        f"{TO}: vapi cannot hang up call CA0: live call control is off for its assistant;"
        " it ends on its own"
    )
    assert outcome.note == "interrupted: vapi cannot hang up; the call ends on its own"


def test_a_hang_up_is_followed_until_the_call_has_ended(state):
    """VAPI ends a call a moment after its control message: the result is how it ended."""
    from telcli.interrupt import Cancel

    class Slow(Hanger):
        def hangup_call(self, call_id: str) -> None:
            self.hung.append(call_id)
            self.statuses, self.fetches = ["in-progress", "in-progress", "canceled"], 0

    cancel = Cancel()
    carrier = Slow(statuses=["in-progress"])
    outcome = _call(carrier, state, cancel, CtrlCClock(cancel))
    assert (outcome.status, outcome.outcome, outcome.note) == (
        "canceled",
        "interrupted",
        "interrupted: hung up",
    )
    assert carrier.fetches == 3  # polled until it had ended

    class Stuck(Hanger):
        def hangup_call(self, call_id: str) -> None:
            self.statuses, self.fetches = ["in-progress"], 0

    later = Cancel()
    clock = CtrlCClock(later)
    up = _call(Stuck(statuses=["in-progress"]), state, later, clock)
    # A call still up when the settle runs out says so, with its status, and no more waiting.
    assert (up.status, up.note) == (
        "in-progress",
        "interrupted: hung up, still in-progress 5s later",
    )
    assert sum(clock.sleeps) <= 1 + svc.HANGUP_SETTLE_SECONDS


def test_ctrl_c_stops_following_an_sms_and_sends_no_more(state):
    from telcli.interrupt import Cancel

    cancel = Cancel()
    carrier = Messenger(statuses=["sending", "sent"])
    run = lambda to, clock: svc.run_sms(  # noqa: E731
        [svc.Sender(carrier, FROM)],
        to,
        svc.SmsTest(body="hi"),
        state=state,
        profile="default",
        clock=clock.clock(),
        cancel=cancel,
    )
    first = run(TO, CtrlCClock(cancel))
    second = run("+14155550124", FakeClock())
    assert len(carrier.sent) == 1
    assert (first.outcome, first.exit_code, first.note) == (
        "interrupted",
        130,
        "interrupted while queued",
    )
    assert second.outcome == "interrupted" and second.status == "not-sent"


def test_ctrl_c_on_a_call_that_ended_meanwhile_reports_how_it_ended(state):
    from telcli.interrupt import Cancel

    class EndedFirst(Hanger):
        def hangup_call(self, call_id: str) -> None:
            self.statuses, self.fetches = ["busy"], 0
            raise ProviderRejected(
                "Call is not in-progress. Cannot redirect.", provider="twilio", status=400
            )

    cancel = Cancel()
    outcome = _call(EndedFirst(statuses=["ringing"]), state, cancel, CtrlCClock(cancel))
    assert (outcome.status, outcome.outcome) == ("busy", "interrupted")
    assert outcome.note == "interrupted: the call ended busy before the hang-up"
    assert "hang-up of call CA0 failed" in (outcome.error or "")
