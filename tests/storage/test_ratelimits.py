"""The shared token bucket and its AIMD, on an injected clock (nothing sleeps): slots spaced at
the rate, a pause after a 429 for every user of the account, one decrease per burst of 429s,
recovery towards the limit found, and the bucket shared by every RateLimits of one file."""

from __future__ import annotations

import pytest

from telcli.storage import ratelimits as rl
from telcli.storage.ratelimits import RateLimits, account_id


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limits(tmp_path, clock) -> RateLimits:
    db = RateLimits(tmp_path / "state.db", clock=clock)
    yield db
    db.close()


def slots(pacer, n: int) -> list[float]:
    return [round(pacer.acquire().wait, 3) for _ in range(n)]


def test_slots_are_spaced_at_the_rate_after_a_small_burst(limits):
    pacer = limits.pacer("telnyx", "default", "key-1", 50)
    # 50/s: a burst of five (a tenth of a second's worth), then one every 20 ms
    assert slots(pacer, 8) == [0, 0, 0, 0, 0, 0.02, 0.04, 0.06]


def test_an_idle_bucket_does_not_save_up_more_than_the_burst(limits, clock):
    pacer = limits.pacer("telnyx", "default", "key-1", 50)
    slots(pacer, 20)
    clock.now += 60
    assert slots(pacer, 6) == [0, 0, 0, 0, 0, 0.02]


def test_a_wait_beyond_max_wait_reserves_nothing(limits):
    pacer = limits.pacer("vapi", "default", "key-1", 2)
    assert slots(pacer, 2) == [0, 0.5]
    assert pacer.acquire(max_wait=0.9) is None  # the next slot is 1.0 s away
    assert pacer.next_slot().wait == pytest.approx(1.0)
    assert pacer.acquire(max_wait=1.0).wait == pytest.approx(1.0)


def test_every_process_of_the_file_shares_the_bucket(tmp_path, clock):
    one, two = (RateLimits(tmp_path / "state.db", clock=clock) for _ in range(2))
    a = one.pacer("twilio", "default", "AC1", 10)
    b = two.pacer("twilio", "default", "AC1", 10)
    waits = [a.acquire().wait, b.acquire().wait, a.acquire().wait]
    assert waits == pytest.approx([0, 0.1, 0.2], abs=1e-6)
    # another account, profile or provider has its own bucket
    assert two.pacer("twilio", "default", "AC2", 10).acquire().wait == 0
    assert two.pacer("twilio", "staging", "AC1", 10).acquire().wait == 0
    assert two.pacer("telnyx", "default", "AC1", 10).acquire().wait == 0
    one.close()
    two.close()


def test_a_429_pauses_every_user_of_the_account_for_retry_after(tmp_path, clock):
    one, two = (RateLimits(tmp_path / "state.db", clock=clock) for _ in range(2))
    a = one.pacer("telnyx", "default", "key-1", 50)
    b = two.pacer("telnyx", "default", "key-1", 50)
    grant = a.acquire()
    a.throttled(grant, retry_after=5)
    later = b.acquire()
    assert later.paused == pytest.approx(5.0) and later.wait == pytest.approx(5.0)
    assert b.paused_until() == pytest.approx(clock.now + 5)
    assert b.acquire(max_wait=4.0) is None
    assert b.next_slot().paused == pytest.approx(5.0)
    one.close()
    two.close()


def test_a_429_without_retry_after_pauses_a_second_and_a_huge_one_is_capped(limits, clock):
    pacer = limits.pacer("telnyx", "default", "key-1", 50)
    pacer.throttled(pacer.acquire(), retry_after=None)
    assert pacer.next_slot().wait == pytest.approx(rl.DEFAULT_PAUSE)
    pacer.throttled(None, retry_after=86_400)
    assert pacer.next_slot().wait == pytest.approx(rl.MAX_PAUSE)


def run_at(pacer, clock, rate: float, seconds: float) -> list:
    """Send at ``rate`` for ``seconds``: every slot taken as it comes due."""
    grants = []
    end = clock.now + seconds
    while clock.now < end:
        grant = pacer.acquire()
        clock.now = max(clock.now, grant.at)
        grants.append(grant)
        clock.now += 1.0 / rate
    return grants


