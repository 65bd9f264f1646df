"""Ctrl-C is safe (issue 16, item 3), driven with real SIGINTs on real processes: `test call`
hangs up what it placed (an assistant call through VAPI's live call control) and exits 130;
`webhook replay` starts no more, lets what is in flight finish and exits 130; a second Ctrl-C
exits at once."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from telcli.sandbox.lifecycles import MAGIC_FROM
from tests.sandbox.conftest import ACC, twilio_client
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.slow


def _env(home: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "TELCLI_HOME": str(home), **extra}


def _start(home: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "telcli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(home, **env),
    )


def _until(check: Callable[[], bool], proc: subprocess.Popen[str], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if proc.poll() is not None:
            pytest.fail(f"exited early ({proc.returncode}): {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"timed out waiting: {proc.communicate()}")
        time.sleep(0.05)


def test_ctrl_c_hangs_up_a_ringing_test_call(tmp_path: Path):
    from telcli.sandbox.transport import SandboxTransport

    home = tmp_path / "home"
    proc = _start(
        home,
        "--sandbox",
        "test",
        "call",
        "--to",
        "+15005550005",  # rings forever
        "--from",
        MAGIC_FROM,
        "--provider",
        "twilio",
        "--yes",
        "--json",
        TELCLI_SANDBOX_SPEED="10",
    )
    calls = f"{ACC}/Calls.json"
    with twilio_client(SandboxTransport(home / "sandbox.db")) as twilio:

        def ringing() -> bool:
            if not (home / "sandbox.db").exists():
                return False
            found = twilio.get(calls).json().get("calls") or []
            return bool(found) and found[0]["status"] == "ringing"

        try:
            _until(ringing, proc)
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=30)
        finally:
            proc.kill()
        [call] = twilio.get(calls).json()["calls"]
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted: hanging up 1 call…" in err
    [result] = json.loads(out)
    assert (result["id"], result["status"]) == (call["sid"], "canceled")
    assert (result["outcome"], result["exit_code"]) == ("interrupted", 130)
    assert call["status"] == "canceled"  # at the carrier, not only in telcli's report


def test_ctrl_c_ends_a_ringing_assistant_call_through_vapi(tmp_path: Path):
    from telcli.sandbox import SANDBOX_CREDENTIALS
    from telcli.sandbox.state import SandboxState
    from telcli.sandbox.transport import SandboxTransport
    from telcli.sandbox.vapi import ASSISTANTS

    home = tmp_path / "home"
    home.mkdir()
    # MAGIC_FROM as imported into VAPI (a sandbox import needs a number bought first).
    SandboxState(home / "sandbox.db").add_resource(
        "vapi",
        "phone_number",
        "5a4db0c5-7e1e-4000-8000-000000000001",
        {"id": "5a4db0c5-7e1e-4000-8000-000000000001", "number": MAGIC_FROM, "provider": "twilio"},
    )
    proc = _start(
        home,
        "--sandbox",
        "test",
        "call",
        "--to",
        "+15005550005",  # rings forever
        "--from",
        MAGIC_FROM,
        "--assistant",
        ASSISTANTS[0]["id"],
        "--yes",
        "--json",
        TELCLI_SANDBOX_SPEED="10",
    )
    key = SANDBOX_CREDENTIALS["vapi"]["api_key"]
    with httpx.Client(
        transport=SandboxTransport(home / "sandbox.db"),
        base_url="https://api.vapi.ai",
        headers={"Authorization": f"Bearer {key}"},
    ) as vapi:

        def ringing() -> bool:
            found = vapi.get("/call").json()
            return bool(found) and found[0]["status"] == "ringing"

        try:
            _until(ringing, proc)
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=30)
        finally:
            proc.kill()
        [call] = vapi.get("/call").json()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted: hanging up 1 call…" in err
    [result] = json.loads(out)
    assert (result["id"], result["provider"], result["status"]) == (call["id"], "vapi", "canceled")
    assert (result["outcome"], result["exit_code"]) == ("interrupted", 130)
    assert result["note"] == "interrupted: hung up"
    # Ended at VAPI (the sandbox), not only in telcli's report.
    assert (call["status"], call["endedReason"]) == ("ended", "manually-canceled")


def _captures(path: Path, n: int) -> None:
    lines = []
    for i in range(n):
        body = f"CallSid=CA{i:032x}&CallStatus=completed".encode()
        lines.append(
            json.dumps(
                {
                    "received_at": f"2026-11-22T10:{i // 60:02d}:{i % 60:02d}Z",
                    "method": "POST",
                    "url": "https://abc.ngrok.app/twilio/status",
                    "headers": [["Content-Type", "application/x-www-form-urlencoded"]],
                    "body_b64": base64.b64encode(body).decode(),
                    "response": {"status": 200, "headers": [], "body_b64": ""},
                }
            )
        )
    path.write_text("\n".join(lines))


@pytest.fixture
def two_hundred(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    _captures(tmp_path / "caps.ndjson", 200)
    done = subprocess.run(
        [sys.executable, "-m", "telcli", "webhook", "import", str(tmp_path / "caps.ndjson")],
        capture_output=True,
        text=True,
        env=_env(home),
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return home


def _count(home: Path) -> int:
    from telcli.storage.captures import CaptureStore
    from telcli.storage.state import StateDB

    return CaptureStore(StateDB(home / "state.db")).count()


def _replay(home: Path, url: str) -> subprocess.Popen[str]:
    args = ("webhook", "replay", "--filter", "limit=200", "--to", url, "-c", "2", "--json")
    return _start(home, *args)


def test_ctrl_c_during_replay_finishes_what_is_in_flight(two_hundred: Path):
    def slow(_request: object) -> tuple[int, bytes]:
        time.sleep(0.2)
        return 200, b"ok"

    with Receiver(slow) as rx:
        proc = _replay(two_hundred, rx.url)
        try:
            _until(lambda: len(rx.requests) >= 4, proc)
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=30)
        finally:
            proc.kill()
        received = len(rx.requests)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted: starting no more requests" in err
    results = json.loads(out)
    # What was sent is reported (in flight included, answered), and nothing more started.
    assert 4 <= len(results) == received < 200
    assert all(r["status"] == 200 and r["ok"] for r in results)
    assert f"interrupted: sent {received} of 200 requests" in err
    assert _count(two_hundred) == 200  # nothing lost from the capture store


def test_a_second_ctrl_c_exits_at_once(two_hundred: Path):
    def stuck(_request: object) -> tuple[int, bytes]:
        time.sleep(20)
        return 200, b"late"

    with Receiver(stuck) as rx:
        proc = _replay(two_hundred, rx.url)
        try:
            _until(lambda: len(rx.requests) >= 2, proc)
            proc.send_signal(signal.SIGINT)
            time.sleep(0.5)
            assert proc.poll() is None  # waiting for the two requests in flight
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=10)  # not the 20 s the receiver takes
            assert out == ""  # gone at once: no report
        finally:
            proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted again: exiting now" in err
    assert "Traceback" not in err
    assert len(rx.requests) == 2


def _sms(home: Path, faults: str) -> subprocess.Popen[str]:
    to = ("--to", "+14155550123", "--to", "+14155550124")
    args = ("--sandbox", "test", "sms", *to, "--from", MAGIC_FROM, "--provider", "twilio")
    return _start(home, *args, "--body", "hi", "--yes", "--json", TELCLI_SANDBOX_FAULTS=faults)


def _ledger(home: Path) -> list[str]:
    from telcli.storage.state import StateDB

    return sorted(e.status for e in StateDB(home / "state.db").ledger_entries(op="sms"))


def test_ctrl_c_during_sends_lets_them_finish_and_twice_leaves_them_unknown(tmp_path: Path):
    # Each send takes a while at the carrier; Ctrl-C comes while both are under way.
    slow = "twilio.messages.create:latency=1500"

    def under_way(home: Path) -> bool:
        from telcli.storage.state import StateDB

        path = home / "state.db"
        return path.exists() and len(StateDB(path).ledger_entries(op="sms")) == 2

    once = tmp_path / "once"
    proc = _sms(once, slow)
    try:
        _until(lambda: under_way(once), proc)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted: sending no more SMS (2 under way finish their send)" in err
    assert "Traceback" not in err
    results = json.loads(out)
    assert [r["outcome"] for r in results] == ["interrupted", "interrupted"]
    assert all(r["id"].startswith("SM") for r in results)  # sent, and reported
    assert _ledger(once) == ["succeeded", "succeeded"]  # their real outcome

    twice = tmp_path / "twice"
    proc = _sms(twice, "twilio.messages.create:latency=20000")
    try:
        _until(lambda: under_way(twice), proc)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)  # not the 20 s the sends take
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted again: exiting now" in err and out == ""
    assert _ledger(twice) == ["unknown", "unknown"]  # never left pending


def _plan(path: Path, numbers: int) -> Path:
    path.write_text(
        "version: 1\n"
        "defaults: {country: US, type: local, area_code: '415', providers: [twilio],"
        " max_monthly_price: '5.00'}\n"
        f"tenants:\n  - id: acme\n    numbers: {numbers}\n"
    )
    return path


def _apply(home: Path, plan: Path, faults: str) -> subprocess.Popen[str]:
    args = ("--sandbox", "tenants", "apply", str(plan), "--yes", "--json")
    return _start(home, *args, TELCLI_SANDBOX_FAULTS=faults)


def _tenant_ledger(home: Path) -> list[tuple[str, str]]:
    from telcli.storage.state import StateDB

    return sorted((e.op, e.status) for e in StateDB(home / "state.db").ledger_entries())


def _buying(home: Path) -> bool:
    from telcli.storage.state import StateDB

    path = home / "state.db"
    return path.exists() and bool(StateDB(path).ledger_entries(op="buy"))


def test_ctrl_c_during_tenants_apply_finishes_the_purchase_under_way_and_buys_no_more(
    tmp_path: Path,
):
    home = tmp_path / "home"
    proc = _apply(home, _plan(tmp_path / "plan.yaml", 2), "twilio.purchase:latency=1500")
    try:
        _until(lambda: _buying(home), proc)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted: starting no more tenants or steps" in err
    [tenant] = json.loads(out)
    assert (tenant["tenant"], tenant["status"]) == ("acme", "pending")
    assert "interrupted" in tenant["error"]
    # The purchase under way finished and is recorded as done; the second never started.
    ledger = _tenant_ledger(home)
    assert ledger.count(("buy", "succeeded")) == 1 and ("buy", "pending") not in ledger
    assert not [row for row in ledger if row[1] == "pending"], ledger


def test_a_second_ctrl_c_during_tenants_apply_exits_at_once_leaving_nothing_pending(
    tmp_path: Path,
):
    home = tmp_path / "home"
    proc = _apply(home, _plan(tmp_path / "plan.yaml", 1), "twilio.purchase:latency=20000")
    try:
        _until(lambda: _buying(home), proc)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)  # not the 20 s the purchase takes
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted again: exiting now" in err and out == ""
    ledger = _tenant_ledger(home)
    assert ("buy", "unknown") in ledger  # the next apply settles it first
    assert not [row for row in ledger if row[1] == "pending"], ledger
