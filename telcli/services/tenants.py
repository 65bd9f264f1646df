"""Tenant onboarding (DESIGN.md "Tenants"): discover what each tenant holds at the providers,
plan what is missing, converge to the plan, report status, list tenants, offboard one.

The tenant is recorded at the provider (telcli/tenancy.py), so discovery asks the carriers
and VAPI, never only the local state: a second machine with an empty ``TELCLI_HOME`` sees the
same holdings and buys nothing twice. The state DB's ledger is the journal: every step writes
its intent before the request (``tenant.<step>``, target = the tenant id) and its outcome
after; purchases also go through :func:`telcli.services.numbers.buy`, whose own ledger entry
is what ``numbers reconcile`` settles. A per-tenant lease in the state DB keeps two ``apply``
processes of one ``TELCLI_HOME`` from converging the same tenant at once.

Isolation: every mutation for tenant A acts on a number discovered as A's (its provider-side
tag), or on a number bought for A in this run; nothing else is ever configured, imported,
removed or released here.

Services never print or exit; progress goes through ``notify`` and ``progress`` callbacks.
"""

from __future__ import annotations

import contextvars
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from telcli.errors import (
    AuthError,
    OutcomeUnknown,
    ProviderRejected,
    ProviderUnavailable,
    TelcliError,
    UsageProblem,
)
from telcli.models import (
    Address,
    AddressRequirement,
    Assistant,
    AvailableNumber,
    Listing,
    NumberConfig,
    OwnedNumber,
    ProviderFailure,
    TenantTag,
    VapiNumber,
)
from telcli.services import failover
from telcli.services import numbers as numbers_svc
from telcli.services.settling import Settle
from telcli.storage.plans import TenantSpec

Notify = Callable[[str], None]
# progress(tenant, step, number, status): one line of the live table
Progress = Callable[[str, str, str, str], None]

STEPS = ("address", "buy", "tag", "configure", "vapi", "test")
LEASE_SECONDS = 300.0


def _quiet(*_: Any) -> None:
    pass


# --- what the service is given ----------------------------------------------------------------


@dataclass
class Deps:
    """What the tenant use cases need (built by the command from AppContext).

    ``carriers``: the profile's carriers in order, behind their breakers. ``vapi``: built on
    first use (None when no tenant needs VAPI).
    """

    carriers: Sequence[Any]
    state: Any
    profile: str
    vapi: Callable[[], Any] | None = None
    carrier_credentials: Callable[[str], Mapping[str, str]] = lambda _: {}
    notify: Notify = _quiet
    retry: Any = None
    settle: Any = None  # services.settling.Settle: how a purchase whose answer was lost settles
    host: str = field(default_factory=lambda: os.uname().nodename)
    # interrupt.Cancel (Ctrl-C): set, no tenant starts and none takes another step; the step
    # under way finishes and is journaled.
    cancel: Any = None

    def carrier(self, name: str) -> Any | None:
        for c in self.carriers:
            if str(c.name) == name:
                return c
        return None


# --- discovery ------------------------------------------------------------------------------


@dataclass
class Holdings:
    """What the providers hold, by tenant. ``unreachable``: carriers that could not be
    listed (their numbers are unknown, so nothing may be bought while one is)."""

    numbers: dict[str, list[OwnedNumber]]
    untagged: dict[str, OwnedNumber]  # phone number -> an owned number without a tenant
    vapi: dict[str, VapiNumber] | None
    unreachable: dict[str, str]
    ledger_mark: int = 0  # the journal's last entry id when this was taken

    def of(self, tenant: str) -> list[OwnedNumber]:
        return self.numbers.get(tenant, [])


def discover(deps: Deps, *, vapi: bool = True) -> Holdings:
    """List every carrier's owned numbers (concurrently) and VAPI's numbers, grouped by the
    tenant recorded at the provider."""
    mark = _ledger_mark(deps.state)
    unreachable: dict[str, str] = {}
    errors: dict[str, str] = {}

    def note(line: str) -> None:
        deps.notify(line)

    def listing(carrier: Any) -> list[OwnedNumber]:
        try:
            return list(carrier.list_owned())
        except TelcliError as exc:
            errors[str(carrier.name)] = exc.message
            raise

    def vapi_listing() -> dict[str, VapiNumber] | None:
        if not vapi or deps.vapi is None:
            return None
        try:
            return {n.phone_number: n for n in deps.vapi().list_numbers()}
        except TelcliError as exc:
            unreachable["vapi"] = exc.message
            deps.notify(f"vapi: cannot list numbers: {exc.message}")
            return None

    # VAPI is listed while the carriers are: discovery costs the slowest listing, not the sum.
    with ThreadPoolExecutor(max_workers=1) as pool:
        in_vapi_future = pool.submit(contextvars.copy_context().run, vapi_listing)
        try:
            found = failover.each(deps.carriers, listing, what="listing numbers", notify=note)
        except TelcliError:
            found = []
        in_vapi = in_vapi_future.result()
    for carrier in deps.carriers:
        if str(carrier.name) in errors:
            unreachable[str(carrier.name)] = errors[str(carrier.name)]
    by_tenant: dict[str, list[OwnedNumber]] = {}
    untagged: dict[str, OwnedNumber] = {}
    for _, numbers in found:
        for n in numbers:
            if n.tenant:
                by_tenant.setdefault(n.tenant, []).append(n)
            else:
                untagged[n.phone_number] = n
    for numbers in by_tenant.values():
        numbers.sort(key=lambda n: (str(n.provider), n.phone_number))
    return Holdings(by_tenant, untagged, in_vapi, unreachable, mark)


def settle(deps: Deps) -> list[Any]:
    """Settle purchases and releases whose outcome the ledger does not know (a killed run, a
    lost answer) against what the providers own, before anything new is planned: the
    existing ``numbers reconcile``. Returns the settlements; OutcomeUnknown (exit 7) while a
    provider cannot be asked."""
    open_entries = [
        e
        for e in deps.state.ledger_entries(statuses=("pending", "unknown"))
        if e.op in ("buy", "release") and e.profile == deps.profile
    ]
    if not open_entries:
        return []
    providers = [str(c.name) for c in deps.carriers]
    settled = numbers_svc.reconcile(
        deps.carriers,
        state=deps.state,
        profile=deps.profile,
        providers=providers,
        settle=deps.settle,
        notify=deps.notify,
    )
    still = [s for s in settled if s.status == "unknown"]
    if still:
        raise OutcomeUnknown(
            f"the outcome of an earlier {still[0].op} of {still[0].phone_number} is still unknown",
            hint="run `telcli numbers reconcile` once the provider answers, then apply again",
        )
    return settled


def _ledger_mark(state: Any) -> int:
    latest = state.ledger_entries(limit=1)
    return latest[0].id if latest else 0


# --- the plan -------------------------------------------------------------------------------


