"""Sandbox fault injection: each kind of fault on the wire, seeded schedules that replay
exactly, rate limits with Retry-After, rules stored for every later process, and the short
and JSON forms of TELCLI_SANDBOX_FAULTS."""

from __future__ import annotations

import json
import threading
from dataclasses import replace

import httpx
import pytest

from telcli.sandbox.faults import (
    FaultError,
    FaultInjector,
    FaultRule,
    FaultStore,
    parse_rate_limit,
    parse_rules,
)
from telcli.sandbox.server import base_urls, make_server
from telcli.sandbox.transport import SandboxTransport
from tests.sandbox.conftest import ACC, telnyx_client, twilio_client

SEARCH = f"{ACC}/AvailablePhoneNumbers/US/Local.json"
OWNED = f"{ACC}/IncomingPhoneNumbers.json"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def injector(*rules: FaultRule, clock: Clock | None = None, store=None) -> FaultInjector:
    c = clock or Clock()
    numbered = [replace(r, id=-(i + 1)) for i, r in enumerate(rules)]
    return FaultInjector(store, numbered, sleep=c.sleep, clock=c.time)


def clients(db_path, faults):
    transport = SandboxTransport(db_path, faults=faults)
    return twilio_client(transport), telnyx_client(transport)


def first_number(tw: httpx.Client) -> str:
    return tw.get(SEARCH, params={"PageSize": 1}).json()["available_phone_numbers"][0][
        "phone_number"
    ]


def owned(tw: httpx.Client) -> list[str]:
    return [n["phone_number"] for n in tw.get(OWNED).json()["incoming_phone_numbers"]]


def test_status_answers_in_each_providers_own_error_format(db_path):
    tw, tx = clients(
        db_path,
        injector(
            FaultRule("twilio", "search", status=503), FaultRule("telnyx", "search", status=500)
        ),
    )
    r = tw.get(SEARCH)
    assert r.status_code == 503 and r.json()["code"] == 20503
    assert r.json()["message"] == "Service Unavailable" and "Retry-After" not in r.headers
    r = tx.get("/available_phone_numbers", params={"filter[country_code]": "US"})
    assert r.status_code == 500 and r.json()["errors"][0]["code"] == "10007"
    assert tw.get(OWNED).status_code == 200  # other operations are untouched


def test_a_429_carries_retry_after_like_the_real_apis(db_path):
    tw, tx = clients(
        db_path,
        injector(FaultRule("twilio", status=429), FaultRule("telnyx", "list", status=429)),
    )
    r = tw.get(OWNED)
    assert (r.status_code, r.headers["Retry-After"], r.json()["code"]) == (429, "1", 20429)
    r = tx.get("/phone_numbers")
    assert (r.status_code, r.headers["Retry-After"]) == (429, "1")
    assert r.json()["errors"][0]["code"] == "10011"


def test_drop_response_commits_then_cuts_the_connection(db_path):
    tw, _ = clients(db_path, None)
    number = first_number(tw)
    faulty, _ = clients(db_path, injector(FaultRule("twilio", "purchase", drop_response=True)))
    with pytest.raises(httpx.RemoteProtocolError):
        faulty.post(OWNED, data={"PhoneNumber": number})
    assert owned(tw) == [number], "the purchase happened although its answer was lost"


def test_timeout_never_runs_the_operation(db_path):
    tw, _ = clients(db_path, None)
    number = first_number(tw)
    faulty, _ = clients(db_path, injector(FaultRule("twilio", "purchase", timeout=True)))
    with pytest.raises(httpx.ReadTimeout):
        faulty.post(OWNED, data={"PhoneNumber": number})
    assert owned(tw) == []


def test_latency_sleeps_before_answering(db_path):
    clock = Clock()
    tw, _ = clients(db_path, injector(FaultRule("twilio", "list", latency_ms=250), clock=clock))
    assert tw.get(OWNED).status_code == 200 and clock.slept == [0.25]


