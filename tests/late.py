"""Late answers on a fake clock (or the real one, for benchmarks), in process (issue 10).

:class:`LateTransport` wraps the in-process sandbox transport. A write that ``delay`` picks
is processed by the "provider" ``delay`` seconds after it was sent. When that is longer than
the request's read timeout, the client gets ``httpx.ReadTimeout`` after its timeout (the fake
clock moves by it) and the request is held back; it reaches the sandbox, and takes effect,
once the fake clock has passed its landing time, before the next request is served. So a
lookup right after the timeout does not see it, and one a little later does: the case a
real slow provider makes, without waiting for real time.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

import httpx

# The writes that spend money or reach people, by method and path (both carriers).
WRITES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("POST", "purchase", re.compile(r"/IncomingPhoneNumbers\.json$|/number_orders$")),
    ("DELETE", "release", re.compile(r"/IncomingPhoneNumbers/[^/]+\.json$|/phone_numbers/[^/]+$")),
    ("POST", "sms", re.compile(r"/Messages\.json$|/v2/messages$")),
    ("POST", "call", re.compile(r"/Calls\.json$|/v2/calls$")),
)


def write_of(request: httpx.Request) -> str | None:
    for method, name, path in WRITES:
        if request.method == method and path.search(request.url.path):
            return name
    return None


class LateTransport(httpx.BaseTransport):
    """``delay(kind, provider, k)``: seconds after which the k-th (1-based) ``kind`` write to
    ``provider`` ("twilio" / "telnyx") is processed, or None to answer it at once. A held
    request was accepted by the provider: it lands through ``land_via`` (no faults there)."""

    def __init__(
        self,
        inner: httpx.BaseTransport | None,
        clock: Any,
        delay: Callable[[str, str, int], float | None],
        *,
        land_via: httpx.BaseTransport | None = None,
    ) -> None:
        self.inner: Any = inner
        self.land_via = land_via  # where held requests go (default: inner), e.g. past faults
        self.clock = clock
        self.delay = delay
        self.held: list[tuple[float, httpx.Request]] = []
        self.counts: dict[tuple[str, str], int] = {}
        self.sent: dict[tuple[str, str], int] = {}  # writes that reached the transport
        self.landed_late = 0
        self.lock = threading.Lock()  # workers of a benchmark share one transport

    def land(self) -> None:
        """Hand the held requests whose time has come to the sandbox, in landing order."""
        now = self.clock.monotonic()
        with self.lock:
            due = sorted((t, i, r) for i, (t, r) in enumerate(self.held) if t <= now)
            self.held = [(t, r) for t, r in self.held if t > now]
        for _, _, request in due:
            (self.land_via or self.inner).handle_request(request).close()
            with self.lock:
                self.landed_late += 1

    def settle_all(self) -> None:
        """Let every held request land (time passes)."""
        with self.lock:
            last = max((t for t, _ in self.held), default=None)
        if last is not None and last > self.clock.monotonic():
            self.clock.sleep(last - self.clock.monotonic())
        self.land()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.land()
        kind = write_of(request)
        if kind is None:
            return self.inner.handle_request(request)
        provider = "twilio" if "twilio" in request.url.host else "telnyx"
        key = (kind, provider)
        with self.lock:
            self.counts[key] = k = self.counts.get(key, 0) + 1
            self.sent[key] = self.sent.get(key, 0) + 1
        late = self.delay(kind, provider, k)
        if late is None:
            return self.inner.handle_request(request)
        read = (request.extensions.get("timeout") or {}).get("read")
        if read is None or late <= read:
            self.clock.sleep(late)
            return self.inner.handle_request(request)
        request.read()
        with self.lock:
            self.held.append((self.clock.monotonic() + late, request))
        self.clock.sleep(read)
        raise httpx.ReadTimeout("late answer: read timed out", request=request)
