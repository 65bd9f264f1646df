"""auth login | status | logout"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from telcli.cli.base import TelcliTyper, ask
from telcli.cli.options import JsonOpt
from telcli.context import AppContext
from telcli.errors import UsageProblem

app = TelcliTyper(
    help="Store, check and remove provider credentials (keyring).", no_args_is_help=True
)


class AuthProvider(StrEnum):
    twilio = "twilio"
    telnyx = "telnyx"
    vapi = "vapi"


ProviderArg = Annotated[
    AuthProvider, typer.Argument(help="twilio, telnyx or vapi.", case_sensitive=False)
]


@app.command("login")
def auth_login(
    ctx: typer.Context,
    provider: ProviderArg,
    account_sid: Annotated[
        str | None, typer.Option(help="Twilio account SID (AC…); prompted when omitted.")
    ] = None,
    api_key: Annotated[
        bool, typer.Option("--api-key", help="Twilio: log in with an API key (SK…) and secret.")
    ] = False,
) -> None:
    """Prompt for credentials (hidden input), verify them with one API call, then save them.

    Example: telcli auth login telnyx
    """
    from telcli.services import auth as svc
    from telcli.storage.credentials import env_hint

    app_ctx: AppContext = ctx.obj
    name = str(provider)
    if app_ctx.sandbox:
        raise UsageProblem("the sandbox needs no credentials", hint="drop --sandbox to log in")
    if not app_ctx.interactive:
        raise UsageProblem(
            f"cannot prompt for {name} credentials: stdin is not a terminal",
            hint=f"set {env_hint(name)} in the environment instead",
        )
    values = _prompt(name, account_sid=account_sid, api_key=api_key)
    out = app_ctx.output()
    description = svc.login(
        name,
        values,
        profile=app_ctx.profile_name,
        store=app_ctx.store,
        verify=lambda v: app_ctx.provider_with(name, v).verify(),
    )
    out.success(
        f"{name} credentials verified ({description}) and saved to the keyring"
        f" for profile {app_ctx.profile_name!r}"
    )


def _prompt(name: str, *, account_sid: str | None, api_key: bool) -> dict[str, str]:
    if name != "twilio":
        return {"api_key": typer.prompt(f"{name} API key", hide_input=True, err=True).strip()}
    sid = (account_sid or ask("Twilio account SID (AC…): ")).strip()
    if not (sid.startswith("AC") and len(sid) == 34):
        raise UsageProblem(
            f"{sid[:6]}… is not a Twilio account SID",
            hint="it starts with AC and has 34 characters",
        )
    if api_key:
        key = ask("Twilio API key SID (SK…): ")
        secret = typer.prompt("Twilio API key secret", hide_input=True, err=True).strip()
        return {"account_sid": sid, "api_key": key, "api_secret": secret}
    token = typer.prompt("Twilio auth token", hide_input=True, err=True).strip()
    return {"account_sid": sid, "auth_token": token}


@app.command("status")
def auth_status(
    ctx: typer.Context,
    offline: Annotated[
        bool, typer.Option("--offline", help="Do not call the providers to verify.")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Show where each provider's credentials come from, and whether they work.

    Example: telcli auth status --json
    """
    from telcli.output.views import CREDENTIALS
    from telcli.services import auth as svc

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output(json=json_)
    rows = svc.status(
        [str(p) for p in AuthProvider],
        profile=app_ctx.profile_name,
        lookup=app_ctx.credentials,
        verify=None
        if offline
        else (lambda name: app_ctx.provider_with(name, app_ctx.credentials(name).values).verify()),
    )
    out.rows(rows, CREDENTIALS)


@app.command("logout")
def auth_logout(ctx: typer.Context, provider: ProviderArg) -> None:
    """Remove stored credentials for a provider (succeeds when none are stored).

    Example: telcli auth logout twilio
    """
    from telcli.services import auth as svc

    app_ctx: AppContext = ctx.obj
    removed = svc.logout(str(provider), profile=app_ctx.profile_name, store=app_ctx.store)
    out = app_ctx.output()
    if removed:
        out.success(f"removed {provider} credentials for profile {app_ctx.profile_name!r}")
    else:
        out.note(f"no {provider} credentials were stored for profile {app_ctx.profile_name!r}")
