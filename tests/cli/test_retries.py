"""Retries and the command deadline through the real CLI and the real Telnyx provider (respx
answers for the network, a fake clock stands in for time)."""

from __future__ import annotations

import httpx
import pytest

from tests.test_transport_retry import FakeClock

API = "https://api.telnyx.com/v2"
KEY = "KEY0193A7C2E5F84B6D9A1C3E5F7B9D1F3_Zx8Qw2Er4Ty6Ui8Op0"
NUMBER = "+19705555098"
OFFER = {
    "data": [
        {
            "phone_number": NUMBER,
            "record_type": "available_phone_number",
            "cost_information": {"currency": "USD", "monthly_cost": "1.00", "upfront_cost": "1.00"},
            "features": [{"name": "voice"}, {"name": "sms"}],
            "region_information": [{"region_name": "CO", "region_type": "state"}],
        }
    ]
}
NONE_OWNED = {"data": [], "meta": {"page_number": 1, "total_pages": 0, "total_results": 0}}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def run(telcli, make_ctx, clock):
    def invoke(*args: str):
        ctx = make_ctx(
            env={"TELNYX_API_KEY": KEY},
            monotonic=clock.monotonic,
            sleep=clock.sleep,
            clock=clock.monotonic,
        )
        return telcli(*args, ctx=ctx)

    return invoke


def test_a_429_storm_ends_within_the_deadline_with_exit_6(run, clock, respx_mock):
    route = respx_mock.get(f"{API}/available_phone_numbers").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "2"}, json={"errors": []})
    )
    start = clock.now
    result = run("--timeout", "9", "numbers", "search", "--provider", "telnyx", "--json")
    assert result.exit_code == 6, result
    assert result.stdout == ""
    assert result.stderr.startswith("error: telnyx 429 on number search in US")
    # tries at t=0, 2, 4, 6, 8 s; one more wait would end past the 9 s deadline
    assert route.call_count == 5 and clock.now - start <= 9


def test_retry_after_is_waited_then_the_search_succeeds(run, clock, respx_mock):
    respx_mock.get(f"{API}/available_phone_numbers").mock(
        side_effect=[
            httpx.Response(503, headers={"Retry-After": "3"}),
            httpx.Response(200, json=OFFER),
        ]
    )
    respx_mock.get(f"{API}/phone_numbers_regulatory_requirements").respond(
        200, json={"data": [], "meta": {}}
    )
    result = run("numbers", "search", "--provider", "telnyx", "--area-code", "970")
    assert result.exit_code == 0, result
    assert result.stdout.startswith(NUMBER) and clock.slept == [3.0]


def test_the_config_deadline_is_the_default(run, clock, respx_mock, home):
    (home / "config.yaml").write_text("deadline: 5\n")
    route = respx_mock.get(f"{API}/available_phone_numbers").mock(
        return_value=httpx.Response(503, headers={"Retry-After": "2"})
    )
    assert run("numbers", "search", "--provider", "telnyx").exit_code == 6
    assert route.call_count == 3  # t=0, 2, 4


def test_a_purchase_is_resent_only_after_the_settle_window_proves_it_did_not_happen(
    run, respx_mock, home, clock
):
    (home / "config.yaml").write_text("settle_window: 5\n")
    respx_mock.get(f"{API}/available_phone_numbers").mock(
        return_value=httpx.Response(200, json=OFFER)
    )
    respx_mock.get(f"{API}/phone_numbers_regulatory_requirements").respond(
        200, json={"data": [], "meta": {}}
    )
    # 502: a gateway answered for a backend that may still be working on the order
    order = respx_mock.post(f"{API}/number_orders").mock(return_value=httpx.Response(502))
    asked: list[float] = []

    def lookup(request: httpx.Request) -> httpx.Response:
        asked.append(clock.now)
        return httpx.Response(200, json=NONE_OWNED)

    respx_mock.get(f"{API}/phone_numbers").mock(side_effect=lookup)
    posted: list[float] = []
    order.side_effect = lambda request: (posted.append(clock.now), httpx.Response(502))[1]
    result = run("numbers", "buy", NUMBER, "--provider", "telnyx", "--yes")
    # the transport never repeats the POST; the service does, 3 tries in all, each only after
    # lookups over the 5 s settle window found nothing (the first right away: a lost answer
    # is usually found at once)
    assert order.call_count == 3
    for sent, until in zip(posted, [*posted[1:], float("inf")], strict=True):
        looks = [t for t in asked if sent <= t <= until]
        assert looks[0] == sent and looks[-1] >= sent + 5, (sent, looks)
    assert result.exit_code == 6, result
    proof = "not owned 5s after telnyx answered 502"
    assert result.stderr.count(f"telnyx: +19705555098 was not bought ({proof}); trying again") == 2
    assert f"was not bought ({proof}); nothing was spent" in result.stderr
    assert "error: telnyx 502 on purchase of +19705555098" in result.stderr


def test_timeout_must_be_positive(run):
    result = run("--timeout", "0", "numbers", "list")
    assert result.exit_code == 2


def test_the_deadline_restarts_after_a_confirmation(make_ctx, clock, monkeypatch, capsys):
    import io

    from telcli.cli.base import confirm

    ctx = make_ctx(tty=True, monotonic=clock.monotonic, sleep=clock.sleep, clock=clock.monotonic)
    ctx.timeout = 10
    deadline = ctx.retry_policy.deadline
    assert deadline.remaining() == 10  # the first request started the clock
    clock.now += 8  # ...then a person reads the price for 8 s
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    confirm(ctx, "Buy +19705555098 from telnyx?")
    assert deadline.remaining() == 10, "the purchase gets the whole budget again"
    assert capsys.readouterr().err == "Buy +19705555098 from telnyx? [y/N]: "