def test_latency_beyond_the_read_timeout_is_a_read_timeout_in_process(db_path):
    # As over a socket: the client waits its read timeout (not the whole latency), gets no
    # answer, and the operation still ran (the server carries on without the client).
    clock = Clock()
    rule = FaultRule("twilio", "purchase", latency_ms=3500)
    tw, _ = clients(db_path, injector(rule, clock=clock))
    number = first_number(tw)
    with pytest.raises(httpx.ReadTimeout, match=r"no answer within the 3\.0 s read timeout"):
        tw.post(OWNED, data={"PhoneNumber": number}, timeout=httpx.Timeout(10.0, read=3.0))
    assert clock.slept == [3.0]
    assert owned(tw) == [number]


def test_rate_limit_is_a_bucket_of_one_seconds_worth(db_path):
    clock = Clock()
    tw, _ = clients(db_path, injector(FaultRule("twilio", rate_limit=3), clock=clock))
    assert [tw.get(OWNED).status_code for _ in range(4)] == [200, 200, 200, 429]
    r = tw.get(OWNED)
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"  # whole seconds, >= 1
    clock.now += 0.34  # a third of a second: one more request
    assert [tw.get(OWNED).status_code for _ in range(2)] == [200, 429]
    clock.now += 1.0  # a quiet second refills the bucket: three at once again
    assert [tw.get(OWNED).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_a_slow_rate_limit_says_how_long_to_wait(db_path):
    clock = Clock()
    tw, _ = clients(db_path, injector(FaultRule("twilio", rate_limit=0.2), clock=clock))
    assert tw.get(OWNED).status_code == 200
    r = tw.get(OWNED)
    assert r.status_code == 429 and r.headers["Retry-After"] == "5"


def test_rate_limits_from_the_environment_are_shared_through_the_sandbox_file(db_path):
    """Two in-process sandboxes (two telcli processes) with the same TELCLI_SANDBOX_FAULTS
    share each account's limit; the other provider's account is not touched."""
    clock = Clock()
    rules = parse_rules("twilio:rate-limit=2/s;telnyx:rate-limit=2/s")
    first, second = (
        FaultInjector(FaultStore(db_path), rules, sleep=clock.sleep, clock=clock.time)
        for _ in range(2)
    )
    (tw1, tx1), (tw2, _) = clients(db_path, first), clients(db_path, second)
    assert [c.get(OWNED).status_code for c in (tw1, tw2, tw1, tw2)] == [200, 200, 429, 429]
    assert tx1.get("phone_numbers").status_code == 200


def test_a_seeded_schedule_replays_exactly(db_path):
    def schedule(seed: int) -> list[int]:
        tw, _ = clients(
            db_path, injector(FaultRule("twilio", "list", status=503, rate=0.3, seed=seed))
        )
        return [tw.get(OWNED).status_code for _ in range(40)]

    first, again, other = schedule(7), schedule(7), schedule(8)
    assert first == again and first != other
    assert 4 <= first.count(503) <= 20  # about 30%
    assert first == [
        503 if FaultRule("twilio", "list", status=503, rate=0.3, seed=7).hit(k) else 200
        for k in range(1, 41)
    ]


def test_operation_names_match_exactly_or_as_a_prefix():
    pricing = FaultRule("twilio", "pricing", status=503)
    assert pricing.matches("twilio.pricing") and pricing.matches("twilio.pricing.countries")
    assert not pricing.matches("twilio.purchase") and not pricing.matches("telnyx.pricing")
    assert FaultRule("telnyx", "telnyx.purchase", status=500).matches("telnyx.purchase")
    assert FaultRule("telnyx", status=500).matches("telnyx.order.fetch")


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"provider": "vapi", "status": 500}, "unknown provider 'vapi'"),
        ({"provider": "twilio"}, "this fault does nothing"),
        ({"provider": "twilio", "status": 200}, "not an error status"),
        ({"provider": "twilio", "status": 500, "rate": 1.5}, "not a probability"),
        ({"provider": "twilio", "status": 500, "timeout": True}, "choose one of"),
        ({"provider": "twilio", "operation": "telnyx.search", "status": 500}, "not a twilio one"),
    ],
)
def test_nonsense_rules_are_refused(kw, message):
    with pytest.raises(FaultError, match=message):
        FaultRule(**kw)


