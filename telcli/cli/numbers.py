"""numbers search | buy | list | release | configure | pricing"""

from __future__ import annotations

import re
from typing import Annotated, Any

import typer

from telcli.cli.base import TelcliTyper, ask, confirm, require_complete
from telcli.cli.options import (
    CountryOpt,
    DryRunOpt,
    JsonOpt,
    NumberArg,
    ProviderOpt,
    TenantOpt,
    YesOpt,
    tenant_value,
)
from telcli.context import AppContext
from telcli.enums import Capability, NumberType
from telcli.errors import OutcomeUnknown, PartialFailure, UsageProblem

app = TelcliTyper(help="Search, price, buy and manage phone numbers.", no_args_is_help=True)

_PATTERN = re.compile(r"^[0-9A-Za-z*]{2,16}$")


def _url(value: str | None, flag: str) -> str | None:
    if value is not None and value != "" and not re.match(r"^https?://[^\s/]+", value):
        raise UsageProblem(
            f"{flag} {value!r} is not an http(s) URL", hint="e.g. https://example.com/voice"
        )
    return value


@app.command("search")
def numbers_search(
    ctx: typer.Context,
    country: CountryOpt = None,
    type_: Annotated[
        NumberType, typer.Option("--type", "-t", help="local, mobile or toll-free.")
    ] = NumberType.local,
    area_code: Annotated[
        str | None, typer.Option("--area-code", "-a", help="Area code / national destination code.")
    ] = None,
    contains: Annotated[
        str | None,
        typer.Option(
            help="Digits or pattern the number contains (letters map to keypad, * any digit)."
        ),
    ] = None,
    locality: Annotated[
        str | None, typer.Option(help="City or locality, e.g. 'San Francisco'.")
    ] = None,
    region: Annotated[str | None, typer.Option(help="State or region code, e.g. CA.")] = None,
    capability: Annotated[
        list[Capability] | None,
        typer.Option("--capability", help="Required capability; repeat for several."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="Numbers per provider.")] = 20,
    provider: ProviderOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Search numbers available to buy, with price and address requirement.

    Example: telcli numbers search --country US --area-code 415 --capability sms --json
    """
    from telcli.models import NumberQuery
    from telcli.services import numbers as svc

    app_ctx: AppContext = ctx.obj
    if area_code is not None and not area_code.isdigit():
        raise UsageProblem(f"--area-code {area_code!r} must be digits", hint="e.g. --area-code 415")
    if contains is not None and not _PATTERN.match(contains.lstrip("+")):
        raise UsageProblem(
            f"--contains {contains!r} must be 2-16 digits, letters or *", hint="e.g. --contains 555"
        )
    out = app_ctx.output(json=json_)
    query = NumberQuery(
        country=(country or app_ctx.settings.default_country).upper(),
        number_type=type_,
        area_code=area_code,
        contains=contains.lstrip("+") if contains else None,
        locality=locality,
        region=region,
        capabilities=tuple(dict.fromkeys(capability or ())),
        limit=limit,
    )
    found = svc.search(app_ctx.carriers(provider, notify=out.note), query, notify=out.note)
    out.rows(found, _views().AVAILABLE_NUMBERS, empty="no numbers matched; try fewer filters")


@app.command("buy")
def numbers_buy(
    ctx: typer.Context,
    number: NumberArg,
    provider: ProviderOpt = None,
    address: Annotated[
        str | None, typer.Option("--address", help="Regulatory address ID to attach.")
    ] = None,
    tenant: Annotated[
        str | None,
        typer.Option(
            "--tenant",
            metavar="ID",
            help="Record the number for this tenant in the purchase request itself.",
        ),
    ] = None,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Buy one number (shows the price and asks first; --yes without a TTY).

    Example: telcli numbers buy +14155550123 --tenant acme-dental --yes --json
    """
    from telcli.models import TenantTag
    from telcli.phone import parse_e164
    from telcli.services import numbers as svc

    app_ctx: AppContext = ctx.obj
    tenant = tenant_value(tenant)
    tag = TenantTag(tenant) if tenant is not None else None
    e164 = parse_e164(number)
    out = app_ctx.output(json=json_)
    carriers = app_ctx.carriers(provider, notify=out.note)
    if not dry_run:
        # An earlier run's purchase may still be in flight, or may have landed: settle it
        # before quoting (a number it bought is no longer offered) and before any spend.
        earlier = svc.earlier_purchase(
            carriers,
            e164,
            state=app_ctx.state,
            profile=app_ctx.ledger_profile,
            settle=app_ctx.settle,
            notify=out.note,
        )
        if earlier is not None:
            out.item(earlier, _views().PURCHASE)
            out.success(
                f"{e164} was already bought by an earlier run from {earlier.provider}"
                f" (id {earlier.number.id}); nothing more was spent"
            )
            return
    carrier, offer = svc.quote(carriers, e164, notify=out.note)
    address_id = _address_for(app_ctx, carrier, offer, address, out, tenant)
    if not dry_run:
        detail = {**_offer_detail(offer), "address": address_id or offer.address_requirement}
        out.detail({**detail, "tenant": tenant} if tenant else detail)
        confirm(app_ctx, f"Buy {e164} from {offer.provider}?", yes=yes)
    result = svc.buy(
        carrier,
        offer,
        state=app_ctx.state,
        profile=app_ctx.ledger_profile,
        address_id=address_id,
        dry_run=dry_run,
        notify=out.note,
        tries=3,
        retry=app_ctx.retry_policy,
        tenant=tag,
        settle=app_ctx.settle,
    )
    out.item(result, _views().PURCHASE)
    if dry_run:
        out.note(f"dry run: {e164} is available from {offer.provider}; nothing was bought")
    else:
        out.success(f"Bought {e164} from {result.provider} (id {result.number.id})")
        if tenant is not None and result.number.tenant != tenant:
            # Telnyx: the order carried the tenant, but the number does not show it yet and
            # writing it failed. Bought, but not as asked: a script must not read success.
            raise PartialFailure(
                f"{e164} was bought, but {result.provider} does not show tenant {tenant} on it",
                hint=f"tag it: `telcli numbers tag {e164} --tenant {tenant}`",
            )
        _remember(app_ctx, [result.number])


@app.command("list")
def numbers_list(
    ctx: typer.Context,
    provider: ProviderOpt = None,
    tenant: TenantOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List the numbers this profile owns, across providers (--tenant: one tenant's).

    Example: telcli numbers list --tenant acme-dental --json
    """
    from telcli.services import numbers as svc

    app_ctx: AppContext = ctx.obj
    tenant = tenant_value(tenant)
    out = app_ctx.output(json=json_)
    carriers = app_ctx.carriers(provider, notify=out.note)
    owned = svc.list_owned(carriers, tenant=tenant, notify=out.note)
    empty = f"tenant {tenant} holds no numbers" if tenant else "this profile owns no numbers"
    out.rows(owned, _views().OWNED_NUMBERS, empty=empty)
    # A tenant filter lists part of what a provider holds: add to the cache, never replace.
    _remember(app_ctx, owned, complete=set() if tenant else {str(n.provider) for n in owned})
    require_complete(owned)


@app.command("release")
def numbers_release(
    ctx: typer.Context,
    number: NumberArg,
    provider: ProviderOpt = None,
    with_vapi: Annotated[
        bool,
        typer.Option("--with-vapi", help="Also remove it from VAPI when it is imported there."),
    ] = False,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Release (give back) an owned number. Asks first; --yes without a TTY.

    Example: telcli numbers release +14155550123 --with-vapi --yes
    """
    from telcli.phone import parse_e164
    from telcli.services import numbers as svc

    app_ctx: AppContext = ctx.obj
    e164 = parse_e164(number)
    out = app_ctx.output(json=json_)
    carrier, owned = svc.locate(app_ctx.carriers(provider, notify=out.note), e164, notify=out.note)
    vapi, imported = _in_vapi(app_ctx, e164, out, required=with_vapi)
    if imported is not None and not with_vapi:
        out.warn(
            f"{e164} is imported into VAPI (id {imported.id}) and would stay there; pass"
            " --with-vapi to remove it from VAPI too"
        )
    if not dry_run:
        detail = {"number": e164, "provider": owned.provider, "id": owned.id}
        if owned.tenant:
            detail["tenant"] = owned.tenant
        if imported is not None:
            detail["vapi"] = f"{imported.id} ({'removed too' if with_vapi else 'stays'})"
        out.detail(detail)
        whose = f" (tenant {owned.tenant})" if owned.tenant else ""
        confirm(
            app_ctx,
            f"Release {e164}{whose} at {owned.provider}? It may not be recoverable.",
            yes=yes,
        )
    result = svc.release(
        carrier,
        owned,
        state=app_ctx.state,
        profile=app_ctx.ledger_profile,
        dry_run=dry_run,
        settle=app_ctx.settle,
    )
    out.item(result, _views().RELEASE)
    if not dry_run:
        out.success(f"Released {e164} at {owned.provider}")
        app_ctx.completion.discard("numbers", [e164])
        if imported is not None and with_vapi:
            from telcli.services import vapi as vapi_svc

            vapi_svc.remove(vapi, e164, state=app_ctx.state, profile=app_ctx.ledger_profile)
            out.success(f"Removed {e164} from VAPI")


def _in_vapi(app_ctx: AppContext, e164: str, out: Any, *, required: bool) -> tuple[Any, Any]:
    """The VAPI client and ``e164``'s VAPI record (None when not imported). Without VAPI
    credentials there is nothing to check; an error is a note, unless ``--with-vapi``
    (``required``) makes VAPI part of the job."""
    from telcli.errors import AuthError, TelcliError
    from telcli.services import vapi as vapi_svc

    try:
        vapi = app_ctx.provider_with("vapi", app_ctx.credentials("vapi").values)
        return vapi, vapi_svc.imported(vapi, e164)
    except AuthError:
        if required:
            raise
        return None, None
    except TelcliError as exc:
        if required:
            raise
        out.note(f"could not check whether {e164} is in VAPI: {exc.message}")
        return None, None


@app.command("reconcile")
def numbers_reconcile(
    ctx: typer.Context, provider: ProviderOpt = None, json_: JsonOpt = False
) -> None:
    """Settle purchases and releases whose outcome is unknown, against what each provider owns.

    Also lists numbers a provider owns that telcli bought but never recorded as bought.
    Exit 0 when everything is settled, 7 while something is still unknown.

    Example: telcli numbers reconcile --json
    """
    from telcli.services import numbers as svc

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output(json=json_)
    scope = app_ctx.settings.providers if provider in (None, "all") else (str(provider),)
    settled = svc.reconcile(
        app_ctx.carriers(provider, notify=out.note),
        state=app_ctx.state,
        profile=app_ctx.ledger_profile,
        providers=scope,
        settle=app_ctx.settle,
        notify=out.note,
    )
    out.rows(settled, _views().SETTLEMENTS, empty="nothing to reconcile: the ledger is settled")
    in_flight = [s for s in settled if s.status == "unknown" and s.note.startswith("may still")]
    unknown = sorted({s.provider for s in settled if s.status == "unknown"})
    if in_flight and len(in_flight) == sum(s.status == "unknown" for s in settled):
        raise OutcomeUnknown(
            f"{_views().count(len(in_flight), 'purchase')} may still be in flight"
            f" ({in_flight[0].note})",
            hint="run `telcli numbers reconcile` again after that time",
        )
    if unknown:
        count = sum(s.status == "unknown" for s in settled)
        raise OutcomeUnknown(
            f"{_views().count(count, 'operation')} still unknown:"
            f" {' and '.join(unknown)} could not be asked",
            hint="run `telcli numbers reconcile` again once "
            + " and ".join(unknown)
            + " answers (see `telcli providers status`)",
        )
    if settled:
        out.success(f"settled {len(settled)} ledger entr{'y' if len(settled) == 1 else 'ies'}")


@app.command("configure")
def numbers_configure(
    ctx: typer.Context,
    number: NumberArg,
    voice_url: Annotated[
        str | None, typer.Option(help="Twilio: URL called for incoming calls.")
    ] = None,
    sms_url: Annotated[
        str | None, typer.Option(help="Twilio: URL called for incoming SMS.")
    ] = None,
    status_callback: Annotated[
        str | None, typer.Option(help="Twilio: URL for call status callbacks.")
    ] = None,
    connection_id: Annotated[
        str | None,
        typer.Option(
            metavar="ID|NAME",
            help="Telnyx: voice connection (Call Control / TeXML app), by ID or exact name"
            " (`telcli telnyx connections`).",
        ),
    ] = None,
    messaging_profile_id: Annotated[
        str | None,
        typer.Option(
            metavar="ID|NAME",
            help="Telnyx: messaging profile, by ID or exact name"
            " (`telcli telnyx messaging-profiles`).",
        ),
    ] = None,
    friendly_name: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help="Twilio: FriendlyName. Telnyx: customer_reference, refused on a tenant's"
            " number (it records the tenant there).",
        ),
    ] = None,
    provider: ProviderOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Point an owned number at your webhooks (Twilio) or connection/profile (Telnyx).

    Example: telcli numbers configure +14155550123 --voice-url https://example.com/voice
    """
    from telcli.models import NumberConfig
    from telcli.phone import parse_e164
    from telcli.services import numbers as svc

    app_ctx: AppContext = ctx.obj
    config = NumberConfig(
        voice_url=_url(voice_url, "--voice-url"),
        sms_url=_url(sms_url, "--sms-url"),
        status_callback=_url(status_callback, "--status-callback"),
        connection_id=connection_id,
        messaging_profile_id=messaging_profile_id,
        friendly_name=friendly_name,
    )
    if config.is_empty():
        raise UsageProblem(
            "nothing to configure",
            hint="pass --voice-url, --sms-url, --status-callback, "
            "--connection-id, --messaging-profile-id or --friendly-name",
        )
    e164 = parse_e164(number)
    out = app_ctx.output(json=json_)
    carrier, owned = svc.locate(app_ctx.carriers(provider, notify=out.note), e164, notify=out.note)
    updated = svc.configure(
        carrier, owned, config, state=app_ctx.state, profile=app_ctx.ledger_profile
    )
    out.item(updated, _views().OWNED_NUMBERS)
    out.success(f"Configured {e164} at {updated.provider}")


@app.command("tag")
def numbers_tag(
    ctx: typer.Context,
    number: NumberArg,
    tenant: TenantOpt = None,
    name: Annotated[
        str | None,
        typer.Option("--name", help="Tenant's display name (Twilio: `ID · NAME`)."),
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Remove the tenant: the number becomes untagged.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Move a number that belongs to another tenant.")
    ] = False,
    provider: ProviderOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Record an owned number's tenant at its provider (--clear removes it).

    Example: telcli numbers tag +14155550123 --tenant acme-dental --name "Acme Dental"
    """
    from telcli.models import TenantTag
    from telcli.phone import parse_e164
    from telcli.services import numbers as svc

    app_ctx: AppContext = ctx.obj
    tenant = tenant_value(tenant)
    if (tenant is None) == (not clear):
        raise UsageProblem("pass --tenant ID or --clear (one of them)")
    if clear and name is not None:
        raise UsageProblem("--name goes with --tenant, not --clear")
    e164 = parse_e164(number)
    out = app_ctx.output(json=json_)
    carrier, owned = svc.locate(app_ctx.carriers(provider, notify=out.note), e164, notify=out.note)
    tag = TenantTag(tenant, name) if tenant else None
    updated = svc.set_tenant(
        carrier, owned, tag, move=force, state=app_ctx.state, profile=app_ctx.ledger_profile
    )
    out.item(updated, _views().OWNED_NUMBERS)
    if updated is owned:
        out.note(f"{e164} already {'has no tenant' if clear else f'belongs to {tenant}'}")
    else:
        out.success(
            f"{e164} at {updated.provider}: " + (f"tenant {tenant}" if tenant else "untagged")
        )


@app.command("pricing")
def numbers_pricing(
    ctx: typer.Context,
    country: CountryOpt = None,
    type_: Annotated[
        NumberType | None, typer.Option("--type", "-t", help="Only this number type.")
    ] = None,
    provider: ProviderOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Show monthly and upfront number prices per type, per provider, before buying.

    Example: telcli numbers pricing --country GB --type local --json
    """
    from telcli.services import pricing as svc

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output(json=json_)
    iso = (country or app_ctx.settings.default_country).upper()
    found = svc.prices(app_ctx.carriers(provider, notify=out.note), iso, type_, notify=out.note)
    out.rows(found, _views().PRICES, empty=f"no prices published for {iso}")


def _address_for(app_ctx: AppContext, carrier, offer, explicit, out, tenant=None):  # type: ignore[no-untyped-def]
    """The regulatory address for this purchase (services.addresses.pick); asks on a TTY."""
    from telcli.services import addresses as addr

    def choose(candidates):  # type: ignore[no-untyped-def]
        # What is being bought comes first: the choice is part of that purchase.
        price = _offer_detail(offer)["monthly"]
        out.note(
            f"{offer.phone_number} from {offer.provider} ({price} a month) needs a regulatory"
            f" address ({offer.address_requirement}); {len(candidates)} at {offer.provider} fit:"
        )
        for i, a in enumerate(candidates, 1):
            out.note(f"  {i}. {a.id}  {addr._label(a)}")
        while True:
            answer = ask(f"Address for {offer.phone_number} (1-{len(candidates)}): ")
            if answer.isdigit() and 1 <= int(answer) <= len(candidates):
                return candidates[int(answer) - 1].id
            if answer in {a.id for a in candidates}:
                return answer
            out.note(
                f"{answer!r} is not a number from 1 to {len(candidates)} or an address ID"
                " above; Ctrl-D to stop"
            )

    return addr.pick(
        carrier,
        offer,
        explicit=explicit,
        choose=choose if app_ctx.interactive else None,
        notify=out.note,
        tenant=tenant,
    )


def _remember(app_ctx: AppContext, numbers: list[Any], *, complete: set[str] | None = None) -> None:
    """Owned numbers just seen become TAB completions (storage/completion_cache.py)."""
    from telcli.services.completion import remember_numbers

    remember_numbers(app_ctx.completion, numbers, complete=sorted(complete or ()))


def _views():  # type: ignore[no-untyped-def]
    from telcli.output import views

    return views


def _offer_detail(offer) -> dict[str, object]:  # type: ignore[no-untyped-def]
    from telcli.output.views import money
    from telcli.phone import national_format

    return {
        "number": f"{offer.phone_number} ({national_format(offer.phone_number)})",
        "provider": offer.provider,
        "type": offer.number_type,
        "monthly": money(offer.monthly_price, offer.currency) or "unknown",
        "upfront": money(offer.upfront_price, offer.currency) or "none",
        "address": offer.address_requirement,
    }
