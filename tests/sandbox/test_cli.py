"""``telcli sandbox serve | reset``: data on stdout, hints on stderr, clean stop on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from telcli.sandbox import SANDBOX_CREDENTIALS
from telcli.sandbox.transport import SandboxTransport

from .conftest import ACC, ACCOUNT_SID, AUTH_TOKEN, available, buy_twilio, twilio_client


def test_reset_forgets_what_was_bought(telcli, home: Path) -> None:
    db = home / "sandbox.db"  # the context's sandbox_db_path under TELCLI_HOME
    with twilio_client(SandboxTransport(db)) as twilio:
        assert buy_twilio(twilio, available(twilio)[0]["phone_number"]).status_code == 201

    result = telcli("sandbox", "reset", "--json")
    assert result.exit_code == 0, result
    assert json.loads(result.stdout) == {
        "db_path": str(db),
        "numbers_removed": 1,
        "orders_removed": 0,
    }
    assert "sandbox reset (1 numbers released)" in result.stderr
    with twilio_client(SandboxTransport(db)) as twilio:
        assert twilio.get(f"{ACC}/IncomingPhoneNumbers.json").json()["incoming_phone_numbers"] == []

    piped = telcli("sandbox", "reset")
    assert piped.stdout == f"{db}\t0\t0\n"


def test_reset_honours_the_db_override(telcli, tmp_path: Path) -> None:
    db = tmp_path / "elsewhere.db"
    result = telcli("sandbox", "reset", "--json", env={"TELCLI_SANDBOX_DB": str(db)})
    assert result.exit_code == 0, result
    assert json.loads(result.stdout)["db_path"] == str(db)
    assert db.exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--sandbox", "numbers", "list"],
        ["sandbox", "reset"],
        ["sandbox", "faults", "set", "twilio", "--status", "503"],
    ],
)
def test_a_sandbox_db_that_cannot_be_created_is_a_config_error(telcli, tmp_path, args) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    result = telcli(*args, env={"TELCLI_SANDBOX_DB": str(not_a_dir / "sandbox.db")})
    assert result.exit_code == 3, result
    assert result.stderr.startswith(
        f"error: cannot open the sandbox database {not_a_dir / 'sandbox.db'}: Not a directory"
    )
    assert "hint: set TELCLI_HOME (or TELCLI_SANDBOX_DB) to a writable location" in result.stderr


def _start(home: Path, *args: str, sigint_ignored: bool = False) -> subprocess.Popen[str]:
    # PYTHONFAULTHANDLER: a server that does not stop can be made to dump its threads.
    env = {**os.environ, "TELCLI_HOME": str(home), "NO_COLOR": "1", "PYTHONFAULTHANDLER": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "telcli", "sandbox", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # What a script's `telcli sandbox serve &` inherits: background jobs ignore SIGINT.
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
        if sigint_ignored
        else None,
    )


def _stop(proc: subprocess.Popen[str], signum: int = signal.SIGINT) -> tuple[int, str]:
    proc.send_signal(signum)
    try:
        # Generous: CI runs this beside Prism and other workers on two cores.
        _, stderr = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)  # faulthandler prints every thread's stack
        _, stderr = proc.communicate(timeout=10)
        pytest.fail(f"sandbox serve did not stop within 30 s of signal {signum}:\n{stderr}")
    return proc.returncode, stderr


def test_serve_prints_base_urls_and_stops_cleanly_on_ctrl_c(home: Path) -> None:
    proc = _start(home)
    try:
        assert proc.stdout is not None
        rows = [proc.stdout.readline().rstrip("\n").split("\t") for _ in range(4)]
        urls = {api: url for api, url, _ in rows}
        assert [env for _, _, env in rows] == [
            "TELCLI_TWILIO_BASE_URL",
            "TELCLI_TWILIO_PRICING_BASE_URL",
            "TELCLI_TELNYX_BASE_URL",
            "TELCLI_VAPI_BASE_URL",
        ]
        response = httpx.get(f"{urls['twilio']}{ACC}.json", auth=(ACCOUNT_SID, AUTH_TOKEN))
        assert response.json()["sid"] == ACCOUNT_SID
    finally:
        code, stderr = _stop(proc)
    assert code == 0
    assert f"export TELCLI_TWILIO_BASE_URL={urls['twilio']}" in stderr
    assert f"export TELCLI_TELNYX_BASE_URL={urls['telnyx']}" in stderr
    assert f"export TELCLI_VAPI_BASE_URL={urls['vapi']}" in stderr
    # Every fake credential the sandbox accepts, VAPI's included: following these lines is
    # enough for `telcli vapi assistants` to reach the served sandbox.
    exports = next(line for line in stderr.splitlines() if "TELNYX_API_KEY=" in line)
    for provider, values in SANDBOX_CREDENTIALS.items():
        for field, value in values.items():
            assert f"{provider.upper()}_{field.upper()}={value}" in exports
    assert stderr.rstrip().endswith("sandbox: stopped")
    # The state it served lives in the context's sandbox DB.
    assert (home / "sandbox.db").exists()


def test_serve_stops_on_sigint_even_when_started_with_it_ignored(home: Path) -> None:
    proc = _start(home, sigint_ignored=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("twilio\t")
    finally:
        code, stderr = _stop(proc)
    assert code == 0 and stderr.rstrip().endswith("sandbox: stopped")


def test_serve_json_and_sigterm(home: Path) -> None:
    proc = _start(home, "--json")
    try:
        assert proc.stdout is not None
        text = ""
        while not text.rstrip().endswith("]"):
            text += proc.stdout.readline()
        data = json.loads(text)
        assert [d["api"] for d in data] == ["twilio", "twilio_pricing", "telnyx", "vapi"]
        assert data[2]["base_url"].endswith("/telnyx/v2")
    finally:
        code, stderr = _stop(proc, signal.SIGTERM)
    assert code == 0
    assert stderr.rstrip().endswith("sandbox: stopped")


def test_serve_on_a_busy_port_is_a_usage_error(telcli) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = telcli("sandbox", "serve", "--port", str(port))
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "--port 0" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("args", [["sandbox"], ["sandbox", "--help"]])
def test_sandbox_help(telcli, args: list[str]) -> None:
    result = telcli(*args)
    assert "serve" in result.stdout and "reset" in result.stdout
