"""Property tests over random fault schedules (hypothesis): whatever the sandbox does to the
searches, purchases, sends and lookups of both providers, including answers that arrive after
the request timeout (a slow provider still acting on the request: tests/late.py), ``numbers
buy`` never sends a purchase that may already have taken effect or may still take effect, a
test SMS or call is never sent twice nor through two carriers, runs end in success, exit 6 or exit 7
(whose hint then settles it), and the ledger agrees with the sandbox afterwards."""

from __future__ import annotations

import json
import os
import random
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from telcli.context import AppContext
from telcli.sandbox.faults import FaultInjector, FaultStore, parse_rules
from telcli.sandbox.transport import SandboxTransport
from telcli.storage.credentials import MemoryStore
from tests.late import LateTransport
from tests.test_transport_retry import FakeClock

KINDS = ["status=503", "status=500", "status=502", "status=429", "timeout", "drop-response"]


@st.composite
def rule(draw: Any, target: str) -> str:
    if draw(st.booleans()):
        return ""
    kind = draw(st.sampled_from(KINDS))
    rate = draw(st.sampled_from([0.25, 0.5, 0.75, 1.0]))
    return f"{target}:{kind},rate={rate},seed={draw(st.integers(0, 10_000))}"


def schedule() -> Any:
    targets = [f"{p}.{op}" for p in ("twilio", "telnyx") for op in ("search", "purchase", "list")]
    return st.tuples(*(rule(t) for t in targets)).map(lambda rules: ";".join(filter(None, rules)))


class Counting(FaultInjector):
    """The schedule's faults, plus a count of purchases that reached the operation itself."""

    def __init__(self, db_path: Path, spec: str) -> None:
        super().__init__(FaultStore(db_path), parse_rules(spec), sleep=lambda s: None)
        self.purchases = 0

    def after(self, operation: str, request: Any, response: Any) -> Any:
        if operation.endswith(".purchase"):
            self.purchases += 1
        return super().after(operation, request, response)


Delay = Callable[[str, str, int], float | None] | None
REQUEST_TIMEOUT = 20.0  # the default `timeout`; the settle window is the default 30 s


def no_delay(kind: str, provider: str, k: int) -> float | None:
    return None


@st.composite
def late_writes(draw: Any, kinds: tuple[str, ...]) -> Any:
    """Latency around the request timeout for some of the writes of ``kinds``: answered
    just before it (0.5x, 0.9x) or after it (1.1x, 1.5x, 2x), which a provider still
    processes within the settle window. None: every write answers at once."""
    if draw(st.booleans()):
        return None
    times = draw(st.sampled_from([0.5, 0.9, 1.1, 1.5, 2.0]))
    rate = draw(st.sampled_from([0.5, 1.0]))
    seed = draw(st.integers(0, 10_000))

    def delay(kind: str, provider: str, k: int) -> float | None:
        hit = random.Random(f"{seed}:{provider}:{k}").random() < rate
        return times * REQUEST_TIMEOUT if kind in kinds and hit else None

    delay.__name__ = f"late_{'_'.join(kinds)}_{times}x_rate{rate}_seed{seed}"
    return delay


