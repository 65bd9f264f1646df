"""sandbox faults set | list | clear"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from telcli.cli.base import TelcliTyper
from telcli.cli.options import JsonOpt
from telcli.context import AppContext
from telcli.errors import UsageProblem

app = TelcliTyper(
    help="Inject errors, latency, rate limits, timeouts and lost responses into the sandbox.",
    no_args_is_help=True,
)


class FaultProvider(StrEnum):
    twilio = "twilio"
    telnyx = "telnyx"


ProviderArg = Annotated[
    FaultProvider, typer.Argument(help="twilio or telnyx.", case_sensitive=False)
]


@app.command("set")
def faults_set(
    ctx: typer.Context,
    provider: ProviderArg,
    operation: Annotated[
        str | None,
        typer.Option(
            "--operation",
            "-o",
            help="Operation, e.g. purchase, search, list, release (default: every one).",
        ),
    ] = None,
    status: Annotated[
        int | None,
        typer.Option("--status", min=400, max=599, help="Answer with this HTTP error status."),
    ] = None,
    rate: Annotated[
        float, typer.Option("--rate", min=0.0, max=1.0, help="Share of requests affected (0-1).")
    ] = 1.0,
    latency: Annotated[
        int, typer.Option("--latency", min=0, metavar="MS", help="Delay before answering.")
    ] = 0,
    rate_limit: Annotated[
        str | None,
        typer.Option("--rate-limit", metavar="N/s", help="Allow N requests a second; then 429."),
    ] = None,
    timeout: Annotated[
        bool, typer.Option("--timeout", help="Never answer (the client times out).")
    ] = False,
    drop_response: Annotated[
        bool,
        typer.Option(
            "--drop-response", help="Do the operation, then cut the connection before answering."
        ),
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the --rate draws.")] = 0,
    json_: JsonOpt = False,
) -> None:
    """Add a fault to the sandbox (every later sandbox request sees it, in any process).

    Example: telcli sandbox faults set twilio --operation purchase --drop-response --rate 0.05
    """
    from telcli.sandbox.faults import FaultError, FaultRule, FaultStore, parse_rate_limit

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output(json=json_)
    try:
        rule = FaultRule(
            provider=str(provider),
            operation=operation,
            status=status,
            rate=rate,
            latency_ms=latency,
            rate_limit=parse_rate_limit(rate_limit) if rate_limit else None,
            timeout=timeout,
            drop_response=drop_response,
            seed=seed,
        )
    except FaultError as exc:
        raise UsageProblem(str(exc), hint="see `telcli sandbox faults set --help`") from None
    saved = FaultStore(app_ctx.sandbox_db_path).add(rule)
    out.item(saved, _columns())
    out.success(f"fault {saved.id} set: {saved.target} {saved.kind}")


@app.command("list")
def faults_list(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """List the faults set in the sandbox (and those from TELCLI_SANDBOX_FAULTS).

    Example: telcli sandbox faults list --json
    """
    app_ctx: AppContext = ctx.obj
    out = app_ctx.output(json=json_)
    rules = app_ctx.sandbox_faults().rules()
    out.rows(rules, _columns(), empty="no faults: the sandbox behaves")


@app.command("clear")
def faults_clear(
    ctx: typer.Context,
    provider: Annotated[
        FaultProvider | None,
        typer.Argument(help="Only this provider's faults (default: all).", case_sensitive=False),
    ] = None,
    id_: Annotated[int | None, typer.Option("--id", help="Only the fault with this id.")] = None,
    json_: JsonOpt = False,
) -> None:
    """Remove faults set with `faults set` (all, one provider's, or one by --id).

    Example: telcli sandbox faults clear twilio
    """
    from telcli.sandbox.faults import FaultStore

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output(json=json_)
    gone = FaultStore(app_ctx.sandbox_db_path).clear(
        provider=None if provider is None else str(provider), rule_id=id_
    )
    out.rows(gone, _columns())
    out.success(f"cleared {len(gone)} fault{'' if len(gone) == 1 else 's'}")


def _columns():  # type: ignore[no-untyped-def]
    from telcli.output.views import Column

    def pct(r) -> str:  # type: ignore[no-untyped-def]
        return f"{r.rate:g}"

    return (
        Column("ID", lambda r: r.id, justify="right"),
        Column("Operation", lambda r: r.target, "bold"),
        Column("Fault", lambda r: r.kind),
        Column("Rate", pct, justify="right"),
        Column("Latency", lambda r: f"{r.latency_ms} ms" if r.latency_ms else ""),
        Column("Rate limit", lambda r: f"{r.rate_limit:g}/s" if r.rate_limit else ""),
        Column("Seed", lambda r: r.seed, justify="right"),
    )