def test_a_429_lowers_the_rate_to_a_fraction_of_what_got_through(limits, clock):
    pacer = limits.pacer("twilio", "default", "AC1", 100)
    grants = run_at(pacer, clock, 40, 2.0)  # the demand, 40/s, is below the ceiling
    assert grants[-1].rate == 100
    after = pacer.throttled(grants[-1], retry_after=1)
    # what went out in the last second (about 40, one refused) times 0.7, not 0.7 x 100
    assert after == pytest.approx(rl.DECREASE * 39, rel=0.05)


def test_429s_to_requests_already_in_flight_lower_the_rate_once(limits, clock):
    pacer = limits.pacer("twilio", "default", "AC1", 100)
    grants = run_at(pacer, clock, 100, 1.5)
    first = pacer.throttled(grants[-1], retry_after=1)
    for grant in grants[-8:-1]:  # the answers to the other requests in flight
        assert pacer.throttled(grant, retry_after=1) == pytest.approx(first)
    assert [b.throttled_last_hour for b in limits.buckets("twilio", "default")] == [8]


def test_a_429_storm_answered_with_pauses_does_not_collapse_the_rate(limits, clock):
    pacer = limits.pacer("telnyx", "default", "key-1", 50)
    for _ in range(20):  # one request a pause, refused every time
        grant = pacer.acquire()
        clock.now = grant.at
        pacer.throttled(grant, retry_after=2)
    assert pacer.next_slot().rate == 50


def test_the_rate_recovers_quickly_to_the_limit_found_then_probes_slowly(limits, clock):
    pacer = limits.pacer("twilio", "default", "AC1", 100)
    grants = run_at(pacer, clock, 40, 2.0)
    low = pacer.throttled(grants[-1], retry_after=1)
    known = low / rl.DECREASE
    clock.now += 1.0  # the pause
    clock.now += 2.0
    assert pacer.next_slot().rate == pytest.approx(rl.RECOVER_TO * known, rel=0.01)
    clock.now += 10.0  # probing: half a percent of the limit per second
    assert pacer.next_slot().rate == pytest.approx(known * (rl.RECOVER_TO + 0.05), rel=0.01)
    assert pacer.next_slot().rate < known * 1.01


def test_a_minute_without_429_forgets_the_limit_and_climbs_to_the_ceiling(limits, clock):
    pacer = limits.pacer("twilio", "default", "AC1", 100)
    pacer.throttled(run_at(pacer, clock, 40, 2.0)[-1], retry_after=1)
    clock.now += rl.FORGET + 1
    assert pacer.next_slot().rate < 100
    clock.now += 1 / rl.RAMP
    assert pacer.next_slot().rate == 100


def test_a_new_ceiling_applies_at_once(limits):
    assert limits.pacer("telnyx", "default", "key-1", 50).acquire().rate == 50
    assert limits.pacer("telnyx", "default", "key-1", 5).acquire().rate == 5
    [bucket] = limits.buckets("telnyx", "default")
    assert (bucket.rate, bucket.ceiling) == (5, 5)


def test_status_counts_429s_of_the_last_hour_and_shows_a_pause(limits, clock):
    pacer = limits.pacer("telnyx", "default", "key-1", 50)
    pacer.throttled(pacer.acquire(), retry_after=3)
    clock.now += 1_800
    pacer.throttled(pacer.acquire(), retry_after=3)
    [bucket] = limits.buckets("telnyx", "default")
    assert bucket.throttled_last_hour == 2 and bucket.paused_until == clock.now + 3
    clock.now += 1_801
    [bucket] = limits.buckets("telnyx", "default")
    assert bucket.throttled_last_hour == 1 and bucket.paused_until is None
    assert limits.buckets("twilio", "default") == []


def test_a_clock_stepped_back_does_not_wedge_the_bucket(limits, clock):
    pacer = limits.pacer("telnyx", "default", "key-1", 50)
    pacer.throttled(pacer.acquire(), retry_after=30)
    clock.now -= 3_600  # the wall clock went back an hour
    assert pacer.acquire().wait <= rl.MAX_PAUSE


def test_accounts_carry_no_secret():
    assert account_id("twilio", {"account_sid": "AC123", "auth_token": "tok"}) == "AC123"
    key = "KEY0193A7C2E5F84B6D9A1C3E5F7B9D1F3_Zx8Qw2Er4Ty6Ui8Op0"
    fingerprint = account_id("telnyx", {"api_key": key})
    assert fingerprint.startswith("key-") and key[:8] not in fingerprint
    assert fingerprint == account_id("vapi", {"api_key": key})
    assert fingerprint != account_id("telnyx", {"api_key": key + "x"})
