"""test sms | call: place a real test and wait for its outcome"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from telcli.cli.base import TelcliTyper, confirm
from telcli.cli.options import (
    JsonOpt,
    ProviderOpt,
    TenantOpt,
    YesOpt,
    check_seconds,
    tenant_value,
)
from telcli.context import AppContext
from telcli.enums import CallExpect, SmsExpect
from telcli.errors import UsageProblem
from telcli.output.views import count

app = TelcliTyper(
    help="Send test SMS and place test calls, wait for the real outcome, exit non-zero when it"
    " is wrong.\n\nExit codes: 0 the final status matches --expect; 5 it ended otherwise"
    " (undelivered, failed, busy...); 7 still unknown at --timeout; 6 unreachable; 2 usage.",
    no_args_is_help=True,
)

ToOpt = Annotated[
    list[str],
    typer.Option("--to", help="Destination in E.164; repeat for several (run concurrently)."),
]
WaitOpt = Annotated[
    bool,
    typer.Option(
        "--wait/--no-wait",
        help="Follow to a final status and check --expect (the default, TTY or not), or"
        " return once the carrier accepted.",
        show_default=False,
    ),
]
WaitTimeoutOpt = Annotated[
    float,
    typer.Option(
        "--timeout",
        callback=check_seconds(minimum=1),
        metavar="SECONDS",
        help="How long to follow before exit 7 (the global --timeout, before the command,"
        " bounds network time).",
    ),
]
ForceOpt = Annotated[
    bool,
    typer.Option("--force", help="Reach destinations outside test.allowed_destinations."),
]
CallbackOpt = Annotated[
    str | None,
    typer.Option("--callback-url", help="Also have the carrier POST signed status callbacks here."),
]
MetaOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--meta",
        metavar="KEY=VALUE",
        help="Metadata that comes back with the test's callbacks (the callback URL's query;"
        " Telnyx calls: client_state), shown as meta by webhook list/show/outcomes. Repeatable.",
    ),
]


@app.command("sms")
def test_sms(
    ctx: typer.Context,
    to: ToOpt,
    body: Annotated[str, typer.Option("--body", "-b", help="Message text.")],
    from_: Annotated[
        str | None, typer.Option("--from", help="Sender: an owned number (E.164).")
    ] = None,
    from_owned: Annotated[
        bool,
        typer.Option(
            "--from-owned",
            help="Send from the first SMS-capable owned number (untagged, or --tenant's).",
        ),
    ] = False,
    media: Annotated[
        list[str] | None, typer.Option("--media", help="Media URL (MMS); repeat for several.")
    ] = None,
    wait: WaitOpt = True,
    timeout: WaitTimeoutOpt = 120.0,
    expect: Annotated[
        SmsExpect, typer.Option("--expect", help="The final status that passes.")
    ] = SmsExpect.delivered,
    callback_url: CallbackOpt = None,
    meta: MetaOpt = None,
    provider: ProviderOpt = None,
    tenant: TenantOpt = None,
    force: ForceOpt = False,
    yes: YesOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Send a test SMS and wait for delivery (shows encoding, segments and cost first).

    Example: telcli --sandbox test sms --to +15005550003 --from-owned --body "hi" --yes --json
    """
    from telcli.services import testing as svc

    app_ctx: AppContext = ctx.obj
    follow = _wait(ctx, wait)
    if from_ and from_owned:
        raise UsageProblem("--from and --from-owned exclude each other")
    if not body and not media:
        raise UsageProblem("the message is empty", hint="pass --body TEXT and/or --media URL")
    pairs = _meta(meta)
    if pairs and not callback_url:
        raise UsageProblem(
            "--meta travels in the status callbacks: add --callback-url URL",
            hint="e.g. --callback-url http://127.0.0.1:8787/sms with `telcli webhook listen`",
        )
    out = app_ctx.output(json=json_)
    dests, sender_number = _destinations(app_ctx, to, from_, force)
    senders = svc.pick_senders(
        app_ctx.carriers(provider, notify=out.note),
        sender_number,
        capability="mms" if media else "sms",
        explicit_provider=provider not in (None, "all"),
        to=dests,
        notify=out.note,
        tenant=tenant_value(tenant),
    )
    quote = svc.quote_sms(senders[0], dests, body)
    info, cost, currency = quote.segments, quote.cost, quote.currency
    out.detail(
        {
            "to": ", ".join(dests),
            "from": _from_line(senders),
            "encoding": f"{info.encoding}, {count(info.segments, 'segment')}"
            + f" ({count(info.characters, 'character')})"
            + (f"; forced by {''.join(info.non_gsm)}" if info.non_gsm else ""),
            "estimated cost": f"{cost} {currency}" if cost is not None else "unknown",
            "charged to": _account(app_ctx, senders[0].name),
        }
    )
    confirm(app_ctx, f"Send {len(dests)} test SMS from {senders[0].from_}?", yes=yes)
    test = svc.SmsTest(
        body=body,
        media=tuple(media or ()),
        callback_url=svc.with_meta(_url(callback_url), pairs),
        expect=str(expect),
        wait=follow,
        timeout=timeout,
    )
    state = svc.ThreadSafeState(app_ctx.state)
    with (
        _progress(app_ctx, out, dests) as update,
        _interruptible(app_ctx, out, "sms") as (cancel, seen),
    ):
        outcomes = svc.run_all(
            dests,
            lambda d: svc.run_sms(
                senders,
                d,
                test,
                state=state,
                profile=app_ctx.ledger_profile,
                clock=svc.Clock(app_ctx.monotonic, app_ctx.sleep),
                settle=app_ctx.settle,
                notify=out.note,
                update=seen(update),
                cancel=cancel,
            ),
        )
    _finish(out, outcomes, _columns("sms"))


