"""The ordered-provider execution policy (DESIGN.md "Failover").

- :class:`Guarded` wraps one carrier so that every call consults its circuit breaker first
  (an open circuit raises ``CircuitOpen`` without any network) and reports how it went:
  a retryable failure counts against the breaker, any answer (even a 4xx) closes it.
- :func:`each` runs a read on every carrier at once and keeps what succeeded (search, list).
- :func:`first` runs a read on carriers in order until one answers (pricing, lookups).
- :func:`write` runs a write (SMS, call; a purchase of one number cannot change carrier) in
  order, and moves to the next carrier only when the previous one provably did not act: the
  circuit was open, the connection was never made, or the request was refused in a way that
  means "not accepted". An ambiguous failure is reconciled before anything else happens.

Every skip and failover is one ``notify`` line and one :class:`~telcli.models.Attempt`.
"""

from __future__ import annotations

import contextvars
import functools
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from telcli.errors import (
    AllProvidersFailed,
    AuthError,
    OutcomeUnknown,
    PacingTimeout,
    ProviderRejected,
    ProviderUnavailable,
    TelcliError,
)
from telcli.models import Attempt, Listing, ProviderFailure, ProviderName
from telcli.storage.breakers import Breakers, CircuitOpen, clock_time, failures_text

Notify = Callable[[str], None]
T = TypeVar("T")


def _quiet(_: str) -> None:
    pass


def _ms(start: float) -> int:
    return int((time.monotonic() - start) * 1000)


class Guarded:
    """A carrier behind its circuit breaker. Attribute access passes through; public methods
    are wrapped. ``inner`` is the bare carrier (reconciliation calls it directly: the one
    lookup that settles an unknown outcome must not be refused by a breaker that the same
    failure may just have opened)."""

    def __init__(self, inner: Any, breakers: Breakers, *, notify: Notify | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self._breakers = breakers
        self._notify = notify or _quiet

    def __repr__(self) -> str:
        return f"Guarded({self.inner!r})"

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self.inner, attr)
        if attr.startswith("_") or not callable(value):
            return value

        @functools.wraps(value)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            return self._call(value, args, kwargs)

        return guarded

    def _call(self, fn: Callable[..., T], args: Any, kwargs: Any) -> T:
        name = str(self.name)
        breakers = self._breakers
        breakers.before(name)  # raises CircuitOpen, nothing sent
        start = time.monotonic()
        try:
            result = fn(*args, **kwargs)
        except PacingTimeout:
            breakers.release(name)  # our own pacing gave up before sending: not its health
            raise
        except ProviderUnavailable as exc:
            breaker, opened = breakers.failure(name, exc.message)
            if opened:
                self._notify(
                    f"{name}: circuit opened after {failures_text(breaker.failures)} in a row;"
                    f" skipping {name} until {clock_time(breaker.open_until or 0)}"
                )
            raise
        except ProviderRejected:
            breakers.success(name, _ms(start))  # it answered: it is up
            raise
        except BaseException:
            breakers.release(name)  # says nothing about the provider's health
            raise
        if breakers.success(name, _ms(start)) != "closed":
            self._notify(f"{name}: answering again; circuit closed")
        return result


def guard(carrier: Any, breakers: Breakers | None, *, notify: Notify | None = None) -> Any:
    if breakers is None or isinstance(carrier, Guarded):
        return carrier
    return Guarded(carrier, breakers, notify=notify)


def unguarded(carrier: Any) -> Any:
    return carrier.inner if isinstance(carrier, Guarded) else carrier


def skip_note(carrier: Any, exc: TelcliError, *, what: str, then: str | None = None) -> str:
    """One stderr line per skip or failover, e.g.
    ``twilio: skipped (circuit open for twilio until 14:03:27); trying telnyx``."""
    if isinstance(exc, CircuitOpen):
        text = f"{carrier.name}: skipped ({exc.message})"
    else:
        text = f"{carrier.name}: {what} failed: {exc.message}"
    return f"{text}; trying {then}" if then else text


def attempt(carrier: Any, outcome: str, error: TelcliError | None, start: float) -> Attempt:
    return Attempt(
        provider=ProviderName(str(carrier.name)),
        outcome=outcome,
        error=None if error is None else error.message,
        elapsed_ms=0 if isinstance(error, CircuitOpen) else _ms(start),
    )


def _all_failed(what: str, failed: list[tuple[Any, TelcliError]]) -> TelcliError:
    errors = [e for _, e in failed]
    if len(errors) == 1:
        return errors[0]
    if all(isinstance(e, AuthError) for e in errors):
        return AuthError(
            f"every provider rejected or lacks credentials for {what}", hint=errors[0].hint
        )
    return AllProvidersFailed(
        f"{what} failed at every provider: "
        + "; ".join(f"{c.name}: {e.message}" for c, e in failed),
        errors=errors,
        hint="check `telcli providers status` and `telcli auth status`, or retry later",
    )


