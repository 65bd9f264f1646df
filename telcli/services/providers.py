"""Provider health: credential source, circuit breaker, last error, median latency."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from telcli.storage.breakers import HALF_OPEN, OPEN, Breaker, Breakers, iso_time


@dataclass(frozen=True, slots=True)
class ProviderStatus:
    provider: str
    profile: str
    credentials: str  # "env" | "keyring" | "sandbox" | "missing" | "unavailable"
    state: str  # the breaker as a caller meets it: closed | open | half-open
    breaker: Breaker

    def to_json(self) -> dict[str, Any]:
        b = self.breaker
        return {
            "provider": self.provider,
            "profile": self.profile,
            "credentials": self.credentials,
            "breaker": self.state,
            "open_until": iso_time(b.open_until) if self.state == OPEN else None,
            "failures": b.failures,
            "last_error": b.last_error,
            "last_error_at": iso_time(b.last_error_at),
            "last_success_at": iso_time(b.last_success_at),
            "median_latency_ms": b.median_latency_ms,
        }


def status(
    providers: Sequence[str],
    *,
    profile: str,
    sources: Mapping[str, str],
    breakers: Breakers,
    now: Callable[[], float] = time.time,
) -> list[ProviderStatus]:
    """One row per provider. An open breaker whose cool-down is over shows as half-open: the
    next call is the probe."""
    rows = []
    for name in providers:
        b = breakers.get(name)
        state = b.state
        if state == OPEN and (b.open_until or 0) <= now():
            state = HALF_OPEN
        rows.append(ProviderStatus(name, profile, sources.get(name, "missing"), state, b))
    return rows


def reset(breakers: Breakers, provider: str | None = None) -> list[str]:
    """Close the breaker of ``provider`` (None: every provider of the profile); returns the
    providers whose breaker was not already closed."""
    return breakers.reset(provider)