@dataclass
class AddressStep:
    provider: str
    action: str  # "reuse" | "create"
    address_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"provider": self.provider, "action": self.action, "address_id": self.address_id}


@dataclass
class TenantPlan:
    """What ``apply`` would do for one tenant (``tenants plan`` shows it)."""

    spec: TenantSpec
    held: list[OwnedNumber]
    buy: list[AvailableNumber] = field(default_factory=list)
    shortfall: int = 0  # numbers still missing: no candidate within the criteria and price
    addresses: list[AddressStep] = field(default_factory=list)
    configure: list[tuple[str, NumberConfig]] = field(default_factory=list)  # held and to buy
    vapi: list[tuple[str, str]] = field(default_factory=list)  # (number, "import"|"update")
    assistant: Assistant | None = None
    problems: list[str] = field(default_factory=list)  # why it cannot converge now
    connection_id: str | None = None
    messaging_profile_id: str | None = None
    blocked: bool = False  # a carrier could not be listed: what the tenant holds is unknown
    in_vapi: dict[str, str] = field(default_factory=dict)  # held number -> VAPI id, as listed
    # Bought for this tenant (the journal says so) but shown untagged: tagged by apply.
    retag: list[OwnedNumber] = field(default_factory=list)

    @property
    def tenant(self) -> str:
        return self.spec.id

    @property
    def in_sync(self) -> bool:
        return not (
            self.buy or self.shortfall or self.configure or self.vapi or self.problems or self.retag
        )

    def summary(self) -> str:
        """``in sync``, or what apply would still do, e.g. ``buy 2; vapi 1``."""
        if self.in_sync:
            return "in sync"
        counts = (
            ("buy", self.buy),
            ("tag", self.retag),
            ("configure", self.configure),
            ("vapi", self.vapi),
        )
        return "; ".join([f"{k} {len(v)}" for k, v in counts if v] + self.problems)

    def to_json(self) -> dict[str, Any]:
        return {
            "tenant": self.spec.id,
            "name": self.spec.name,
            "numbers_planned": self.spec.numbers,
            "criteria": self.spec.criteria(),
            "holds": [_held_json(n) for n in self.held],
            "buy": [_offer_json(o) for o in self.buy],
            "shortfall": self.shortfall,
            "addresses": [a.to_json() for a in self.addresses],
            "configure": [{"phone_number": p, **_config_json(c)} for p, c in self.configure],
            "vapi": [
                {
                    "phone_number": p,
                    "action": a,
                    "assistant_id": self.assistant.id if self.assistant else None,
                    "assistant": self.assistant.name if self.assistant else None,
                }
                for p, a in self.vapi
            ],
            "retag": [_held_json(n) for n in self.retag],
            "problems": list(self.problems),
            "in_sync": self.in_sync,
        }


