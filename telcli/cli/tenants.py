"""Onboard tenants from a plan file: plan, apply, status, list, remove, add."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from telcli.cli.base import TelcliTyper, confirm, require_complete
from telcli.cli.options import DryRunOpt, JsonOpt, YesOpt
from telcli.context import AppContext
from telcli.enums import Capability, NumberType
from telcli.errors import ExitCode, PartialFailure, UsageProblem
from telcli.output.views import count

app = TelcliTyper(
    help="Onboard tenants from a plan file: plan, apply, status, list, remove, add.",
    no_args_is_help=True,
)

PlanArg = Annotated[
    Path, typer.Argument(help="Plan file (YAML or JSON; see README 'Tenant plans').")
]
TenantsOpt = Annotated[
    list[str] | None,
    typer.Option("--tenant", help="Only this tenant (repeat for several); default: all."),
]
ConcurrencyOpt = Annotated[
    int, typer.Option("--concurrency", min=1, max=32, help="Tenants converged at once.")
]
MaxSpendOpt = Annotated[
    str | None,
    typer.Option(
        "--max-spend",
        metavar="AMOUNT",
        help="Refuse to start when the planned monthly total (per currency) exceeds this.",
    ),
]
FailFastOpt = Annotated[
    bool, typer.Option("--fail-fast", help="Stop starting tenants after the first one fails.")
]


def _deps(app_ctx: AppContext, out: Any) -> Any:
    from telcli.services.tenants import Deps

    app_ctx.use_request_deadlines()
    vapi: list[Any] = []

    def get_vapi() -> Any:
        if not vapi:
            vapi.append(app_ctx.provider_with("vapi", app_ctx.credentials("vapi").values))
        return vapi[0]

    return Deps(
        carriers=app_ctx.carriers(None, notify=out.note),
        state=app_ctx.state,
        profile=app_ctx.ledger_profile,
        vapi=get_vapi,
        carrier_credentials=lambda name: app_ctx.credentials(name).values,
        notify=out.note,
        retry=app_ctx.retry_policy,
        settle=app_ctx.settle,
    )


def _specs(
    app_ctx: AppContext, path: Path, tenants: list[str] | None, *, lookups: bool = False
) -> Any:
    """The plan's tenants (those named by --tenant). ``lookups``: a refused plan's assistant
    and Telnyx names are looked up too, so their problems are listed with the others."""
    from telcli.errors import TelcliError
    from telcli.storage.plans import PlanError, load_plan

    try:
        plan = load_plan(path, default_providers=app_ctx.settings.providers)
    except PlanError as exc:
        if not (lookups and exc.lookups):
            raise
        from telcli.services.tenants import lookup_problems

        try:
            deps = _deps(app_ctx, app_ctx.output())
        except TelcliError:
            raise exc from None  # no provider to ask: the problems found stand alone
        raise exc.with_problems(lookup_problems(exc.lookups, deps)) from None
    return plan.select(tenants or [])


def _plan_json(plans: Any) -> dict[str, Any]:
    from telcli.services.tenants import totals

    return {
        "tenants": [p.to_json() for p in plans],
        "totals": [t.to_json() for t in totals(plans)],
    }


def _spend_lines(out: Any, plans: Any) -> None:
    from telcli.output.views import money
    from telcli.services.tenants import totals

    sums = totals(plans)
    if not sums:
        out.note("nothing to buy")
    for t in sums:
        out.note(
            f"to buy: {count(t.numbers, 'number')}, {money(t.monthly, t.currency)} a month,"
            f" {money(t.upfront, t.currency)} upfront"
        )


@app.command("plan")
def tenants_plan(
    ctx: typer.Context, plan_file: PlanArg, tenant: TenantsOpt = None, json_: JsonOpt = False
) -> None:
    """Show what apply would do per tenant, and what it costs; changes nothing anywhere.

    Example: telcli tenants plan tenants.yaml --json
    """
    from telcli.output.tenant_views import TENANT_PLANS
    from telcli.services import tenants as svc

    app_ctx: AppContext = ctx.obj
    specs = _specs(app_ctx, plan_file, tenant, lookups=True)
    out = app_ctx.output(json=json_)
    plans = svc.plan(specs, _deps(app_ctx, out))
    if out.json_mode:
        out.json(_plan_json(plans))
    else:
        out.rows(plans, TENANT_PLANS)
    _spend_lines(out, plans)
    pending = sum(not p.in_sync for p in plans)
    out.note(
        f"{pending} of {count(len(plans), 'tenant')} need changes" if pending else "all in sync"
    )


def _check_spend(plans: Any, max_spend: str | None) -> None:
    from decimal import Decimal, InvalidOperation

    from telcli.services.tenants import totals

    if max_spend is None:
        return
    try:
        limit = Decimal(max_spend)
    except InvalidOperation:
        raise UsageProblem(
            f"--max-spend {max_spend!r} is not an amount", hint="e.g. 50.00"
        ) from None
    over = [t for t in totals(plans) if t.monthly > limit]
    if over:
        raise UsageProblem(
            "refusing to start: the planned monthly total "
            + ", ".join(f"{t.monthly} {t.currency}" for t in over)
            + f" exceeds --max-spend {max_spend}",
            hint="raise --max-spend, lower max_monthly_price or numbers, or apply fewer tenants",
        )


def _apply(
    app_ctx: AppContext,
    specs: Any,
    *,
    concurrency: int,
    fail_fast: bool,
    max_spend: str | None,
    yes: bool,
    json_: bool,
) -> None:
    """plan -> confirm -> converge -> render; shared by `apply` and `add`."""
    from telcli.output.tenant_views import TENANT_RESULTS
    from telcli.services import tenants as svc

    out = app_ctx.output(json=json_)
    deps = _deps(app_ctx, out)
    for s in svc.settle(deps):
        out.note(f"settled an earlier {s.op} of {s.phone_number}: {s.status} ({s.note})")
    holdings = svc.discover(deps, vapi=any(s.assistant for s in specs))
    plans = svc.plan(specs, deps, holdings=holdings)
    tests = [d for s in specs if s.test for d in (s.test.sms_to, s.test.call_to) if d]
    if tests and not app_ctx.sandbox:
        from telcli.services.testing import check_allowlist

        check_allowlist(sorted(set(tests)), app_ctx.settings.allowed_destinations)
    _check_spend(plans, max_spend)
    buying = [p for p in plans if p.buy]
    if buying:
        for p in buying:
            for o in p.buy:
                out.note(
                    f"  {p.tenant}: {o.phone_number} at {o.provider}"
                    f" {o.monthly_price} {o.currency or ''}/month".rstrip()
                )
        _spend_lines(out, plans)
        confirm(app_ctx, f"Buy {count(sum(len(p.buy) for p in buying), 'number')}?", yes=yes)
    else:
        out.note("nothing to buy")
    from dataclasses import replace

    from telcli.interrupt import ctrl_c
    from telcli.services.testing import abandon_open_sends

    def stopping() -> None:
        out.note(
            "interrupted: starting no more tenants or steps; the steps under way finish"
            " (Ctrl-C again to exit at once)"
        )

    with (
        _progress(app_ctx, out, [p.tenant for p in plans]) as progress,
        ctrl_c(stopping, lambda: abandon_open_sends(app_ctx.state, ops=None)) as cancel,
    ):
        results = svc.apply(
            plans,
            replace(deps, cancel=cancel),
            concurrency=concurrency,
            fail_fast=fail_fast,
            progress=progress,
            mark=holdings.ledger_mark,
        )
    if out.json_mode:
        out.json([r.to_json() for r in results])
    else:
        out.rows(results, TENANT_RESULTS)
    if cancel:
        done = sum(1 for r in results if r.status == "done")
        out.note(
            f"interrupted: {done} of {count(len(results), 'tenant')} converged; run apply again to"
            " finish (it buys nothing twice)"
        )
        raise typer.Exit(int(ExitCode.INTERRUPTED))
    incomplete = [r for r in results if r.status != "done"]
    bought = sum(len(r.bought) for r in results)
    if incomplete:
        raise PartialFailure(
            f"{len(incomplete)} of {count(len(results), 'tenant')} not done: "
            + ", ".join(f"{r.tenant} ({r.status})" for r in incomplete[:5])
            + (" …" if len(incomplete) > 5 else ""),
            hint="see `telcli tenants status`; run apply again to resume (it buys nothing twice)",
        )
    out.success(f"{count(len(results), 'tenant')} converged; bought {count(bought, 'number')}")


class _Live:
    """The live progress table on stderr (a TTY): one row per tenant."""

    def __init__(self, tenants: list[str], color: bool) -> None:
        import threading

        from rich.console import Console
        from rich.live import Live

        self.rows: dict[str, tuple[str, str, str]] = {t: ("", "", "waiting") for t in tenants}
        self.lock = threading.Lock()
        self.live = Live(
            self._table(), console=Console(file=sys.stderr, no_color=not color), transient=False
        )

    def _table(self) -> Any:
        from rich.table import Table

        table = Table(box=None, header_style="bold")
        for header in ("Tenant", "Step", "Number", "Status"):
            table.add_column(header)
        for tenant, (step, number, status) in list(self.rows.items())[-40:]:
            table.add_row(tenant, step, number, status)
        return table

    def __call__(self, tenant: str, step: str, number: str, status: str) -> None:
        with self.lock:
            self.rows[tenant] = (step, number, status)
            self.live.update(self._table())


class _progress:
    def __init__(self, app_ctx: AppContext, out: Any, tenants: list[str]) -> None:
        from contextlib import nullcontext

        self.live = _Live(tenants, out.color) if app_ctx.stderr_isatty and tenants else None
        self.out = out
        # The live table replaces the network spinner (output/progress.py) while it runs:
        # both drawing on stderr would leave spinner lines through the table.
        spinner = app_ctx.spinner if self.live is not None else None
        self.quiet = spinner.quiet() if spinner is not None else nullcontext()

    def __enter__(self) -> Any:
        if self.live is None:

            def line(tenant: str, step: str, number: str, status: str) -> None:
                if step == "-":  # a tenant finished: one line each when not on a TTY
                    self.out.note(f"{tenant}: {status}")

            return line
        self.quiet.__enter__()
        self.live.live.start()
        return self.live

    def __exit__(self, *exc: Any) -> None:
        if self.live is not None:
            self.live.live.stop()
            self.quiet.__exit__(*exc)


@app.command("apply")
def tenants_apply(
    ctx: typer.Context,
    plan_file: PlanArg,
    tenant: TenantsOpt = None,
    concurrency: ConcurrencyOpt = 4,
    max_spend: MaxSpendOpt = None,
    fail_fast: FailFastOpt = False,
    yes: YesOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Converge every tenant to the plan: buy what is missing, wire it, import it into VAPI.

    Shows the spend and asks first (--yes without a TTY). Re-running buys nothing twice and
    resumes after a crash. Exit 0 when every tenant is done, 7 when any is not.

    Example: telcli tenants apply tenants.yaml --yes --json
    """
    app_ctx: AppContext = ctx.obj
    specs = _specs(app_ctx, plan_file, tenant, lookups=True)
    _apply(
        app_ctx,
        specs,
        concurrency=concurrency,
        fail_fast=fail_fast,
        max_spend=max_spend,
        yes=yes,
        json_=json_,
    )


