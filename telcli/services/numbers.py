"""Number use cases: search across carriers, quote, buy (ledgered, never twice), list,
locate, release, configure. Services take what they need as arguments and report progress
through ``notify``; they never print, exit or build clients."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from telcli.errors import (
    AuthError,
    OutcomeUnknown,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
    TelcliError,
    UsageProblem,
)
from telcli.models import (
    Attempt,
    AvailableNumber,
    Listing,
    NumberConfig,
    NumberQuery,
    OwnedNumber,
    Purchase,
    Release,
    Settlement,
    TenantTag,
)
from telcli.providers.base import CarrierProvider
from telcli.services import failover
from telcli.services.settling import Settle, await_landing, in_flight

if TYPE_CHECKING:
    from telcli.transport import RetryPolicy

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
) -> Listing[tuple[CarrierProvider, T]]:
    """Run a read on every carrier (concurrently), keep what succeeded, note what failed.

    Reads fail over freely: one carrier failing (or skipped for an open circuit) costs its
    results, not the command. When every carrier fails, the single error (or
    AllProvidersFailed) is raised."""
    return failover.each(carriers, call, what=what, notify=notify)


def search(
    carriers: Sequence[CarrierProvider], query: NumberQuery, *, notify: Notify = _quiet
) -> list[AvailableNumber]:
    """Numbers available to buy from every carrier, in carrier order, each labelled."""
    found = _each(carriers, lambda c: c.search_numbers(query), what="search", notify=notify)
    return [number for _, numbers in found for number in numbers[: query.limit]]


def list_owned(
    carriers: Sequence[CarrierProvider], *, tenant: str | None = None, notify: Notify = _quiet
) -> Listing[OwnedNumber]:
    """Owned numbers in carrier order, sorted by number within each carrier; with
    ``tenant``, only the numbers recorded for that tenant at the provider. ``errors`` names
    the carriers that could not be asked."""
    found = _each(carriers, lambda c: c.list_owned(tenant), what="listing numbers", notify=notify)
    rows = [n for _, numbers in found for n in sorted(numbers, key=lambda n: n.phone_number)]
    return Listing(rows, found.errors)


def locate(
    carriers: Sequence[CarrierProvider], phone_number: str, *, notify: Notify = _quiet
) -> tuple[CarrierProvider, OwnedNumber]:
    """Which carrier owns ``phone_number``. ProviderRejected (exit 5) when none does."""
    found = _each(carriers, lambda c: c.find_owned(phone_number), what="lookup", notify=notify)
    for carrier, owned in found:
        if owned is not None:
            return carrier, owned
    if len(found) < len(carriers):
        # A carrier that could not be asked may own it: "not yours" would be a guess.
        asked = {id(c) for c, _ in found}
        missing = [str(c.name) for c in carriers if id(c) not in asked]
        raise ProviderUnavailable(
            f"cannot tell whether you own {phone_number}: {' and '.join(missing)} could not be"
            " asked",
            provider=missing[0],
            sent=False,
            hint="retry later; `telcli providers status` shows each provider's health",
        )
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
    first = NumberType(likely_type(phone_number))
    types = [first, *(t for t in NumberType if t != first)]
    unavailable: list[tuple[CarrierProvider, ProviderUnavailable]] = []
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
                notify(failover.skip_note(carrier, exc, what="availability check"))
                if isinstance(exc, ProviderUnavailable):
                    unavailable.append((carrier, exc))
                break
            for offer in offers:
                if offer.phone_number == phone_number:
                    return carrier, offer
    for carrier in carriers:
        try:
            owned = carrier.find_owned(phone_number)
        except ProviderUnavailable as exc:
            unavailable.append((carrier, exc))  # it may be ours already: cannot tell
            continue
        except TelcliError:
            continue
        if owned is not None:
            raise ProviderRejected(
                f"{phone_number} is already yours at {carrier.name} (id {owned.id})",
                provider=str(carrier.name),
                hint="nothing to buy; see it with `telcli numbers list`",
            )
    if unavailable:
        # A carrier that could not be asked may well offer it: not a "no" (exit 5).
        down, why = unavailable[0]
        raise ProviderUnavailable(
            f"cannot tell whether {phone_number} is available: {down.name} could not be"
            f" asked ({why.message})",
            provider=str(down.name),
            sent=False,
            hint="retry later; `telcli providers status` shows each provider's health",
        )
    names = " or ".join(str(c.name) for c in carriers)
    raise ProviderRejected(
        f"{phone_number} is not available to buy from {names}",
        provider=names,
        hint=f"search for alternatives: `telcli numbers search --country {country}`",
    )


RECONCILE_HINT = "run `telcli numbers reconcile` to settle it"


def _unknown_hint(provider: str) -> str:
    return (
        f"{RECONCILE_HINT} once {provider} answers (or check `telcli numbers list --provider"
        f" {provider}`); a re-run of the same command reconciles first too"
    )


def _owned_now(carrier: CarrierProvider, phone_number: str) -> Callable[[], OwnedNumber | None]:
    """The lookup that settles a purchase. It bypasses the circuit breaker: the failure
    being settled may just have opened it, and this lookup decides whether money was spent."""
    return lambda: failover.unguarded(carrier).find_owned(phone_number)


def _lands_by(entry: Any, settle: Settle) -> datetime:
    """The latest time the request behind a ledger entry can still take effect: its intent
    time plus the request timeout plus the settle window (as its own run recorded them)."""
    created = datetime.fromisoformat(entry.created_at.replace("Z", "+00:00"))
    recorded = entry.detail.get("lands_by")
    if isinstance(recorded, str):
        return datetime.fromisoformat(recorded.replace("Z", "+00:00"))
    return created + settle.horizon


def _whose(entry: Any) -> str:
    who = f"ledger entry {entry.id}"
    if entry.pid is not None:
        who += f", pid {entry.pid} on {entry.host}"
    return who


def _settle_open(
    carrier: CarrierProvider,
    entry: Any,
    *,
    state: Any,
    settle: Settle,
    notify: Notify,
) -> OwnedNumber | None:
    """Settle an earlier run's open (pending or unknown) purchase of the same number: the
    number owned now means that run bought it (returned, ledger: succeeded); None once its
    absence is proven past the time its request could land (ledger: failed). While its
    request may still land, this waits (bounded by the deadline); a wait the deadline cuts
    short is OutcomeUnknown, and nothing is sent."""
    number, name = entry.target, entry.provider
    from telcli.storage.state import owner_alive

    left = (_lands_by(entry, settle) - datetime.now(UTC)).total_seconds()
    alive = entry.status == "pending" and owner_alive(entry)
    if left > 0:
        state_of = "still running" if alive else "no longer running" if alive is False else ""
        notify(
            f"{name}: an earlier purchase of {number} ({_whose(entry)}"
            f"{', ' + state_of if state_of else ''}) may still land until"
            f" {_clock(datetime.now(UTC) + timedelta(seconds=left))}; waiting for it"
        )
    landing = await_landing(_owned_now(carrier, number), settle, proof_in=left)
    if landing.found is not None:
        state.ledger_finish(
            entry.id, "succeeded", result_id=landing.found.id, detail={"reconciled": True}
        )
        notify(f"{name}: {number} was already bought by an earlier run ({_whose(entry)})")
        return landing.found
    if landing.proven:
        state.ledger_finish(entry.id, "failed", detail={"reconciled": True})
        return None
    if not alive:
        state.ledger_finish(entry.id, "unknown", detail={"error": landing.why})
    raise OutcomeUnknown(
        f"an earlier purchase of {number} from {name} ({_whose(entry)}) may or may not have"
        f" gone through: {landing.why}; nothing was sent",
        hint=_unknown_hint(name),
    )


def _clock(when: datetime) -> str:
    return when.astimezone().strftime("%H:%M:%S")


def earlier_purchase(
    carriers: Sequence[CarrierProvider],
    phone_number: str,
    *,
    state: Any,
    profile: str,
    settle: Settle,
    notify: Notify = _quiet,
) -> Purchase | None:
    """Before buying: settle every open purchase of ``phone_number`` an earlier (or
    concurrent) run of this profile left. A Purchase when one of them bought it ("already
    bought by an earlier run": nothing more is spent), None when none did.

    OutcomeUnknown (exit 7) when one cannot be settled in time, or belongs to a carrier not
    among ``carriers``."""
    by_name = {str(c.name): c for c in carriers}
    for entry in state.ledger_entries(op="buy", target=phone_number, statuses=OPEN):
        if entry.profile != profile:
            continue
        carrier = by_name.get(entry.provider)
        if carrier is None:
            raise OutcomeUnknown(
                f"an earlier purchase of {phone_number} from {entry.provider} has an unknown"
                " outcome",
                hint=_unknown_hint(entry.provider),
            )
        start = time.monotonic()
        owned = _settle_open(carrier, entry, state=state, settle=settle, notify=notify)
        if owned is not None:
            return Purchase(
                number=owned, attempts=(failover.attempt(carrier, "reconciled", None, start),)
            )
    return None


OPEN = ("pending", "unknown")
# A purchase is sent again only with this much of the deadline left to wait for its answer.
MIN_RESEND_TIME = 1.0


def buy(
    carrier: CarrierProvider,
    offer: AvailableNumber,
    *,
    state: Any,
    profile: str,
    settle: Settle,
    address_id: str | None = None,
    dry_run: bool = False,
    notify: Notify = _quiet,
    tries: int = 1,
    retry: RetryPolicy | None = None,
    tenant: TenantTag | None = None,
) -> Purchase:
    """Buy ``offer`` from ``carrier``: ledger intent first, outcome after, never twice.

    A specific number can only be bought from the carrier that offers it, so failover here
    means reconciliation, never switching carriers. The intent is claimed atomically: an
    open (pending/unknown) purchase of the same number by another run is settled first
    (:func:`earlier_purchase`'s rules), and no request is sent while it is open.

    A failure that may have reached the provider (timeout, dropped connection, 5xx) is
    settled with :func:`~telcli.services.settling.await_landing`: the number owned means it
    was bought; while the request may still be in flight (no answer, 500, 502, 504:
    :func:`~telcli.services.settling.in_flight`) only a lookup past the settle window that
    still finds nothing proves it was not; after a 503 one lookup does. If the deadline ends
    the wait first, or the provider cannot be asked, the ledger says unknown and
    OutcomeUnknown (exit 7) names ``telcli numbers reconcile``.

    With ``tries`` > 1 a purchase proven not bought is sent again (after ``retry``'s
    backoff). Every try is in ``Purchase.attempts``.

    ``tenant`` travels in the purchase request itself (telcli/tenancy.py) and in the ledger
    entry's detail.
    """
    number = offer.phone_number
    name = str(carrier.name)
    prices: dict[str, Any] = {
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
            address_id=address_id,
            tenant=tenant.id if tenant else None,
        )
        return Purchase(number=placeholder, dry_run=True, **prices)

    attempts: list[Attempt] = []
    attempt_no = 0
    while True:
        lands_by = datetime.now(UTC) + settle.horizon
        entry, _ = state.ledger_claim(
            "buy",
            name,
            profile,
            number,
            {
                "monthly_price": None if offer.monthly_price is None else str(offer.monthly_price),
                "upfront_price": None if offer.upfront_price is None else str(offer.upfront_price),
                "currency": offer.currency,
                "address_id": address_id,
                **({"tenant": tenant.id} if tenant else {}),
                "lands_by": lands_by.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            },
            price=_price_of(offer),
            currency=offer.currency,
            tenant=tenant.id if tenant else None,
        )
        if entry is None:
            # Another run's purchase of it is open: settle that, never send beside it.
            start = time.monotonic()
            earlier = earlier_purchase(
                [carrier], number, state=state, profile=profile, settle=settle, notify=notify
            )
            if earlier is not None:
                attempts.append(failover.attempt(carrier, "reconciled", None, start))
                return Purchase(number=earlier.number, attempts=tuple(attempts), **prices)
            continue
        attempt_no += 1
        start = time.monotonic()
        try:
            owned = carrier.purchase(number, address_id=address_id, tenant=tenant)
        except ProviderUnavailable as exc:
            if not exc.sent or exc.status == 429:
                # Provably not acted on: never sent (no connection, open circuit, no time
                # left), or refused before processing (429 after the transport's retries).
                state.ledger_finish(entry, "failed", detail={"error": exc.message})
                raise
            attempts.append(failover.attempt(carrier, "unknown", exc, start))
            notify(f"{name}: the purchase outcome is unclear ({exc.message}); checking")
            check = time.monotonic()
            late = in_flight(exc)
            try:
                landing = await_landing(
                    _owned_now(carrier, number),
                    settle,
                    proof_in=None if late else 0,
                    notify=notify,
                )
            except BaseException:
                state.ledger_finish(entry, "unknown", detail={"error": "interrupted"})
                raise
            if landing.found is not None:
                owned = landing.found
                state.ledger_finish(
                    entry, "succeeded", result_id=owned.id, detail={"reconciled": True}
                )
                attempts.append(failover.attempt(carrier, "reconciled", None, check))
                return Purchase(number=owned, attempts=tuple(attempts), **prices)
            if landing.unknown:
                state.ledger_finish(entry, "unknown", detail={"error": landing.why})
                raise OutcomeUnknown(
                    f"the purchase of {number} from {name} may or may not have gone through"
                    f" ({exc.message}); {landing.why}",
                    hint=_unknown_hint(name),
                ) from None
            state.ledger_finish(entry, "failed", detail={"error": exc.message, "reconciled": True})
            answer = (
                "the answer went missing" if exc.status is None else f"{name} answered {exc.status}"
            )
            proof = (
                f"not owned {settle.window:g}s after {answer}"
                if late
                else f"not owned after {answer}"
            )
            left = settle.remaining()
            if attempt_no < tries and (left is None or left >= MIN_RESEND_TIME):
                # Proven not bought, and it no longer can be: sending it again cannot buy twice.
                notify(f"{name}: {number} was not bought ({proof}); trying again")
                if retry is not None:
                    retry.sleep(retry.backoff(attempt_no))
                continue
            notify(f"{name}: {number} was not bought ({proof}); nothing was spent")
            raise
        except (ProviderError, AuthError) as exc:
            state.ledger_finish(entry, "failed", detail={"error": exc.message})
            raise
        except BaseException:
            # Anything else (a bug, Ctrl-C) leaves the outcome unknown: say so in the ledger.
            state.ledger_finish(entry, "unknown", detail={"error": "interrupted"})
            raise
        state.ledger_finish(entry, "succeeded", result_id=owned.id)
        attempts.append(failover.attempt(carrier, "ok", None, start))
        return Purchase(number=owned, attempts=tuple(attempts), **prices)


def release(
    carrier: CarrierProvider,
    owned: OwnedNumber,
    *,
    state: Any,
    profile: str,
    dry_run: bool = False,
    settle: Settle | None = None,
) -> Release:
    """Release ``owned``: ledgered like a purchase. A 404 (a retried DELETE whose first try
    had worked) is settled by looking the number up; an ambiguous failure (timeout, dropped
    connection, 5xx) by lookups over the settle window, like a purchase: gone means
    released, still owned past the window means not, else unknown (exit 7)."""
    if dry_run:
        return Release(owned.phone_number, owned.provider, owned.id, dry_run=True)
    number = owned.phone_number
    entry = state.ledger_begin(
        "release", str(carrier.name), profile, number, {"id": owned.id}, tenant=owned.tenant
    )

    def gone() -> bool | None:
        return True if _owned_now(carrier, number)() is None else None

    try:
        carrier.release(owned)
    except (ProviderUnavailable, ProviderRejected) as exc:
        ambiguous = isinstance(exc, ProviderUnavailable) and exc.sent
        late = ambiguous and in_flight(exc)
        if ambiguous or exc.status == 404:
            landing = await_landing(gone, settle or Settle(), proof_in=None if late else 0)
            if landing.found:
                state.ledger_finish(
                    entry, "succeeded", result_id=owned.id, detail={"reconciled": True}
                )
                return Release(number, owned.provider, owned.id)
            if landing.unknown:
                state.ledger_finish(entry, "unknown", detail={"error": exc.message})
                raise OutcomeUnknown(
                    f"the release of {number} may or may not have gone through ({exc.message});"
                    f" {landing.why}",
                    hint=_unknown_hint(str(carrier.name)),
                ) from None
        state.ledger_finish(entry, "failed", detail={"error": exc.message})
        raise
    except TelcliError as exc:
        state.ledger_finish(entry, "failed", detail={"error": exc.message})
        raise
    except BaseException:
        state.ledger_finish(entry, "unknown", detail={"error": "interrupted"})
        raise
    state.ledger_finish(entry, "succeeded", result_id=owned.id)
    return Release(number, owned.provider, owned.id)


def reconcile(
    carriers: Sequence[CarrierProvider],
    *,
    state: Any,
    profile: str,
    providers: Sequence[str],
    settle: Settle | None = None,
    notify: Notify = _quiet,
) -> list[Settlement]:
    """Settle the ledger against what each provider actually owns.

    Every pending/unknown purchase or release of ``profile`` at one of ``providers`` is
    decided by the provider's owned numbers (bought: owned; released: not owned). Numbers a
    provider owns whose latest ledger entry is a purchase that never recorded success are
    listed and recorded as bought. A provider that cannot be asked leaves its entries
    ``unknown``. A purchase not owned yet whose request may still land (see ``settle``) is
    waited for; if the deadline ends the wait first it is left open and reported unknown:
    absence is no proof while a request may be in flight. Lookups bypass the circuit
    breakers: settling money matters more."""
    settle = settle or Settle()
    open_entries = [
        e
        for e in reversed(state.ledger_entries(statuses=("pending", "unknown")))
        if e.op in ("buy", "release") and e.profile == profile and e.provider in providers
    ]
    by_name = {str(c.name): c for c in carriers}
    owned_at: dict[str, dict[str, OwnedNumber]] = {}
    cannot: dict[str, str] = {}
    for name in providers:
        carrier = by_name.get(name)
        if carrier is None:
            cannot[name] = f"no credentials for {name}"
            continue
        try:
            numbers = failover.unguarded(carrier).list_owned()
        except TelcliError as exc:
            cannot[name] = exc.message
            notify(f"{name}: cannot list owned numbers: {exc.message}")
            continue
        owned_at[name] = {n.phone_number: n for n in numbers}

    settled: list[Settlement] = []
    bought: set[tuple[str, str]] = set()
    for e in open_entries:
        if e.provider not in owned_at:
            state.ledger_finish(e.id, "unknown", detail={"error": cannot[e.provider]})
            settled.append(Settlement.of(e, "unknown", note=f"cannot ask: {cannot[e.provider]}"))
            continue
        owned = owned_at[e.provider].get(e.target)
        left = (_lands_by(e, settle) - datetime.now(UTC)).total_seconds()
        if e.op == "buy" and owned is None and left > 0:
            # Its request may still land: wait for that (bounded by the deadline).
            notify(
                f"{e.provider}: the purchase of {e.target} ({_whose(e)}) may still land until"
                f" {_clock(_lands_by(e, settle))}; waiting for it"
            )
            landing = await_landing(
                _owned_now(by_name[e.provider], e.target), settle, proof_in=left
            )
            if landing.unknown:
                until = _clock(_lands_by(e, settle))
                settled.append(Settlement.of(e, "unknown", note=f"may still land until {until}"))
                continue
            owned = landing.found
        if e.op == "buy" and owned is not None and (e.provider, e.target) not in bought:
            bought.add((e.provider, e.target))
            status, result_id, note = "succeeded", owned.id, f"owned at {e.provider}"
        elif e.op == "buy" and owned is not None:
            status, result_id, note = "failed", None, "an earlier entry bought it"
        elif e.op == "buy":
            status, result_id, note = "failed", None, f"not owned at {e.provider}"
        elif owned is None:
            status, result_id, note = "succeeded", e.result_id, f"gone from {e.provider}"
        else:
            status, result_id, note = "failed", owned.id, f"still owned at {e.provider}"
        state.ledger_finish(e.id, status, result_id=result_id, detail={"reconciled": True})
        settled.append(Settlement.of(e, status, result_id=result_id, note=note))

    # Owned, bought by telcli, but the ledger never recorded the purchase as a success: a
    # purchase attempt after the last recorded success (of a buy or a release) of the number.
    history: dict[tuple[str, str], list[Any]] = {}
    for e in reversed(state.ledger_entries()):
        if e.op in ("buy", "release") and e.profile == profile:
            history.setdefault((e.provider, e.target), []).append(e)
    for name, numbers in owned_at.items():
        for number, owned in sorted(numbers.items()):
            entries = history.get((name, number), [])
            done = [i for i, e in enumerate(entries) if e.status == "succeeded"]
            if done and entries[done[-1]].op == "buy":
                continue  # the ledger already says telcli owns it
            since = entries[done[-1] + 1 :] if done else entries
            tried = [e for e in since if e.op == "buy"]
            if not tried:
                continue  # not bought by telcli
            e = tried[-1]
            note = f"owned at {name}, but the ledger said {e.status}"
            state.ledger_finish(e.id, "succeeded", result_id=owned.id, detail={"reconciled": True})
            settled.append(Settlement.of(e, "succeeded", result_id=owned.id, note=note))
    return settled


def _price_of(offer: AvailableNumber) -> str | None:
    """What buying ``offer`` costs now: the upfront price plus the first month."""
    parts = [p for p in (offer.upfront_price, offer.monthly_price) if p is not None]
    return str(sum(parts)) if parts else None


def configure(
    carrier: CarrierProvider,
    owned: OwnedNumber,
    config: NumberConfig,
    *,
    state: Any = None,
    profile: str = "",
) -> OwnedNumber:
    """Apply ``config`` to ``owned`` (ledgered as ``configure``, with what was changed).
    A Telnyx connection or messaging profile may be given by name (resolved to its id)."""
    from telcli.services.telnyx_resources import resolve_config
    from telcli.storage.state import operation

    config = resolve_config(carrier, config)

    # Names only: a webhook URL can carry a token in its query or userinfo.
    changed = sorted(k for k, v in asdict(config).items() if v is not None)
    with operation(
        state, "configure", str(carrier.name), profile, owned.phone_number, {"set": changed}
    ) as step:
        updated = carrier.configure(owned, config)
        step.result_id = updated.id
    return updated


def set_tenant(
    carrier: CarrierProvider,
    owned: OwnedNumber,
    tenant: TenantTag | None,
    *,
    move: bool = True,
    state: Any = None,
    profile: str = "",
) -> OwnedNumber:
    """Record ``tenant`` on ``owned`` at its provider (None clears it); ledgered as ``tag``.
    Idempotent: a number that already carries the tenant (and no new name is given) is
    returned without a request. With ``move=False`` a number of another tenant is refused
    (UsageProblem, exit 2) instead of moved."""
    from telcli.storage.state import operation

    wanted = tenant.id if tenant else None
    if wanted == owned.tenant and (tenant is None or tenant.name is None):
        return owned
    if not move and tenant is not None and owned.tenant not in (None, tenant.id):
        raise UsageProblem(
            f"{owned.phone_number} belongs to tenant {owned.tenant}",
            hint=f"pass --force to move it to {tenant.id}",
        )
    detail = {"from": owned.tenant, "to": wanted}
    with operation(
        state, "tag", str(carrier.name), profile, owned.phone_number, detail, tenant=wanted
    ) as step:
        updated = carrier.set_tenant(owned, tenant)
        step.result_id = updated.id
    return updated
