"""Telnyx connections and messaging profiles: what `numbers configure` points a number at."""

from __future__ import annotations

import typer

from telcli.cli.base import TelcliTyper
from telcli.cli.options import JsonOpt
from telcli.context import AppContext

app = TelcliTyper(
    help="Telnyx connections and messaging profiles: what `numbers configure` points a number at.",
    no_args_is_help=True,
)


def _list(ctx: typer.Context, kind: str, json_: bool) -> None:
    from telcli.output.views import PROVIDER_RESOURCES
    from telcli.services import telnyx_resources as svc

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output(json=json_)
    (carrier,) = app_ctx.carriers("telnyx", notify=out.note)
    found = svc.list_resources(carrier, kind)  # type: ignore[arg-type]
    out.rows(found, PROVIDER_RESOURCES, empty=f"no {kind.replace('_', ' ')}s")


@app.command("connections")
def telnyx_connections(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """List the Telnyx connections (Call Control / TeXML apps, SIP) with their IDs.

    Example: telcli telnyx connections --json
    """
    _list(ctx, "connection", json_)


@app.command("messaging-profiles")
def telnyx_messaging_profiles(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """List the Telnyx messaging profiles with their IDs.

    Example: telcli telnyx messaging-profiles --json
    """
    _list(ctx, "messaging_profile", json_)
