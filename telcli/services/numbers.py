"""Number use cases: search across carriers, quote, buy (ledgered, never twice), list,
locate, release, configure. Services take what they need as arguments and report progress
through ``notify``; they never print, exit or build clients."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, TypeVar

from telcli.errors import (
    AllProvidersFailed,
    AuthError,
    OutcomeUnknown,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
    TelcliError,
)
from telcli.models import (
    Attempt,
    AvailableNumber,
    NumberConfig,
    NumberQuery,
    OwnedNumber,
    ProviderName,
    Purchase,
    Release,
)
from telcli.providers.base import CarrierProvider

Notify = Callable[[str], None]
T = TypeVar("T")


def _quiet(_: str) -> None:
    pass


def _each(
    carriers: Sequence[CarrierProvider],
    call: Callable[[CarrierProvider], T],
    *,
    what: str,
    notify: Notify,
) -> list[tuple[CarrierProvider, T]]:
    """Run a read on every carrier (concurrently), keep what succeeded, note what failed.

    Reads fail over freely: one carrier failing costs its results, not the command. When every
    carrier fails, the single error (or AllProvidersFailed) is raised.
    """

    def run(carrier: CarrierProvider) -> tuple[CarrierProvider, T | TelcliError]:
        try:
            return carrier, call(carrier)
        except TelcliError as exc:
            return carrier, exc

    if len(carriers) == 1:
        results = [run(carriers[0])]
    else:
        with ThreadPoolExecutor(max_workers=len(carriers)) as pool:
            results = list(pool.map(run, carriers))
    ok: list[tuple[CarrierProvider, T]] = []
    failed: list[tuple[CarrierProvider, TelcliError]] = []
    for carrier, result in results:
        if isinstance(result, TelcliError):
            failed.append((carrier, result))
            if len(carriers) > 1:
                notify(f"{carrier.name}: {what} failed: {result.message}")
        else:
            ok.append((carrier, result))
    errors = [e for _, e in failed]
    if not ok and errors:
        if len(errors) == 1:
            raise errors[0]
        if all(isinstance(e, AuthError) for e in errors):
            raise AuthError(
                f"every provider rejected or lacks credentials for {what}",
                hint=errors[0].hint,
            )
        raise AllProvidersFailed(
            f"{what} failed at every provider: "
            + "; ".join(f"{c.name}: {e.message}" for c, e in failed),
            errors=errors,
            hint="check `telcli auth status`, or retry later",
        )
    return ok


def search(
    carriers: Sequence[CarrierProvider], query: NumberQuery, *, notify: Notify = _quiet
) -> list[AvailableNumber]:
    """Numbers available to buy from every carrier, in carrier order, each labelled."""
    found = _each(carriers, lambda c: c.search_numbers(query), what="search", notify=notify)
    return [number for _, numbers in found for number in numbers[: query.limit]]


def list_owned(
    carriers: Sequence[CarrierProvider], *, notify: Notify = _quiet
) -> list[OwnedNumber]:
    """Owned numbers in carrier order, sorted by number within each carrier."""
    found = _each(carriers, lambda c: c.list_owned(), what="listing numbers", notify=notify)
    return [n for _, numbers in found for n in sorted(numbers, key=lambda n: n.phone_number)]


def locate(
    carriers: Sequence[CarrierProvider], phone_number: str, *, notify: Notify = _quiet
) -> tuple[CarrierProvider, OwnedNumber]:
    """Which carrier owns ``phone_number``. ProviderRejected (exit 5) when none does."""
    found = _each(carriers, lambda c: c.find_owned(phone_number), what="lookup", notify=notify)
    for carrier, owned in found:
        if owned is not None:
            return carrier, owned
    names = " or ".join(str(c.name) for c in carriers)
    raise ProviderRejected(
        f"{phone_number} is not a number you own at {names}",
        provider=names,
        hint="run `telcli numbers list` to see the numbers this profile owns",
    )


def _digits_query(phone_number: str, country: str) -> NumberQuery:
    from telcli.phone import national_significant

    return NumberQuery(country=country, contains=national_significant(phone_number), limit=50)


def quote(
    carriers: Sequence[CarrierProvider], phone_number: str, *, notify: Notify = _quiet
) -> tuple[CarrierProvider, AvailableNumber]:
    """Find the carrier that offers ``phone_number`` and its price, before any money moves."""
    from telcli.models import NumberType
    from telcli.phone import country_of, likely_type

    country = country_of(phone_number) or "US"
    first = likely_type(phone_number)
    types = [first, *(t for t in NumberType if t != first)]
    for carrier in carriers:
        for number_type in types:
            query = replace(_digits_query(phone_number, country), number_type=number_type)
            try:
                offers = carrier.search_numbers(query)
            except ProviderRejected:
                continue  # e.g. this carrier has no such number type in this country
            except (ProviderUnavailable, AuthError) as exc:
                if len(carriers) == 1:
                    raise
                notify(f"{carrier.name}: cannot check availability: {exc.message}")
                break
            for offer in offers:
                if offer.phone_number == phone_number:
                    return carrier, offer
    for carrier in carriers:
        try:
            owned = carrier.find_owned(phone_number)
        except TelcliError:
            continue
        if owned is not None:
            raise ProviderRejected(
                f"{phone_number} is already yours at {carrier.name} (id {owned.id})",
                provider=str(carrier.name),
                hint="nothing to buy; see it with `telcli numbers list`",
            )
    names = " or ".join(str(c.name) for c in carriers)
    raise ProviderRejected(
        f"{phone_number} is not available to buy from {names}",
        provider=names,
        hint=f"search for alternatives: `telcli numbers search --country {country}`",
    )


def _reconcile_purchase(
    carrier: CarrierProvider, phone_number: str, state: Any, entry_id: int
) -> OwnedNumber | None:
    """After an ambiguous failure: does the account own the number now? None when it
    provably does not; raises OutcomeUnknown when even that cannot be told."""
    try:
        owned = carrier.find_owned(phone_number)
    except TelcliError as exc:
        state.ledger_finish(entry_id, "unknown", detail={"error": exc.message})
        raise OutcomeUnknown(
            f"the purchase of {phone_number} from {carrier.name} may or may not have gone "
            f"through, and {carrier.name} could not be asked ({exc.message})",
            hint=f"check with `telcli numbers list --provider {carrier.name}` before buying again;"
            f" a re-run of `telcli numbers buy {phone_number}` reconciles first",
        ) from None
    return owned


def buy(
    carrier: CarrierProvider,
    offer: AvailableNumber,
    *,
    state: Any,
    profile: str,
    address_id: str | None = None,
    dry_run: bool = False,
    notify: Notify = _quiet,
) -> Purchase:
    """Buy ``offer`` from ``carrier``: ledger intent first, outcome after, never twice.

    An earlier attempt whose outcome is pending/unknown is reconciled before anything is
    sent. A failure that may have reached the provider is reconciled by looking the number
    up among the owned numbers; if that is impossible, OutcomeUnknown (exit 7).
    """
    number = offer.phone_number
    prices = {
        "monthly_price": offer.monthly_price,
        "upfront_price": offer.upfront_price,
        "currency": offer.currency,
    }
    if dry_run:
        placeholder = OwnedNumber(
            provider=offer.provider,
            phone_number=number,
            id="",
            country=offer.country,
            capabilities=offer.capabilities,
        )
        return Purchase(number=placeholder, dry_run=True, **prices)

    for earlier in state.ledger_entries(op="buy", target=number, statuses=("pending", "unknown")):
        other = carrier if earlier.provider == carrier.name else None
        if other is None:
            raise OutcomeUnknown(
                f"an earlier purchase of {number} from {earlier.provider} has an unknown outcome",
                hint=f"check with `telcli numbers list --provider {earlier.provider}`",
            )
        owned = _reconcile_purchase(other, number, state, earlier.id)
        if owned is not None:
            state.ledger_finish(
                earlier.id, "succeeded", result_id=owned.id, detail={"reconciled": True}
            )
            notify(f"an earlier attempt had already bought {number} from {carrier.name}")
            return Purchase(number=owned, **prices)
        state.ledger_finish(earlier.id, "failed", detail={"reconciled": True})

    entry = state.ledger_begin(
        "buy",
        str(carrier.name),
        profile,
        number,
        {
            "monthly_price": None if offer.monthly_price is None else str(offer.monthly_price),
            "currency": offer.currency,
            "address_id": address_id,
        },
    )
    started = time.monotonic()
    try:
        owned = carrier.purchase(number, address_id=address_id)
    except ProviderUnavailable as exc:
        if not exc.sent:
            state.ledger_finish(entry, "failed", detail={"error": exc.message})
            raise
        notify(f"{carrier.name}: the purchase outcome is unclear ({exc.message}); checking")
        reconciled = _reconcile_purchase(carrier, number, state, entry)
        if reconciled is None:
            state.ledger_finish(entry, "failed", detail={"error": exc.message, "reconciled": True})
            raise
        owned = reconciled
        state.ledger_finish(entry, "succeeded", result_id=owned.id, detail={"reconciled": True})
    except ProviderError as exc:
        state.ledger_finish(entry, "failed", detail={"error": exc.message})
        raise
    except AuthError as exc:
        state.ledger_finish(entry, "failed", detail={"error": exc.message})
        raise
    except BaseException:
        # Anything else (a bug, Ctrl-C) leaves the outcome unknown: say so in the ledger.
        state.ledger_finish(entry, "unknown", detail={"error": "interrupted"})
        raise
    else:
        state.ledger_finish(entry, "succeeded", result_id=owned.id)
    elapsed = int((time.monotonic() - started) * 1000)
    attempt = Attempt(provider=ProviderName(carrier.name), outcome="ok", elapsed_ms=elapsed)
    return Purchase(number=owned, attempts=(attempt,), **prices)


def release(
    carrier: CarrierProvider,
    owned: OwnedNumber,
    *,
    state: Any,
    profile: str,
    dry_run: bool = False,
) -> Release:
    if dry_run:
        return Release(owned.phone_number, owned.provider, owned.id, dry_run=True)
    entry = state.ledger_begin(
        "release", str(carrier.name), profile, owned.phone_number, {"id": owned.id}
    )
    try:
        carrier.release(owned)
    except ProviderUnavailable as exc:
        if exc.sent:
            try:
                still = carrier.find_owned(owned.phone_number)
            except TelcliError:
                state.ledger_finish(entry, "unknown", detail={"error": exc.message})
                raise OutcomeUnknown(
                    f"the release of {owned.phone_number} may or may not have gone through",
                    hint=f"check with `telcli numbers list --provider {carrier.name}`",
                ) from None
            if still is None:
                state.ledger_finish(
                    entry, "succeeded", result_id=owned.id, detail={"reconciled": True}
                )
                return Release(owned.phone_number, owned.provider, owned.id)
        state.ledger_finish(entry, "failed", detail={"error": exc.message})
        raise
    except TelcliError as exc:
        state.ledger_finish(entry, "failed", detail={"error": exc.message})
        raise
    state.ledger_finish(entry, "succeeded", result_id=owned.id)
    return Release(owned.phone_number, owned.provider, owned.id)


def configure(carrier: CarrierProvider, owned: OwnedNumber, config: NumberConfig) -> OwnedNumber:
    return carrier.configure(owned, config)
