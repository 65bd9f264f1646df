"""Import numbers into VAPI and assign its assistants (numbers by E.164, assistants by ID)."""

from __future__ import annotations

from typing import Annotated

import typer

from telcli.cli.base import TelcliTyper, confirm, require_complete
from telcli.cli.options import JsonOpt, NumberArg, ProviderOpt, TenantOpt, YesOpt, tenant_value
from telcli.context import AppContext
from telcli.errors import UsageProblem

app = TelcliTyper(
    help="Import numbers into VAPI and assign its assistants (numbers by E.164, assistants by ID).",
    no_args_is_help=True,
)

AssistantOpt = Annotated[
    str, typer.Option("--assistant", "-a", help="VAPI assistant ID or name (case does not matter).")
]


def _vapi(app_ctx: AppContext):  # type: ignore[no-untyped-def]
    return app_ctx.vapi()


def _owns(app_ctx: AppContext):  # type: ignore[no-untyped-def]
    """Does this profile own a number? None when that cannot be told (no carrier answers):
    hints then never suggest importing a number that may not be ours."""
    from telcli.errors import ProviderRejected, TelcliError
    from telcli.services import numbers as numbers_svc

    def owns(number: str) -> bool | None:
        try:
            numbers_svc.locate(app_ctx.carriers(None), number)
        except ProviderRejected:
            return False
        except TelcliError:
            return None
        return True

    return owns


def _views():  # type: ignore[no-untyped-def]
    from telcli.output import views

    return views


@app.command("import")
def vapi_import(
    ctx: typer.Context,
    number: NumberArg,
    assistant: AssistantOpt,
    name: Annotated[
        str | None, typer.Option("--name", help="Label in VAPI (at most 40 characters).")
    ] = None,
    server_url: Annotated[
        str | None, typer.Option("--server-url", help="URL VAPI sends this number's events to.")
    ] = None,
    provider: ProviderOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Import an owned number into VAPI with an assistant; re-running updates it.

    Example: telcli vapi import +14155550123 --assistant Receptionist --json
    """
    from telcli.phone import parse_e164
    from telcli.services import vapi as svc

    app_ctx: AppContext = ctx.obj
    e164 = parse_e164(number)
    if name is not None and len(name) > 40:
        raise UsageProblem(f"--name is {len(name)} characters; VAPI allows 40")
    if server_url is not None and not server_url.startswith(("https://", "http://")):
        raise UsageProblem(f"--server-url {server_url!r} is not an http(s) URL")
    out = app_ctx.output(json=json_)
    result = svc.import_number(
        _vapi(app_ctx),
        app_ctx.carriers(provider, notify=out.note),
        e164,
        assistant=assistant,
        carrier_credentials=lambda carrier: app_ctx.credentials(carrier).values,
        name=name,
        server_url=server_url,
        notify=out.note,
        state=app_ctx.state,
        profile=app_ctx.ledger_profile,
    )
    out.item(result, _views().VAPI_NUMBERS)
    verb = "Imported" if result.action == "created" else "Updated"
    out.success(f"{verb} {e164} in VAPI (assistant {result.assistant_name or result.assistant_id})")


@app.command("assign")
def vapi_assign(
    ctx: typer.Context, number: NumberArg, assistant: AssistantOpt, json_: JsonOpt = False
) -> None:
    """Point an imported number at a VAPI assistant.

    Example: telcli vapi assign +14155550123 --assistant "Appointment Setter"
    """
    from telcli.phone import parse_e164
    from telcli.services import vapi as svc

    app_ctx: AppContext = ctx.obj
    e164 = parse_e164(number)
    out = app_ctx.output(json=json_)
    updated = svc.assign(
        _vapi(app_ctx),
        e164,
        assistant,
        state=app_ctx.state,
        profile=app_ctx.ledger_profile,
        owns=_owns(app_ctx),
    )
    out.item(updated, _views().VAPI_NUMBERS)
    out.success(f"Assigned {updated.assistant_name or updated.assistant_id} to {e164}")


@app.command("unassign")
def vapi_unassign(ctx: typer.Context, number: NumberArg, json_: JsonOpt = False) -> None:
    """Detach the assistant from an imported number.

    Example: telcli vapi unassign +14155550123
    """
    from telcli.phone import parse_e164
    from telcli.services import vapi as svc

    app_ctx: AppContext = ctx.obj
    e164 = parse_e164(number)
    out = app_ctx.output(json=json_)
    updated = svc.unassign(
        _vapi(app_ctx),
        e164,
        state=app_ctx.state,
        profile=app_ctx.ledger_profile,
        owns=_owns(app_ctx),
    )
    out.item(updated, _views().VAPI_NUMBERS)
    out.success(f"{e164} has no assistant now")


@app.command("remove")
def vapi_remove(
    ctx: typer.Context, number: NumberArg, yes: YesOpt = False, json_: JsonOpt = False
) -> None:
    """Remove a number from VAPI (the carrier keeps it). Asks first; --yes without a TTY.

    Example: telcli vapi remove +14155550123 --yes
    """
    from telcli.phone import parse_e164
    from telcli.services import vapi as svc

    app_ctx: AppContext = ctx.obj
    e164 = parse_e164(number)
    out = app_ctx.output(json=json_)
    removed = svc.remove(
        _vapi(app_ctx),
        e164,
        confirm=lambda _n: confirm(
            app_ctx, f"Remove {e164} from VAPI? Its calls will no longer reach VAPI.", yes=yes
        ),
        state=app_ctx.state,
        profile=app_ctx.ledger_profile,
    )
    if removed is None:
        out.note(f"{e164} is not in VAPI: nothing to remove")
        return
    out.item(removed, _views().VAPI_NUMBERS)
    out.success(f"Removed {e164} from VAPI")


@app.command("numbers")
def vapi_numbers(ctx: typer.Context, tenant: TenantOpt = None, json_: JsonOpt = False) -> None:
    """List the phone numbers in VAPI with their assistants (--tenant: named for it).

    Example: telcli vapi numbers --tenant acme-dental --json
    """
    from telcli.services import vapi as svc

    app_ctx: AppContext = ctx.obj
    tenant = tenant_value(tenant)
    out = app_ctx.output(json=json_)
    found = svc.list_numbers(_vapi(app_ctx), tenant=tenant, notify=out.note)
    empty = (
        f"no numbers in VAPI are named for tenant {tenant}"
        if tenant
        else "no numbers in VAPI; add one with `telcli vapi import NUMBER --assistant ID`"
    )
    out.rows(found, _views().VAPI_NUMBERS, empty=empty)
    require_complete(found)


@app.command("assistants")
def vapi_assistants(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """List the VAPI assistants (ID and name).

    Example: telcli vapi assistants --json
    """
    from telcli.services import vapi as svc

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output(json=json_)
    from telcli.services.completion import assistant_words

    assistants = svc.list_assistants(_vapi(app_ctx))
    out.rows(assistants, _views().ASSISTANTS, empty="no assistants")
    app_ctx.completion.replace("assistants", assistant_words(assistants))
