"""The retry loop in ``transport.send``: what is retried, how long it waits, and that the
command's deadline always wins. A fake clock stands in for time, so nothing really sleeps."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest

from telcli.errors import ProviderUnavailable
from telcli.transport import (
    NO_RETRY,
    Deadline,
    RetryPolicy,
    build_client,
    send,
)

URL = "https://api.example.test/v1/things"


class FakeClock:
    """``monotonic`` and ``sleep`` over one number: sleeping moves time forward."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def policy(clock: FakeClock, seconds: float | None = 60.0, **kw) -> RetryPolicy:
    kw.setdefault("random", lambda: 1.0)  # the top of the jitter range: predictable waits
    kw.setdefault("base_delay", 0.25)
    return RetryPolicy(deadline=Deadline(seconds, clock=clock.monotonic), sleep=clock.sleep, **kw)


def client(clock: FakeClock, **kw) -> httpx.Client:
    return build_client(retry=policy(clock, **kw))


def test_get_retries_5xx_with_capped_exponential_backoff(respx_mock, clock):
    route = respx_mock.get(URL).mock(
        side_effect=[httpx.Response(s) for s in (500, 502, 503, 504)] + [httpx.Response(200)]
    )
    response = send(client(clock, max_delay=1.0), "GET", URL, provider="example")
    assert response.status_code == 200 and route.call_count == 5
    # The first retry is immediate; then base 0.25 doubling (0.5 before the second retry),
    # capped at max_delay=1.0; random()=1.0 is the top of each range.
    assert clock.slept == [0.0, 0.5, 1.0, 1.0]


def test_full_jitter_draws_anywhere_below_the_cap(respx_mock, clock):
    respx_mock.get(URL).mock(side_effect=[httpx.Response(503)] * 2 + [httpx.Response(200)])
    send(client(clock, random=lambda: 0.2), "GET", URL, provider="example")
    assert clock.slept == [0.0, pytest.approx(0.1)]


def test_a_dropped_connection_is_retried_at_once(respx_mock, clock):
    route = respx_mock.get(URL).mock(
        side_effect=[httpx.RemoteProtocolError("closed"), httpx.Response(200)]
    )
    assert send(client(clock), "GET", URL, provider="example").status_code == 200
    assert route.call_count == 2 and clock.slept == [0.0]


def test_a_429_without_retry_after_backs_off_from_the_first_retry(respx_mock, clock):
    # Throttling asks the client to slow down: no immediate retry, unlike a 5xx.
    route = respx_mock.get(URL).mock(side_effect=[httpx.Response(429)] * 2 + [httpx.Response(200)])
    assert send(client(clock), "GET", URL, provider="example").status_code == 200
    assert route.call_count == 3 and clock.slept == [0.25, 0.5]


def test_retry_after_in_seconds_is_honoured(respx_mock, clock):
    route = respx_mock.get(URL).mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200)]
    )
    assert send(client(clock), "GET", URL, provider="example").status_code == 200
    assert route.call_count == 2 and clock.slept == [7.0]


def test_retry_after_as_an_http_date_is_honoured(respx_mock, clock):
    when = format_datetime(datetime.fromtimestamp(time.time() + 5, UTC), usegmt=True)
    respx_mock.get(URL).mock(
        side_effect=[httpx.Response(503, headers={"Retry-After": when}), httpx.Response(200)]
    )
    assert send(client(clock), "GET", URL, provider="example").status_code == 200
    [waited] = clock.slept
    assert 3.5 <= waited <= 5.0  # the date has one-second resolution


def test_post_is_not_retried_after_a_5xx(respx_mock, clock):
    route = respx_mock.post(URL).mock(return_value=httpx.Response(503))
    response = send(client(clock), "POST", URL, provider="example", data={"n": "1"})
    assert response.status_code == 503 and route.call_count == 1 and clock.slept == []


def test_post_is_not_retried_after_a_read_timeout(respx_mock, clock):
    route = respx_mock.post(URL).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(ProviderUnavailable) as err:
        send(client(clock), "POST", URL, provider="example")
    assert err.value.sent is True and route.call_count == 1


def test_post_is_not_retried_after_a_dropped_connection(respx_mock, clock):
    route = respx_mock.post(URL).mock(side_effect=httpx.RemoteProtocolError("closed"))
    with pytest.raises(ProviderUnavailable) as err:
        send(client(clock), "POST", URL, provider="example")
    assert err.value.sent is True and route.call_count == 1


