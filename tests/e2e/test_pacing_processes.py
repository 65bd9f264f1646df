"""Pacing shared by real telcli processes of one TELCLI_HOME against one sandbox with a rate
limit: two and four processes together run at the account's limit (within 10%) with under
5% 429s, and a 429 with ``Retry-After`` pauses every process of the account, where a
command whose deadline cannot be met exits 6 saying why instead of hanging."""

from __future__ import annotations

import json
import os
import queue
import re
import select
import subprocess
import sys
import threading
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


def ready(process: subprocess.Popen[str]) -> None:
    """Wait until a process started by a test is warm (imports done) and waiting for its go.
    Python starts slowly on a loaded machine: the test waits for the condition, generously,
    instead of guessing a start-up time."""
    assert process.stdout is not None
    readable, _, _ = select.select([process.stdout], [], [], 120.0)
    assert readable, "a process was not ready after 120 s"
    line = process.stdout.readline()
    if line != "ready\n":
        _, err = process.communicate(timeout=60)
        pytest.fail(f"not ready: {line!r}\n{err}")


def go(process: subprocess.Popen[str], line: str = "go") -> float:
    assert process.stdin is not None
    process.stdin.write(line + "\n")
    process.stdin.flush()
    return time.time()


@pytest.mark.parametrize("processes", [2, 4])
def test_processes_share_the_account_rate(home, processes):
    (home / "config.yaml").write_text(f"rate_limits: {{telnyx: {LIMIT:g}}}\n")
    env = environment(home, f"telnyx:rate-limit={LIMIT:g}/s")
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.pacing_worker"],
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    for worker in workers:
        ready(worker)
    start = time.time() + 0.5
    for worker in workers:
        go(worker, f"{start} {start + RUN}")
    reports = []
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
        reports.append(json.loads(out))
    requests = sum(r["requests"] for r in reports)
    throttled = sum(r["throttled"] for r in reports)
    assert all(r["requests"] > 0 for r in reports)  # every process got its share
    # What the provider saw while every process was sending: from the last process's first
    # request to the first process's last one (a process the machine woke late shortens the
    # window; it does not thin it out).
    since = max(min(r["times"]) for r in reports)
    until = min(max(r["times"]) for r in reports)
    assert until - since >= RUN / 2, (since, until, reports)  # the processes ran together
    rate = sum(since <= t < until for r in reports for t in r["times"]) / (until - since)
    assert LIMIT * 0.9 <= rate <= LIMIT * 1.1, (rate, reports)
    assert throttled < 0.05 * requests, (throttled, requests)


class Telcli:
    """A telcli process started early (the machine may be slow to start Python): it says when
    its imports are done, runs its command when the test says so, and its stderr is read in a
    thread so the test can wait for a line, with a generous deadline, instead of sleeping."""

    WARM = (
        "import sys\n"
        "import httpx, telcli.cli.app, telcli.providers.telnyx, telcli.sandbox.transport\n"
        "print('ready', flush=True)\n"
        "sys.stdin.readline()\n"
        "sys.argv = ['telcli', *sys.argv[1:]]\n"
        "telcli.cli.app.main()\n"
    )

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", self.WARM, *args],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stderr = ""
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line)
        self.lines.put(None)

    def go(self) -> float:
        """Run the command now; returns when it was told to."""
        return go(self.process)

    def until(self, text: str) -> None:
        """Wait for a line of stderr containing ``text``."""
        while True:
            line = self.lines.get(timeout=120)
            if line is None:
                pytest.fail(f"the process ended without saying {text!r}:\n{self.stderr}")
            self.stderr += line
            if text in line:
                return

    def finish(self) -> tuple[int, str, float]:
        """(exit status, all of stderr, when it ended)."""
        code = self.process.wait(timeout=120)
        ended = time.time()
        while (line := self.lines.get(timeout=60)) is not None:
            self.stderr += line
        return code, self.stderr, ended


PAUSED = re.compile(
    r"error: telnyx rate limit: every request to the account is paused for \d+\.\d s"
    r" after a 429[^,]*, past the command's deadline"
)
WAITED = re.compile(r"pacing: telnyx waits (\d+\.\d+) s for a request slot \(paused after a 429\)")


def test_a_429_with_retry_after_pauses_every_process_and_a_short_deadline_exits_6(home):
    # One request per 10 s: a request soon after the first gets a 429 with Retry-After: 9 or
    # 10 (the example is 5 s; a longer pause leaves a loaded machine, which may take
    # seconds to run a command, time to start the other processes while it lasts).
    env = environment(home, "telnyx.list:rate-limit=6/m")
    command = ("numbers", "list", "--provider", "telnyx")
    ahead = Telcli(env, "--debug", *command)  # takes the sandbox's one request of the next 10 s
    first = Telcli(env, "--timeout", "1", *command)  # meets the 429, cannot wait: gives up
    hurried = Telcli(env, "--timeout", "1", "--debug", *command)
    patient = Telcli(env, "--timeout", "30", "--debug", *command)
    for telcli in (ahead, first, hurried, patient):
        ready(telcli.process)
    # Each step starts as soon as the one before it is done: the chain is short, loaded or not.
    ahead.go()
    ahead.until(" -> 200 (")
    first.go()
    first.until("error:")  # the 429 is on record for the account before the error is shown
    hurried.go()
    patient_go = patient.go()
    assert ahead.finish()[0] == 0
    code, err, _ = first.finish()
    assert code == 6 and "error: telnyx 429" in err, err
    # The hurried one is told why at once, without sending anything or waiting: --debug
    # logs every wait for a slot and every request (not a wall-clock bound: a loaded machine
    # may take seconds just to run the command).
    code, err, _ = hurried.finish()
    assert code == 6, err
    assert PAUSED.search(err) and "hint: allow more time" in err, err
    assert "http: GET" not in err and "pacing:" not in err, err
    # The patient one waits out what is left of the pause, then succeeds: its request is the
    # first the sandbox sees after the pause, and it is not refused.
    code, err, patient_done = patient.finish()
    assert code == 0, err
    waited = WAITED.search(err)
    assert waited and float(waited[1]) > 1.0, err  # longer than the hurried one could wait
    assert patient_done - patient_go >= float(waited[1]), err
    assert " -> 429 (" not in err, err
    # Only the first process ever met a 429: the pause kept the others from sending.
    status = subprocess.run(
        [sys.executable, "-m", "telcli", "providers", "status", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    (telnyx,) = [row for row in json.loads(status.stdout) if row["provider"] == "telnyx"]
    assert telnyx["throttled_last_hour"] == 1, telnyx
