"""Report drift between the carriers and VAPI, each finding with the command that fixes it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from telcli.cli.base import TelcliTyper, require_complete
from telcli.cli.options import JsonOpt, ProviderOpt, TenantOpt, tenant_value
from telcli.context import AppContext
from telcli.errors import ExitCode
from telcli.output.views import count

app = TelcliTyper(
    help="Report drift between the carriers and VAPI, each finding with the command that fixes it."
)


@app.command("audit")
def audit(
    ctx: typer.Context,
    provider: ProviderOpt = None,
    tenant: TenantOpt = None,
    plan: Annotated[
        Path | None,
        typer.Option(
            "--plan",
            help="Tenant plan: numbers of its `vapi: false` tenants are not 'not in VAPI' drift.",
        ),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Report drift between the carriers and VAPI; exit 7 when there is any.

    Finds: owned but not in VAPI; in VAPI without an assistant; in VAPI but not owned any more;
    owned with no voice/SMS webhook; a tenant the carrier and VAPI disagree on. Each row names
    the command that fixes it. --tenant audits one tenant's numbers.

    Example: telcli audit --tenant acme-dental --json
    """
    from telcli.output.views import DRIFT
    from telcli.services import audit as svc

    app_ctx: AppContext = ctx.obj
    tenant = tenant_value(tenant)
    out = app_ctx.output(json=json_)
    vapi = app_ctx.provider_with("vapi", app_ctx.credentials("vapi").values)
    without_vapi: set[str] = set()
    if plan is not None:
        from telcli.storage.plans import load_plan

        tenants = load_plan(plan, default_providers=app_ctx.settings.providers).tenants
        without_vapi = {t.id for t in tenants if t.assistant is None}
    carriers = app_ctx.carriers(provider, notify=out.note)
    found = svc.audit(
        carriers,
        vapi,
        tenant=tenant,
        telcli=app_ctx.command_prefix,
        notify=out.note,
        without_vapi=without_vapi,
    )
    out.rows(found, DRIFT)
    require_complete(found)
    if found:
        numbers = len({d.phone_number for d in found})
        out.note(f"{count(len(found), 'drift finding')} on {count(numbers, 'number')}")
        raise typer.Exit(int(ExitCode.INCOMPLETE))
    out.note("no drift: every number is owned, imported into VAPI and has an assistant")
