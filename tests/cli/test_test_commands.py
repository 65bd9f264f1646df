"""`telcli test sms|call` parsing, safety and output modes: the allowlist and --force,
confirmation on a TTY, flag conflicts, the account shown before sending (never a secret),
and what reaches the service (monkeypatched: no network)."""

from __future__ import annotations

import json
import time

import pytest

from telcli.models import MessageResult, ProviderName
from telcli.sandbox import lifecycles
from telcli.services import testing as svc

TWILIO_ENV = {
    "TWILIO_ACCOUNT_SID": "AC3f1c2a9be0d84c7f9a6b5e4d3c2b1a09",
    "TWILIO_AUTH_TOKEN": "b7e3c1d9f2a84e6c9d0b1a2f3e4c5d6a",
}


class FakeCarrier:
    name = ProviderName.twilio


@pytest.fixture
def captured(monkeypatch):
    """Replace the service calls: record what the command asked for."""
    seen: dict = {"sms": [], "call": []}

    def pick(carriers, from_, *, capability, explicit_provider, to, notify, tenant=None):
        seen["pick"] = (from_, capability, explicit_provider)
        seen["tenant"] = tenant
        return [svc.Sender(FakeCarrier(), from_ or "+14155550100")]

    def run_sms(senders, to, test, **kw):
        seen["sms"].append((to, test))
        result = MessageResult(
            ProviderName.twilio, "SM" + "0" * 32, to, senders[0].from_, "delivered"
        )
        return svc.TestOutcome(
            "sms", to, test.expect, "passed", 0, result=result, provider="twilio"
        )

    def run_call(senders, to, test, **kw):
        seen["call"].append((to, test))
        return svc.TestOutcome("call", to, test.expect, "sent", 0, provider="twilio")

    monkeypatch.setattr(svc, "pick_senders", pick)
    monkeypatch.setattr(svc, "run_sms", run_sms)
    monkeypatch.setattr(svc, "run_call", run_call)
    return seen


def test_real_destinations_need_the_allowlist(telcli, captured):
    result = telcli("test", "sms", "--to", "+14155550123", "--body", "x", "--yes", env=TWILIO_ENV)
    assert result.exit_code == 2 and result.stdout == ""
    assert "error: +14155550123 is not in test.allowed_destinations" in result.stderr
    assert "--force" in result.stderr and captured["sms"] == []


def test_allowlisted_destinations_and_force(telcli, captured, home):
    (home / "config.yaml").write_text('test:\n  allowed_destinations: ["+1415555"]\n')
    ok = telcli("test", "sms", "--to", "+14155550123", "--body", "x", "--yes", env=TWILIO_ENV)
    assert ok.exit_code == 0, ok
    outside = ["test", "sms", "--to", "+12125550100", "--body", "x", "--yes"]
    assert telcli(*outside, env=TWILIO_ENV).exit_code == 2
    assert telcli(*outside, "--force", env=TWILIO_ENV).exit_code == 0
    assert [to for to, _ in captured["sms"]] == ["+14155550123", "+12125550100"]


def test_the_paying_account_is_shown_without_secrets(telcli, captured):
    result = telcli(
        "test", "sms", "--to", "+14155550123", "--body", "x", "--force", "--yes", env=TWILIO_ENV
    )
    assert (
        "charged to      profile 'default', twilio account AC3f1c2a9be0d84c7f9a6b5e4d3c2b1a09"
        in result.stderr
    )
    assert TWILIO_ENV["TWILIO_AUTH_TOKEN"] not in result.stderr + result.stdout


