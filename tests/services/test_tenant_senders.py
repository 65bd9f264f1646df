"""test sms|call pick their sender without crossing tenants (services.testing.pick_senders):
with --tenant only that tenant's numbers, without it only untagged ones by default."""

from __future__ import annotations

import pytest

from telcli.errors import UsageProblem
from telcli.models import E164, Capability, OwnedNumber, ProviderName
from telcli.services import testing as svc
from tests.fakes import FakeCarrier

TW = ProviderName.twilio


def carrier(*numbers: tuple[str, str | None]) -> FakeCarrier:
    fake = FakeCarrier(TW)
    for i, (number, tenant) in enumerate(numbers):
        fake.owned[number] = OwnedNumber(
            TW, E164(number), f"PN{i}", tenant=tenant, capabilities=(Capability.sms,)
        )
    return fake


def pick(fake: FakeCarrier, from_: str | None = None, **kw) -> list[str]:
    kw.setdefault("explicit_provider", False)
    return [s.from_ for s in svc.pick_senders([fake], from_, capability="sms", **kw)]


def test_a_tenant_sends_only_from_its_own_numbers():
    # Before: the first owned number (tenant acme's) was picked whatever the tenant.
    fake = carrier(("+14155550100", "acme-dental"), ("+14155550200", "bolt-gym"))
    assert pick(fake, tenant="bolt-gym") == ["+14155550200"]
    assert ("list_owned", "bolt-gym") in fake.calls  # filtered at the provider


def test_without_a_tenant_the_default_pick_skips_tenant_numbers():
    fake = carrier(("+14155550100", "acme-dental"), ("+14155550300", None))
    assert pick(fake) == ["+14155550300"]


def test_only_tenant_numbers_and_no_tenant_is_refused_naming_them():
    with pytest.raises(UsageProblem) as err:
        pick(carrier(("+14155550100", "acme-dental"), ("+14155550200", "bolt-gym")))
    assert "belongs to a tenant (acme-dental, bolt-gym)" in err.value.message
    assert "--tenant ID" in (err.value.hint or "")


def test_a_tenant_without_numbers_is_refused():
    with pytest.raises(UsageProblem, match="tenant bolt-gym holds no sms-capable number"):
        pick(carrier(("+14155550100", "acme-dental")), tenant="bolt-gym")


@pytest.mark.parametrize("explicit_provider", [False, True])
def test_from_another_tenants_number_is_refused(explicit_provider):
    fake = carrier(("+14155550100", "acme-dental"), ("+14155550200", "bolt-gym"))
    with pytest.raises(UsageProblem, match=r"\+14155550100 is not a number of tenant bolt-gym"):
        pick(fake, "+14155550100", tenant="bolt-gym", explicit_provider=explicit_provider)
    assert pick(fake, "+14155550200", tenant="bolt-gym", explicit_provider=explicit_provider) == [
        "+14155550200"
    ]


def test_an_explicit_from_without_tenant_may_be_any_owned_number():
    fake = carrier(("+14155550100", "acme-dental"))
    assert pick(fake, "+14155550100") == ["+14155550100"]