@app.command("call")
def test_call(
    ctx: typer.Context,
    to: ToOpt,
    from_: Annotated[
        str | None,
        typer.Option("--from", help="Caller ID: an owned number (default: the first one)."),
    ] = None,
    say: Annotated[
        str | None, typer.Option("--say", help="Twilio: text spoken when answered.")
    ] = None,
    twiml: Annotated[
        Path | None,
        typer.Option("--twiml", exists=True, dir_okay=False, help="Twilio: a TwiML file to run."),
    ] = None,
    url: Annotated[
        str | None, typer.Option("--url", help="Twilio: a URL that answers with TwiML.")
    ] = None,
    assistant: Annotated[
        str | None,
        typer.Option(
            "--assistant",
            help="Place the call through VAPI with this assistant ID (--from: an imported number).",
        ),
    ] = None,
    wait: WaitOpt = True,
    timeout: WaitTimeoutOpt = 120.0,
    expect: Annotated[
        CallExpect,
        typer.Option("--expect", help="The final status (the carrier's word) that passes."),
    ] = CallExpect.completed,
    expect_class: Annotated[
        CallExpect | None,
        typer.Option(
            "--expect-class",
            help="The outcome class that passes, as webhook outcomes classifies: an answered"
            " call under 10 s is no-answer, under 3 s failed (config outcomes:). Without"
            " --expect, the carrier's status is then not compared.",
        ),
    ] = None,
    min_duration: Annotated[
        int,
        typer.Option("--min-duration", min=0, help="Seconds a completed call must last."),
    ] = 0,
    connection_id: Annotated[
        str | None,
        typer.Option("--connection-id", help="Telnyx: Call Control connection to dial from."),
    ] = None,
    callback_url: CallbackOpt = None,
    meta: MetaOpt = None,
    provider: ProviderOpt = None,
    tenant: TenantOpt = None,
    force: ForceOpt = False,
    yes: YesOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Place a test call and classify how it ended (completed, busy, no-answer, failed...).

    Example: telcli --sandbox test call --to +15005550003 --expect busy --yes --json
    """
    from telcli.services import testing as svc

    app_ctx: AppContext = ctx.obj
    follow = _wait(ctx, wait)
    content = [
        flag
        for flag, v in (
            ("--say", say),
            ("--twiml", twiml),
            ("--url", url),
            ("--assistant", assistant),
        )
        if v
    ]
    if len(content) > 1:
        raise UsageProblem(f"{' and '.join(content)} exclude each other")
    if assistant and (provider or connection_id):
        raise UsageProblem("--assistant calls go out through VAPI: drop --provider/--connection-id")
    script = _twiml(say, twiml)  # read before anything reaches a provider
    pairs = _meta(meta)
    out = app_ctx.output(json=json_)
    if pairs and not callback_url:
        out.warn("--meta without --callback-url reaches only Telnyx calls (client_state)")
    status_too = expect_class is None or _given(ctx, "expect")
    dests, caller = _destinations(app_ctx, to, from_, force)
    if assistant:
        senders = [
            svc.assistant_sender(app_ctx.vapi(), assistant, caller, tenant=tenant_value(tenant))
        ]
    else:
        senders = svc.pick_senders(
            app_ctx.carriers(provider, notify=out.note),
            caller,
            capability="voice",
            explicit_provider=provider not in (None, "all"),
            to=dests,
            notify=out.note,
            tenant=tenant_value(tenant),
        )
    out.detail(
        {
            "to": ", ".join(dests),
            "from": _from_line(senders),
            "expect": _expect_line(expect if status_too else None, min_duration, expect_class),
            "estimated cost": _call_cost(
                svc.quote_call(senders[0], dests, svc.CallTest().time_limit)
            ),
            "charged to": _account(app_ctx, senders[0].name),
        }
    )
    confirm(app_ctx, f"Place {count(len(dests), 'test call')} from {senders[0].from_}?", yes=yes)
    test = svc.CallTest(
        twiml=script,
        url=_url(url),
        callback_url=svc.with_meta(_url(callback_url), pairs),
        expect=str(expect) if status_too else None,
        expect_class=str(expect_class) if expect_class else None,
        thresholds=_thresholds(app_ctx),
        meta=pairs,
        wait=follow,
        timeout=timeout,
        min_duration=min_duration,
        connection_id=connection_id,
        assistant_id=assistant,
    )
    state = svc.ThreadSafeState(app_ctx.state)
    with (
        _progress(app_ctx, out, dests) as update,
        _interruptible(app_ctx, out, "call") as (cancel, seen),
    ):
        outcomes = svc.run_all(
            dests,
            lambda d: svc.run_call(
                senders,
                d,
                test,
                state=state,
                profile=app_ctx.ledger_profile,
                clock=svc.Clock(app_ctx.monotonic, app_ctx.sleep),
                settle=app_ctx.settle,
                notify=out.note,
                update=seen(update),
                cancel=cancel,
            ),
        )
    _finish(out, outcomes, _columns("call"))


# -- helpers ----------------------------------------------------------------------------------


def _meta(items: list[str] | None) -> tuple[tuple[str, str], ...]:
    import re

    pairs = []
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z0-9_.-]{1,40}", key) or len(value) > 200:
            raise UsageProblem(
                f"--meta {item[:40]!r} is not KEY=VALUE",
                hint="keys: letters, digits, _ . - (up to 40); e.g. --meta run=42",
            )
        pairs.append((key, value))
    return tuple(pairs)


def _call_cost(quote) -> str:  # quote: services.testing.CallQuote
    if quote.per_minute is None:
        return "unknown"
    return f"{quote.per_minute} {quote.currency} a minute; at most {quote.at_most} {quote.currency}"


def _expect_line(expect: object, min_duration: int, expect_class: object) -> str:
    parts = []
    if expect is not None:
        parts.append(f"{expect}" + (f", at least {min_duration}s" if min_duration else ""))
    if expect_class is not None:
        parts.append(f"class {expect_class}")
    return "; ".join(parts)


def _given(ctx: typer.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source is not None and source.name != "DEFAULT"


def _thresholds(app_ctx: AppContext):  # -> services.outcomes.Thresholds
    from telcli.services.outcomes import Thresholds

    s = app_ctx.settings
    return Thresholds(s.answered_min_seconds, s.failed_below_seconds)


def _destinations(
    app_ctx: AppContext, to: list[str], from_: str | None, force: bool
) -> tuple[list[str], str | None]:
    from telcli.phone import parse_e164
    from telcli.services import testing as svc

    if not to:
        raise UsageProblem("give at least one --to")
    dests: list[str] = list(dict.fromkeys(parse_e164(t) for t in to))
    if not app_ctx.sandbox and not force:
        svc.check_allowlist(dests, app_ctx.settings.allowed_destinations)
    return dests, (str(parse_e164(from_)) if from_ else None)


def _wait(ctx: typer.Context, wait: bool) -> bool:
    """Follow unless --no-wait; --expect or --timeout with --no-wait would check nothing."""
    if not wait:
        for name in ("expect", "timeout", "min_duration"):
            source = ctx.get_parameter_source(name)
            if source is not None and source.name != "DEFAULT":
                flag = "--" + name.replace("_", "-")
                raise UsageProblem(
                    f"{flag} has nothing to check with --no-wait",
                    hint=f"drop --no-wait to follow the test to its outcome, or drop {flag}",
                )
    return wait


def _url(value: str | None) -> str | None:
    import re

    if value is not None and not re.match(r"^https?://[^\s/]+", value):
        raise UsageProblem(f"{value!r} is not an http(s) URL", hint="e.g. https://example.com/x")
    return value


def _twiml(say: str | None, file: Path | None) -> str | None:
    if say:
        from xml.sax.saxutils import escape

        return f"<Response><Say>{escape(say)}</Say></Response>"
    if file is not None:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise UsageProblem(f"--twiml: cannot read {file}: {exc.strerror or exc}") from None
        from telcli.validate import InvalidValue, utf8

        try:
            return utf8(data)
        except InvalidValue as exc:
            raise UsageProblem(f"--twiml: {file}:{exc.message}", hint=exc.hint) from None
    return None


def _from_line(senders: list[Any]) -> str:
    first = f"{senders[0].from_} ({senders[0].name})"
    others = ", ".join(f"{s.from_} ({s.name})" for s in senders[1:])
    return f"{first}; failover: {others}" if others else first


def _account(app_ctx: AppContext, provider: str) -> str:
    """Which account pays, without any secret: Twilio's account SID (an identifier), the
    last four characters of a Telnyx key."""
    if app_ctx.sandbox:
        return f"profile {app_ctx.profile_name!r}, {provider} sandbox (no charge)"
    values = app_ctx.credentials(provider).values
    if provider == "twilio":
        who = f"account {values.get('account_sid', '?')}"
    else:
        key = values.get("api_key", "")
        who = f"API key ending {key[-4:]}" if len(key) > 8 else "API key"
        who = f"org of the {who}" if provider == "vapi" else who
    return f"profile {app_ctx.profile_name!r}, {provider} {who}"


@contextmanager
def _progress(
    app_ctx: AppContext, out: Any, dests: list[str]
) -> Iterator[Callable[[str, str], None]]:
    """A Rich progress display on stderr (TTY only): one line per destination."""
    if not app_ctx.stderr_isatty:
        yield lambda _dest, _status: None
        return
    from contextlib import nullcontext

    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn

    console = Console(file=out.err, no_color=not out.color)
    # This display replaces the network spinner (output/progress.py) while it runs.
    quiet = app_ctx.spinner.quiet() if app_ctx.spinner else nullcontext()
    with (
        quiet,
        Progress(
            SpinnerColumn(), TextColumn("{task.description}"), console=console, transient=True
        ) as progress,
    ):
        tasks = {d: progress.add_task(f"{d}  starting") for d in dests}

        def update(dest: str, status: str) -> None:
            progress.update(tasks[dest], description=f"{dest}  {status}")

        yield update


# Progress words (services/testing.py) and carrier statuses of a test not over yet.
_UNDER_WAY = frozenset(
    {"dialing", "sending", "queued", "initiated", "ringing", "in-progress", "accepted"}
)


@contextmanager
def _interruptible(
    app_ctx: AppContext, out: Any, kind: str
) -> Iterator[tuple[Any, Callable[..., Any]]]:
    """Ctrl-C for the duration of the tests (telcli/interrupt.py): the first starts no more
    and hangs up the calls under way (tests under way finish), the second exits at once,
    leaving this run's open ledger rows unknown (the send may or may not have gone out).
    Yields the Cancel for the service and ``seen``, which wraps a progress ``update`` so the
    message can say how many tests are under way."""
    from telcli.interrupt import ctrl_c
    from telcli.services.testing import abandon_open_sends

    status: dict[str, str] = {}

    def seen(update: Callable[[str, str], None]) -> Callable[[str, str], None]:
        def record(dest: str, text: str) -> None:
            status[dest] = text
            update(dest, text)

        return record

    def on_first() -> None:
        n = sum(1 for text in list(status.values()) if text in _UNDER_WAY)
        if kind == "call":
            what = f"hanging up {count(n, 'call')}…"
        else:
            what = f"sending no more SMS ({n} under way finish their send)…"
        out.note(f"interrupted: {what} (Ctrl-C again to exit at once)")

    with ctrl_c(on_first, lambda: abandon_open_sends(app_ctx.state)) as cancel:
        yield cancel, seen


def _finish(out: Any, outcomes: list[Any], columns: list[Any]) -> None:
    from telcli.services import testing as svc

    out.rows(outcomes, columns)
    for o in outcomes:
        data = o.to_json()
        why = data["error_code"] and f"{data['error_code']} {data['error_meaning'] or ''}".strip()
        detail = "; ".join(x for x in (why, data["error"], o.note) if x)
        # The class is news only where it differs from the status (a short completed call).
        shown = o.outcome_class and o.outcome_class != o.status
        got = o.status + (f", class {o.outcome_class}" if shown else "")
        line = f"{o.to}: {got} (expected {o.expected})" + (f": {detail}" if detail else "")
        if o.outcome == "passed":
            out.success(line)
        elif o.outcome == "sent":
            out.note(
                f"{o.to}: accepted by {o.provider} as {o.status} (id {data['id']}); not waiting"
            )
        elif o.outcome == "interrupted":
            out.note(f"{o.to}: {got}" + (f" ({o.note})" if o.note else ""))
        else:
            out.failure(line)
            if o.hint:
                out.note(f"hint: {o.hint}")
    code = svc.exit_code(outcomes)
    if code:
        raise typer.Exit(code)


def _columns(kind: str) -> list[Any]:
    from telcli.output.views import Column

    def j(key: str) -> Callable[[Any], object]:
        return lambda o: o.to_json()[key]

    def error(o: Any) -> str:
        data = o.to_json()
        if not data["error_code"]:
            return data["error"] or ""
        return f"{data['error_code']} {data['error_meaning'] or ''}".strip()

    def price(o: Any) -> str:
        data = o.to_json()
        return f"{data['price']} {data['currency']}" if data["price"] else ""

    cols = [
        Column("To", j("to"), "bold", keep=True),
        Column("Status", j("status"), style="bold"),
        Column("Expected", j("expected"), drop=3),
        Column("Outcome", j("outcome")),
    ]
    if kind == "sms":
        cols.append(Column("Segments", j("segments"), justify="right", drop=4))
    else:
        cols.append(Column("Duration", j("duration"), justify="right", drop=4))
    cols += [
        Column("Price", price, justify="right", drop=2),
        Column("Error", error),
        Column("Provider", j("provider"), "cyan", keep=True),
        Column("ID", j("id"), "dim", keep=True),
    ]
    if kind == "call":  # after the columns it had: TSV fields keep their places
        cols.append(Column("Class", j("outcome_class"), drop=1))
    return cols
