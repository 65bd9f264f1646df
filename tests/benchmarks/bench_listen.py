"""Capture-server load bar (not a pytest test).

    python tests/benchmarks/bench_listen.py [--requests 10000] [--clients 2]

Starts the real ``telcli webhook listen`` (a subprocess, fresh TELCLI_HOME, no forwarding),
sends ``--requests`` Twilio-style POSTs from ``--clients`` concurrent client processes (each
on one keep-alive connection, bounded: requests / clients each), then stops it with SIGINT
as a person would with Ctrl-C. Prints throughput, the server's peak RSS (VmHWM) and the
number of captures in the store. Bars (issue 5): every request answered 200 and captured,
none lost, exit 0 after SIGINT, peak RSS < 150 MiB. Exits 1 when a bar is missed.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _client(port: int, count: int, index: int, results) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    ok = 0
    for i in range(count):
        sid = f"CA{index:04x}{i:028x}"
        body = (
            f"AccountSid=AC{'a' * 32}&CallSid={sid}&CallStatus=completed&CallToken="
            f"&From=%2B14155550100&To=%2B14155550123&Digits=1234&Digits=5678"
        ).encode()
        conn.request(
            "POST",
            "/twilio/status?tenant=a%2Bb",
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
                "I-Twilio-Idempotency-Token": f"{index}-{i}",
            },
        )
        response = conn.getresponse()
        response.read()
        ok += response.status == 200
    conn.close()
    results.put(ok)


def _rss_peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=2)
    args = parser.parse_args()
    per_client = args.requests // args.clients

    with tempfile.TemporaryDirectory() as home:
        port = _free_port()
        env = {**os.environ, "TELCLI_HOME": home, "NO_COLOR": "1"}
        log = open(Path(home) / "listen.log", "wb")  # noqa: SIM115 - closed below
        server = subprocess.Popen(
            [sys.executable, "-m", "telcli", "webhook", "listen", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=log,
            env=env,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    print("FAIL: the listener did not start")
                    return 1
                time.sleep(0.05)

        results: multiprocessing.Queue[int] = multiprocessing.Queue()
        clients = [
            multiprocessing.Process(target=_client, args=(port, per_client, i, results))
            for i in range(args.clients)
        ]
        start = time.perf_counter()
        for c in clients:
            c.start()
        answered = sum(results.get(timeout=600) for _ in clients)
        for c in clients:
            c.join()
        elapsed = time.perf_counter() - start
        peak_kib = _rss_peak_kib(server.pid)

        server.send_signal(signal.SIGINT)
        code = server.wait(timeout=60)
        log.close()
        peak_kib = max(peak_kib, 0)
        db = sqlite3.connect(Path(home) / "state.db")
        stored = db.execute("SELECT COUNT(*) FROM captures").fetchone()[0]
        distinct = db.execute("SELECT COUNT(DISTINCT body) FROM captures").fetchone()[0]
        db.close()
        tail = (Path(home) / "listen.log").read_text().splitlines()[-1:]

    sent = per_client * args.clients
    mib = peak_kib / 1024
    print(
        f"requests sent: {sent} from {args.clients} concurrent clients in {elapsed:.2f} s"
        f" ({sent / elapsed:.0f} req/s)"
    )
    print(
        f"answered 200: {answered}  captured: {stored} (distinct bodies {distinct})"
        f"  lost: {sent - stored}"
    )
    print(f"listener peak RSS: {mib:.1f} MiB (bar < 150)  exit after SIGINT: {code}  {tail}")
    ok = answered == sent == stored == distinct and code == 0 and mib < 150
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