def test_what_reaches_the_service(telcli, captured):
    result = telcli(
        "--sandbox",
        "test",
        "sms",
        "--to",
        "+14155550123",
        "--to",
        "+1 415 555 0124",
        "--to",
        "+14155550123",
        "--from",
        "+15005550006",
        "--provider",
        "twilio",
        "--body",
        "hi",
        "--media",
        "https://example.com/a.png",
        "--expect",
        "sent",
        "--timeout",
        "30",
        "--callback-url",
        "https://hooks.example.com/s",
        "--yes",
    )
    assert result.exit_code == 0, result
    assert captured["pick"] == ("+15005550006", "mms", True)  # --media: an MMS-capable From
    assert [to for to, _ in captured["sms"]] == ["+14155550123", "+14155550124"]  # deduplicated
    test = captured["sms"][0][1]
    assert (test.body, test.media, test.expect, test.timeout, test.wait) == (
        "hi",
        ("https://example.com/a.png",),
        "sent",
        30.0,
        True,
    )
    assert test.callback_url == "https://hooks.example.com/s"


def test_call_options_reach_the_service(telcli, captured, tmp_path):
    twiml = tmp_path / "t.xml"
    twiml.write_text("<Response><Hangup/></Response>")
    args = ["--sandbox", "test", "call", "--to", "+14155550123", "--yes"]
    assert (
        telcli(*args, "--twiml", str(twiml), "--min-duration", "4", "--expect", "busy").exit_code
        == 0
    )
    test = captured["call"][-1][1]
    assert (test.twiml, test.min_duration, test.expect) == (
        "<Response><Hangup/></Response>",
        4,
        "busy",
    )
    assert telcli(*args, "--say", "Tom & Jerry <3").exit_code == 0
    assert captured["call"][-1][1].twiml == "<Response><Say>Tom &amp; Jerry &lt;3</Say></Response>"
    assert captured["pick"] == (None, "voice", False)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [
                "sms",
                "--to",
                "+14155550123",
                "--body",
                "x",
                "--from",
                "+14155550100",
                "--from-owned",
            ],
            "--from and --from-owned exclude each other",
        ),
        (["sms", "--to", "+14155550123", "--body", ""], "the message is empty"),
        (["sms", "--to", "12", "--body", "x"], "12"),
        (
            ["sms", "--to", "+14155550123", "--body", "x", "--callback-url", "ftp://x"],
            "not an http(s) URL",
        ),
        (
            ["call", "--to", "+14155550123", "--say", "hi", "--url", "https://e.x/t"],
            "--say and --url exclude each other",
        ),
    ],
)
def test_usage_errors_are_exit_2(telcli, captured, args, message):
    result = telcli("--sandbox", "test", *args, "--yes")
    assert result.exit_code == 2, result
    assert message in result.stderr and result.stdout == ""
    assert captured["sms"] == captured["call"] == []


def test_bad_expect_is_a_usage_error(telcli, captured):
    result = telcli(
        "--sandbox", "test", "sms", "--to", "+14155550123", "--body", "x", "--expect", "read"
    )
    assert result.exit_code == 2 and captured["sms"] == []


def test_no_tty_without_yes_refuses(telcli, captured):
    result = telcli("--sandbox", "test", "call", "--to", "+14155550123")
    assert result.exit_code == 2 and "--yes" in result.stderr and captured["call"] == []


def test_tty_asks_and_no_sends_nothing(telcli, captured):
    result = telcli(
        "--sandbox", "test", "sms", "--to", "+14155550123", "--body", "x", tty=True, input="n\n"
    )
    assert result.exit_code == 1 and "Send 1 test SMS from +14155550100?" in result.stderr
    assert captured["sms"] == []


@pytest.mark.parametrize("kind", ["sms", "call"])
@pytest.mark.parametrize("flag", [("--expect", "sent"), ("--timeout", "30")])
def test_no_wait_with_something_to_check_is_a_usage_error(telcli, captured, kind, flag):
    extra = ("--body", "x") if kind == "sms" else ()
    expect = ("--expect", "completed") if kind == "call" and flag[0] == "--expect" else flag
    args = ["--sandbox", "test", kind, "--to", "+14155550123", *extra, "--yes"]
    result = telcli(*args, *expect, "--no-wait")
    assert result.exit_code == 2, result
    assert f"error: {expect[0]} has nothing to check with --no-wait" in result.stderr
    assert captured[kind] == []