def test_post_is_retried_when_the_connection_was_never_made(respx_mock, clock):
    route = respx_mock.post(URL).mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(201)]
    )
    assert send(client(clock), "POST", URL, provider="example").status_code == 201
    assert route.call_count == 2


def test_post_is_retried_after_429_which_means_not_processed(respx_mock, clock):
    route = respx_mock.post(URL).mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "1"}), httpx.Response(201)]
    )
    assert send(client(clock), "POST", URL, provider="example").status_code == 201
    assert route.call_count == 2 and clock.slept == [1.0]


def test_a_caller_can_mark_a_write_idempotent(respx_mock, clock):
    route = respx_mock.post(URL).mock(side_effect=[httpx.Response(502), httpx.Response(200)])
    response = send(client(clock), "POST", URL, provider="example", idempotent=True)
    assert response.status_code == 200 and route.call_count == 2


def test_a_caller_can_forbid_retrying_a_get(respx_mock, clock):
    route = respx_mock.get(URL).mock(return_value=httpx.Response(503))
    response = send(client(clock), "GET", URL, provider="example", idempotent=False)
    assert response.status_code == 503 and route.call_count == 1


@pytest.mark.parametrize("method", ["DELETE", "PUT", "HEAD"])
def test_other_idempotent_methods_retry(respx_mock, clock, method):
    route = respx_mock.request(method, URL).mock(
        side_effect=[httpx.Response(503), httpx.Response(204)]
    )
    assert send(client(clock), method, URL, provider="example").status_code == 204
    assert route.call_count == 2


def test_4xx_answers_are_never_retried(respx_mock, clock):
    route = respx_mock.get(URL).mock(return_value=httpx.Response(404))
    assert send(client(clock), "GET", URL, provider="example").status_code == 404
    assert route.call_count == 1


def test_attempts_are_capped(respx_mock, clock):
    route = respx_mock.get(URL).mock(return_value=httpx.Response(503))
    response = send(client(clock, max_attempts=3), "GET", URL, provider="example")
    assert response.status_code == 503 and route.call_count == 3 and len(clock.slept) == 2


def test_a_429_storm_ends_by_the_deadline(respx_mock, clock):
    route = respx_mock.get(URL).mock(return_value=httpx.Response(429, headers={"Retry-After": "2"}))
    start = clock.now
    response = send(client(clock, seconds=9.0, max_attempts=1000), "GET", URL, provider="example")
    assert response.status_code == 429
    # attempts at t=0, 2, 4, 6, 8; waiting 2 more from t=8 would pass the 9 s deadline
    assert route.call_count == 5 and clock.now - start == 8.0


def test_a_retry_after_beyond_the_deadline_is_not_waited_for(respx_mock, clock):
    route = respx_mock.get(URL).mock(
        return_value=httpx.Response(503, headers={"Retry-After": "120"})
    )
    response = send(client(clock, seconds=30.0), "GET", URL, provider="example")
    assert response.status_code == 503 and route.call_count == 1 and clock.slept == []


def test_the_deadline_is_shared_by_every_request_of_a_command(respx_mock, clock):
    respx_mock.get(URL).mock(return_value=httpx.Response(503, headers={"Retry-After": "3"}))
    shared = client(clock, seconds=10.0, max_attempts=1000)
    send(shared, "GET", URL, provider="example")  # t=0, 3, 6, 9: uses the whole budget
    calls = respx_mock.calls.call_count
    send(shared, "GET", URL, provider="example")  # past the deadline: one attempt, no wait
    assert respx_mock.calls.call_count == calls + 1


def test_deadline_starts_at_the_first_request_and_can_restart(clock):
    deadline = Deadline(10.0, clock=clock.monotonic)
    clock.now += 100  # e.g. a person reading a confirmation prompt before any request
    assert deadline.remaining() == 10.0
    clock.now += 4
    assert deadline.remaining() == 6.0
    deadline.restart()
    assert deadline.remaining() == 10.0
    assert Deadline(None).remaining() is None


def test_exhausted_connect_failures_raise_not_sent(respx_mock, clock):
    route = respx_mock.get(URL).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(ProviderUnavailable) as err:
        send(client(clock, max_attempts=3), "GET", URL, provider="example")
    assert route.call_count == 3 and err.value.sent is False
    assert err.value.message.startswith("cannot connect to example")


def test_sent_stays_true_once_any_attempt_may_have_arrived(respx_mock, clock):
    respx_mock.delete(URL).mock(side_effect=[httpx.ReadTimeout("slow"), httpx.ConnectError("x")])
    with pytest.raises(ProviderUnavailable) as err:
        send(client(clock, max_attempts=2), "DELETE", URL, provider="example")
    assert err.value.sent is True


