"""Prices before spend: each carrier's monthly and upfront price per number type in a country
(Twilio Pricing v1 FetchPhoneNumberCountry; Telnyx cost_information on available numbers)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from telcli.models import NumberPrice, NumberType
from telcli.services import failover

Notify = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def prices(
    carriers: Sequence[Any],
    country: str,
    number_type: NumberType | None = None,
    *,
    notify: Notify = _quiet,
) -> list[NumberPrice]:
    """Every carrier's prices (concurrently), in carrier order then number-type order. A read:
    one carrier failing costs its rows, not the command."""
    iso = country.upper()
    found = failover.each(
        carriers, lambda c: c.pricing(iso, number_type), what="price lookup", notify=notify
    )
    order = {str(t): i for i, t in enumerate(NumberType)}
    return [
        p
        for _, items in found
        for p in sorted(items, key=lambda p: order.get(p.number_type, len(order)))
    ]
