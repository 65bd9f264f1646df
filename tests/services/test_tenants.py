"""The tenant service with fakes: which numbers are chosen (cheapest within the price, never
above it, provider order), what a refused or ambiguous purchase does, and isolation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from telcli.errors import ProviderRejected, ProviderUnavailable
from telcli.models import E164, Capability, OwnedNumber, ProviderName
from telcli.services import tenants as svc
from telcli.storage.plans import TenantSpec
from telcli.storage.state import StateDB
from tests.fakes import FakeCarrier, fake_settle, offer


def spec(tenant="acme", numbers=1, providers=("twilio", "telnyx"), price="2.00", **kw):
    return TenantSpec(
        id=tenant,
        name=tenant.title(),
        numbers=numbers,
        providers=providers,
        max_monthly_price=None if price is None else Decimal(price),
        capabilities=kw.pop("capabilities", (Capability.voice,)),
        **kw,
    )


@pytest.fixture
def carriers():
    twilio = FakeCarrier(
        ProviderName.twilio,
        inventory=[
            offer("+14155550103", price="1.90"),
            offer("+14155550101", price="1.15"),
            offer("+14155550102", price="2.50"),  # above every plan's price here
            offer("+14155550104", price="1.15", capabilities=(Capability.sms,)),
        ],
    )
    telnyx = FakeCarrier(
        ProviderName.telnyx,
        inventory=[
            offer("+14155550201", "telnyx", "1.00"),
            offer("+14155550202", "telnyx", "1.80"),
        ],
    )
    return twilio, telnyx


@pytest.fixture
def deps(tmp_path, carriers):
    return svc.Deps(
        carriers=list(carriers),
        state=StateDB(tmp_path / "state.db"),
        profile="p",
        settle=fake_settle(),  # settle windows on a fake clock: no real waiting
    )


def bought(carrier):
    return sorted(n for m, n in carrier.calls if m == "purchase")


def test_cheapest_within_the_price_from_the_first_provider_then_the_next(deps, carriers):
    twilio, telnyx = carriers
    (plan,) = svc.plan([spec(numbers=3)], deps)
    # twilio first (preference), cheapest first, never the 2.50 one nor the sms-only one;
    # telnyx fills the rest though it is cheaper: the order is the plan's preference
    assert [o.phone_number for o in plan.buy] == ["+14155550101", "+14155550103", "+14155550201"]
    assert plan.shortfall == 0
    assert [t.to_json() for t in svc.totals([plan])] == [
        {"currency": "USD", "numbers": 3, "monthly": "4.05", "upfront": "0"}
    ]
    results = svc.apply([plan], deps)
    assert results[0].status == "done"
    assert bought(twilio) == ["+14155550101", "+14155550103"]
    assert bought(telnyx) == ["+14155550201"]
    assert {n.tenant for n in [*twilio.owned.values(), *telnyx.owned.values()]} == {"acme"}


def test_nothing_above_the_price_and_unpriced_numbers_are_skipped(deps, carriers):
    twilio, telnyx = carriers
    twilio.inventory.append(offer("+14155550109", price="0.01"))
    twilio.inventory[-1] = twilio.inventory[-1].__class__(
        **{**_fields(twilio.inventory[-1]), "monthly_price": None}
    )
    (plan,) = svc.plan([spec(numbers=9, price="1.15")], deps)
    assert [o.phone_number for o in plan.buy] == ["+14155550101", "+14155550201"]
    assert plan.shortfall == 7 and "7 more numbers needed" in plan.problems[0]
    results = svc.apply([plan], deps)
    assert results[0].status == "failed" and "holds 2 of 9" in results[0].error
    assert bought(twilio) == ["+14155550101"] and bought(telnyx) == ["+14155550201"]


def _fields(obj):
    return {f: getattr(obj, f) for f in obj.__slots__}


def test_one_search_per_criteria_and_no_number_planned_twice(deps, carriers):
    twilio, _ = carriers
    plans = svc.plan([spec("a"), spec("b"), spec("c")], deps)
    assert [p.buy[0].phone_number for p in plans] == [
        "+14155550101",
        "+14155550103",
        "+14155550201",
    ]
    assert sum(m == "search_numbers" for m, _ in twilio.calls) == 1


def test_a_planned_number_taken_meanwhile_is_replaced_by_the_next_within_the_price(deps, carriers):
    twilio, _ = carriers
    (plan,) = svc.plan([spec(numbers=1, providers=("twilio",))], deps)
    twilio.fail["purchase"] = [ProviderRejected("gone", provider="twilio", status=400), None]
    (result,) = svc.apply([plan], deps)
    assert result.status == "done"
    assert [m for m, _ in twilio.calls if m == "purchase"] == ["purchase", "purchase"]
    assert list(twilio.owned) == ["+14155550103"]
    assert [s.status for s in result.steps if s.step == "buy"] == ["failed", "done"]


def test_an_unknown_purchase_outcome_leaves_the_tenant_pending_not_failed(deps, carriers):
    twilio, _ = carriers
    (plan,) = svc.plan([spec(numbers=1, providers=("twilio",))], deps)
    lost = ProviderUnavailable("timed out", provider="twilio", sent=True)
    twilio.fail["purchase"] = lost
    twilio.fail["find_owned"] = lost  # the lookup that would settle it fails too
    (result,) = svc.apply([plan], deps)
    assert result.status == "pending" and "may or may not" in result.error
    entries = {e.op: e.status for e in deps.state.ledger_entries()}
    assert entries["buy"] == "unknown" and entries["tenant.buy"] == "unknown"


def test_a_carrier_that_cannot_be_listed_blocks_buying(deps, carriers):
    twilio, telnyx = carriers
    telnyx.fail["list_owned"] = ProviderUnavailable("down", provider="telnyx")
    (plan,) = svc.plan([spec(numbers=1)], deps)
    assert plan.buy == [] and "cannot tell what the tenant holds: telnyx: down" in plan.problems
    (result,) = svc.apply([plan], deps)
    assert result.status == "pending" and bought(twilio) == []
    assert result.error.startswith("cannot tell what the tenant holds")


def test_only_the_tenants_own_numbers_are_counted_and_configured(deps, carriers):
    from telcli.storage.plans import Webhooks

    twilio, _ = carriers
    for number, tenant in (
        ("+14155550901", None),
        ("+14155550902", "other"),
        ("+14155550903", "acme"),
    ):
        twilio.owned[number] = OwnedNumber(ProviderName.twilio, E164(number), number, tenant=tenant)
    hooked = spec(numbers=2, providers=("twilio",), webhooks=Webhooks(voice_url="https://h/acme"))
    (plan,) = svc.plan([hooked], deps)
    assert [n.phone_number for n in plan.held] == ["+14155550903"]
    # the plan shows the wiring of the number it holds and of the one it would buy
    assert [(p, c.voice_url) for p, c in plan.configure] == [
        ("+14155550903", "https://h/acme"),
        ("+14155550101", "https://h/acme"),
    ]
    (result,) = svc.apply([plan], deps)
    assert result.status == "done"
    configured = {n.phone_number for n in twilio.owned.values() if n.voice_url}
    assert configured == {"+14155550903", "+14155550101"}
    assert twilio.owned["+14155550901"].tenant is None
    assert twilio.owned["+14155550902"].voice_url is None


def test_fail_fast_leaves_tenants_not_started_pending(deps, carriers):
    for c in carriers:
        c.fail["purchase"] = ProviderRejected("no balance", provider=str(c.name), status=400)
    plans = svc.plan([spec("a"), spec("b"), spec("c")], deps)
    results = svc.apply(plans, deps, concurrency=1, fail_fast=True)
    assert [r.status for r in results] == ["failed", "pending", "pending"]
    assert results[1].error == "not started: --fail-fast"


def test_a_number_needing_an_address_the_tenant_lacks_is_never_bought(deps, carriers):
    from telcli.models import AddressRequirement

    twilio, _ = carriers
    twilio.inventory = [
        offer("+442071234567", country="GB", address_requirement=AddressRequirement.any)
    ]
    twilio.list_addresses = lambda country=None: []
    (plan,) = svc.plan([spec(country="GB", providers=("twilio",))], deps)
    assert "needs a regulatory address for GB numbers" in plan.problems[0]
    (result,) = svc.apply([plan], deps)
    assert result.status == "failed" and "add `address:`" in result.error
    assert bought(twilio) == []


def test_a_vapi_that_cannot_be_listed_is_never_taken_as_in_sync(deps, carriers):
    from telcli.models import Assistant

    twilio, _ = carriers
    twilio.owned["+14155550903"] = OwnedNumber(
        ProviderName.twilio, E164("+14155550903"), "PN1", tenant="acme"
    )

    class DownVapi:
        def list_assistants(self):
            return [Assistant("asst-1", "Receptionist")]

        def list_numbers(self):
            raise ProviderUnavailable("vapi 503", provider="vapi")

    deps.vapi = DownVapi
    (plan,) = svc.plan([spec(providers=("twilio",), assistant="Receptionist")], deps)
    assert not plan.in_sync and plan.problems == ["VAPI could not be listed: vapi 503"]


def test_a_purchase_whose_tag_did_not_stick_is_tagged_never_bought_again(deps, carriers):
    twilio, _ = carriers
    buy = twilio.purchase

    def untagged_purchase(number, *, address_id=None, tenant=None):
        return buy(number, address_id=address_id, tenant=None)  # the tag was lost

    twilio.purchase = untagged_purchase
    twilio.fail["set_tenant"] = [ProviderUnavailable("down", provider="twilio"), None]
    (plan,) = svc.plan([spec(providers=("twilio",))], deps)
    (first,) = svc.apply([plan], deps)
    assert first.status == "pending" and "is not tagged" in first.error
    assert twilio.owned["+14155550101"].tenant is None
    (again,) = svc.plan([spec(providers=("twilio",))], deps)
    assert again.buy == [] and [n.phone_number for n in again.retag] == ["+14155550101"]
    (second,) = svc.apply([again], deps)
    assert second.status == "done"
    assert twilio.owned["+14155550101"].tenant == "acme" and bought(twilio) == ["+14155550101"]
    # an untagged number the journal knows nothing of is never adopted
    twilio.owned["+14155550999"] = OwnedNumber(ProviderName.twilio, E164("+14155550999"), "PN9")
    (third,) = svc.plan([spec(numbers=2, providers=("twilio",))], deps)
    assert third.retag == [] and [o.phone_number for o in third.buy] == ["+14155550103"]
