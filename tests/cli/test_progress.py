"""A spinner on stderr while a provider keeps a terminal user waiting (after 0.3 s), wiped
before anything else is printed; nothing at all when stderr is not a terminal."""

from __future__ import annotations

import io

import pytest

from telcli.output.progress import Activity


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def spinner():
    stream, clock = io.StringIO(), Clock()
    return Activity(lambda: stream, clock=clock, interval=3600), stream, clock


def test_nothing_shows_before_the_delay_and_the_line_is_wiped_after(spinner):
    activity, stream, clock = spinner
    with activity.waiting("twilio"):
        clock.now += 0.29
        activity.tick()
        assert stream.getvalue() == ""
        clock.now += 0.02
        activity.tick()
        assert stream.getvalue().endswith("waiting for twilio…\x1b[K")
    assert stream.getvalue().endswith("\r\x1b[K")  # wiped when the last request ends


def test_concurrent_requests_share_one_line(spinner):
    activity, stream, clock = spinner
    with activity.waiting("twilio"), activity.waiting("telnyx"):
        clock.now += 1
        activity.tick()
        assert "waiting for twilio, telnyx…" in stream.getvalue()
    with activity.waiting("twilio"):
        activity.tick()  # a new wait starts its own delay
    assert stream.getvalue().count("waiting") == 1


def test_a_quick_answer_leaves_no_trace(spinner):
    activity, stream, _clock = spinner
    with activity.waiting("twilio"):
        activity.tick()
    assert stream.getvalue() == ""


def test_quiet_while_another_display_runs(spinner):
    activity, stream, clock = spinner
    with activity.waiting("twilio"):
        clock.now += 1
        with activity.quiet():
            activity.tick()
        assert stream.getvalue() == ""


SLOW_SEARCH = {"TELCLI_SANDBOX_FAULTS": "twilio.search:latency=700"}


def test_a_slow_search_shows_the_spinner_on_a_terminal(telcli):
    args = ("--sandbox", "numbers", "search", "-p", "twilio", "--limit", "1")
    result = telcli(*args, tty=True, env=SLOW_SEARCH)
    assert result.exit_code == 0, result
    assert "waiting for twilio…" in result.stderr
    assert result.stderr.endswith("\r\x1b[K")  # and it is gone before the table
    assert "waiting" not in result.stdout


def test_nothing_on_stderr_when_it_is_not_a_terminal(telcli):
    args = ("--sandbox", "numbers", "search", "-p", "twilio", "--limit", "1", "--json")
    result = telcli(*args, env=SLOW_SEARCH)
    assert result.exit_code == 0, result
    assert result.stderr == ""
