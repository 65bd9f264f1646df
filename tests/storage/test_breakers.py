"""Circuit breakers in the state DB: the state machine, its persistence across processes,
and that concurrent processes never lose or corrupt an update."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from telcli.errors import ExitCode
from telcli.storage.breakers import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    Breakers,
    BreakerSettings,
    CircuitOpen,
    clock_time,
)
from telcli.storage.config import ConfigError, load_settings
from telcli.storage.state import StateDB

SETTINGS = BreakerSettings(failures=3, window=60.0, cooldown=30.0)


class WallClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> WallClock:
    return WallClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state.db"


@pytest.fixture
def open_breakers(db_path, clock):
    """``open_breakers(profile="default")``: a Breakers as a separate process would build it
    (its own StateDB on the same file)."""
    made: list[tuple[StateDB, Breakers]] = []

    def build(profile: str = "default", settings: BreakerSettings = SETTINGS) -> Breakers:
        state = StateDB(db_path)
        b = Breakers(state, profile, settings, clock=clock)
        made.append((state, b))
        return b

    yield build
    for state, b in made:
        b.close()
        state.close()


@pytest.fixture
def breakers(open_breakers) -> Breakers:
    return open_breakers()


def fail(b: Breakers, n: int, provider: str = "twilio") -> None:
    for i in range(n):
        b.failure(provider, f"twilio 503 on search (#{i + 1})")


def test_a_new_breaker_is_closed_and_lets_calls_through(breakers):
    breakers.before("twilio")
    assert breakers.get("twilio").state == CLOSED


def test_n_consecutive_failures_open_it(breakers, clock):
    fail(breakers, 2)
    breakers.before("twilio")  # still closed after 2 of 3
    opened, transition = breakers.failure("twilio", "twilio 503 on search")
    assert opened.state == OPEN and opened.open_until == clock.now + 30 and transition
    again, transition = breakers.failure("twilio", "late answer from an earlier call")
    assert again.state == OPEN and not transition
    with pytest.raises(CircuitOpen) as err:
        breakers.before("twilio")
    until = clock_time(clock.now + 30)
    assert err.value.message == f"circuit open for twilio until {until}"
    assert err.value.sent is False and err.value.exit_code == ExitCode.UNAVAILABLE
    assert "telcli providers reset twilio" in err.value.hint


def test_a_success_resets_the_count(breakers):
    fail(breakers, 2)
    breakers.success("twilio", 40)
    fail(breakers, 2)
    assert breakers.get("twilio").state == CLOSED and breakers.get("twilio").failures == 2


def test_failures_spread_beyond_the_window_do_not_open_it(breakers, clock):
    fail(breakers, 2)
    clock.now += 61
    fail(breakers, 2)
    assert breakers.get("twilio").state == CLOSED and breakers.get("twilio").failures == 2


def test_after_the_cooldown_one_probe_goes_through_and_a_success_closes(open_breakers, clock):
    first, second = open_breakers(), open_breakers()  # two processes
    fail(first, 3)
    clock.now += 30
    first.before("twilio")  # the probe
    assert first.get("twilio").state == HALF_OPEN
    with pytest.raises(CircuitOpen, match="circuit half-open for twilio: another telcli"):
        second.before("twilio")
    assert first.success("twilio", 120) == HALF_OPEN
    second.before("twilio")
    assert second.get("twilio").state == CLOSED


def test_a_failed_probe_opens_it_for_another_cooldown(breakers, clock):
    fail(breakers, 3)
    clock.now += 31
    breakers.before("twilio")
    reopened, transition = breakers.failure("twilio", "still down")
    assert reopened.state == OPEN and reopened.open_until == clock.now + 30 and transition
    with pytest.raises(CircuitOpen):
        breakers.before("twilio")


def test_the_probing_process_may_call_again_while_its_probe_is_open(open_breakers, clock):
    mine, other = open_breakers(), open_breakers()
    fail(mine, 3)
    clock.now += 30
    mine.before("twilio")
    mine.before("twilio")  # e.g. the purchase that follows the probing search
    with pytest.raises(CircuitOpen):
        other.before("twilio")


def test_a_probe_that_ends_inconclusively_is_given_back(open_breakers, clock):
    mine, other = open_breakers(), open_breakers()
    fail(mine, 3)
    clock.now += 30
    mine.before("twilio")
    mine.release("twilio")  # e.g. a bug or Ctrl-C during the probe
    other.before("twilio")  # the next caller probes at once
    assert other.get("twilio").state == HALF_OPEN


def test_a_probe_that_died_with_its_process_does_not_wedge_the_breaker(open_breakers, clock):
    crashed, later = open_breakers(), open_breakers()
    fail(crashed, 3)
    clock.now += 30
    crashed.before("twilio")  # ...and the process dies without reporting
    clock.now += 30  # the probe's lease runs out
    later.before("twilio")  # takes over as the probe
    later.success("twilio", 10)
    assert later.get("twilio").state == CLOSED


def test_breakers_are_per_provider_and_per_profile(open_breakers):
    default, acme = open_breakers("default"), open_breakers("acme")
    fail(default, 3)
    default.before("telnyx")
    acme.before("twilio")
    assert acme.get("twilio").state == CLOSED and default.get("twilio").state == OPEN


def test_reset_closes_one_or_all(breakers):
    fail(breakers, 3, "twilio")
    fail(breakers, 3, "telnyx")
    assert breakers.reset("twilio") == ["twilio"]
    breakers.before("twilio")
    assert breakers.reset("twilio") == []  # already closed: nothing to say
    assert breakers.reset() == ["telnyx"]
    breakers.before("telnyx")
    assert breakers.get("telnyx").failures == 0


def test_latency_keeps_the_last_20_samples_and_their_median(breakers):
    for ms in range(1, 31):
        breakers.success("telnyx", ms)
    row = breakers.get("telnyx")
    assert row.latency == tuple(range(11, 31)) and row.median_latency_ms == 20
    assert breakers.get("twilio").median_latency_ms is None


def test_status_json_has_stable_fields(breakers, clock):
    breakers.success("twilio", 80)
    fail(breakers, 3)
    data = breakers.get("twilio").to_json()
    assert data == {
        "provider": "twilio",
        "profile": "default",
        "state": "open",
        "failures": 3,
        "open_until": "2027-01-15T08:00:30Z",
        "last_error": "twilio 503 on search (#3)",
        "last_error_at": "2027-01-15T08:00:00Z",
        "last_success_at": "2027-01-15T08:00:00Z",
        "median_latency_ms": 80,
    }


def test_state_survives_the_process(db_path, clock, open_breakers):
    fail(open_breakers(), 3)
    with pytest.raises(CircuitOpen):
        open_breakers().before("twilio")


def test_threads_share_one_breakers_safely(breakers):
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: breakers.success("telnyx", i), range(200)))
    assert len(breakers.get("telnyx").latency) == 20


def _hammer(path: str, count: int) -> None:
    state = StateDB(Path(path))
    b = Breakers(state, "default", BreakerSettings(failures=10_000, window=3600, cooldown=30))
    for i in range(count):
        b.failure("twilio", f"503 #{i}")
        b.get("twilio")
    b.close()
    state.close()


def test_concurrent_processes_never_lose_an_update(db_path):
    StateDB(db_path).conn.close()  # create and migrate once, as the first process would
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_hammer, args=(str(db_path), 40)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    state = StateDB(db_path)
    row = Breakers(state, "default").get("twilio")
    assert row.failures == 160 and row.state == CLOSED
    assert state.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    state.close()


def test_breaker_settings_come_from_config(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("deadline: 45\nbreaker:\n  failures: 3\n  window: 10\n  cooldown: 2.5\n")
    s = load_settings(path, None)
    assert (s.deadline, s.breaker_failures, s.breaker_window, s.breaker_cooldown) == (
        45.0,
        3,
        10.0,
        2.5,
    )
    defaults = load_settings(tmp_path / "absent.yaml", None)
    assert (defaults.breaker_failures, defaults.breaker_window, defaults.breaker_cooldown) == (
        5,
        60.0,
        30.0,
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("breaker:\n  failures: 2.5\n", "config.yaml:2: breaker.failures must be a positive whole"),
        ("breaker:\n  cooldown: -1\n", "config.yaml:2: breaker.cooldown must be a positive number"),
        ("breaker:\n  probes: 1\n", "config.yaml:2: breaker: unknown key 'probes'"),
        ("breaker: 5\n", "config.yaml:1: breaker must be a mapping"),
        ("deadline: 0\n", "config.yaml:1: deadline must be a positive number of seconds"),
    ],
)
def test_bad_breaker_settings_name_the_line(tmp_path, text, message):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_settings(path, None)
    assert message in err.value.message
