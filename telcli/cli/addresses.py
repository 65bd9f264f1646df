"""Create, list and delete regulatory addresses (Twilio Addresses, Telnyx addresses)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from telcli.cli.base import TelcliTyper, confirm, require_complete
from telcli.cli.options import (
    JsonOpt,
    ProviderOpt,
    TenantOpt,
    YesOpt,
    check_country,
    tenant_value,
)
from telcli.context import AppContext
from telcli.enums import ProviderChoice
from telcli.errors import UsageProblem

app = TelcliTyper(
    help="Create, list and delete regulatory addresses (Twilio Addresses, Telnyx addresses).",
    no_args_is_help=True,
)


def _one_carrier(app_ctx: AppContext, provider: object, out: object):  # type: ignore[no-untyped-def]
    if provider is not None and str(provider) == "all":
        raise UsageProblem("an address is created at one provider", hint="--provider twilio")
    return app_ctx.carriers(provider, notify=out.note)[0]  # type: ignore[attr-defined]


@app.command("create")
def addresses_create(
    ctx: typer.Context,
    customer_name: Annotated[
        str | None, typer.Option(help="Person or company the number is registered to.")
    ] = None,
    business_name: Annotated[str | None, typer.Option(help="Business name, if any.")] = None,
    street: Annotated[str | None, typer.Option(help="Street and number.")] = None,
    city: Annotated[str | None, typer.Option(help="City or locality.")] = None,
    region: Annotated[str | None, typer.Option(help="State, province or region.")] = None,
    postal_code: Annotated[str | None, typer.Option(help="Postal code.")] = None,
    country: Annotated[
        str | None,
        typer.Option("--country", "-c", callback=check_country, help="ISO country code, e.g. ZA."),
    ] = None,
    friendly_name: Annotated[str | None, typer.Option(help="Your own label for it.")] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", "-f", help="YAML file with these fields; flags override it."),
    ] = None,
    tenant: Annotated[
        str | None,
        typer.Option(
            "--tenant",
            metavar="ID",
            help="Record the address for this tenant (Twilio FriendlyName, Telnyx"
            " customer_reference): its purchases use it by default, others never do.",
        ),
    ] = None,
    provider: Annotated[
        ProviderChoice | None,
        typer.Option(
            "--provider",
            "-p",
            metavar="PROVIDER",
            case_sensitive=False,
            help="Create it at twilio or telnyx (default: the first configured provider).",
        ),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Create a regulatory address from flags or a YAML file; an identical one is reused.

    Example: telcli addresses create --file office.yaml --provider twilio --tenant acme-dental
    """
    from dataclasses import replace

    from telcli.models import TenantTag
    from telcli.output.views import ADDRESSES
    from telcli.services import addresses as svc

    app_ctx: AppContext = ctx.obj
    tenant = tenant_value(tenant)
    values: dict[str, str | None] = dict(svc.load_file(file)) if file else {}
    flags = {
        "customer_name": customer_name,
        "business_name": business_name,
        "street": street,
        "city": city,
        "region": region,
        "postal_code": postal_code,
        "country": country,
        "friendly_name": friendly_name,
    }
    values.update({k: v for k, v in flags.items() if v is not None})
    address = svc.build_input(values)
    if tenant is not None:
        address = replace(address, tenant=TenantTag(tenant))
    out = app_ctx.output(json=json_)
    carrier = _one_carrier(app_ctx, provider, out)
    result, created = svc.ensure(
        carrier, address, state=app_ctx.state, profile=app_ctx.ledger_profile
    )
    out.item(result, ADDRESSES)
    if created:
        out.success(f"Created address {result.id} at {result.provider}")
    else:
        out.note(f"address {result.id} at {result.provider} exists with these fields; reused it")


@app.command("list")
def addresses_list(
    ctx: typer.Context,
    country: Annotated[
        str | None,
        typer.Option(
            "--country", "-c", callback=check_country, help="Only addresses in this country."
        ),
    ] = None,
    provider: ProviderOpt = None,
    tenant: TenantOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List the regulatory addresses of this profile, across providers (--tenant: its own).

    Example: telcli addresses list --country ZA --json
    """
    from telcli.output.views import ADDRESSES
    from telcli.services import addresses as svc

    app_ctx: AppContext = ctx.obj
    tenant = tenant_value(tenant)
    out = app_ctx.output(json=json_)
    found = svc.list_addresses(
        app_ctx.carriers(provider, notify=out.note),
        country=country,
        tenant=tenant,
        notify=out.note,
    )
    out.rows(
        found,
        ADDRESSES,
        empty="no addresses; create one with `telcli addresses create --customer-name NAME"
        " --street STREET --city CITY --region REGION --postal-code CODE --country CC`",
    )
    require_complete(found)


@app.command("delete")
def addresses_delete(
    ctx: typer.Context,
    address_id: Annotated[str, typer.Argument(metavar="ID", help="Address ID (addresses list).")],
    provider: ProviderOpt = None,
    yes: YesOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Delete a regulatory address. Asks first; --yes without a TTY.

    Example: telcli addresses delete AD5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b --yes
    """
    from telcli.output.views import ADDRESSES
    from telcli.services import addresses as svc

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output(json=json_)
    found = svc.locate(
        app_ctx.carriers(provider, notify=out.note), address_id, notify=out.note, missing_ok=True
    )
    if found is None:
        out.note(f"no address {address_id} exists: nothing to delete")
        return
    carrier, address = found
    out.detail({"address": address_id, "provider": address.provider, "name": address.customer_name})
    confirm(app_ctx, f"Delete address {address_id} at {address.provider}?", yes=yes)
    svc.delete(carrier, address, state=app_ctx.state, profile=app_ctx.ledger_profile)
    out.item(address, ADDRESSES)
    out.success(f"Deleted address {address_id} at {address.provider}")
