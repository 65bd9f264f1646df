"""test call classifies like webhook outcomes (issue 15, items 4 and 7): one function gives
both verdicts, --expect-class checks it, and --meta rides back with the callbacks."""

from __future__ import annotations

import json
import time

import pytest

from telcli.models import CallResult, ProviderName
from telcli.sandbox import lifecycles
from telcli.services.outcomes import Thresholds, outcome_of
from telcli.services.testing import call_class

MAGIC_FROM = "+15005550006"


@pytest.fixture
def fast(monkeypatch):
    monkeypatch.setenv(lifecycles.SPEED_ENV, "200")


def _call(*args: str) -> list[str]:
    return ["--sandbox", "test", "call", "--from", MAGIC_FROM, "--provider", "twilio", "--yes",
            "--json", *args]  # fmt: skip


@pytest.mark.parametrize(
    ("status", "duration"),
    [("completed", 42), ("completed", 5), ("completed", 1), ("completed", 10), ("busy", 0),
     ("no-answer", 0), ("failed", 0), ("canceled", 0), ("completed", 3)],
)  # fmt: skip
def test_a_test_call_and_webhook_outcomes_classify_alike(status, duration):
    result = CallResult(ProviderName.twilio, "CA1", "+2", "+1", status, duration=duration)
    events = [{"event_id": "e", "event_type": f"call.{status}", "call_id": "CA1",
               "duration_seconds": duration}]  # fmt: skip
    for thresholds in (Thresholds(), Thresholds(20, 5)):
        assert call_class(result, thresholds) == outcome_of(events, thresholds).outcome_class


def test_expect_class_compares_the_class_and_expect_still_the_status(telcli, fast):
    # +15005550008 answers and hangs up after 1 s: status completed, class failed.
    plain = telcli(*_call("--to", "+15005550008"))
    [data] = json.loads(plain.stdout)
    assert plain.exit_code == 0 and (data["status"], data["outcome_class"]) == (
        "completed",
        "failed",
    )
    by_class = telcli(*_call("--to", "+15005550008", "--expect-class", "failed"))
    assert by_class.exit_code == 0, by_class  # --expect alone is not compared with a class
    both = telcli(*_call("--to", "+15005550008", "--expect", "completed", "--expect-class",
                         "completed"))  # fmt: skip
    assert both.exit_code == 5 and "class failed" in both.stderr
    [data] = json.loads(both.stdout)
    assert data["expected"] == "completed, class completed"


def test_meta_rides_back_in_the_callbacks_and_into_the_events(telcli, home, fast):
    from telcli.services.listen import CaptureServer
    from telcli.storage.state import StateDB

    StateDB(home / "state.db").conn  # noqa: B018
    with CaptureServer(home / "state.db") as server:
        url = f"http://127.0.0.1:{server.port}/calls"
        telnyx = telcli(
            "--sandbox", "test", "call", "--to", "+14155550123", "--from", MAGIC_FROM,
            "--provider", "telnyx", "--connection-id", "1494404757140276705",
            "--callback-url", url, "--meta", "run=42", "--meta", "suite=smoke", "--yes",
        )  # fmt: skip
        twilio = telcli(*_call("--to", "+14155550123", "--callback-url", url, "--meta", "run=43"))
        assert telnyx.exit_code == 0 and twilio.exit_code == 0, (telnyx, twilio)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            events = json.loads(telcli("webhook", "list", "--json").stdout)
            finals = [e for e in events if (e["event"] or {}).get("event_type") == "call.completed"]
            if len(finals) == 2:
                break
            time.sleep(0.2)
    metas = {e["event"]["provider"]: e["event"]["meta"] for e in finals}
    assert metas == {"telnyx": {"run": "42", "suite": "smoke"}, "twilio": {"run": "43"}}
    outcomes = json.loads(telcli("webhook", "outcomes", "--json").stdout)
    assert {o["provider"]: o["meta"].get("run") for o in outcomes} == {
        "telnyx": "42",
        "twilio": "43",
    }
    refused = telcli(*_call("--to", "+14155550123", "--meta", "bad key=1"))
    assert refused.exit_code == 2
    sms = telcli("--sandbox", "test", "sms", "--to", "+14155550123", "--from", MAGIC_FROM,
                 "--body", "hi", "--meta", "run=1", "--yes")  # fmt: skip
    assert sms.exit_code == 2 and "--callback-url" in sms.stderr
