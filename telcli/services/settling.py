"""Settling a write whose answer did not arrive (a late answer is still a write).

After a read timeout, a connection dropped after sending, or a 500/502/504, the request
may still be in flight at the provider: "not found" right after the failure proves nothing
(:func:`in_flight`).
:func:`await_landing` polls the provider's view (owned numbers; messages or calls created
after the send started) until the write shows up (it happened), until ``Settle.window``
seconds have passed since the failed answer and a lookup *started after that* still
finds nothing (it provably did not happen and no longer can), or until the command's
deadline leaves no time to wait (unknown: never guessed).

:func:`matches_since` is the lower bound on "created by this operation": the intent time,
moved onto the provider's clock with the offset measured from its ``Date`` headers.

Time is injectable (``monotonic``/``sleep``): tests never really wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from telcli.errors import AuthError, TelcliError

T = TypeVar("T")
Notify = Callable[[str], None]

# How long after its answer went missing a write may still take effect at the provider. The
# carriers answer a purchase or a send within seconds (Twilio creates the IncomingPhoneNumber
# or queues the Message before it answers; a Telnyx number order turns success within a few
# seconds); 30 s covers a slow backend with margin. `settle_window` in config.yaml changes it.
DEFAULT_SETTLE_WINDOW = 30.0
# Carrier timestamps and the Date header both have whole-second resolution.
CLOCK_SLACK = timedelta(seconds=2)
# Without any Date header seen, how far the two clocks are assumed to differ at most.
UNKNOWN_SKEW = timedelta(seconds=30)


def _quiet(_: str) -> None:
    pass


@dataclass(frozen=True)
class Settle:
    """What settling needs: the window, the request timeout (how long another run's request
    may take before its own window starts), the command's deadline (anything with
    ``remaining()`` -> seconds or None, e.g. :class:`telcli.transport.Deadline`), the
    provider clock offsets and the clock."""

    window: float = DEFAULT_SETTLE_WINDOW
    request_timeout: float = 20.0
    deadline: Any = None
    clock_offset: Callable[[str], float | None] = field(default=lambda _: None, repr=False)
    monotonic: Callable[[], float] = field(default=time.monotonic, repr=False)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline.remaining()

    @property
    def horizon(self) -> timedelta:
        """How long after its intent was recorded a request can still land."""
        return timedelta(seconds=self.request_timeout + self.window)


@dataclass(frozen=True)
class Landing(Generic[T]):
    """How :func:`await_landing` ended: ``found`` (it happened), ``proven`` (it did not and
    no longer can), or neither (unknown; ``why`` says why)."""

    found: T | None = None
    proven: bool = False
    why: str = ""

    @property
    def unknown(self) -> bool:
        return self.found is None and not self.proven


def intervals(first: float = 0.25, cap: float = 2.0) -> Iterator[float]:
    """0.25, 0.5, 1, 2, 2, ... seconds: a dropped answer is found at once, a late one soon
    after it lands, without hammering the provider's rate limit."""
    delay = first
    while True:
        yield delay
        delay = min(cap, delay * 2)


def await_landing(
    look: Callable[[], T | None],
    settle: Settle,
    *,
    proof_in: float | None = None,
    notify: Notify = _quiet,
) -> Landing[T]:
    """Poll ``look`` (None: not there) until the write is found, or absence is proven by a
    lookup started ``proof_in`` seconds from now or later (default: the settle window), or
    the deadline ends the wait. At least one lookup is always made.

    A failing lookup is polled through; AuthError ends the wait at once (unknown)."""
    start = settle.monotonic()
    proof_at = start + (settle.window if proof_in is None else max(0.0, proof_in))
    end = proof_at
    left = settle.remaining()
    if left is not None:
        end = min(end, start + max(0.0, left))
    pauses = intervals()
    why = ""
    waited = False
    while True:
        asked_at = settle.monotonic()
        try:
            found = look()
        except AuthError as exc:
            return Landing(why=exc.message)
        except TelcliError as exc:
            why = f"it could not be asked ({exc.message})"
        else:
            if found is not None:
                return Landing(found=found)
            if asked_at >= proof_at - _EPSILON:
                return Landing(proven=True)
            why = ""
        now = settle.monotonic()
        if now >= end:
            # The wait reached the end of the window itself (not the deadline), and the lookup
            # just made started a hair before it (float sums of pauses, or the lookup's own
            # pacing): one more lookup, starting now, is the proof.
            if not why and end >= proof_at - _EPSILON and asked_at < proof_at - _EPSILON:
                continue
            if not why:
                why = (
                    "it was not there yet, and the time left in the command's deadline"
                    " (--timeout) ended the wait before it could no longer land"
                )
            return Landing(why=why)
        if not waited:
            waited = True
            notify(f"waiting up to {max(0.0, end - now):.0f}s for it to show up")
        settle.sleep(min(next(pauses), end - now))


# Times within this of the end of the window count as past it (sums of float pauses).
_EPSILON = 1e-6


def in_flight(exc: Any) -> bool:
    """Whether a write that failed with ``exc`` (a ProviderUnavailable with ``sent``) may still
    be processed, so that only lookups over the settle window prove it absent: no answer came
    (timeout, connection dropped after sending), or a 5xx other than 503. A gateway's 502/504
    answers for a backend that may still be working on it, and a 500 may come after the work
    was queued (a Telnyx number order is asynchronous by design). A 503 says the server could
    not handle the request at all (RFC 9110 15.6.4; Telnyx's ServiceUnavailableResponse:
    "maintenance or ... overloaded"), like a 429: one lookup after it settles it."""
    status = getattr(exc, "status", None)
    return status is None or (status >= 500 and status != 503)


def matches_since(intent: datetime, offset: float | None) -> datetime:
    """The earliest provider-side creation time an item created by an operation whose intent
    was recorded at ``intent`` (local clock) can carry: ``intent`` on the provider's clock
    (``offset`` seconds ahead of ours, from its Date header), less the timestamps' slack."""
    if offset is None:
        return intent - UNKNOWN_SKEW
    return intent + timedelta(seconds=offset) - CLOCK_SLACK
