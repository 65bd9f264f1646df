"""providers status | reset"""

from __future__ import annotations

from typing import Annotated

import typer

from telcli.cli.base import TelcliTyper
from telcli.cli.options import JsonOpt
from telcli.context import AppContext
from telcli.enums import CARRIERS, ProviderChoice

app = TelcliTyper(
    help="Provider health: credentials, circuit breakers, latency, pacing.", no_args_is_help=True
)


def _providers(app_ctx: AppContext) -> list[str]:
    """The profile's providers in failover order, then any other carrier, then VAPI (paced
    like the carriers, but never failed over: no breaker)."""
    configured = list(app_ctx.settings.providers)
    return configured + [str(c) for c in CARRIERS if str(c) not in configured] + ["vapi"]


@app.command("status")
def providers_status(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Show each provider's credentials, circuit breaker, last error, latency and pacing.

    Pacing: the account's current request rate, its ceiling (`rate_limits`), the 429s of
    the last hour and a pause in force after one. VAPI has a pacing row only: it is never
    failed over, so it has no breaker.

    Never calls a provider: it reports what recent commands saw.

    Example: telcli providers status --json
    """
    from telcli.services import auth
    from telcli.services import providers as svc

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output(json=json_)
    names = _providers(app_ctx)
    creds = auth.status(names, profile=app_ctx.profile_name, lookup=app_ctx.credentials)
    rows = svc.status(
        names,
        profile=app_ctx.ledger_profile,
        sources={str(c.provider): c.source for c in creds},
        breakers=app_ctx.breakers,
        ratelimits=app_ctx.ratelimits,
        ceilings=app_ctx.rate_ceilings,
        unbroken=("vapi",),
    )
    out.rows(rows, _views().PROVIDER_STATUS)


@app.command("reset")
def providers_reset(
    ctx: typer.Context,
    provider: Annotated[
        ProviderChoice | None,
        typer.Argument(help="twilio, telnyx or all (the default).", case_sensitive=False),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Close circuit breakers, so the next command calls the provider again at once.

    Example: telcli providers reset twilio
    """
    from telcli.services import providers as svc

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output(json=json_)
    name = None if provider in (None, ProviderChoice.all) else str(provider)
    closed = svc.reset(app_ctx.breakers, name)
    if out.json_mode:
        out.json({"profile": app_ctx.ledger_profile, "reset": closed})
    if closed:
        out.success("closed the circuit breaker of " + " and ".join(closed))
    else:
        out.note(f"{name or 'every'} circuit breaker was already closed")


def _views():  # type: ignore[no-untyped-def]
    from telcli.output import views

    return views
