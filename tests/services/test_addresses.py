"""The address service with fakes: which address a purchase gets, per requirement."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from telcli.errors import ProviderRejected, UsageProblem
from telcli.models import (
    E164,
    Address,
    AddressRequirement,
    AvailableNumber,
    NumberType,
    ProviderName,
)
from telcli.services import addresses as svc


class Carrier:
    name = ProviderName.twilio

    def __init__(self, *addresses: Address) -> None:
        self.addresses = list(addresses)
        self.asked = 0

    def list_addresses(self, country: str | None = None) -> list[Address]:
        self.asked += 1
        return list(self.addresses)


def address(id_: str, country: str) -> Address:
    return Address(ProviderName.twilio, id_, "Jane", "1 Main", "City", "R", "1", country)


def offer(requirement: AddressRequirement, country: str = "ZA") -> AvailableNumber:
    return AvailableNumber(
        ProviderName.twilio,
        E164("+27216867207"),
        country,
        NumberType.local,
        monthly_price=Decimal("4.25"),
        currency="USD",
        address_requirement=requirement,
    )


ZA, GB = address("ADza", "ZA"), address("ADgb", "GB")


def test_no_requirement_needs_no_address_and_no_lookup():
    carrier = Carrier(ZA)
    assert svc.pick(carrier, offer(AddressRequirement.none)) is None
    assert carrier.asked == 0


def test_explicit_address_wins_once_checked():
    carrier = Carrier(address("ADza", "ZA"), address("ADza2", "ZA"), address("ADgb", "GB"))
    assert svc.pick(carrier, offer(AddressRequirement.local), explicit="ADza2") == "ADza2"
    with pytest.raises(ProviderRejected, match="address ADgb is in GB"):
        svc.pick(carrier, offer(AddressRequirement.local), explicit="ADgb")
    with pytest.raises(ProviderRejected, match="address ADx is not at twilio"):
        svc.pick(carrier, offer(AddressRequirement.none), explicit="ADx")


@pytest.mark.parametrize(
    ("requirement", "expected"),
    [
        (AddressRequirement.local, "ADza"),
        (AddressRequirement.foreign, "ADgb"),
    ],
)
def test_local_and_foreign_pick_by_country(requirement, expected):
    notes: list[str] = []
    assert svc.pick(Carrier(ZA, GB), offer(requirement), notify=notes.append) == expected
    assert notes == [f"using address {expected} (Jane, 1 Main, City, {expected[2:].upper()})"]


def test_any_with_several_needs_a_choice():
    carrier = Carrier(ZA, GB)
    with pytest.raises(UsageProblem, match="2 addresses at twilio fit") as info:
        svc.pick(carrier, offer(AddressRequirement.any))
    assert info.value.hint == "pass --address ID, e.g. --address ADza"
    chosen = svc.pick(carrier, offer(AddressRequirement.any), choose=lambda c: c[1].id)
    assert chosen == "ADgb"


def test_none_matching_is_rejected_with_the_command_to_run():
    with pytest.raises(ProviderRejected) as info:
        svc.pick(Carrier(GB), offer(AddressRequirement.local))
    assert info.value.exit_code == 5
    assert "needs a regulatory address in ZA and twilio has none" in info.value.message
    assert "telcli addresses create --provider twilio" in (info.value.hint or "")
    assert "--country ZA" in (info.value.hint or "")


def test_build_input_defaults_the_customer_name_to_the_business():
    built = svc.build_input(
        {
            "business_name": "Acme",
            "street": "1 Main",
            "city": "C",
            "region": "R",
            "postal_code": "1",
            "country": "za",
        }
    )
    assert (built.customer_name, built.business_name, built.country) == ("Acme", "Acme", "ZA")


# -- no default crosses tenants ----------------------------------------------------------------


def tagged(id_: str, country: str, tenant: str) -> Address:
    return replace(address(id_, country), tenant=tenant)


ACME_ZA, BOLT_ZA = tagged("ADacme", "ZA", "acme-dental"), tagged("ADbolt", "ZA", "bolt-gym")


def test_an_untagged_purchase_never_takes_a_tenants_address():
    # Before: the only fitting address (tenant acme's) was attached with a note, exit 0.
    with pytest.raises(ProviderRejected) as info:
        svc.pick(Carrier(ACME_ZA), offer(AddressRequirement.local))
    assert "has 1 that fits, but none untagged" in info.value.message
    assert "never used by default" in info.value.message


def test_a_tenants_purchase_never_takes_another_tenants_address():
    with pytest.raises(ProviderRejected) as info:
        svc.pick(Carrier(ACME_ZA), offer(AddressRequirement.local), tenant="bolt-gym")
    assert "none of tenant bolt-gym or untagged" in info.value.message
    assert "--tenant bolt-gym" in (info.value.hint or "")


def test_a_tenants_own_address_wins_over_untagged_ones():
    carrier = Carrier(ZA, ACME_ZA, BOLT_ZA)
    assert svc.pick(carrier, offer(AddressRequirement.local), tenant="acme-dental") == "ADacme"


def test_a_tenant_without_its_own_address_uses_the_untagged_one():
    carrier = Carrier(ZA, ACME_ZA)
    assert svc.pick(carrier, offer(AddressRequirement.local), tenant="bolt-gym") == "ADza"
    assert svc.pick(carrier, offer(AddressRequirement.local)) == "ADza"


class Down:
    name = ProviderName.twilio

    def list_addresses(self, country: str | None = None) -> list[Address]:
        from telcli.errors import ProviderUnavailable

        raise ProviderUnavailable("twilio 503 on address listing", provider="twilio", status=503)


class Telnyx(Carrier):
    name = ProviderName.telnyx


def test_locate_while_a_provider_cannot_be_asked_is_not_a_no():
    from telcli.errors import ProviderUnavailable

    with pytest.raises(ProviderUnavailable) as caught:
        svc.locate([Down(), Telnyx(ZA)], "ADxx")
    assert caught.value.exit_code == 6
    assert caught.value.message == "cannot tell where address ADxx is: twilio could not be asked"
    # Found at the provider that answered: the silent one does not matter.
    assert svc.locate([Down(), Telnyx(ZA)], "ADza")[1] == ZA
    # Everyone answered and nobody has it: a real "no" (exit 5).
    with pytest.raises(ProviderRejected, match="no address ADxx at twilio or telnyx"):
        svc.locate([Carrier(GB), Telnyx(ZA)], "ADxx")
