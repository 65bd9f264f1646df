"""Replay throughput bar, measured side by side in one run (not a pytest test).

    python tests/benchmarks/bench_replay.py [--captures 5000] [--concurrency 50] [--rounds 3]

Stores N Twilio-signed captures in a fresh state DB, starts a minimal keep-alive HTTP
receiver in its own process on loopback, then alternates, round after round:

* telcli: load the captures from the store, re-sign each for the receiver's URL and replay
  them with ``services.replay`` at ``--concurrency`` (what ``telcli webhook replay`` runs);
* baseline: a plain ``httpx.AsyncClient`` loop (semaphore + gather, same connection limit)
  sending the very same already-signed requests.

Prints requests per second for each (best round) and the ratio. Bar (issue 5): ratio >= 0.8.
Exits 1 when the bar is missed or any request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

RECEIVER = rb"HTTP/1.1 204 No Content" + b"\r\nContent-Length: 0\r\n\r\n"


def _serve(port_pipe) -> None:
    """A minimal HTTP/1.1 keep-alive receiver (asyncio streams): answers 204 to everything."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
                writer.write(RECEIVER)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
        port_pipe.send(server.sockets[0].getsockname()[1])
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def _captures(n: int):
    from telcli.storage.captures import Capture

    token = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
    out = []
    for i in range(n):
        sid = f"CA{i:032x}"
        body = (
            f"AccountSid=AC{'a' * 32}&CallSid={sid}&CallStatus=completed&Digits="
            "&From=%2B14155550100"
        ).encode()
        out.append(
            Capture(
                method="POST",
                url="https://abc.ngrok.app/twilio/status?tenant=1",
                headers=(
                    ("Host", "abc.ngrok.app"),
                    ("Content-Type", "application/x-www-form-urlencoded"),
                    ("X-Twilio-Signature", "captured"),
                    ("I-Twilio-Idempotency-Token", f"tok-{i}"),
                    ("Content-Length", str(len(body))),
                ),
                body=body,
                provider="twilio",
                event_type="completed",
                sid=sid,
                source="import",
            )
        )
    return token, out


async def _baseline(prepared, concurrency: int) -> int:
    import httpx

    failures = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def one(p) -> None:
            nonlocal failures
            async with sem:
                response = await client.post(p.url, headers=list(p.headers), content=p.body)
                if response.status_code // 100 != 2:
                    failures += 1

        await asyncio.gather(*(one(p) for p in prepared))
    return failures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--captures", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from telcli.services import replay as engine
    from telcli.services.webhooks import Keys
    from telcli.storage.captures import CaptureFilter, CaptureStore
    from telcli.storage.state import StateDB

    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve, args=(child,), daemon=True)
    server.start()
    port = parent.recv()
    to = f"http://127.0.0.1:{port}"
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass

    with tempfile.TemporaryDirectory() as home:
        store = CaptureStore(StateDB(Path(home) / "state.db"))
        token, caps = _captures(args.captures)
        store.add_many(caps)
        opts = engine.ReplayOptions(to=to, keys=Keys(secret=token), concurrency=args.concurrency)
        prepared = [engine.prepare(c, opts) for c in store.query(CaptureFilter(newest_first=False))]

        telcli_rates, base_rates, failed = [], [], 0
        for _ in range(args.rounds):
            start = time.perf_counter()
            loaded = store.query(CaptureFilter(newest_first=False))
            results = engine.replay(loaded, opts)
            telcli_rates.append(len(results) / (time.perf_counter() - start))
            failed += sum(not r.ok for r in results)

            start = time.perf_counter()
            failed += asyncio.run(_baseline(prepared, args.concurrency))
            base_rates.append(len(prepared) / (time.perf_counter() - start))
        store.db.close()
    server.terminate()

    best_telcli, best_base = max(telcli_rates), max(base_rates)
    ratio = best_telcli / best_base
    print(f"captures: {args.captures}, concurrency: {args.concurrency}, rounds: {args.rounds}")
    rounds_t = [round(r) for r in telcli_rates]
    rounds_b = [round(r) for r in base_rates]
    print(f"telcli replay (load + re-sign + send): {best_telcli:8.0f} req/s  rounds {rounds_t}")
    print(f"plain httpx async loop (send only):    {best_base:8.0f} req/s  rounds {rounds_b}")
    print(f"ratio: {ratio:.2f} (bar >= 0.80)  failed requests: {failed}")
    ok = ratio >= 0.8 and failed == 0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("NO_COLOR", "1")
    sys.exit(main())