def each(
    carriers: Sequence[Any],
    call: Callable[[Any], T],
    *,
    what: str,
    notify: Notify = _quiet,
) -> Listing[tuple[Any, T]]:
    """Run a read on every carrier (concurrently), keep what succeeded, note what failed or
    was skipped; the result's ``errors`` name the carriers that did not answer. When every
    carrier fails, the single error (or AllProvidersFailed)."""

    def run(carrier: Any) -> tuple[Any, T | TelcliError]:
        try:
            return carrier, call(carrier)
        except TelcliError as exc:
            return carrier, exc

    if len(carriers) == 1:
        results = [run(carriers[0])]
    else:
        # Each worker runs in a copy of this context, so context-local settings travel along.
        with ThreadPoolExecutor(max_workers=len(carriers)) as pool:
            futures = [pool.submit(contextvars.copy_context().run, run, c) for c in carriers]
            results = [f.result() for f in futures]
    ok: list[tuple[Any, T]] = []
    failed: list[tuple[Any, TelcliError]] = []
    for carrier, result in results:
        if isinstance(result, TelcliError):
            failed.append((carrier, result))
            if len(carriers) > 1:
                notify(skip_note(carrier, result, what=what))
        else:
            ok.append((carrier, result))
    if not ok and failed:
        raise _all_failed(what, failed)
    return Listing(ok, (failure(c, e) for c, e in failed))


def failure(carrier: Any, exc: TelcliError) -> ProviderFailure:
    return ProviderFailure(str(carrier.name), exc.message, int(exc.exit_code))


def first(
    carriers: Sequence[Any],
    call: Callable[[Any], T],
    *,
    what: str,
    notify: Notify = _quiet,
) -> tuple[Any, T]:
    """Run a read on carriers in order; the first answer wins. Moves on for retryable
    failures and open circuits (and missing credentials); a rejection is an answer."""
    failed: list[tuple[Any, TelcliError]] = []
    for i, carrier in enumerate(carriers):
        try:
            return carrier, call(carrier)
        except (ProviderUnavailable, AuthError) as exc:
            failed.append((carrier, exc))
            then = carriers[i + 1].name if i + 1 < len(carriers) else None
            if len(carriers) > 1:
                notify(skip_note(carrier, exc, what=what, then=then))
    raise _all_failed(what, failed)


def not_accepted(exc: TelcliError) -> bool:
    """Refusals that prove a write was not acted on *and* that another carrier may take:
    credentials rejected (401/403) or an account problem such as no balance (402)."""
    if isinstance(exc, AuthError):
        return True
    return isinstance(exc, ProviderRejected) and exc.status == 402


Reconcile = Callable[[Any, ProviderUnavailable], T | None]


def write(
    carriers: Sequence[Any],
    act: Callable[[Any], T],
    *,
    what: str,
    notify: Notify = _quiet,
    reconcile: Reconcile[T] | None = None,
    failover_on: Callable[[TelcliError], bool] = not_accepted,
    resolve_hint: str = "check the provider's console before trying again",
) -> tuple[T, list[Attempt]]:
    """Run a write that spends money or reaches people, at most once per carrier, in order.

    Moves to the next carrier only when this one provably did not act *and* the request never
    reached it: an open circuit, a connection never made (``sent=False``), or a refusal
    ``failover_on`` accepts. An ambiguous failure (``sent=True``: timeout, reset, 5xx) goes to
    ``reconcile(carrier, error)``, which returns the result when the write did take effect,
    None when it provably did not (the error is then raised: never another carrier once a
    request may have reached one), or raises OutcomeUnknown. Without ``reconcile`` an
    ambiguous failure is OutcomeUnknown (exit 7) with ``resolve_hint``.

    Returns the result and every attempt; raises the last error (or AllProvidersFailed), with
    the attempts so far in its ``attempts`` attribute (what a report of the failure shows).
    """
    attempts: list[Attempt] = []
    try:
        return _write(carriers, act, attempts, what, notify, reconcile, failover_on, resolve_hint)
    except TelcliError as exc:
        exc.attempts = tuple(attempts)  # type: ignore[attr-defined]
        raise


def _write(
    carriers: Sequence[Any],
    act: Callable[[Any], T],
    attempts: list[Attempt],
    what: str,
    notify: Notify,
    reconcile: Reconcile[T] | None,
    failover_on: Callable[[TelcliError], bool],
    resolve_hint: str,
) -> tuple[T, list[Attempt]]:
    failed: list[tuple[Any, TelcliError]] = []
    for i, carrier in enumerate(carriers):
        then = str(carriers[i + 1].name) if i + 1 < len(carriers) else None
        start = time.monotonic()
        try:
            result = act(carrier)
        except ProviderUnavailable as exc:
            if exc.sent:
                attempts.append(attempt(carrier, "unknown", exc, start))
                if reconcile is None:
                    raise OutcomeUnknown(
                        f"{what} at {carrier.name} may or may not have happened ({exc.message})",
                        hint=resolve_hint,
                    ) from None
                notify(
                    f"{carrier.name}: the outcome of {what} is unclear ({exc.message}); checking"
                )
                check = time.monotonic()
                settled = reconcile(carrier, exc)
                if settled is not None:
                    attempts.append(attempt(carrier, "reconciled", None, check))
                    return settled, attempts
                # Proven not done, yet the request reached this carrier: a write that spends
                # money or reaches people never moves on once it may have arrived somewhere.
                if then is not None:
                    notify(
                        f"{carrier.name}: {what} did not happen; not trying {then}: the"
                        f" request reached {carrier.name}"
                    )
                raise
            else:
                attempts.append(
                    attempt(
                        carrier, "skipped" if isinstance(exc, CircuitOpen) else "failed", exc, start
                    )
                )
            failed.append((carrier, exc))
            if then is not None:
                notify(skip_note(carrier, exc, what=what, then=then))
            continue
        except (ProviderRejected, AuthError) as exc:
            if not failover_on(exc) or then is None:
                raise
            attempts.append(attempt(carrier, "failed", exc, start))
            failed.append((carrier, exc))
            notify(skip_note(carrier, exc, what=what, then=then))
            continue
        attempts.append(attempt(carrier, "ok", None, start))
        return result, attempts
    raise _all_failed(what, failed)