def _money(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _held_json(n: OwnedNumber) -> dict[str, Any]:
    return {"phone_number": n.phone_number, "provider": str(n.provider), "id": n.id}


def _offer_json(o: AvailableNumber) -> dict[str, Any]:
    return {
        "phone_number": o.phone_number,
        "provider": str(o.provider),
        "monthly_price": _money(o.monthly_price),
        "upfront_price": _money(o.upfront_price),
        "currency": o.currency,
        "address_requirement": str(o.address_requirement),
    }


def _config_json(config: NumberConfig) -> dict[str, Any]:
    return {k: getattr(config, k) for k in config.__slots__ if getattr(config, k) is not None}  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Total:
    currency: str
    numbers: int
    monthly: Decimal
    upfront: Decimal

    def to_json(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "numbers": self.numbers,
            "monthly": format(self.monthly, "f"),
            "upfront": format(self.upfront, "f"),
        }


def totals(plans: Iterable[TenantPlan]) -> list[Total]:
    """What the planned purchases cost, per currency (``?`` when a carrier gave none)."""
    sums: dict[str, list[Any]] = {}
    for plan in plans:
        for offer in plan.buy:
            entry = sums.setdefault(offer.currency or "?", [0, Decimal(0), Decimal(0)])
            entry[0] += 1
            entry[1] += offer.monthly_price or Decimal(0)
            entry[2] += offer.upfront_price or Decimal(0)
    return [Total(c, n, m, u) for c, (n, m, u) in sorted(sums.items())]


def desired_config(spec: TenantSpec, provider: str, plan: TenantPlan) -> NumberConfig:
    if provider == "twilio" and spec.webhooks is not None:
        w = spec.webhooks
        return NumberConfig(
            voice_url=w.voice_url, sms_url=w.sms_url, status_callback=w.status_callback
        )
    if provider == "telnyx":
        return NumberConfig(
            connection_id=plan.connection_id, messaging_profile_id=plan.messaging_profile_id
        )
    return NumberConfig()


def config_changes(number: OwnedNumber, want: NumberConfig) -> NumberConfig:
    """The part of ``want`` that ``number`` does not have yet (empty: nothing to do)."""
    changes = {
        k: v
        for k in want.__slots__  # type: ignore[attr-defined]
        if (v := getattr(want, k)) is not None and getattr(number, k, None) != v
    }
    return NumberConfig(**changes)


def vapi_label(spec: TenantSpec) -> str:
    from telcli.tenancy import vapi_name

    return vapi_name(spec.id, spec.name)


def _vapi_action(spec: TenantSpec, number: str, plan: TenantPlan, vapi: Mapping[str, Any]) -> str:
    existing = vapi.get(number)
    if existing is None:
        return "import"
    assert plan.assistant is not None
    if existing.assistant_id != plan.assistant.id or existing.name != vapi_label(spec):
        return "update"
    return ""


def resolve_assistants(specs: Sequence[TenantSpec], vapi: Any) -> dict[str, Assistant]:
    """Every assistant the plan names, by the reference written in it: an ID, or a name
    (exactly, else ignoring case, as everywhere in telcli). An unknown or ambiguous name is a
    plan problem (ConfigError listing them all, exit 3), found before anything is bought."""
    refs = {s.assistant for s in specs if s.assistant}
    if not refs:
        return {}
    from telcli.services.vapi import assistants_named, closest_name
    from telcli.storage.plans import PlanError

    assistants = vapi.list_assistants()
    by_id = {a.id: a for a in assistants}
    found: dict[str, Assistant] = {}
    problems: list[str] = []
    for spec in specs:
        ref = spec.assistant
        if not ref or ref in found:
            continue
        named = assistants_named(assistants, ref)
        if ref in by_id:
            found[ref] = by_id[ref]
        elif len(named) == 1:
            found[ref] = named[0]
        elif named:
            problems.append(
                f"{spec.locate('vapi.assistant')}: {len(named)} VAPI assistants are named"
                f" {ref!r}; use an ID: " + ", ".join(a.id for a in named)
            )
        else:
            close = closest_name(assistants, ref)
            problems.append(
                f"{spec.locate('vapi.assistant')}: no VAPI assistant {ref!r}"
                + (f" (did you mean {close!r}?)" if close else "")
            )
    if problems:
        path = specs[0].locate("id").split(":", 1)[0]
        raise PlanError(_path(path), problems)
    return found


def lookup_problems(specs: Sequence[TenantSpec], deps: Deps) -> list[str]:
    """The problems only the providers can tell (an assistant, Telnyx connection or
    messaging profile name that matches nothing or several) of a plan refused for other
    problems, so that all are listed at once. A lookup that cannot be made now (no
    credentials, a provider down) adds nothing: the other problems still stand."""
    from telcli.storage.plans import PlanError

    checks: list[Callable[[], Any]] = [lambda: _telnyx_wiring(specs, deps)]
    if deps.vapi is not None and any(s.assistant for s in specs):
        vapi = deps.vapi
        checks.append(lambda: resolve_assistants(specs, vapi()))
    found: list[str] = []
    for check in checks:
        try:
            check()
        except PlanError as exc:
            found += exc.problems
        except TelcliError:
            pass
    return found


def _path(text: str) -> Any:
    from pathlib import Path

    return Path(text)


def plan(
    specs: Sequence[TenantSpec],
    deps: Deps,
    *,
    holdings: Holdings | None = None,
    taken: set[str] | None = None,
) -> list[TenantPlan]:
    """What ``apply`` would do for each tenant. Reads only: lists, searches, lookups.

    Candidates: the cheapest numbers within ``max_monthly_price`` (never above it; a number
    without a known price is not a candidate when a maximum is set) that have the tenant's
    capabilities, from the first provider in the tenant's order that has enough; the next
    provider fills what the first could not (no match, or down). One search per distinct
    criteria and provider serves every tenant that shares them; no number is planned twice.
    """
    needs_vapi = any(s.assistant for s in specs)
    holdings = holdings or discover(deps, vapi=needs_vapi)
    vapi_api = deps.vapi() if needs_vapi and deps.vapi is not None else None
    assistants = resolve_assistants(specs, vapi_api) if vapi_api is not None else {}
    telnyx_ids = _telnyx_wiring(specs, deps)
    taken = set() if taken is None else taken
    searches: dict[tuple[Any, ...], list[AvailableNumber] | TelcliError] = {}
    demand = _demand(specs, holdings)
    addresses: dict[str, list[Address] | TelcliError] = {}
    plans = []
    bought_for = _journal_purchases(deps, holdings)
    for spec in specs:
        tp = TenantPlan(spec=spec, held=list(holdings.of(spec.id)))
        tp.retag = [n for n in bought_for.get(spec.id, []) if n not in tp.held]
        tp.held += tp.retag
        tp.assistant = assistants.get(spec.assistant or "")
        tp.connection_id, tp.messaging_profile_id = telnyx_ids.get(spec.id, (None, None))
        if spec.assistant and vapi_api is None:
            tp.problems.append("VAPI could not be asked (no credentials for it)")
        need = spec.numbers - len(tp.held)
        if need > 0 and holdings.unreachable:
            down = {k: v for k, v in holdings.unreachable.items() if k != "vapi"}
            if down:
                tp.problems.append(
                    "cannot tell what the tenant holds: "
                    + "; ".join(f"{k}: {v}" for k, v in sorted(down.items()))
                )
                tp.blocked, need = True, 0
        if need > 0:
            tp.buy = _candidates(spec, need, deps, searches, demand, taken)
            tp.shortfall = need - len(tp.buy)
            if tp.shortfall:
                tp.problems.append(
                    f"{tp.shortfall} more {'number' if tp.shortfall == 1 else 'numbers'} needed;"
                    f" nothing else matches {spec.criteria()}"
                )
            _plan_addresses(tp, deps, addresses)
        for number in tp.held:
            change = config_changes(number, desired_config(spec, str(number.provider), tp))
            if not change.is_empty():
                tp.configure.append((number.phone_number, change))
        for o in tp.buy:  # a new number is wired after its purchase: the plan shows how
            wiring = desired_config(spec, str(o.provider), tp)
            if not wiring.is_empty():
                tp.configure.append((o.phone_number, wiring))
        if tp.assistant is not None and holdings.vapi is None and "vapi" in holdings.unreachable:
            tp.problems.append(f"VAPI could not be listed: {holdings.unreachable['vapi']}")
        if tp.assistant is not None and holdings.vapi is not None:
            tp.in_vapi = {
                n.phone_number: holdings.vapi[n.phone_number].id
                for n in tp.held
                if n.phone_number in holdings.vapi
            }
            for number in tp.held:
                action = _vapi_action(spec, number.phone_number, tp, holdings.vapi)
                if action:
                    tp.vapi.append((number.phone_number, action))
            tp.vapi += [(o.phone_number, "import") for o in tp.buy]
        plans.append(tp)
    return plans


def _journal_purchases(deps: Deps, holdings: Holdings) -> dict[str, list[OwnedNumber]]:
    """Numbers the journal says were bought for a tenant that the provider shows untagged
    (the tag did not stick): still that tenant's, never bought again, tagged by apply."""
    if not holdings.untagged:
        return {}
    found: dict[str, list[OwnedNumber]] = {}
    for e in deps.state.ledger_entries(op="tenant.buy", statuses=("succeeded",)):
        owned = holdings.untagged.get(str(e.detail.get("number")))
        if e.profile == deps.profile and owned is not None and owned not in found.get(e.target, []):
            found.setdefault(e.target, []).append(owned)
    return found


def _telnyx_wiring(
    specs: Sequence[TenantSpec], deps: Deps
) -> dict[str, tuple[str | None, str | None]]:
    """Telnyx connection and messaging profile ids per tenant: an id as written, a name
    looked up once (services/telnyx_resources.py). A name that matches nothing (or several)
    is a plan problem (exit 3, every one listed), found before anything is bought."""
    from telcli.services.telnyx_resources import resolve

    telnyx = deps.carrier("telnyx")
    cache: dict[tuple[str, str], str | UsageProblem] = {}
    out: dict[str, tuple[str | None, str | None]] = {}
    problems: list[str] = []
    for spec in specs:
        wiring = spec.telnyx
        if wiring is None or "telnyx" not in spec.providers or telnyx is None:
            continue
        ids: list[str | None] = []
        for kind, ref in (
            ("connection", wiring.connection),
            ("messaging_profile", wiring.messaging_profile),
        ):
            if ref is None:
                ids.append(None)
                continue
            if (kind, ref) not in cache:
                try:
                    cache[(kind, ref)] = resolve(telnyx, kind, ref)  # type: ignore[arg-type]
                except UsageProblem as exc:
                    cache[(kind, ref)] = exc
            found = cache[(kind, ref)]
            if isinstance(found, UsageProblem):
                problems.append(f"{spec.locate('telnyx.' + kind)}: {found.message}")
                ids.append(None)
            else:
                ids.append(found)
        out[spec.id] = (ids[0], ids[1])
    if problems:
        from telcli.storage.plans import PlanError

        raise PlanError(_path(specs[0].locate("id").split(":", 1)[0]), problems)
    return out


def _criteria_key(spec: TenantSpec) -> tuple[Any, ...]:
    q = spec.query()
    return (q.country, q.number_type, q.area_code, q.contains, q.locality, q.region)


def _demand(specs: Sequence[TenantSpec], holdings: Holdings) -> dict[tuple[Any, ...], int]:
    demand: dict[tuple[Any, ...], int] = {}
    for spec in specs:
        need = max(0, spec.numbers - len(holdings.of(spec.id)))
        key = _criteria_key(spec)
        demand[key] = demand.get(key, 0) + need
    return demand


def _eligible(spec: TenantSpec, offer: AvailableNumber) -> bool:
    if spec.capabilities and not set(spec.capabilities) <= set(offer.capabilities):
        return False
    if spec.max_monthly_price is not None:
        return offer.monthly_price is not None and offer.monthly_price <= spec.max_monthly_price
    return True


def _price_key(offer: AvailableNumber) -> tuple[Any, ...]:
    huge = Decimal("1e9")
    return (
        offer.monthly_price if offer.monthly_price is not None else huge,
        offer.upfront_price or Decimal(0),
        offer.phone_number,
    )


_taken_lock = threading.Lock()


def _candidates(
    spec: TenantSpec,
    need: int,
    deps: Deps,
    searches: dict[tuple[Any, ...], list[AvailableNumber] | TelcliError],
    demand: Mapping[tuple[Any, ...], int],
    taken: set[str],
    *,
    skip_providers: Iterable[str] = (),
) -> list[AvailableNumber]:
    chosen: list[AvailableNumber] = []
    skip = set(skip_providers)
    for name in spec.providers:
        if len(chosen) >= need or name in skip:
            continue
        carrier = deps.carrier(name)
        if carrier is None:
            continue
        key = (name, *_criteria_key(spec), spec.capabilities)
        if key not in searches:
            limit = min(200, max(20, demand.get(_criteria_key(spec), need) + 10))
            try:
                searches[key] = sorted(carrier.search_numbers(spec.query(limit)), key=_price_key)
            except (ProviderUnavailable, ProviderRejected, AuthError) as exc:
                deps.notify(f"{name}: search for {spec.id} failed ({exc.message})")
                searches[key] = exc
        offers = searches[key]
        if isinstance(offers, TelcliError):
            continue
        with _taken_lock:
            for offer in offers:
                if len(chosen) >= need:
                    break
                if offer.phone_number not in taken and _eligible(spec, offer):
                    taken.add(offer.phone_number)
                    chosen.append(offer)
    return chosen


def _plan_addresses(
    tp: TenantPlan, deps: Deps, cache: dict[str, list[Address] | TelcliError]
) -> None:
    """Reuse the tenant's own address (tagged at the provider) or plan to create it from the
    plan's ``address``; never another tenant's or an untagged one."""
    from telcli.services.addresses import matches

    spec = tp.spec
    for provider in dict.fromkeys(str(o.provider) for o in tp.buy):
        offers = [
            o
            for o in tp.buy
            if str(o.provider) == provider and o.address_requirement is not AddressRequirement.none
        ]
        if not offers:
            continue
        carrier = deps.carrier(provider)
        if provider not in cache:
            try:
                cache[provider] = list(carrier.list_addresses(None))
            except TelcliError as exc:
                cache[provider] = exc
        listed = cache[provider]
        if isinstance(listed, TelcliError):
            tp.problems.append(f"{provider}: cannot list addresses: {listed.message}")
            continue
        own = [
            a
            for a in listed
            if a.tenant == spec.id
            and all(matches(o.address_requirement, o.country, a) for o in offers)
        ]
        if own:
            tp.addresses.append(AddressStep(provider, "reuse", own[0].id))
        elif spec.address is not None and all(
            matches(o.address_requirement, o.country, _as_address(spec, provider)) for o in offers
        ):
            tp.addresses.append(AddressStep(provider, "create"))
        else:
            country = offers[0].country
            tp.problems.append(
                f"{provider} needs a regulatory address for {country} numbers and the tenant has"
                f" none: add `address:` (country {country}) to the tenant in the plan"
            )


def _as_address(spec: TenantSpec, provider: str) -> Address:
    assert spec.address is not None
    a = spec.address
    return Address(
        provider=provider,  # type: ignore[arg-type]
        id="",
        customer_name=a.customer_name,
        street=a.street,
        city=a.city,
        region=a.region,
        postal_code=a.postal_code,
        country=a.country,
    )


# --- leases ---------------------------------------------------------------------------------


class Lease:
    """One process's hold on one tenant (storage: ``state.lease_*``)."""

    def __init__(self, state: Any, profile: str, tenant: str, host: str) -> None:
        self.state, self.profile, self.tenant = state, profile, tenant
        self.owner = f"{host}:{os.getpid()}:{threading.get_ident()}:{time.time_ns()}"
        self.host = host

    def take(self) -> str | None:
        """None when taken; else who holds it (``pid 123 on host``)."""
        return self.state.lease_acquire(
            self.profile, self.tenant, self.owner, self.host, os.getpid(), LEASE_SECONDS
        )

    def renew(self) -> None:
        self.state.lease_renew(self.profile, self.tenant, self.owner, LEASE_SECONDS)

    def release(self) -> None:
        self.state.lease_release(self.profile, self.tenant, self.owner)


# --- apply ----------------------------------------------------------------------------------


@dataclass
class StepResult:
    step: str
    status: str  # done | failed | pending | skipped
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "status": self.status, "detail": self.detail}


