"""Show the operations ledger as an audit trail: who did what, when, at what cost, with ids."""

from __future__ import annotations

from typing import Annotated

import typer

from telcli.cli.base import TelcliTyper
from telcli.cli.options import MAX_LIMIT, JsonOpt
from telcli.context import AppContext
from telcli.enums import ListFormat, ProviderName
from telcli.errors import UsageProblem

app = TelcliTyper(
    help="Show the operations ledger as an audit trail: who did what, when, at what cost, with ids."
)

DEFAULT_LIMIT = 100


@app.command("history")
def history(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option(help="Only operations since a span (24h, 7d, 2w) or a UTC date/time."),
    ] = None,
    action: Annotated[
        str | None,
        typer.Option(
            help="Only this action (buy, release, configure, sms, call, address.create…);"
            " a family name such as vapi matches vapi.*."
        ),
    ] = None,
    number: Annotated[
        str | None,
        typer.Option(help="Only operations on this number (E.164) or provider id."),
    ] = None,
    provider: Annotated[
        ProviderName | None,
        typer.Option("--provider", "-p", help="Only this provider.", case_sensitive=False),
    ] = None,
    tenant: Annotated[str | None, typer.Option(help="Only operations for this tenant.")] = None,
    limit: Annotated[
        int,
        typer.Option(
            min=0,
            max=MAX_LIMIT,
            help=f"Newest N operations (default {DEFAULT_LIMIT}); 0 for all.",
        ),
    ] = DEFAULT_LIMIT,
    format_: Annotated[
        ListFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="table (TTY default), tsv (piped default), json, ndjson or csv.",
            case_sensitive=False,
        ),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Show recent money- and people-touching operations, newest first.

    Each row: time (UTC), action, target, provider, profile, masked account, outcome (done,
    failed, unknown, or "unknown → reconciled as …"), price, the provider's request id,
    telcli's operation id, OS user and host. Secrets are never recorded.

    Example: telcli history --since 7d --action buy --format csv > purchases.csv
    """
    from itertools import islice

    from telcli.services import history as svc

    app_ctx: AppContext = ctx.obj
    if json_ and format_ not in (None, ListFormat.json):
        raise UsageProblem(f"--json and --format {format_} conflict", hint="pass one of them")
    query = svc.HistoryQuery(
        since=svc.parse_since(since) if since else None,
        action=action,
        target=_target(number),
        provider=str(provider) if provider else None,
        tenant=tenant,
        limit=limit + 1 if limit else None,  # one more tells whether older ones were left out
    )
    out = app_ctx.output(json=json_)
    found = svc.entries(app_ctx.state, query)
    shown = out.stream(
        islice(found, limit or None),
        _columns(),
        fmt=str(format_) if format_ else None,
        empty="no operations recorded" + (" that match" if _filtered(query) else ""),
    )
    if limit and shown == limit and next(found, None) is not None:
        out.note(f"showing the newest {limit}; --limit 0 shows all (or narrow with --since)")


def _target(number: str | None) -> str | None:
    """An E.164 number, normalised; anything with letters is a provider id, kept as given."""
    if not number or any(ch.isalpha() for ch in number):
        return number
    from telcli.phone import parse_e164

    return parse_e164(number)


def _filtered(query: object) -> bool:
    return any(getattr(query, k) for k in ("since", "action", "target", "provider", "tenant"))


def _columns():  # type: ignore[no-untyped-def]
    from telcli.output.views import HISTORY

    return HISTORY