class World:
    """One TELCLI_HOME (state DB) and one sandbox file, shared by every command of an example,
    as a shell loop of telcli processes would share them."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.purchases = 0
        # one clock for the whole example: a write held back by one command lands during a
        # later one, as a slow provider's would (tests/late.py)
        self.clock = FakeClock()
        self.landings: Counting | None = None
        self.late = LateTransport(None, self.clock, no_delay)

    def landed(self) -> int:
        return 0 if self.landings is None else self.landings.purchases

    def run(self, *args: str, faults: str = "", late: Delay = None) -> Any:
        env = {
            **os.environ,
            "TELCLI_HOME": str(self.home),
            "TELCLI_SANDBOX": "1",
            "NO_COLOR": "1",
        }
        for name in ("TELCLI_PROFILE", "TELCLI_SANDBOX_DB", "TELCLI_SANDBOX_FAULTS"):
            env.pop(name, None)
        clock = self.clock  # retries and settle windows pass on it: no real waiting
        ctx = AppContext(
            env=env,
            credential_store=MemoryStore(),
            sleep=clock.sleep,
            monotonic=clock.monotonic,
            clock=clock.monotonic,  # pacing waits on the same fake time
        )
        counting = Counting(ctx.sandbox_db_path, faults)
        if self.landings is None:
            self.landings = Counting(ctx.sandbox_db_path, "")
            self.late.land_via = SandboxTransport(ctx.sandbox_db_path, faults=self.landings)
        self.late.inner = SandboxTransport(ctx.sandbox_db_path, faults=counting)
        self.late.delay = late or no_delay
        ctx.sandbox_transport = self.late
        from telcli.cli.app import app

        result = CliRunner().invoke(app, list(args), obj=ctx, catch_exceptions=False)
        self.purchases += counting.purchases
        ctx.state.close()
        return result

    def owned(self) -> set[str]:
        result = self.run("numbers", "list", "--json")
        assert result.exit_code == 0, result.stderr
        return {n["phone_number"] for n in json.loads(result.stdout)}

    def later(self) -> None:
        """As if every request recorded so far had passed the time it could still land."""
        from telcli.storage.state import StateDB

        db = StateDB(self.home / "state.db")
        try:
            with db.write() as conn:
                conn.execute(
                    "UPDATE ledger SET detail ="
                    " json_set(detail, '$.lands_by', '2000-01-01T00:00:00Z')"
                )
        finally:
            db.close()

    def ledger(self, number: str) -> list[Any]:
        from telcli.storage.state import StateDB

        db = StateDB(self.home / "state.db")
        try:
            return list(reversed(db.ledger_entries(op="buy", target=number)))
        finally:
            db.close()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    faults=schedule(),
    provider=st.sampled_from(["twilio", "telnyx"]),
    reruns=st.integers(0, 2),
    late=late_writes(("purchase",)),
)
def test_buy_under_any_fault_schedule(faults: str, provider: str, reruns: int, late: Delay) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        world = World(Path(tmp))
        found = world.run("numbers", "search", "--provider", provider, "--limit", "1", "--json")
        number = json.loads(found.stdout)[0]["phone_number"]

        # the first run, then a few re-runs of the same command under the same faults (a
        # script retrying): each may find it bought already, but never buys it twice
        outcomes = []
        for _ in range(1 + reruns):
            before = world.purchases + world.landed()
            result = world.run(
                "numbers", "buy", number, "--yes", "--json", faults=faults, late=late
            )
            outcomes.append(result.exit_code)
            event(f"buy exit {result.exit_code}" + (" (late answers)" if late else ""))
            assert result.exit_code in (0, 5, 6, 7), result.stderr
            done = world.purchases + world.landed() - before
            assert done <= 1, "one command has at most one purchase processed"
            assert "nothing was spent" not in result.stderr or done == 0
            if result.exit_code == 5:
                # only ever "already yours": the earlier run's purchase went through
                assert f"{number} is already yours at {provider}" in result.stderr
            if result.exit_code == 7:
                # Hints carry the global options in effect: `telcli --sandbox numbers reconcile`.
                assert "numbers reconcile` to settle it" in result.stderr
            if result.exit_code == 0:
                data = json.loads(result.stdout)
                assert data["phone_number"] == number and data["provider"] == provider
                assert data["attempts"][-1]["outcome"] in ("ok", "reconciled")
        world.late.settle_all()  # time passes: whatever was sent has landed by now
        assert world.purchases + world.landed() <= 1 or world.ledger(number)[0].status == (
            "failed"
        ), "a second purchase is only ever sent after the first provably did not happen"

        # faults gone and the requests past landing: reconcile settles whatever is still
        # unknown (open circuits or not), and then the ledger and the sandbox agree
        world.later()
        settled = world.run("numbers", "reconcile", "--json")
        assert settled.exit_code == 0, settled.stderr
        # the faulty runs may have opened breakers: close them for the clean checks below
        assert world.run("providers", "reset").exit_code == 0
        owned = number in world.owned()
        entries = world.ledger(number)
        assert all(e.status in ("succeeded", "failed") for e in entries), entries
        succeeded = [e for e in entries if e.status == "succeeded"]
        assert len(succeeded) == (1 if owned else 0), (entries, owned)
        if 0 in outcomes:
            assert owned
        # a clean run now buys it only if it was not bought: never a second one
        before = world.purchases + world.landed()
        final = world.run("numbers", "buy", number, "--yes")
        assert final.exit_code == (5 if owned else 0), final.stderr
        assert world.purchases + world.landed() - before == (0 if owned else 1)


SMS_TARGETS = [
    "twilio.messages.create",
    "twilio.messages.list",
    "telnyx.messages.send",
]
SMS_KINDS = ["status=503", "status=500", "status=429", "timeout", "drop-response"]


@st.composite
def sms_rule(draw: Any, target: str) -> str:
    if draw(st.booleans()):
        return ""
    kind = draw(st.sampled_from(SMS_KINDS))
    rate = draw(st.sampled_from([0.5, 1.0]))
    return f"{target}:{kind},rate={rate},seed={draw(st.integers(0, 10_000))}"


class Sends(FaultInjector):
    """The schedule's faults, plus a count of messages or calls the sandbox actually created."""

    CREATES = (
        "twilio.messages.create",
        "telnyx.messages.send",
        "twilio.calls.create",
        "telnyx.calls.dial",
    )

    def __init__(self, db_path: Path, spec: str) -> None:
        super().__init__(FaultStore(db_path), parse_rules(spec), sleep=lambda s: None)
        self.sent = 0

    def after(self, operation: str, request: Any, response: Any) -> Any:
        if operation in self.CREATES:
            self.sent += 200 <= response.status < 300
        return super().after(operation, request, response)