@dataclass
class TenantResult:
    tenant: str
    name: str
    status: str = "pending"  # done | failed | pending
    numbers: list[dict[str, Any]] = field(default_factory=list)
    steps: list[StepResult] = field(default_factory=list)
    error: str | None = None
    bought: list[AvailableNumber] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "name": self.name,
            "status": self.status,
            "numbers": self.numbers,
            "steps": [s.to_json() for s in self.steps],
            "error": self.error,
        }


class _Incomplete(Exception):
    """A step whose outcome is unknown or that another process holds: the tenant stays
    pending (exit 7), never failed-and-forgotten."""


def _thread_state(state: Any) -> Any:
    from telcli.services.testing import ThreadSafeState

    return state if isinstance(state, ThreadSafeState) else ThreadSafeState(state)


def apply(
    plans: Sequence[TenantPlan],
    deps: Deps,
    *,
    concurrency: int = 4,
    fail_fast: bool = False,
    progress: Progress = _quiet,
    mark: int = 0,
) -> list[TenantResult]:
    """Converge each tenant to its plan, ``concurrency`` tenants at a time; results in plan
    order. Buys exactly ``plan.buy`` unless a planned number was taken meanwhile (then the
    next cheapest within the price). One tenant's failure stops the others only with
    ``fail_fast``, and ``deps.cancel`` (Ctrl-C) stops them all after their current step
    (those stopped or not started stay pending)."""
    state = _thread_state(deps.state)
    run = replace(deps, state=state)
    stop = threading.Event()
    taken = {o.phone_number for p in plans for o in p.buy}

    def one(tp: TenantPlan) -> TenantResult:
        if stop.is_set() or deps.cancel:
            why = "interrupted" if deps.cancel else "--fail-fast"
            result = TenantResult(tp.tenant, tp.spec.name, error=f"not started: {why}")
            progress(tp.tenant, "-", "", "not started")
            return result
        result = _apply_tenant(tp, run, progress, mark, taken)
        if fail_fast and result.status != "done":
            stop.set()
        return result

    if concurrency <= 1 or len(plans) <= 1:
        return [one(tp) for tp in plans]
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = [pool.submit(contextvars.copy_context().run, one, tp) for tp in plans]
        try:
            # Short waits: the main thread, where Ctrl-C's handler runs, stays responsive.
            while wait(futures, timeout=0.25).not_done:
                pass
            return [f.result() for f in futures]
        except BaseException:
            # Ctrl-C (or a bug): tenants under way finish their current step and journal it;
            # none starts any more.
            stop.set()
            for f in futures:
                f.cancel()
            raise


