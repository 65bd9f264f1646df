"""``telcli sandbox faults set|list|clear`` and TELCLI_SANDBOX_FAULTS through the CLI."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def run(telcli, make_ctx):
    def invoke(*args: str, env: dict[str, str] | None = None):
        # retries of the faulted requests must not really wait
        return telcli(*args, ctx=make_ctx(env=env, sleep=lambda seconds: None), env=env)

    return invoke


def test_set_list_clear(run):
    first = run(
        "sandbox",
        "faults",
        "set",
        "twilio",
        "--operation",
        "purchase",
        "--drop-response",
        "--rate",
        "0.05",
        "--seed",
        "9",
        "--json",
    )
    assert first.exit_code == 0, first
    assert json.loads(first.stdout) == {
        "id": 1,
        "provider": "twilio",
        "operation": "purchase",
        "status": None,
        "rate": 0.05,
        "latency_ms": 0,
        "rate_limit": None,
        "timeout": False,
        "drop_response": True,
        "seed": 9,
        "kind": "drop-response",
        "target": "twilio.purchase",
    }
    assert first.stderr == "ok: fault 1 set: twilio.purchase drop-response\n"
    run(
        "sandbox",
        "faults",
        "set",
        "telnyx",
        "--status",
        "503",
        "--rate-limit",
        "5/s",
        "--latency",
        "20",
    )
    listed = run("sandbox", "faults", "list")
    assert listed.stdout.splitlines() == [
        "1\ttwilio.purchase\tdrop-response\t0.05\t\t\t9",
        "2\ttelnyx.*\tstatus 503\t1\t20 ms\t5/s\t0",
    ]
    cleared = run("sandbox", "faults", "clear", "telnyx", "--json")
    assert [r["id"] for r in json.loads(cleared.stdout)] == [2]
    assert cleared.stderr == "ok: cleared 1 fault\n"
    assert run("sandbox", "faults", "clear").stderr == "ok: cleared 1 fault\n"
    assert run("sandbox", "faults", "list", "--json").stdout == "[]\n"


def test_set_faults_change_what_later_commands_see(run):
    assert (
        run("sandbox", "faults", "set", "twilio", "-o", "search", "--status", "503").exit_code == 0
    )
    result = run("--sandbox", "numbers", "search", "--limit", "1")
    assert result.exit_code == 0 and result.stdout.rstrip().endswith("telnyx")
    assert result.stderr.startswith("twilio: search failed: twilio 503 on number search in US")


def test_environment_faults_are_listed_and_applied(run):
    env = {"TELCLI_SANDBOX_FAULTS": "telnyx.search:status=500"}
    listed = run("sandbox", "faults", "list", "--json", env=env)
    assert [(r["id"], r["target"], r["kind"]) for r in json.loads(listed.stdout)] == [
        (-1, "telnyx.search", "status 500")
    ]
    result = run("--sandbox", "numbers", "search", "--provider", "telnyx", env=env)
    assert result.exit_code == 6 and "telnyx 500" in result.stderr


def test_a_bad_environment_spec_is_a_config_error(run):
    result = run("sandbox", "faults", "list", env={"TELCLI_SANDBOX_FAULTS": "twilio:colour=red"})
    assert result.exit_code == 3
    assert result.stderr.startswith(
        "error: TELCLI_SANDBOX_FAULTS: unknown fault setting(s): colour"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["twilio"], "this fault does nothing"),
        (["twilio", "--status", "503", "--timeout"], "choose one of"),
        (["twilio", "--rate-limit", "lots", "--status", "503"], "is not like 10/s"),
        (["twilio", "--rate-limit", "nan"], "a finite number of requests per second above 0"),
        (["twilio", "--rate-limit", "inf/s"], "a finite number of requests per second above 0"),
        (["twilio", "--rate-limit", "0"], "a finite number of requests per second above 0"),
        (["twilio", "-o", "telnyx.search", "--status", "503"], "not a twilio one"),
    ],
)
def test_nonsense_faults_are_usage_errors(run, args, message):
    result = run("sandbox", "faults", "set", *args)
    assert result.exit_code == 2 and message in result.stderr
    assert run("sandbox", "faults", "list", "--json").stdout == "[]\n"


def test_in_process_latency_beyond_the_deadline_times_out_like_sandbox_serve(run):
    # Issue 13: in process, 5 s of injected latency with --timeout 1 was a 5 s success
    # (no socket timed the request out); `sandbox serve` gave exit 6. Now both do.
    env = {"TELCLI_SANDBOX_FAULTS": "twilio.search:latency=5000"}
    result = run(
        "--sandbox", "--timeout", "1", "numbers", "search", "--provider", "twilio", env=env
    )
    assert result.exit_code == 6, result
    assert result.stdout == ""
    assert "twilio did not answer in time" in result.stderr
