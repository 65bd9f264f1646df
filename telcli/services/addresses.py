"""Regulatory addresses: create (from flags or a YAML file), list, delete, and pick the one a
purchase needs. Services never print or exit; they raise TelcliError subclasses."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from telcli.errors import ConfigError, ProviderRejected, ProviderUnavailable, UsageProblem
from telcli.models import Address, AddressInput, AddressRequirement, AvailableNumber, Listing
from telcli.providers.base import CarrierProvider
from telcli.services import failover
from telcli.validate import InvalidValue, shown
from telcli.validate import country as validate_country

Notify = Callable[[str], None]
# Given the candidates, return the chosen one's id (an interactive prompt), or None to refuse.
Choose = Callable[[list[Address]], str]

# YAML keys of an address file, in the order of ``addresses create``'s flags.
FILE_KEYS = (
    "customer_name",
    "business_name",
    "street",
    "city",
    "region",
    "postal_code",
    "country",
    "friendly_name",
)
REQUIRED = ("street", "city", "region", "postal_code", "country")


def _quiet(_: str) -> None:
    pass


def load_file(path: Path) -> dict[str, str]:
    """The address fields of a YAML file. ConfigError (exit 3) names the file, the line and
    the field for anything wrong: unreadable, not UTF-8, not YAML, too deep, not a mapping,
    unknown or repeated key, not text, not an ISO country code.
    """
    import yaml

    from telcli.storage import yamlfile
    from telcli.validate import InvalidValue, country

    root = yamlfile.compose(path)
    if root is None:
        raise ConfigError(f"{path}:1: empty file; expected the address fields", hint=_file_hint())
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(
            f"{yamlfile.where(path, root)}: expected a mapping of address fields",
            hint=_file_hint(),
        )
    values: dict[str, str] = {}
    for key, key_node, value_node in yamlfile.mapping(path, root, "address file"):
        loc = yamlfile.where(path, key_node)
        if key not in FILE_KEYS:
            raise ConfigError(
                f"{loc}: unknown field {shown(key)}",
                hint="known fields: " + ", ".join(FILE_KEYS),
            )
        # The text as written: a postal code like 02134 must not become the number 2134.
        if (
            not isinstance(value_node, yaml.ScalarNode)
            or value_node.tag not in yamlfile.SCALAR_TAGS
            or value_node.value == ""
        ):
            raise ConfigError(f"{loc}: field {key!r} must be text")
        values[key] = str(value_node.value)
        if key == "country":
            try:
                values[key] = country(values[key], "country")
            except InvalidValue as exc:
                raise ConfigError(f"{loc}: {exc.message}", hint=exc.hint) from None
    return values


def _file_hint() -> str:
    return (
        "one `field: value` per line: customer_name, street, city, region, postal_code,"
        " country (ISO code), optionally business_name and friendly_name"
    )


def build_input(values: dict[str, str | None]) -> AddressInput:
    """An AddressInput from flags and/or file values; UsageProblem (exit 2) lists every
    missing field at once."""
    clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}
    clean = {k: v for k, v in clean.items() if v}
    missing = [f"--{k.replace('_', '-')}" for k in REQUIRED if k not in clean]
    if "customer_name" not in clean and "business_name" not in clean:
        missing.insert(0, "--customer-name (or --business-name)")
    if missing:
        raise UsageProblem(
            "missing address fields: " + ", ".join(missing),
            hint="pass them as flags or in --file address.yaml",
        )
    try:
        country = validate_country(str(clean["country"]), "--country")
    except InvalidValue as exc:
        raise UsageProblem(exc.message, hint=exc.hint) from None
    names = {f.name for f in fields(AddressInput)}
    data: dict[str, Any] = {k: v for k, v in clean.items() if k in names}
    data["country"] = country
    data.setdefault("customer_name", data.get("business_name"))
    return AddressInput(**data)


def create_command(address: AddressInput, provider: str) -> str:
    """The `telcli addresses create` command line that creates ``address`` again."""
    parts = ["telcli", "addresses", "create", "--provider", provider]
    for key in FILE_KEYS:
        value = getattr(address, key, None)
        if value:
            parts += [f"--{key.replace('_', '-')}", value]
    return shlex.join(parts)


_SAME = ("street", "city", "region", "postal_code", "country")


def _norm(value: object) -> str:
    return " ".join(str(value or "").split()).casefold()


def same_place(existing: Address, wanted: AddressInput) -> bool:
    """Whether ``existing`` is the address ``wanted`` describes: the same fields (case and
    spacing aside) for the same tenant. The label (friendly name) does not make it another
    address: a regulator, and `numbers buy`, would see two of the same."""
    tenant = wanted.tenant.id if wanted.tenant is not None else None

    def names(a: Address | AddressInput) -> set[str]:
        # Telnyx keeps a customer name as business_name too: compare the names given.
        return {_norm(n) for n in (a.customer_name, a.business_name) if n}

    return (
        existing.tenant == tenant
        and names(existing) == names(wanted)
        and all(_norm(getattr(existing, key)) == _norm(getattr(wanted, key)) for key in _SAME)
    )


def ensure(
    carrier: CarrierProvider, address: AddressInput, *, state: Any = None, profile: str = ""
) -> tuple[Address, bool]:
    """``address`` at ``carrier``: the one it already holds (:func:`same_place`), else a new
    one (:func:`create`). Idempotent, so a re-run never makes the duplicate that later stops
    `numbers buy --yes` with "2 addresses fit". Returns the address and whether it is new."""
    existing = next((a for a in carrier.list_addresses(None) if same_place(a, address)), None)
    if existing is not None:
        return existing, False
    return create(carrier, address, state=state, profile=profile), True


def create(
    carrier: CarrierProvider, address: AddressInput, *, state: Any = None, profile: str = ""
) -> Address:
    """Create ``address`` at ``carrier`` (ledgered as ``address.create``, its target the new
    address id). A validation refusal is re-raised with one line per field the provider
    named (the provider's detail is ``;``-separated)."""
    from telcli.storage.state import operation

    try:
        with operation(
            state, "address.create", str(carrier.name), profile, "", {"country": address.country}
        ) as step:
            created = carrier.create_address(address)
            step.result_id = step.target = created.id
        return created
    except ProviderRejected as exc:
        detail = exc.message.split(": ", 1)[1] if ": " in exc.message else exc.message
        problems = [p.strip() for p in detail.split(";") if p.strip()]
        request = f" (request {exc.request_id})" if exc.request_id else ""
        raise ProviderRejected(
            f"{carrier.name} rejected the address{request}:\n"
            + "\n".join(f"  {p}" for p in problems),
            provider=str(carrier.name),
            status=exc.status,
            code=exc.code,
            hint="correct the fields named above and run the command again",
            request_id=exc.request_id,
        ) from None


def list_addresses(
    carriers: Sequence[Any],
    *,
    country: str | None = None,
    tenant: str | None = None,
    notify: Notify = _quiet,
) -> Listing[Address]:
    """Every address of every carrier (concurrently), optionally of one country and of one
    tenant (recorded at the provider); ``errors`` names the carriers that could not be asked."""
    country = country.upper() if country else None
    found = failover.each(
        carriers, lambda c: c.list_addresses(country), what="address listing", notify=notify
    )
    rows = [
        a
        for _, items in found
        for a in items
        if (not country or a.country == country) and (tenant is None or a.tenant == tenant)
    ]
    return Listing(rows, found.errors)


def locate(
    carriers: Sequence[Any], address_id: str, *, notify: Notify = _quiet, missing_ok: bool = False
) -> tuple[Any, Address] | None:
    """Which carrier holds the address ``address_id``; ProviderRejected (exit 5) when none
    does (None with ``missing_ok``: every carrier answered and none has it),
    ProviderUnavailable (exit 6) when a carrier that could not be asked might."""
    found = failover.each(
        carriers, lambda c: c.list_addresses(None), what="address lookup", notify=notify
    )
    for carrier, items in found:
        for address in items:
            if address.id == address_id:
                return carrier, address
    if len(found) < len(carriers):
        # "Could not ask" is not "not found": the silent carrier may hold it.
        asked = {id(c) for c, _ in found}
        missing = [str(c.name) for c in carriers if id(c) not in asked]
        raise ProviderUnavailable(
            f"cannot tell where address {address_id} is: {' and '.join(missing)} could not be"
            " asked",
            provider=missing[0],
            sent=False,
            hint="retry later; `telcli providers status` shows each provider's health",
        )
    if missing_ok:
        return None
    raise ProviderRejected(
        f"no address {address_id} at " + " or ".join(str(c.name) for c in carriers),
        provider=",".join(str(c.name) for c in carriers),
        hint="see the addresses with `telcli addresses list`",
    )


def delete(carrier: Any, address: Address, *, state: Any = None, profile: str = "") -> Address:
    """Delete ``address`` at ``carrier`` (ledgered as ``address.delete``)."""
    from telcli.storage.state import operation

    with operation(
        state,
        "address.delete",
        str(carrier.name),
        profile,
        address.id,
        {"country": address.country},
    ) as step:
        carrier.delete_address(address.id)
        step.result_id = address.id
    return address


def matches(requirement: AddressRequirement, number_country: str, address: Address) -> bool:
    """Whether ``address`` satisfies a number's address requirement (Twilio's vocabulary:
    any = any address, local = in the number's country, foreign = outside it)."""
    if requirement is AddressRequirement.local:
        return address.country == number_country
    if requirement is AddressRequirement.foreign:
        return address.country != number_country
    return True


def pick(
    carrier: CarrierProvider,
    offer: AvailableNumber,
    *,
    explicit: str | None = None,
    choose: Choose | None = None,
    notify: Notify = _quiet,
    tenant: str | None = None,
) -> str | None:
    """The address id to buy ``offer`` with.

    ``explicit`` (``--address``) wins. A number without an address requirement needs none.
    Otherwise the account's addresses at the offering carrier are matched: exactly one is used
    (with a note); several are offered to ``choose`` (a TTY prompt) or, without one, refused
    with exit 2 naming them; none stops with exit 5 and the `addresses create` command to run.

    No default crosses tenants: for ``tenant``, its own addresses (recorded at the provider,
    telcli/tenancy.py) are matched first and, when it has none that fit, the untagged ones;
    without a tenant, only untagged ones. Another tenant's address is never picked.
    """
    if explicit:
        return _checked(carrier, offer, explicit)
    requirement = offer.address_requirement
    if requirement is AddressRequirement.none:
        return None
    country = offer.country
    fitting = [a for a in carrier.list_addresses(None) if matches(requirement, country, a)]
    own = [a for a in fitting if tenant is not None and a.tenant == tenant]
    candidates = own or [a for a in fitting if a.tenant is None]
    where = {
        AddressRequirement.any: "",
        AddressRequirement.local: f" in {country}",
        AddressRequirement.foreign: f" outside {country}",
    }[requirement]
    whose = f" of tenant {tenant} or untagged" if tenant else " untagged"
    if len(candidates) == 1:
        notify(f"using address {candidates[0].id} ({_label(candidates[0])})")
        return candidates[0].id
    if candidates:
        if choose is None:
            raise UsageProblem(
                f"{len(candidates)} addresses{where} at {carrier.name} fit {offer.phone_number}: "
                + ", ".join(a.id for a in candidates),
                hint=f"pass --address ID, e.g. --address {candidates[0].id}",
            )
        return str(choose(candidates))
    example_country = country if requirement is not AddressRequirement.foreign else "XX"
    command = (
        f"telcli addresses create --provider {carrier.name} --customer-name NAME "
        f"--street STREET --city CITY --region REGION --postal-code CODE "
        f"--country {example_country}" + (f" --tenant {tenant}" if tenant else "")
    )
    others = len(fitting)
    if others:
        raise ProviderRejected(
            f"{offer.phone_number} needs a regulatory address{where}; {carrier.name} has"
            f" {others} that fit{'s' if others == 1 else ''}, but none{whose}: another"
            " tenant's address is never used by default",
            provider=str(carrier.name),
            hint=f"create one: `{command}`, or pass --address ID to choose one explicitly",
        )
    raise ProviderRejected(
        f"{offer.phone_number} needs a regulatory address{where} and {carrier.name} has none",
        provider=str(carrier.name),
        hint=f"create one first: `{command}`, then buy again",
    )


def _checked(carrier: CarrierProvider, offer: AvailableNumber, address_id: str) -> str:
    """``--address`` as the purchase will need it: held by the offering carrier and of the
    country the number requires. ProviderRejected (exit 5), as the carrier would refuse it,
    checked before any money moves (and for `--dry-run`)."""
    held = {a.id: a for a in carrier.list_addresses(None)}
    address = held.get(address_id)
    if address is None:
        raise ProviderRejected(
            f"address {address_id} is not at {carrier.name}, which offers {offer.phone_number}",
            provider=str(carrier.name),
            hint=f"see them with `telcli addresses list --provider {carrier.name}`",
        )
    requirement = offer.address_requirement
    if not matches(requirement, offer.country, address):
        where = "in" if requirement is AddressRequirement.local else "outside"
        raise ProviderRejected(
            f"address {address_id} is in {address.country}; {offer.phone_number} needs one"
            f" {where} {offer.country}",
            provider=str(carrier.name),
            hint=f"see them with `telcli addresses list --provider {carrier.name}`",
        )
    return address_id


def _label(address: Address) -> str:
    return ", ".join(
        p for p in (address.customer_name, address.street, address.city, address.country) if p
    )