def _apply_tenant(
    tp: TenantPlan, deps: Deps, progress: Progress, mark: int, taken: set[str]
) -> TenantResult:
    spec = tp.spec
    result = TenantResult(spec.id, spec.name)
    if tp.in_sync and not tp.blocked:
        # Nothing to change: no lease, no journal entry, no request (a re-run of a converged
        # plan costs the discovery only).
        result.status = "done"
        result.numbers = _numbers_json(tp, tp.held, tp.in_vapi)
        progress(spec.id, "-", "", "done")
        return result
    lease = Lease(deps.state, deps.profile, spec.id, deps.host)
    holder = lease.take()
    if holder is not None:
        result.error = f"another telcli apply ({holder}) is converging {spec.id}; skipped"
        result.steps.append(StepResult("lease", "pending", result.error))
        progress(spec.id, "lease", "", "skipped: busy")
        deps.notify(f"{spec.id}: {result.error}")
        return result
    entry = None
    try:
        # Steps a killed or crashed run left open: their outcome is unknown (each step below
        # checks the providers again before acting, so none is repeated blindly).
        for e in deps.state.ledger_entries(target=spec.id, statuses=("pending",)):
            if e.op.startswith("tenant."):
                deps.state.ledger_finish(e.id, "unknown", detail={"error": "interrupted"})
        _converge(tp, deps, result, progress, mark, taken, lease)
        result.status = "done"
    except _Incomplete as exc:
        result.status, result.error = "pending", str(exc)
    except TelcliError as exc:
        result.status, result.error = "failed", exc.message
    finally:
        entry = _journal(deps, "apply", "-", spec.id, {"plan": str(spec.where.get("id", ""))})
        outcome = {"done": "succeeded", "failed": "failed"}.get(result.status, "unknown")
        deps.state.ledger_finish(
            entry, outcome, detail={"error": result.error} if result.error else None
        )
        lease.release()
    progress(spec.id, "-", "", result.status)
    return result


def _numbers_json(
    tp: TenantPlan, held: Sequence[OwnedNumber], vapi_ids: Mapping[str, str]
) -> list[dict[str, Any]]:
    assistant = tp.assistant.name if tp.assistant else None
    return [
        {
            "phone_number": n.phone_number,
            "provider": str(n.provider),
            "vapi_id": vapi_ids.get(n.phone_number),
            "assistant": assistant if n.phone_number in vapi_ids else None,
        }
        for n in sorted(held, key=lambda n: n.phone_number)
    ]


def _journal(deps: Deps, step: str, provider: str, tenant: str, detail: dict[str, Any]) -> int:
    return int(
        deps.state.ledger_begin(
            f"tenant.{step}", provider, deps.profile, tenant, detail, tenant=tenant
        )
    )


def _finish(deps: Deps, entry: int, status: str, **detail: Any) -> None:
    deps.state.ledger_finish(entry, status, detail=detail or None)


def _converge(
    tp: TenantPlan,
    deps: Deps,
    result: TenantResult,
    progress: Progress,
    mark: int,
    taken: set[str],
    lease: Lease,
) -> None:
    spec = tp.spec
    if tp.blocked:
        raise _Incomplete("; ".join(tp.problems))
    if tp.problems and not tp.buy and not tp.held:
        raise TelcliError("; ".join(tp.problems))
    held = list(tp.held)
    buy = list(tp.buy)
    # Anything journaled for this tenant since the plan was made means another run acted on
    # it meanwhile: ask the providers again instead of trusting the plan.
    if deps.state.ledger_entries(target=spec.id, after=mark, limit=1):
        held = _refresh(deps, spec.id)
        tagged = {n.phone_number for n in held}
        held += [n for n in tp.retag if n.phone_number not in tagged]
        buy = buy[: max(0, spec.numbers - len(held))]
    if tp.problems and len(held) < spec.numbers and not buy:
        raise TelcliError("; ".join(tp.problems))

    addresses = _ensure_addresses(tp, deps, result, progress, buy)
    _stop_if_cancelled(deps)
    lease.renew()
    bought = _buy(tp, deps, result, progress, buy, addresses, len(held), taken)
    _stop_if_cancelled(deps)
    held += bought
    lease.renew()
    held = _retag(tp, deps, result, progress, held)
    _stop_if_cancelled(deps)
    _configure(tp, deps, result, progress, held)
    _stop_if_cancelled(deps)
    numbers = {n.phone_number: n for n in held}
    vapi_ids = _import_vapi(tp, deps, result, progress, held)
    if spec.test is not None and bought:
        _stop_if_cancelled(deps)
        _prove(tp, deps, result, progress, bought)
    result.numbers = _numbers_json(tp, list(numbers.values()), vapi_ids)
    if len(held) < spec.numbers:
        raise TelcliError(
            f"holds {len(held)} of {spec.numbers} numbers: "
            + ("; ".join(tp.problems) or "no more candidates within the criteria and price")
        )


def _stop_if_cancelled(deps: Deps) -> None:
    """Between steps: after Ctrl-C the tenant stops here, pending (the next apply resumes)."""
    if deps.cancel:
        raise _Incomplete("interrupted: run apply again to finish (it buys nothing twice)")


def _refresh(deps: Deps, tenant: str) -> list[OwnedNumber]:
    """This tenant's numbers as the providers hold them now."""
    found: list[OwnedNumber] = []
    for carrier in deps.carriers:
        try:
            found += [n for n in carrier.list_owned(tenant) if n.tenant == tenant]
        except TelcliError as exc:
            raise _Incomplete(
                f"cannot tell what {tenant} holds at {carrier.name}: {exc.message}"
            ) from None
    return sorted(found, key=lambda n: (str(n.provider), n.phone_number))


