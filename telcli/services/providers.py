"""Provider health: credential source, circuit breaker, last error, median latency, pacing."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telcli.storage.breakers import HALF_OPEN, OPEN, Breaker, Breakers, iso_time

if TYPE_CHECKING:
    from telcli.storage.ratelimits import Bucket, RateLimits


@dataclass(frozen=True, slots=True)
class ProviderStatus:
    provider: str
    profile: str
    credentials: str  # "env" | "keyring" | "sandbox" | "missing" | "unavailable"
    state: str | None  # the breaker as a caller meets it: closed | open | half-open
    breaker: Breaker | None  # None: not failed over (VAPI), so no breaker; paced all the same
    ceiling: float  # the configured pacing ceiling, requests/s
    pacing: Bucket | None = None  # the account's bucket (its most recently used one)

    @property
    def rate(self) -> float:
        return self.pacing.rate if self.pacing is not None else self.ceiling

    def to_json(self) -> dict[str, Any]:
        b = self.breaker
        return {
            "provider": self.provider,
            "profile": self.profile,
            "credentials": self.credentials,
            "breaker": self.state,
            "open_until": iso_time(b.open_until) if b and self.state == OPEN else None,
            "failures": b.failures if b else None,
            "last_error": b.last_error if b else None,
            "last_error_at": iso_time(b.last_error_at) if b else None,
            "last_success_at": iso_time(b.last_success_at) if b else None,
            "median_latency_ms": b.median_latency_ms if b else None,
            "rate": self.rate,
            "rate_ceiling": self.ceiling,
            "throttled_last_hour": self.pacing.throttled_last_hour if self.pacing else 0,
            "paused_until": iso_time(self.pacing.paused_until) if self.pacing else None,
        }


def status(
    providers: Sequence[str],
    *,
    profile: str,
    sources: Mapping[str, str],
    breakers: Breakers,
    ratelimits: RateLimits,
    ceilings: Mapping[str, float],
    unbroken: Sequence[str] = (),
    now: Callable[[], float] = time.time,
) -> list[ProviderStatus]:
    """One row per provider. An open breaker whose cool-down is over shows as half-open: the
    next call is the probe. Providers in ``unbroken`` (VAPI) have no breaker, only pacing.
    Pacing is that of the account the profile used last (the rate is the ceiling until a
    command has used it)."""
    rows = []
    for name in providers:
        b: Breaker | None = None if name in unbroken else breakers.get(name)
        state = b.state if b else None
        if b and state == OPEN and (b.open_until or 0) <= now():
            state = HALF_OPEN
        buckets = ratelimits.buckets(name, profile)
        rows.append(
            ProviderStatus(
                name,
                profile,
                sources.get(name, "missing"),
                state,
                b,
                ceilings[name],
                buckets[0] if buckets else None,
            )
        )
    return rows


def reset(breakers: Breakers, provider: str | None = None) -> list[str]:
    """Close the breaker of ``provider`` (None: every provider of the profile); returns the
    providers whose breaker was not already closed."""
    return breakers.reset(provider)