def test_the_default_backoff_is_immediate_then_doubles_from_a_fifth_of_a_second():
    policy = RetryPolicy(random=lambda: 1.0)
    assert [policy.backoff(n) for n in range(1, 9)] == [0.0, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 8.0]
    assert policy.backoff(1, throttled=True) == 0.1
    assert RetryPolicy(random=lambda: 0.5).backoff(2) == 0.1  # full jitter: anywhere below


def test_clients_retry_nothing_unless_given_a_policy(respx_mock):
    route = respx_mock.get(URL).mock(return_value=httpx.Response(503))
    assert send(build_client(), "GET", URL, provider="example").status_code == 503
    assert route.call_count == 1
    assert build_client().retry_policy is NO_RETRY


def test_an_explicit_policy_beats_the_clients(respx_mock, clock):
    route = respx_mock.get(URL).mock(side_effect=[httpx.Response(503), httpx.Response(200)])
    response = send(build_client(), "GET", URL, provider="example", retry=policy(clock))
    assert response.status_code == 200 and route.call_count == 2


def test_each_attempt_is_cut_to_the_time_left(respx_mock, clock):
    seen: list[dict] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(200)

    respx_mock.route().mock(side_effect=record)
    c = build_client(timeout=20.0, retry=policy(clock, seconds=5.0))
    send(c, "GET", URL, provider="example")
    send(c, "POST", URL, provider="example")
    get, post = seen
    assert get == {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0}
    # --timeout bounds writes too: an answer later than that is settled by the caller
    assert post == {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0}


def test_a_write_is_not_sent_without_time_left_to_wait_for_it(respx_mock, clock):
    route = respx_mock.post(URL).mock(return_value=httpx.Response(200))
    deadline_policy = policy(clock, seconds=5.0)
    c = build_client(timeout=20.0, retry=deadline_policy)
    assert deadline_policy.deadline is not None
    deadline_policy.deadline.remaining()  # the clock starts
    clock.now += 4.5
    with pytest.raises(ProviderUnavailable) as caught:
        send(c, "POST", URL, provider="example")
    assert caught.value.sent is False and "time budget" in caught.value.message
    assert route.call_count == 0
    # a lookup still gets its minimum (it can only settle an outcome, never make one)
    respx_mock.get(URL).mock(return_value=httpx.Response(200))
    assert send(c, "GET", URL, provider="example").status_code == 200


def test_the_provider_clock_offset_comes_from_its_date_header(respx_mock):
    from email.utils import formatdate

    from telcli.transport import clock_offset

    ahead = formatdate(time.time() + 120, usegmt=True)
    respx_mock.get(URL).mock(return_value=httpx.Response(200, headers={"Date": ahead}))
    send(build_client(), "GET", URL, provider="skewed")
    offset = clock_offset("skewed")
    assert offset is not None and 118 < offset <= 121
    assert clock_offset("never-answered") is None


def test_retries_are_logged_with_debug(respx_mock, clock):
    lines: list[str] = []
    respx_mock.get(URL).mock(side_effect=[httpx.Response(503), httpx.Response(200)])
    c = build_client("https://api.example.test/v1/", retry=policy(clock), debug_log=lines.append)
    send(c, "GET", "things", provider="example", params={"api_key": "abcdef123456", "n": "2"})
    retry_lines = [line for line in lines if "retry" in line]
    # The full URL as sent, base and query included, with the secret parameter redacted.
    assert retry_lines == [
        f"http: GET {URL}?api_key=***&n=2 -> 503; retry 1/4 in 0.00 s",
    ]


def test_debug_lines_are_written_whole_so_threads_cannot_run_them_together(make_ctx, monkeypatch):
    """Bulk work logs from several threads at once (--debug with `test sms` to many --to):
    each line must reach stderr in one write, its newline included."""
    import io
    import sys

    writes: list[str] = []

    class Recording(io.StringIO):
        def write(self, text: str) -> int:
            writes.append(text)
            return len(text)

    monkeypatch.setattr(sys, "stderr", Recording())
    log = make_ctx(debug=True).debug_log(("s3cret",))
    log("pacing: twilio waits 0.48 s for a request slot (2.0 requests/s)")
    log("http: GET https://api.example.test/?key=s3cret -> 200 (3 ms)")
    assert writes == [
        "pacing: twilio waits 0.48 s for a request slot (2.0 requests/s)\n",
        "http: GET https://api.example.test/?key=*** -> 200 (3 ms)\n",
    ]