def _ensure_addresses(
    tp: TenantPlan,
    deps: Deps,
    result: TenantResult,
    progress: Progress,
    buy: Sequence[AvailableNumber],
) -> dict[str, str]:
    spec = tp.spec
    out: dict[str, str] = {}
    wanted = {str(o.provider) for o in buy}
    needing = {str(o.provider) for o in buy if o.address_requirement is not AddressRequirement.none}
    missing = needing - {a.provider for a in tp.addresses}
    if missing:
        # Buying without the address would be refused (or, worse, attach another's): stop.
        raise TelcliError(
            next((p for p in tp.problems if "regulatory address" in p), "")
            or f"{', '.join(sorted(missing))}: no address for {spec.id}"
        )
    for step in tp.addresses:
        if step.provider not in wanted:
            continue
        if step.action == "reuse" and step.address_id:
            out[step.provider] = step.address_id
            result.steps.append(StepResult("address", "done", f"reused {step.address_id}"))
            continue
        carrier = deps.carrier(step.provider)
        # A run interrupted after creating it: the tenant's tagged address is there already.
        own = [a for a in carrier.list_addresses(None) if a.tenant == spec.id]
        if own:
            out[step.provider] = own[0].id
            result.steps.append(StepResult("address", "done", f"reused {own[0].id}"))
            continue
        assert spec.address is not None
        progress(spec.id, "address", "", f"creating at {step.provider}")
        entry = _journal(deps, "address", step.provider, spec.id, {"action": "create"})
        try:
            from telcli.services import addresses as addresses_svc

            created = addresses_svc.create(
                carrier, replace(spec.address, tenant=TenantTag(spec.id, spec.name))
            )
        except TelcliError as exc:
            _finish(deps, entry, "failed", error=exc.message)
            result.steps.append(StepResult("address", "failed", exc.message))
            raise
        deps.state.ledger_finish(entry, "succeeded", result_id=created.id)
        out[step.provider] = created.id
        result.steps.append(StepResult("address", "done", f"created {created.id}"))
    return out


def _buy(
    tp: TenantPlan,
    deps: Deps,
    result: TenantResult,
    progress: Progress,
    buy: Sequence[AvailableNumber],
    addresses: Mapping[str, str],
    holding: int,
    taken: set[str],
) -> list[OwnedNumber]:
    """Buy each planned number; one that is gone (refused) or whose carrier provably did not
    act is replaced by the next cheapest candidate within the price. An unknown outcome
    stops the tenant as pending: the next apply reconciles it first."""
    spec = tp.spec
    tag = TenantTag(spec.id, spec.name)
    queue = list(buy)
    bought: list[OwnedNumber] = []
    replaced = 0
    avoid: set[str] = set()
    while queue and holding + len(bought) < spec.numbers:
        if deps.cancel:  # the numbers bought so far carry the tag: the next apply finds them
            break
        offer = queue.pop(0)
        provider = str(offer.provider)
        carrier = deps.carrier(provider)
        progress(spec.id, "buy", offer.phone_number, "buying")
        entry = _journal(
            deps,
            "buy",
            provider,
            spec.id,
            {
                "number": offer.phone_number,
                "monthly_price": _money(offer.monthly_price),
                "currency": offer.currency,
            },
        )
        try:
            purchase = numbers_svc.buy(
                carrier,
                offer,
                state=deps.state,
                profile=deps.profile,
                address_id=addresses.get(provider),
                notify=deps.notify,
                tries=3,
                retry=deps.retry,
                settle=deps.settle or Settle(),
                tenant=tag,
            )
        except OutcomeUnknown as exc:
            _finish(deps, entry, "unknown", error=exc.message)
            result.steps.append(
                StepResult("buy", "pending", f"{offer.phone_number}: {exc.message}")
            )
            progress(spec.id, "buy", offer.phone_number, "unknown")
            raise _Incomplete(exc.message) from None
        except (ProviderRejected, ProviderUnavailable, AuthError) as exc:
            # numbers.buy raises these only when nothing was bought (an ambiguous failure is
            # reconciled first, else OutcomeUnknown above): another candidate is safe.
            _finish(deps, entry, "failed", error=exc.message)
            result.steps.append(StepResult("buy", "failed", f"{offer.phone_number}: {exc.message}"))
            progress(spec.id, "buy", offer.phone_number, "failed")
            if replaced >= 3:
                raise
            replaced += 1
            if isinstance(exc, ProviderUnavailable | AuthError):
                avoid.add(provider)
            more = _candidates(spec, 1, deps, {}, {}, taken, skip_providers=avoid)
            if more:
                deps.notify(
                    f"{spec.id}: {offer.phone_number} failed; trying {more[0].phone_number}"
                )
                queue.insert(0, more[0])
            continue
        deps.state.ledger_finish(entry, "succeeded", result_id=purchase.number.id)
        bought.append(purchase.number)
        result.bought.append(offer)
        result.steps.append(StepResult("buy", "done", f"{offer.phone_number} at {provider}"))
        progress(spec.id, "buy", offer.phone_number, "bought")
    return bought


def _retag(
    tp: TenantPlan,
    deps: Deps,
    result: TenantResult,
    progress: Progress,
    held: Sequence[OwnedNumber],
) -> list[OwnedNumber]:
    """Record the tenant on its numbers the provider shows untagged (a tag that did not stick
    at purchase); a number of another tenant is never moved."""
    tag = TenantTag(tp.spec.id, tp.spec.name)
    out = []
    for number in held:
        if number.tenant is None:
            progress(tp.spec.id, "tag", number.phone_number, "tagging")
            try:
                number = numbers_svc.set_tenant(
                    deps.carrier(str(number.provider)),
                    number,
                    tag,
                    move=False,
                    state=deps.state,
                    profile=deps.profile,
                )
            except TelcliError as exc:
                result.steps.append(
                    StepResult("tag", "failed", f"{number.phone_number}: {exc.message}")
                )
                raise _Incomplete(
                    f"{number.phone_number} was bought for {tp.spec.id} but is not tagged"
                    f" ({exc.message}); apply again, or run `telcli numbers tag"
                    f" {number.phone_number} --tenant {tp.spec.id}`"
                ) from None
            result.steps.append(StepResult("tag", "done", number.phone_number))
        out.append(number)
    return out


