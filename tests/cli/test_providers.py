"""``telcli providers status|reset``, and circuit breakers shared by separate commands: in
process with fake carriers, then two real ``telcli`` processes against a dead local server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler

import pytest

from telcli.errors import ProviderUnavailable
from telcli.models import ProviderName
from telcli.storage.breakers import clock_time
from tests.fakes import FakeCarrier, offer
from tests.webhook_receiver import QuietHTTPServer

N1, N2 = "+14155550101", "+14155550102"
TELNYX_KEY = "KEY0193A7C2E5F84B6D9A1C3E5F7B9D1F3_Zx8Qw2Er4Ty6Ui8Op0"


@pytest.fixture
def fakes():
    return (
        FakeCarrier(ProviderName.twilio, inventory=[offer(N1, "twilio")]),
        FakeCarrier(ProviderName.telnyx, inventory=[offer(N2, "telnyx")]),
    )


@pytest.fixture
def run(telcli, make_ctx, fakes, home):
    (home / "config.yaml").write_text("breaker:\n  failures: 2\n  cooldown: 30\n")

    def invoke(*args: str, env: dict[str, str] | None = None):
        ctx = make_ctx(env=env)
        ctx._carriers.update({"twilio": fakes[0], "telnyx": fakes[1]})
        return telcli(*args, ctx=ctx)

    return invoke


def status(run, **kw) -> dict[str, dict]:
    result = run("providers", "status", "--json", **kw)
    assert result.exit_code == 0, result
    return {row["provider"]: row for row in json.loads(result.stdout)}


def test_status_before_anything_happened(run):
    rows = status(run, env={"TELNYX_API_KEY": TELNYX_KEY})
    assert list(rows) == ["twilio", "telnyx", "vapi"]
    assert rows["telnyx"] == {
        "provider": "telnyx",
        "profile": "default",
        "credentials": "env",
        "breaker": "closed",
        "open_until": None,
        "failures": 0,
        "last_error": None,
        "last_error_at": None,
        "last_success_at": None,
        "median_latency_ms": None,
        "rate": 50.0,
        "rate_ceiling": 50.0,
        "throttled_last_hour": 0,
        "paused_until": None,
    }
    assert rows["twilio"]["credentials"] == "missing"
    assert (rows["twilio"]["rate"], rows["twilio"]["rate_ceiling"]) == (100.0, 100.0)


def test_status_shows_the_pacing_429s_taught_the_shared_bucket(run, make_ctx, home):
    """A 429 seen by one command lowers the account's rate and pauses it; the next command
    (`providers status`) shows the rate, the configured ceiling and the 429s of the hour."""
    (home / "config.yaml").write_text("rate_limits: {telnyx: 20}\n")
    env = {"TELCLI_SANDBOX": "1", "TELCLI_SANDBOX_FAULTS": "telnyx.search:rate-limit=0.2/s"}
    ctx = make_ctx(env=env, sleep=lambda s: None)
    telnyx = ctx.carrier("telnyx")
    from telcli.errors import ProviderUnavailable
    from telcli.models import NumberQuery

    for _ in range(6):  # one goes through, then 429 with Retry-After: 5
        try:
            telnyx.search_numbers(NumberQuery(limit=1))
        except ProviderUnavailable:
            break
    rows = status(run, env={"TELCLI_SANDBOX": "1"})
    telnyx_row = rows["telnyx"]
    assert telnyx_row["rate_ceiling"] == 20.0 and telnyx_row["rate"] <= 20.0
    assert telnyx_row["throttled_last_hour"] >= 1
    assert telnyx_row["paused_until"] is not None
    assert rows["twilio"]["throttled_last_hour"] == 0


def test_status_shows_vapi_pacing_without_a_breaker(run, make_ctx, home):
    """VAPI is paced like the carriers (its own account's bucket) but never failed over: its
    row has pacing and no breaker, in the table and in JSON."""
    (home / "config.yaml").write_text("rate_limits: {vapi: 8}\n")
    pacer = make_ctx(env={"TELCLI_SANDBOX": "1"}).provider_settings("vapi").retry.pacer
    pacer.throttled(None, 30.0)  # what the transport reports for a 429 with Retry-After: 30
    vapi = status(run, env={"TELCLI_SANDBOX": "1"})["vapi"]
    assert vapi["breaker"] is None and vapi["failures"] is None, vapi
    assert vapi["rate_ceiling"] == 8.0 and vapi["throttled_last_hour"] == 1, vapi
    assert vapi["paused_until"] is not None
    table = run("providers", "status", env={"TELCLI_SANDBOX": "1"})
    (line,) = [row for row in table.stdout.splitlines() if row.startswith("vapi\t")]
    cells = line.split("\t")
    assert cells[3:9] == ["", "", "", "", "", ""], cells  # breaker, until, failures, error...
    assert cells[9:11] == ["8/8", "1"] and cells[11], cells  # rate/ceiling, 429s, paused until


def test_a_command_our_pacing_gives_up_on_does_not_count_against_the_breaker(
    make_ctx, telcli, home
):
    """Ten loops sharing a paused account each exit 6 without sending anything: that is our
    own pacing, not the provider failing, so the breaker stays closed for the next command."""
    (home / "config.yaml").write_text("breaker:\n  failures: 2\n  cooldown: 30\n")
    env = {"TELCLI_SANDBOX": "1"}
    pacer = make_ctx(env=env).provider_settings("telnyx").retry.pacer
    pacer.throttled(None, 30.0)  # a 429 with Retry-After: 30 paused the account
    for _ in range(3):
        result = telcli("--timeout", "1", "numbers", "list", "-p", "telnyx", env=env)
        assert result.exit_code == 6 and "telnyx rate limit:" in result.stderr, result
    assert "circuit opened" not in result.stderr, result.stderr
    rows = json.loads(telcli("providers", "status", "--json", env=env).stdout)
    (telnyx,) = [row for row in rows if row["provider"] == "telnyx"]
    assert (telnyx["breaker"], telnyx["failures"]) == ("closed", 0), telnyx


def test_failures_open_the_breaker_and_the_next_command_skips_the_provider(run, fakes):
    tw, _ = fakes
    tw.fail["search_numbers"] = ProviderUnavailable("twilio 503 on search", provider="twilio")
    first = run("numbers", "search")
    assert first.exit_code == 0 and first.stderr == "twilio: search failed: twilio 503 on search\n"
    second = run("numbers", "search")
    assert second.exit_code == 0
    assert second.stderr.splitlines()[0].startswith(
        "twilio: circuit opened after 2 failures in a row; skipping twilio until"
    )
    calls = len(tw.calls)
    third = run("numbers", "search")
    assert len(tw.calls) == calls, "an open circuit is skipped without calling the provider"
    assert third.stdout.startswith(N2)
    assert third.stderr.startswith("twilio: skipped (circuit open for twilio until ")

    rows = status(run)
    assert rows["twilio"]["breaker"] == "open" and rows["twilio"]["failures"] == 2
    assert rows["twilio"]["last_error"] == "twilio 503 on search"
    assert rows["twilio"]["open_until"].endswith("Z")
    assert rows["telnyx"]["breaker"] == "closed"
    assert isinstance(rows["telnyx"]["median_latency_ms"], int)


def test_an_explicit_provider_with_an_open_circuit_is_exit_6_with_a_hint(run, fakes):
    fakes[0].fail["list_owned"] = ProviderUnavailable("twilio 502", provider="twilio")
    for _ in range(2):
        run("numbers", "list", "--provider", "twilio")
    result = run("numbers", "list", "--provider", "twilio")
    assert result.exit_code == 6
    error, hint = result.stderr.splitlines()[-2:]
    assert error.startswith("error: circuit open for twilio until ")
    assert hint.endswith("or now after `telcli providers reset twilio`")


def test_reset_closes_it_and_the_provider_is_called_again(run, fakes):
    tw, _ = fakes
    tw.fail["list_owned"] = [ProviderUnavailable("down", provider="twilio")] * 2
    for _ in range(2):
        run("numbers", "list", "--provider", "twilio")
    reset = run("providers", "reset", "twilio", "--json")
    assert reset.exit_code == 0
    assert json.loads(reset.stdout) == {"profile": "default", "reset": ["twilio"]}
    assert reset.stderr == "ok: closed the circuit breaker of twilio\n"
    assert run("numbers", "list", "--provider", "twilio").exit_code == 0
    again = run("providers", "reset")
    assert (again.stdout, again.stderr) == ("", "every circuit breaker was already closed\n")


def test_status_shows_half_open_once_the_cooldown_is_over(run, make_ctx):
    from telcli.storage.breakers import Breakers, BreakerSettings

    ctx = make_ctx()
    past = Breakers(
        ctx.state, "default", BreakerSettings(failures=1, cooldown=30), clock=lambda: 1_000_000.0
    )
    past.failure("telnyx", "telnyx 504")
    assert status(run)["telnyx"]["breaker"] == "half-open"  # the next call is the probe


def test_status_piped_is_tsv_with_iso_times(run, make_ctx):
    from telcli.storage.breakers import Breakers, BreakerSettings

    b = Breakers(
        make_ctx().state, "default", BreakerSettings(failures=1), clock=lambda: 4_102_444_800.0
    )  # 2100-01-01, so it is still open
    b.failure("twilio", "twilio 503")
    b.success("telnyx", 120)
    result = run("providers", "status")
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert lines[0] == [
        "twilio",
        "default",
        "missing",
        "open",
        "2100-01-01T00:00:30Z",
        "1",
        "twilio 503",
        "2100-01-01T00:00:00Z",
        "",
        "100/100",
        "0",
        "",
    ]
    assert lines[1][:4] == ["telnyx", "default", "missing", "closed"]
    assert lines[1][-4:] == ["120 ms", "50/50", "0", ""]


def test_sandbox_breakers_are_apart_from_the_real_ones(run, make_ctx):
    from telcli.storage.breakers import Breakers

    Breakers(make_ctx().state, "default", clock=lambda: 4_102_444_800.0).reset()
    rows = status(run, env={"TELCLI_SANDBOX": "1"})
    assert {r["profile"] for r in rows.values()} == {"default (sandbox)"}
    assert {r["credentials"] for r in rows.values()} == {"sandbox"}


# --- two real processes -------------------------------------------------------------------------


class _Dead(BaseHTTPRequestHandler):
    """Every request: 503 with Retry-After: 0, counted."""

    hits = 0

    def _answer(self) -> None:
        type(self).hits += 1
        self.send_response(503)
        self.send_header("Retry-After", "0")
        self.send_header("Content-Type", "application/json")
        body = b'{"errors":[{"code":"10007","title":"Service unavailable"}]}'
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def dead_server():
    _Dead.hits = 0
    server = QuietHTTPServer(("127.0.0.1", 0), _Dead)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Dead
    server.shutdown()
    server.server_close()


def test_a_second_process_skips_the_provider_the_first_found_dead(home, dead_server):
    url, handler = dead_server
    (home / "config.yaml").write_text("providers: [telnyx]\nbreaker:\n  failures: 1\n")
    env = {
        **os.environ,
        "TELCLI_HOME": str(home),
        "TELNYX_API_KEY": TELNYX_KEY,
        "TELCLI_TELNYX_BASE_URL": url,
    }

    def telcli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "telcli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    first = telcli("--debug", "numbers", "search")
    assert first.returncode == 6, first.stderr
    hits = handler.hits
    assert hits == 5, "the first process retried the search (5 attempts) before giving up"
    assert "telnyx: circuit opened after 1 failure in a row" in first.stderr

    second = telcli("--debug", "numbers", "search")
    assert second.returncode == 6
    assert handler.hits == hits, "the second process must not touch the network"
    assert "http:" not in second.stderr
    [error] = [line for line in second.stderr.splitlines() if line.startswith("error:")]
    assert error.startswith("error: circuit open for telnyx until ")
    until = error.rsplit(" ", 1)[1]
    assert len(until) == 8 and until.count(":") == 2  # HH:MM:SS, local time
    assert clock_time(0).count(":") == 2

    status = json.loads(telcli("providers", "status", "--json").stdout)
    assert [(r["provider"], r["breaker"]) for r in status] == [
        ("telnyx", "open"),
        ("twilio", "closed"),
        ("vapi", None),
    ]