def test_scripts_wait_by_default_and_no_wait_opts_out(telcli, captured):
    args = ["--sandbox", "test", "sms", "--to", "+14155550123", "--body", "x", "--yes"]
    assert telcli(*args).exit_code == 0
    assert telcli(*args, "--no-wait").exit_code == 0
    assert [test.wait for _, test in captured["sms"]] == [True, False]


def test_tty_yes_sends_and_waits_by_default(telcli, captured):
    result = telcli(
        "--sandbox", "test", "sms", "--to", "+14155550123", "--body", "x", tty=True, input="y\n"
    )
    assert result.exit_code == 0, result
    assert captured["sms"][0][1].wait is True
    assert "To" in result.stdout and "Status" in result.stdout  # a Rich table on a TTY


# -- on the sandbox, with the progress display and real rendering ---------------------------


@pytest.fixture
def fake_time(monkeypatch):
    state = {"wall": time.time(), "mono": 50.0}
    monkeypatch.setattr(lifecycles, "clock", lambda: state["wall"])

    def sleep(seconds: float) -> None:
        state["wall"] += seconds
        state["mono"] += seconds

    return state, sleep


def test_tty_run_draws_progress_and_a_table(telcli, make_ctx, fake_time):
    state, sleep = fake_time
    ctx = make_ctx(tty=True, monotonic=lambda: state["mono"], sleep=sleep)
    result = telcli(
        "--sandbox",
        "test",
        "sms",
        "--to",
        "+14155550123",
        "--to",
        "+15005550003",
        "--from",
        "+15005550006",
        "--provider",
        "twilio",
        "--body",
        "hi",
        "--yes",
        ctx=ctx,
    )
    assert result.exit_code == 5
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["To", "Status", "Expected", "Outcome"]
    assert any(
        line.split()[:4] == ["+15005550003", "undelivered", "delivered", "failed"] for line in lines
    )
    assert "✓ +14155550123: delivered (expected delivered)" in result.stderr


def test_json_is_an_array_with_one_object_per_destination(telcli, make_ctx, fake_time):
    state, sleep = fake_time
    ctx = make_ctx(monotonic=lambda: state["mono"], sleep=sleep)
    result = telcli(
        "--sandbox",
        "test",
        "call",
        "--to",
        "+15005550003",
        "--from",
        "+15005550006",
        "--provider",
        "twilio",
        "--expect",
        "busy",
        "--wait",
        "--yes",
        "--json",
        ctx=ctx,
    )
    assert result.exit_code == 0, result
    [data] = json.loads(result.stdout)
    assert set(data) >= {
        "kind",
        "to",
        "from",
        "id",
        "status",
        "carrier_status",
        "expected",
        "outcome",
        "passed",
        "exit_code",
        "error_code",
        "error_meaning",
        "price",
        "currency",
        "duration",
        "min_duration",
        "answered",
        "session_id",
        "leg_id",
        "elapsed_seconds",
        "attempts",
        "provider",
    }
    assert (data["status"], data["passed"], data["provider"]) == ("busy", True, "twilio")


@pytest.mark.parametrize("kind", ["sms", "call"])
def test_tenant_reaches_the_sender_pick_and_is_checked(telcli, captured, kind):
    args = ["--sandbox", "test", kind, "--to", "+14155550123", "--yes"]
    args += ["--body", "x"] if kind == "sms" else []
    result = telcli(*args, "--tenant", "acme-dental")
    assert result.exit_code == 0, result
    assert captured["tenant"] == "acme-dental"
    assert telcli(*args).exit_code == 0 and captured["tenant"] is None
    bad = telcli(*args, "--tenant", "Acme")
    assert bad.exit_code == 2 and "error: --tenant 'Acme' is not a tenant id" in bad.stderr