def _configure(
    tp: TenantPlan,
    deps: Deps,
    result: TenantResult,
    progress: Progress,
    held: Sequence[OwnedNumber],
) -> None:
    spec = tp.spec
    for number in held:
        if number.tenant not in (None, spec.id):  # never another tenant's number
            continue
        change = config_changes(number, desired_config(spec, str(number.provider), tp))
        if change.is_empty():
            continue
        progress(spec.id, "configure", number.phone_number, "configuring")
        entry = _journal(
            deps,
            "configure",
            str(number.provider),
            spec.id,
            {"number": number.phone_number, **_config_json(change)},
        )
        try:
            numbers_svc.configure(deps.carrier(str(number.provider)), number, change)
        except TelcliError as exc:
            _finish(deps, entry, "failed", error=exc.message)
            result.steps.append(
                StepResult("configure", "failed", f"{number.phone_number}: {exc.message}")
            )
            raise
        _finish(deps, entry, "succeeded")
        result.steps.append(StepResult("configure", "done", number.phone_number))


def _import_vapi(
    tp: TenantPlan,
    deps: Deps,
    result: TenantResult,
    progress: Progress,
    held: Sequence[OwnedNumber],
) -> dict[str, str]:
    """Import each number into VAPI (or fix its assistant and name); returns VAPI ids."""
    spec = tp.spec
    if tp.assistant is None or deps.vapi is None:
        return {}
    from telcli.services import vapi as vapi_svc

    vapi = deps.vapi()
    todo = dict(tp.vapi)
    label = vapi_label(spec)
    ids: dict[str, str] = {}
    for number in held:
        e164 = number.phone_number
        if e164 not in todo and e164 in tp.in_vapi:
            ids[e164] = tp.in_vapi[e164]  # listed as it should be when the plan was made
            continue
        existing = None if e164 in todo else vapi.find_number(e164)
        if (
            existing is not None
            and existing.assistant_id == tp.assistant.id
            and existing.name == label
        ):
            ids[e164] = existing.id
            continue
        progress(spec.id, "vapi", e164, "importing")
        entry = _journal(deps, "vapi", "vapi", spec.id, {"number": e164})
        try:
            imported = vapi_svc.import_number(
                vapi,
                [deps.carrier(str(number.provider))],
                e164,
                assistant=tp.assistant.id,
                carrier_credentials=deps.carrier_credentials,
                name=label,
            )
        except TelcliError as exc:
            _finish(deps, entry, "failed", error=exc.message)
            result.steps.append(StepResult("vapi", "failed", f"{e164}: {exc.message}"))
            raise
        deps.state.ledger_finish(entry, "succeeded", result_id=imported.number.id)
        ids[e164] = imported.number.id
        result.steps.append(StepResult("vapi", "done", f"{e164} {imported.action}"))
    return ids


def _prove(
    tp: TenantPlan,
    deps: Deps,
    result: TenantResult,
    progress: Progress,
    bought: Sequence[OwnedNumber],
) -> None:
    """The optional test of each new number: an SMS (or a call) to the plan's destination,
    followed to its outcome, ledgered (never sent twice) by services/testing.py."""
    from telcli.services import testing

    spec = tp.spec
    assert spec.test is not None
    for number in bought:
        sender = testing.Sender(deps.carrier(str(number.provider)), number.phone_number)
        progress(spec.id, "test", number.phone_number, "testing")
        if spec.test.sms_to:
            outcome = testing.run_sms(
                [sender],
                spec.test.sms_to,
                testing.SmsTest(body=f"telcli: {number.phone_number} is live for {spec.id}"),
                state=deps.state,
                profile=deps.profile,
                settle=deps.settle,
            )
        else:
            assert spec.test.call_to is not None
            outcome = testing.run_call(
                [sender],
                spec.test.call_to,
                testing.CallTest(twiml="<Response><Say>telcli test</Say></Response>"),
                state=deps.state,
                profile=deps.profile,
                settle=deps.settle,
            )
        status = "done" if outcome.outcome == "passed" else "failed"
        detail = f"{number.phone_number}: {outcome.outcome}" + (
            f" ({outcome.error})" if outcome.error else ""
        )
        result.steps.append(StepResult("test", status, detail))
        if status != "done":
            raise TelcliError(f"test of {number.phone_number}: {outcome.outcome}")


# --- status, list, remove -------------------------------------------------------------------


@dataclass
class TenantStatus:
    """One tenant as the journal last saw it: each step's latest outcome."""

    tenant: str
    status: str  # done | failed | pending | unknown | (never applied: "not applied")
    steps: dict[str, StepResult] = field(default_factory=dict)
    updated_at: str | None = None
    check: str | None = None  # with --check: "in sync" or what apply would still do
    error: str | None = None  # why the latest run left the tenant failed or pending

    def to_json(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "status": self.status,
            "steps": [s.to_json() for s in self.steps.values()],
            "updated_at": self.updated_at,
            "check": self.check,
            "error": self.error,
        }


_STATUS_OF = {"succeeded": "done", "failed": "failed", "pending": "pending", "unknown": "pending"}


def journal(state: Any, profile: str, tenants: Sequence[str] | None = None) -> list[TenantStatus]:
    """Each tenant's latest journaled outcome per step (newest run wins), in tenant order."""
    found: dict[str, TenantStatus] = {}
    for e in state.ledger_entries():  # newest first
        if not e.op.startswith("tenant.") or e.profile != profile:
            continue
        if tenants is not None and e.target not in tenants:
            continue
        step = e.op.removeprefix("tenant.")
        ts = found.setdefault(e.target, TenantStatus(e.target, "", updated_at=e.updated_at))
        if step == "apply":
            if not ts.status:  # the latest run: its outcome and, when not done, why
                ts.status = _STATUS_OF[e.status]
                ts.error = e.detail.get("error") if e.status != "succeeded" else None
            continue
        if step in ts.steps:
            continue
        detail = e.detail.get("error") or e.detail.get("number") or e.result_id or ""
        ts.steps[step] = StepResult(step, _STATUS_OF[e.status], str(detail))
    for ts in found.values():
        if not ts.status:
            worst = [s.status for s in ts.steps.values()]
            ts.status = (
                "failed" if "failed" in worst else "pending" if "pending" in worst else "done"
            )
        ts.steps = {k: ts.steps[k] for k in (*STEPS, "remove") if k in ts.steps}
    for tenant in tenants or ():
        found.setdefault(tenant, TenantStatus(tenant, "not applied"))
    return [found[k] for k in (tenants or sorted(found))]


@dataclass
class TenantSummary:
    """One tenant as the providers (and the journal) know it (``tenants list``)."""

    tenant: str
    name: str | None
    numbers: dict[str, int]  # provider -> count
    in_vapi: int
    with_assistant: int
    monthly: dict[str, Decimal]  # currency -> sum of known monthly prices
    unpriced: int = 0

    @property
    def total(self) -> int:
        return sum(self.numbers.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "name": self.name,
            "numbers": self.total,
            "by_provider": dict(self.numbers),
            "in_vapi": self.in_vapi,
            "with_assistant": self.with_assistant,
            "monthly": [
                {"currency": c, "amount": format(a, "f")} for c, a in sorted(self.monthly.items())
            ],
            "unpriced": self.unpriced,
        }


