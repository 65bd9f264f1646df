"""await_landing: absence is proof only from a lookup that starts once the window is over."""

from __future__ import annotations

from telcli.services.settling import Settle, await_landing


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_a_lookup_that_starts_a_hair_before_the_window_ends_is_followed_by_the_proof():
    clock = Clock()
    asked: list[float] = []

    def look() -> None:
        asked.append(clock.now)
        clock.now += 0.01  # the lookup itself takes time (pacing, the round trip)
        return None

    # Sums of float pauses (0.25, 0.5, 1, 2, ...) may stop a hair short of the window's end.
    def short_sleep(seconds: float) -> None:
        clock.now += seconds * (1 - 1e-12)

    settle = Settle(window=30.0, monotonic=lambda: clock.now, sleep=short_sleep)
    landing = await_landing(look, settle)
    assert landing.proven, landing.why
    assert asked[-1] >= settle.window - 1e-6  # the proving lookup started after the window


def test_a_deadline_shorter_than_the_window_ends_in_unknown():
    class Deadline:
        def remaining(self) -> float:
            return 5.0 - clock.now

    clock = Clock()
    settle = Settle(window=30, deadline=Deadline(), monotonic=lambda: clock.now, sleep=clock.sleep)
    landing = await_landing(lambda: None, settle)
    assert not landing.proven and landing.found is None and "deadline" in landing.why
    assert clock.now <= 5.0 + 1e-6


def test_found_ends_the_wait_at_once():
    clock = Clock()
    settle = Settle(window=30, monotonic=lambda: clock.now, sleep=clock.sleep)
    assert await_landing(lambda: "SM1", settle).found == "SM1" and clock.now == 0