def _senders_world(home: Path, faults: str, late: Delay | None) -> tuple[Any, ...]:
    """A sandbox world with a number to send from at each carrier, and an AppContext whose
    writes go through ``faults`` (counted by the first Sends) and land late per ``late``
    (counted by the second, after their timeout), all on one fake clock."""
    world = World(home)
    for provider in ("twilio", "telnyx"):
        found = world.run("numbers", "search", "--provider", provider, "--limit", "1", "--json")
        number = json.loads(found.stdout)[0]["phone_number"]
        assert world.run("numbers", "buy", number, "--yes").exit_code == 0

    env = {**os.environ, "TELCLI_HOME": str(home), "TELCLI_SANDBOX": "1"}
    env.pop("TELCLI_SANDBOX_FAULTS", None)
    clock = world.clock
    ctx = AppContext(
        env=env,
        credential_store=MemoryStore(),
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        clock=clock.monotonic,  # pacing waits on the same fake time
    )
    sends = Sends(ctx.sandbox_db_path, faults)
    landed = Sends(ctx.sandbox_db_path, "")
    world.late.inner = SandboxTransport(ctx.sandbox_db_path, faults=sends)
    world.late.land_via = SandboxTransport(ctx.sandbox_db_path, faults=landed)
    world.late.delay = late or no_delay
    ctx.sandbox_transport = world.late
    return world, ctx, sends, landed


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    faults=st.tuples(*(sms_rule(t) for t in SMS_TARGETS)).map(lambda r: ";".join(filter(None, r))),
    late=late_writes(("sms",)),
)
def test_sms_under_any_fault_schedule_is_never_sent_twice(faults: str, late: Delay) -> None:
    from telcli.services import testing
    from telcli.storage.state import StateDB

    to = "+14155550142"
    with tempfile.TemporaryDirectory() as tmp:
        world, ctx, sends, landed = _senders_world(Path(tmp), faults, late)
        clock = world.clock
        notes: list[str] = []
        senders = testing.pick_senders(
            ctx.carriers(None), None, capability="sms", explicit_provider=False
        )
        assert [s.name for s in senders] == ["twilio", "telnyx"]
        outcome = testing.run_sms(
            senders,
            to,
            testing.SmsTest(body="telcli property test", wait=False),
            state=ctx.state,
            profile=ctx.ledger_profile,
            clock=testing.Clock(clock.monotonic, clock.sleep),
            settle=ctx.settle,
            notify=notes.append,
        )
        ctx.state.close()
        world.late.settle_all()  # time passes: a message still in flight goes out now
        sent = sends.sent + landed.sent

        event(f"exit {outcome.exit_code}, sent {sent}" + (" (late answers)" if late else ""))
        assert outcome.exit_code in (0, 6, 7), (outcome, notes)
        assert sent <= 1, f"an SMS was sent {sent} times: {notes}"
        # every failure here may have reached twilio (timeouts, 5xx, lost answers, late
        # answers): the send never moves on to telnyx
        carriers = {k[1] for k, n in world.late.sent.items() if k[0] == "sms" and n}
        assert carriers <= {"twilio"}, f"one SMS reached two carriers: {notes}"
        db = StateDB(Path(tmp) / "state.db")
        try:
            entries = db.ledger_entries(op="sms", target=to)
        finally:
            db.close()
        statuses = [e.status for e in entries]
        assert "pending" not in statuses
        if outcome.exit_code == 0:
            assert sent == 1 and statuses.count("succeeded") == 1
        elif outcome.exit_code == 6:
            # "not sent" only on proof: nothing went out, not even late
            assert sent == 0 and set(statuses) <= {"failed"}
            assert outcome.status == "not-sent"
        else:  # unknown: the ledger says so, and the hint says what to check
            assert "unknown" in statuses and "succeeded" not in statuses
            assert outcome.error and outcome.status == "unknown"


