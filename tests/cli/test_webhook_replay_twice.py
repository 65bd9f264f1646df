"""webhook replay --twice proves "processed once": the receiver's two answers to the same
delivery (same idempotency token) are compared, and --expect-idempotent fails on a difference."""

from __future__ import annotations

import json
import threading

from tests.webhook_receiver import Receiver


def _import_one(telcli, tmp_path) -> None:
    record = {
        "method": "POST",
        "url": "https://hooks.example.com/status",
        "headers": [
            ["Content-Type", "application/x-www-form-urlencoded"],
            ["I-Twilio-Idempotency-Token", "tok-1"],
        ],
        "body": "CallSid=CA1&CallStatus=completed",
    }
    path = tmp_path / "one.ndjson"
    path.write_text(json.dumps(record) + "\n")
    assert telcli("webhook", "import", str(path)).exit_code == 0


def _twice(telcli, decide, *extra):
    with Receiver(decide) as rx:
        result = telcli("webhook", "replay", "1", "--to", rx.url, "--twice", "--json", *extra)
    return result, next(r for r in json.loads(result.stdout) if r["attempt"] == 2)


def test_a_receiver_that_dedupes_answers_the_same_or_refuses_the_duplicate(telcli, tmp_path):
    _import_one(telcli, tmp_path)
    seen: set[str] = set()
    lock = threading.Lock()

    def refusing(request):
        token = request.header("I-Twilio-Idempotency-Token") or ""
        with lock:
            duplicate = token in seen
            seen.add(token)
        return (409, b"already processed") if duplicate else (200, b"ok")

    result, second = _twice(telcli, refusing, "--expect-idempotent")
    assert result.exit_code == 0, result  # a 409 to the duplicate is dedupe working
    assert (second["idempotency"], second["idempotency_detail"]) == (
        "second refused",
        "200 then 409",
    )
    seen.clear()
    result, second = _twice(telcli, lambda r: (200, b'{"stored": true}'), "--expect-idempotent")
    assert result.exit_code == 0 and second["idempotency"] == "same"


def test_a_receiver_that_processes_twice_differs_and_fails_expect_idempotent(telcli, tmp_path):
    _import_one(telcli, tmp_path)
    count = {"n": 0}

    def counting(request):
        count["n"] += 1
        return 200, f'{{"processed": {count["n"]}}}'.encode()

    result, second = _twice(telcli, counting)
    assert result.exit_code == 0  # without --expect-idempotent the difference is reported only
    assert second["idempotency"] == "differs"
    assert "body differs at byte 14" in second["idempotency_detail"]
    strict, _ = _twice(telcli, counting, "--expect-idempotent")
    assert strict.exit_code == 7 and "answered differently the second time" in strict.stderr
    usage = telcli("webhook", "replay", "1", "--to", "http://127.0.0.1:9/", "--expect-idempotent")
    assert usage.exit_code == 2 and "--twice" in usage.stderr
