"""One telcli process of a pacing test or benchmark (not a test). Once warm (imports done,
one request sent) it prints ``ready`` and reads ``START END`` (epoch seconds) from stdin: the
caller starts every worker together when all are ready, however slowly the machine started
them. From ``START`` until ``END`` it lists the sandbox's Telnyx numbers (one request each) as
fast as the pacer lets it, through the real AppContext, provider and transport of
``TELCLI_HOME``, and prints what it sent as JSON: ``{"requests", "throttled", "failed",
"times", "refused"}`` (epoch seconds each request was sent, and those answered 429).

    python -m tests.pacing_worker [PROVIDER]
"""

from __future__ import annotations

import json
import sys
import threading
import time

import httpx

from telcli.context import AppContext
from telcli.errors import TelcliError


class Counting(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.lock = threading.Lock()
        self.times: list[float] = []
        self.throttled = 0
        self.refused: list[float] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        sent = time.time()
        response = self.inner.handle_request(request)
        with self.lock:
            self.times.append(sent)
            if response.status_code == 429:
                self.refused.append(sent)
        return response


def main() -> int:
    provider = sys.argv[1] if len(sys.argv) > 1 else "telnyx"
    ctx = AppContext.from_environment()
    counting = Counting(ctx.sandbox_transport)
    ctx.transport = counting
    carrier = ctx.provider_with(provider, ctx.credentials(provider).values)
    carrier.list_owned()  # warm: imports and connections, not counted
    counting.times.clear()
    counting.refused.clear()
    print("ready", flush=True)
    start, end = map(float, sys.stdin.readline().split())
    time.sleep(max(0.0, start - time.time()))
    failures = 0
    while time.time() < end:
        ctx.restart_deadline()
        try:
            carrier.list_owned()
        except TelcliError:
            failures += 1
    print(
        json.dumps(
            {"requests": len(counting.times), "throttled": len(counting.refused)}
            | {"failed": failures, "times": counting.times, "refused": counting.refused}
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