CALL_TARGETS = [
    "twilio.calls.create",
    "twilio.calls.list",
    "telnyx.calls.dial",
]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    faults=st.tuples(*(sms_rule(t) for t in CALL_TARGETS)).map(lambda r: ";".join(filter(None, r))),
    late=late_writes(("call",)),
)
def test_call_under_any_fault_schedule_is_never_placed_twice(faults: str, late: Delay) -> None:
    from telcli.services import testing
    from telcli.storage.state import StateDB

    to = "+14155550142"
    with tempfile.TemporaryDirectory() as tmp:
        world, ctx, placed, landed = _senders_world(Path(tmp), faults, late)
        clock = world.clock
        notes: list[str] = []
        senders = testing.pick_senders(
            ctx.carriers(None), None, capability="voice", explicit_provider=False
        )
        assert [s.name for s in senders] == ["twilio", "telnyx"]
        outcome = testing.run_call(
            senders,
            to,
            # a connection for Telnyx, so that a call moved there would really be dialled
            testing.CallTest(wait=False, connection_id="1494404757140276705"),
            state=ctx.state,
            profile=ctx.ledger_profile,
            clock=testing.Clock(clock.monotonic, clock.sleep),
            settle=ctx.settle,
            notify=notes.append,
        )
        ctx.state.close()
        world.late.settle_all()  # time passes: a call still in flight is placed now
        calls = placed.sent + landed.sent

        event(f"exit {outcome.exit_code}, placed {calls}" + (" (late answers)" if late else ""))
        assert outcome.exit_code in (0, 6, 7), (outcome, notes)
        assert calls <= 1, f"a call was placed {calls} times: {notes}"
        # every failure here may have reached twilio: the call never moves on to telnyx
        carriers = {k[1] for k, n in world.late.sent.items() if k[0] == "call" and n}
        assert carriers <= {"twilio"}, f"one call reached two carriers: {notes}"
        db = StateDB(Path(tmp) / "state.db")
        try:
            statuses = [e.status for e in db.ledger_entries(op="call", target=to)]
        finally:
            db.close()
        assert "pending" not in statuses
        if outcome.exit_code == 0:
            assert calls == 1 and statuses.count("succeeded") == 1
        elif outcome.exit_code == 6:
            # "not placed" only on proof: nothing went out, not even late
            assert calls == 0 and set(statuses) <= {"failed"}
            assert outcome.status == "not-sent"
        else:  # unknown: the ledger says so
            assert "unknown" in statuses and "succeeded" not in statuses
            assert outcome.error and outcome.status == "unknown"
