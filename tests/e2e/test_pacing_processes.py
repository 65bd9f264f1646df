"""Pacing shared by real telcli processes of one TELCLI_HOME against one sandbox with a rate
limit: two and four processes together run at the account's limit (within 10%) with under
5% 429s, and a 429 with ``Retry-After: 5`` pauses every process of the account, where a
command whose deadline cannot be met exits 6 saying why instead of hanging."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 10.0  # requests/s the sandbox allows the account (one process can do more, even loaded)
RUN = 4.0  # seconds of work


def environment(home: Path, faults: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("TELCLI_", "TWILIO_", "TELNYX_"))
    }
    env.update(TELCLI_HOME=str(home), TELCLI_SANDBOX="1", TELCLI_SANDBOX_FAULTS=faults)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.mark.parametrize("processes", [2, 4])
def test_processes_share_the_account_rate(home, processes):
    (home / "config.yaml").write_text(f"rate_limits: {{telnyx: {LIMIT:g}}}\n")
    env = environment(home, f"telnyx:rate-limit={LIMIT:g}/s")
    start = time.time() + 4.0 + 0.5 * processes  # every process started and warm by then
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.pacing_worker", str(start), str(start + RUN)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    reports = []
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
        reports.append(json.loads(out))
    requests = sum(r["requests"] for r in reports)
    throttled = sum(r["throttled"] for r in reports)
    assert all(r["requests"] > 0 for r in reports)  # every process got its share
    # What the provider saw in the run's window (the processes start it together, warm).
    rate = sum(start <= t < start + RUN for r in reports for t in r["times"]) / RUN
    assert LIMIT * 0.9 <= rate <= LIMIT * 1.1, (rate, reports)
    assert throttled < 0.05 * requests, (throttled, requests)


# A telcli process that starts early (the machine may be slow to start Python) and runs its
# command at epoch second T, its imports done.
AT = """
import sys, time
import httpx, telcli.cli.app, telcli.providers.telnyx, telcli.sandbox.transport
time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
sys.argv = ["telcli", *sys.argv[2:]]
telcli.cli.app.main()
"""


def test_a_429_with_retry_after_pauses_every_process_and_a_short_deadline_exits_6(home):
    # One request per 6 s: a request 1.5 s after the first gets a 429 with Retry-After: 5.
    env = environment(home, "telnyx.list:rate-limit=10/m")
    at = time.time() + 6.0

    def telcli(delay: float, *args: str) -> subprocess.Popen[str]:
        command = [*args, "numbers", "list", "--provider", "telnyx"]
        return subprocess.Popen(
            [sys.executable, "-c", AT, str(at + delay), *command],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    ahead = telcli(-1.5)  # takes the one request of the next 6 s
    first = telcli(0.0, "--timeout", "1")  # meets the 429, cannot wait 5 s: gives up
    hurried = telcli(1.0, "--timeout", "2")
    patient = telcli(1.0, "--timeout", "30", "--debug")
    assert ahead.wait(timeout=60) == 0
    _, err = first.communicate(timeout=60)
    assert first.returncode == 6 and "error: telnyx 429" in err, err
    _, hurried_err = hurried.communicate(timeout=60)
    hurried_done = time.time()
    _, patient_err = patient.communicate(timeout=60)
    patient_done = time.time()
    # The hurried one is told why at once, without sending anything.
    assert hurried.returncode == 6, hurried_err
    assert "error: telnyx rate limit: every request to the account is paused for" in hurried_err
    assert "past the command's deadline" in hurried_err and "hint: allow more time" in hurried_err
    assert hurried_done - (at + 1.0) < 3.5  # the pause it did not wait for ends at +4 s
    # The patient one waits out what is left of the 5 s, then succeeds.
    assert patient.returncode == 0, patient_err
    assert "pacing: telnyx waits" in patient_err and "paused after a 429" in patient_err
    assert patient_done - at >= 4.0