def test_the_environment_takes_json_or_a_short_form():
    short = parse_rules("twilio.purchase:status=503,rate=0.2,seed=7; telnyx:drop-response")
    assert [(r.target, r.kind, r.rate, r.seed) for r in short] == [
        ("twilio.purchase", "status 503", 0.2, 7),
        ("telnyx.*", "drop-response", 1.0, 0),
    ]
    js = parse_rules(
        json.dumps(
            [{"provider": "telnyx", "operation": "search", "latency": 40, "rate_limit": "600/m"}]
        )
    )
    assert [(r.target, r.latency_ms, r.rate_limit) for r in js] == [("telnyx.search", 40, 10.0)]
    assert parse_rules("") == [] and parse_rules(None) == []
    with pytest.raises(FaultError, match="unknown fault setting"):
        parse_rules("twilio:status=500,colour=red")
    with pytest.raises(FaultError, match="not valid JSON"):
        parse_rules("[{")


def test_rate_limits_read_per_second_or_per_minute():
    assert parse_rate_limit("10/s") == 10 and parse_rate_limit("5") == 5
    assert parse_rate_limit("600/m") == 10
    with pytest.raises(FaultError):
        parse_rate_limit("fast")


def test_stored_rules_reach_every_later_process_and_keep_counting(db_path):
    store = FaultStore(db_path)
    rule = store.add(FaultRule("twilio", "list", status=503, rate=0.5, seed=3))
    assert rule.id == 1 and store.rules() == [rule]
    expected = [503 if rule.hit(k) else 200 for k in range(1, 11)]
    seen = []
    for _ in range(2):  # two processes, each with its own injector on the same file
        tw, _ = clients(db_path, FaultInjector.for_sandbox(db_path))
        seen += [tw.get(OWNED).status_code for _ in range(5)]
    assert seen == expected
    assert store.clear(provider="telnyx") == [] and store.clear() == [rule]
    tw, _ = clients(db_path, FaultInjector.for_sandbox(db_path))
    assert tw.get(OWNED).status_code == 200


def test_sandbox_reset_leaves_the_faults_alone(db_path):
    from telcli.sandbox.state import SandboxState

    FaultStore(db_path).add(FaultRule("telnyx", status=503))
    SandboxState(db_path).reset()
    assert len(FaultStore(db_path).rules()) == 1


def test_concurrent_requests_count_each_match_once(db_path):
    store = FaultStore(db_path)
    rule = store.add(FaultRule("twilio", "list", status=503, rate=0.5, seed=1))
    transport = SandboxTransport(db_path, faults=FaultInjector.for_sandbox(db_path))
    codes: list[int] = []

    def hammer() -> None:
        with twilio_client(transport) as tw:
            codes.extend(tw.get(OWNED).status_code for _ in range(10))

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes.count(503) == sum(rule.hit(k) for k in range(1, 41))


def test_the_loopback_server_drops_and_times_out_too(db_path):
    faults = injector(
        FaultRule("twilio", "purchase", drop_response=True),
        FaultRule("telnyx", "list", timeout=True),
    )
    import telcli.sandbox.faults as mod

    server = make_server("127.0.0.1", 0, db_path, faults=faults)
    old, mod.HANG_SECONDS = mod.HANG_SECONDS, 0.3
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        urls = base_urls(server)
        tw = httpx.Client(base_url=urls["twilio"], auth=twilio_client(None).auth)
        number = first_number(tw)
        with pytest.raises(httpx.RemoteProtocolError):
            tw.post(OWNED, data={"PhoneNumber": number})
        assert owned(tw) == [number]
        tx = telnyx_client(None)
        tx = httpx.Client(base_url=urls["telnyx"], headers=dict(tx.headers), timeout=0.1)
        with pytest.raises(httpx.ReadTimeout):
            tx.get("/phone_numbers")
    finally:
        mod.HANG_SECONDS = old
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