def summaries(deps: Deps) -> Listing[TenantSummary]:
    """Every tenant known at the providers, plus tenants only the journal knows (holding
    nothing now). Monthly cost: the price the ledger recorded at purchase, else the carrier's
    published price for the number's country and type. ``errors``: providers that could not
    be listed (their numbers are missing from the counts)."""
    holdings = discover(deps, vapi=deps.vapi is not None)
    prices = _ledger_prices(deps.state, deps.profile)
    published: dict[tuple[str, str, str], tuple[Decimal | None, str | None]] = {}
    out: dict[str, TenantSummary] = {}
    for tenant, numbers in holdings.numbers.items():
        s = out[tenant] = TenantSummary(tenant, None, {}, 0, 0, {})
        for n in numbers:
            s.numbers[str(n.provider)] = s.numbers.get(str(n.provider), 0) + 1
            if holdings.vapi is not None and n.phone_number in holdings.vapi:
                v = holdings.vapi[n.phone_number]
                s.in_vapi += 1
                s.with_assistant += v.assistant_id is not None
                s.name = s.name or _display_name(v.name)
            s.name = s.name or _display_name(n.friendly_name)
            price, currency = prices.get(n.phone_number) or _published(deps, n, published)
            if price is None:
                s.unpriced += 1
            else:
                s.monthly[currency or "?"] = s.monthly.get(currency or "?", Decimal(0)) + price
    for ts in journal(deps.state, deps.profile):
        out.setdefault(ts.tenant, TenantSummary(ts.tenant, None, {}, 0, 0, {}))
    errors = [ProviderFailure(k, v, 6) for k, v in sorted(holdings.unreachable.items())]
    return Listing([out[k] for k in sorted(out)], errors)


def _display_name(label: str | None) -> str | None:
    from telcli.tenancy import name_of_label

    return name_of_label(label)


def _ledger_prices(state: Any, profile: str) -> dict[str, tuple[Decimal | None, str | None]]:
    prices: dict[str, tuple[Decimal | None, str | None]] = {}
    for e in state.ledger_entries(op="buy", statuses=("succeeded",)):
        if e.profile == profile and e.target not in prices and e.detail.get("monthly_price"):
            prices[e.target] = (Decimal(e.detail["monthly_price"]), e.detail.get("currency"))
    return prices


def _published(
    deps: Deps, n: OwnedNumber, cache: dict[tuple[str, str, str], tuple[Decimal | None, str | None]]
) -> tuple[Decimal | None, str | None]:
    from telcli.phone import country_of, likely_type

    country = n.country or country_of(n.phone_number) or "US"
    kind = str(likely_type(n.phone_number))
    key = (str(n.provider), country, kind)
    if key not in cache:
        cache[key] = (None, None)
        carrier = deps.carrier(str(n.provider))
        try:
            for p in carrier.pricing(country) if carrier is not None else ():
                if p.number_type == kind:
                    cache[key] = (p.monthly_price, p.currency)
        except TelcliError:
            pass
    return cache[key]


@dataclass
class Removal:
    """What ``tenants remove`` would do: exactly these numbers (tagged with the tenant at
    their provider) and these VAPI numbers (the same phone numbers)."""

    tenant: str
    numbers: list[OwnedNumber]
    vapi: list[VapiNumber]
    unreachable: dict[str, str]
    done: list[StepResult] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        in_vapi = {v.phone_number: v for v in self.vapi}
        return {
            "tenant": self.tenant,
            "numbers": [
                {
                    **_held_json(n),
                    "vapi_id": in_vapi[n.phone_number].id if n.phone_number in in_vapi else None,
                }
                for n in self.numbers
            ],
            "steps": [s.to_json() for s in self.done],
        }


def removal(deps: Deps, tenant: str) -> Removal:
    """The tenant's numbers and VAPI entries, found by the tag at each provider. A carrier
    that cannot be listed is reported (its numbers cannot be removed now)."""
    holdings = discover(deps, vapi=deps.vapi is not None)
    numbers = [n for n in holdings.of(tenant) if n.tenant == tenant]
    mine = {n.phone_number for n in numbers}
    vapi = [
        v
        for v in (holdings.vapi or {}).values()
        if v.phone_number in mine and v.tenant in (None, tenant)
    ]
    return Removal(
        tenant, numbers, sorted(vapi, key=lambda v: v.phone_number), holdings.unreachable
    )


def remove(r: Removal, deps: Deps, *, progress: Progress = _quiet) -> Removal:
    """Offboard: remove each number from VAPI, then release it at its carrier (ledgered,
    reconciled like ``numbers release``). Only the numbers in ``r``; under the tenant's
    lease. Raises PartialFailure (exit 7) naming what is left when anything failed."""
    from telcli.errors import PartialFailure

    lease = Lease(deps.state, deps.profile, r.tenant, deps.host)
    holder = lease.take()
    if holder is not None:
        raise PartialFailure(
            f"another telcli run ({holder}) is working on {r.tenant}; nothing was removed",
            hint="wait for it to finish, then run the command again",
        )
    failures: list[str] = []
    try:
        vapi = deps.vapi() if r.vapi and deps.vapi is not None else None
        for v in r.vapi:
            progress(r.tenant, "vapi", v.phone_number, "removing")
            entry = _journal(deps, "remove", "vapi", r.tenant, {"number": v.phone_number})
            try:
                vapi.delete_number(v)
            except TelcliError as exc:
                _finish(deps, entry, "failed", error=exc.message)
                r.done.append(StepResult("vapi", "failed", f"{v.phone_number}: {exc.message}"))
                failures.append(v.phone_number)
                continue
            _finish(deps, entry, "succeeded")
            r.done.append(StepResult("vapi", "done", f"{v.phone_number} removed from VAPI"))
        for n in r.numbers:
            if n.tenant != r.tenant or n.phone_number in failures:
                continue  # never another tenant's; keep a number VAPI still points at
            progress(r.tenant, "release", n.phone_number, "releasing")
            entry = _journal(deps, "remove", str(n.provider), r.tenant, {"number": n.phone_number})
            try:
                numbers_svc.release(
                    deps.carrier(str(n.provider)),
                    n,
                    state=deps.state,
                    profile=deps.profile,
                    settle=deps.settle,
                )
            except TelcliError as exc:
                _finish(deps, entry, "failed", error=exc.message)
                r.done.append(StepResult("release", "failed", f"{n.phone_number}: {exc.message}"))
                failures.append(n.phone_number)
                continue
            _finish(deps, entry, "succeeded")
            r.done.append(StepResult("release", "done", f"{n.phone_number} released"))
    finally:
        lease.release()
    if failures or r.unreachable:
        why = ", ".join(failures) or "; ".join(f"{k}: {v}" for k, v in r.unreachable.items())
        raise PartialFailure(
            f"{r.tenant} is not fully removed: {why}",
            hint=f"run `telcli tenants remove {r.tenant}` again once the provider answers",
        )
    return r