@app.command("status")
def tenants_status(
    ctx: typer.Context,
    plan_file: Annotated[
        Path | None, typer.Argument(help="Plan file: its tenants, including never-applied ones.")
    ] = None,
    tenant: TenantsOpt = None,
    check: Annotated[
        bool, typer.Option("--check", help="Also ask the providers what is still to do.")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Show each tenant's steps (done, pending, failed with the error) from the journal.

    Exit 7 when a tenant is not done (or, with --check, not in sync).

    Example: telcli tenants status tenants.yaml --check
    """
    from telcli.output.tenant_views import TENANT_STATUS
    from telcli.services import tenants as svc

    app_ctx: AppContext = ctx.obj
    if check and plan_file is None:
        raise UsageProblem(
            "--check needs the plan file", hint="`telcli tenants status PLAN --check`"
        )
    specs = _specs(app_ctx, plan_file, tenant) if plan_file else None
    ids = [s.id for s in specs] if specs is not None else (tenant or None)
    out = app_ctx.output(json=json_)
    found = svc.journal(app_ctx.state, app_ctx.ledger_profile, ids)
    if check and specs:
        plans = {p.tenant: p for p in svc.plan(specs, _deps(app_ctx, out))}
        for s in found:
            s.check = plans[s.tenant].summary()
    out.rows(found, TENANT_STATUS, empty="no tenant has been applied yet")
    behind = [s.tenant for s in found if s.status != "done" or (check and s.check != "in sync")]
    if behind:
        raise PartialFailure(
            f"{count(len(behind), 'tenant')} not done: {', '.join(behind[:5])}",
            hint=f"run `telcli tenants apply {shlex.quote(str(plan_file or 'PLAN'))}`"
            " to converge them",
        )


@app.command("list")
def tenants_list(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """List every tenant the providers (and the journal) know: numbers, VAPI, monthly cost.

    Example: telcli tenants list --json
    """
    from telcli.output.tenant_views import TENANT_SUMMARIES
    from telcli.services import tenants as svc

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output(json=json_)
    found = svc.summaries(_deps(app_ctx, out))
    out.rows(found, TENANT_SUMMARIES, empty="no tenants: no number carries a tenant tag")
    require_complete(found)


@app.command("remove")
def tenants_remove(
    ctx: typer.Context,
    tenant_id: Annotated[str, typer.Argument(metavar="ID", help="The tenant to offboard.")],
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Offboard a tenant: remove its numbers from VAPI and release them at the carrier.

    Touches only numbers tagged with this tenant at their provider; shows exactly which and
    asks first (--yes without a TTY).

    Example: telcli tenants remove acme-dental --dry-run
    """
    from telcli.output.tenant_views import REMOVAL
    from telcli.services import tenants as svc
    from telcli.tenancy import check_tenant_id

    app_ctx: AppContext = ctx.obj
    check_tenant_id(tenant_id, what="tenant")
    out = app_ctx.output(json=json_)
    deps = _deps(app_ctx, out)
    found = svc.removal(deps, tenant_id)
    for name, why in found.unreachable.items():
        out.warn(f"{name} could not be asked ({why}): its numbers for {tenant_id} are not listed")
    rows = found.to_json()["numbers"]

    def show() -> None:  # the same object with --json whatever happened
        out.json(found.to_json()) if out.json_mode else out.rows(rows, REMOVAL)

    if not found.numbers:
        show()
        out.note(f"{tenant_id} holds no numbers; nothing to remove")
        if found.unreachable:
            raise PartialFailure(f"cannot tell whether {tenant_id} holds numbers")
        return
    if dry_run:
        show()
        out.note(
            f"dry run: would remove {count(len(found.numbers), 'number')}; nothing was changed"
        )
        return
    for n in rows:
        vapi = f", VAPI {n['vapi_id']}" if n["vapi_id"] else ""
        out.note(f"  {n['phone_number']} at {n['provider']} (id {n['id']}{vapi})")
    confirm(
        app_ctx,
        f"Release {'this' if len(rows) == 1 else 'these'} {count(len(rows), 'number')}"
        f" of {tenant_id}? They may not be recoverable.",
        yes=yes,
    )
    try:
        done = svc.remove(found, deps)
    finally:
        show()
    out.success(f"removed {tenant_id}: released {count(len(done.numbers), 'number')}")


@app.command("add")
def tenants_add(
    ctx: typer.Context,
    tenant_id: Annotated[str, typer.Argument(metavar="ID", help="Tenant id, e.g. acme-dental.")],
    name: Annotated[str | None, typer.Option("--name", help="Display name (VAPI name).")] = None,
    country: Annotated[str, typer.Option("--country", "-c", help="ISO country code.")] = "US",
    type_: Annotated[
        NumberType, typer.Option("--type", "-t", help="local, mobile or toll-free.")
    ] = NumberType.local,
    capability: Annotated[
        list[Capability] | None, typer.Option("--capability", help="Required; repeatable.")
    ] = None,
    area_code: Annotated[
        str | None, typer.Option("--area-code", "-a", help="Area code of its numbers.")
    ] = None,
    contains: Annotated[
        str | None, typer.Option("--contains", help="Digits its numbers contain.")
    ] = None,
    locality: Annotated[str | None, typer.Option("--locality", help="City of its numbers.")] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="State or region of its numbers.")
    ] = None,
    numbers: Annotated[
        int, typer.Option("--numbers", min=1, max=100, help="How many numbers it holds.")
    ] = 1,
    provider: Annotated[
        list[str] | None, typer.Option("--provider", "-p", help="Preference order; repeatable.")
    ] = None,
    max_monthly_price: Annotated[
        str | None,
        typer.Option(
            "--max-monthly-price", metavar="AMOUNT", help="Most a number may cost a month."
        ),
    ] = None,
    assistant: Annotated[
        str | None,
        typer.Option("--assistant", help="VAPI assistant ID or name (case does not matter)."),
    ] = None,
    webhook_voice_url: Annotated[
        str | None,
        typer.Option("--webhook-voice-url", metavar="URL", help="Twilio: voice webhook."),
    ] = None,
    webhook_sms_url: Annotated[
        str | None, typer.Option("--webhook-sms-url", metavar="URL", help="Twilio: SMS webhook.")
    ] = None,
    webhook_status_callback: Annotated[
        str | None,
        typer.Option(
            "--webhook-status-callback", metavar="URL", help="Twilio: status callback URL."
        ),
    ] = None,
    telnyx_connection: Annotated[
        str | None,
        typer.Option("--telnyx-connection", metavar="ID", help="Telnyx: voice connection."),
    ] = None,
    telnyx_messaging_profile: Annotated[
        str | None,
        typer.Option("--telnyx-messaging-profile", metavar="ID", help="Telnyx: messaging profile."),
    ] = None,
    address_file: Annotated[
        Path | None, typer.Option("--address-file", help="YAML address (as `addresses create`).")
    ] = None,
    test_sms_to: Annotated[
        str | None,
        typer.Option("--test-sms-to", metavar="NUMBER", help="Prove SMS by texting this number."),
    ] = None,
    test_call_to: Annotated[
        str | None,
        typer.Option(
            "--test-call-to", metavar="NUMBER", help="Prove voice by calling this number."
        ),
    ] = None,
    max_spend: MaxSpendOpt = None,
    yes: YesOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Onboard one tenant from flags (the plan's keys), with apply's guarantees.

    Example: telcli tenants add acme-dental --name "Acme Dental" --area-code 415 --yes
    """
    from telcli.storage.plans import PlanError, flags_problem, tenant_from_flags

    app_ctx: AppContext = ctx.obj
    address = None
    if address_file is not None:
        from telcli.services.addresses import load_file

        address = load_file(address_file)
    values: dict[str, Any] = {
        "id": tenant_id,
        "name": name,
        "country": country,
        "type": str(type_),
        "capabilities": [str(c) for c in capability] if capability else None,
        "area_code": area_code,
        "contains": contains,
        "locality": locality,
        "region": region,
        "numbers": numbers,
        "providers": provider,
        "max_monthly_price": max_monthly_price,
        "address": address,
        "webhooks": _some(
            voice_url=webhook_voice_url,
            sms_url=webhook_sms_url,
            status_callback=webhook_status_callback,
        ),
        "telnyx": _some(connection=telnyx_connection, messaging_profile=telnyx_messaging_profile),
        "vapi": {"assistant": assistant} if assistant else None,
        "test": _some(sms_to=test_sms_to, call_to=test_call_to),
    }
    spec = tenant_from_flags(values, default_providers=app_ctx.settings.providers)
    try:
        _apply(
            app_ctx,
            [spec],
            concurrency=1,
            fail_fast=False,
            max_spend=max_spend,
            yes=yes,
            json_=json_,
        )
    except PlanError as exc:  # an assistant or Telnyx name that matches nothing: a bad flag
        raise flags_problem(exc) from None


def _some(**values: str | None) -> dict[str, str] | None:
    kept = {k: v for k, v in values.items() if v is not None}
    return kept or None
