"""Plain fakes for service tests: a scripted carrier that records what it was asked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from telcli.errors import ProviderRejected, TelcliError
from telcli.models import (
    E164,
    AvailableNumber,
    Capability,
    NumberConfig,
    NumberQuery,
    NumberType,
    OwnedNumber,
    ProviderName,
    TenantTag,
)


def offer(number: str, provider: str = "twilio", price: str = "1.15", **kw: Any) -> AvailableNumber:
    return AvailableNumber(
        provider=ProviderName(provider),
        phone_number=E164(number),
        country=kw.pop("country", "US"),
        number_type=kw.pop("number_type", NumberType.local),
        capabilities=kw.pop("capabilities", (Capability.voice, Capability.sms)),
        monthly_price=Decimal(price),
        currency="USD",
        **kw,
    )


@dataclass
class FakeCarrier:
    """A carrier with an inventory and owned numbers in memory.

    ``fail`` maps a method name to an error (raised every time) or a list of errors and
    ``None``s consumed one call at a time; ``commit_then_fail`` makes ``purchase`` take
    effect and then raise (the lost-response case).
    """

    name: ProviderName
    inventory: list[AvailableNumber] = field(default_factory=list)
    owned: dict[str, OwnedNumber] = field(default_factory=dict)
    fail: dict[str, Any] = field(default_factory=dict)
    commit_then_fail: TelcliError | None = None
    calls: list[tuple[str, Any]] = field(default_factory=list)
    purchases: int = 0

    def _maybe_fail(self, method: str) -> None:
        plan = self.fail.get(method)
        if isinstance(plan, list):
            err = plan.pop(0) if plan else None
        else:
            err = plan
        if err is not None:
            raise err

    def _record(self, method: str, arg: Any = None) -> None:
        self.calls.append((method, arg))
        self._maybe_fail(method)

    def verify(self) -> str:
        self._record("verify")
        return f"fake {self.name} account"

    def search_numbers(self, query: NumberQuery) -> list[AvailableNumber]:
        self._record("search_numbers", query)
        hits = [
            o
            for o in self.inventory
            if o.country == query.country
            and o.number_type == query.number_type
            and o.phone_number not in self.owned
            and (not query.contains or query.contains in o.phone_number)
        ]
        return hits[: query.limit]

    def purchase(
        self,
        phone_number: str,
        *,
        address_id: str | None = None,
        tenant: TenantTag | None = None,
    ) -> OwnedNumber:
        self.calls.append(("purchase", phone_number))
        if phone_number in self.owned:
            raise ProviderRejected("not available", provider=str(self.name), status=400)
        self._maybe_fail("purchase")
        owned = self._own(phone_number, tenant.id if tenant else None)
        if self.commit_then_fail is not None:
            err, self.commit_then_fail = self.commit_then_fail, None
            raise err
        return owned

    def _own(self, phone_number: str, tenant: str | None = None) -> OwnedNumber:
        self.purchases += 1
        owned = OwnedNumber(
            provider=self.name,
            phone_number=E164(phone_number),
            id=f"{self.name}-{self.purchases}",
            tenant=tenant,
        )
        self.owned[phone_number] = owned
        return owned

    def list_owned(self, tenant: str | None = None) -> list[OwnedNumber]:
        self._record("list_owned", tenant)
        return [n for n in self.owned.values() if tenant is None or n.tenant == tenant]

    def set_tenant(self, number: OwnedNumber, tenant: TenantTag | None) -> OwnedNumber:
        self._record("set_tenant", (number.phone_number, tenant))
        updated = replace(number, tenant=tenant.id if tenant else None)
        self.owned[number.phone_number] = updated
        return updated

    def find_owned(self, phone_number: str) -> OwnedNumber | None:
        self._record("find_owned", phone_number)
        return self.owned.get(phone_number)

    def release(self, number: OwnedNumber) -> None:
        self._record("release", number.phone_number)
        self.owned.pop(number.phone_number, None)

    def configure(self, number: OwnedNumber, config: NumberConfig) -> OwnedNumber:
        self._record("configure", config)
        updated = replace(number, voice_url=config.voice_url or number.voice_url)
        self.owned[number.phone_number] = updated
        return updated


def notes() -> tuple[list[str], Callable[[str], None]]:
    lines: list[str] = []
    return lines, lines.append


def fake_settle(window: float = 30.0, *, deadline: float | None = None, offset: Any = None) -> Any:
    """A settle policy on a fake clock (sleeping moves it forward): waits take no time.
    ``deadline``: seconds the command may take, counted on the same clock."""
    from telcli.services.settling import Settle
    from telcli.transport import Deadline
    from tests.test_transport_retry import FakeClock

    clock = FakeClock()
    return Settle(
        window=window,
        request_timeout=20.0,
        deadline=None if deadline is None else Deadline(deadline, clock=clock.monotonic),
        clock_offset=lambda _: offset,
        monotonic=clock.monotonic,
        sleep=clock.sleep,
    )
