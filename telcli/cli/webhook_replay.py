"""webhook replay: send captured webhooks to a receiver again, re-signed for it."""

from __future__ import annotations

import math
from typing import Annotated

import typer

from telcli.cli.base import TelcliTyper
from telcli.cli.options import JsonOpt, check_seconds
from telcli.cli.webhook_common import (
    ApiKeyOpt,
    IdsArg,
    PlanOpt,
    PrivateKeyOpt,
    SchemeOverrideOpt,
    SecretOpt,
    filter_from,
    signing_keys,
)
from telcli.context import AppContext
from telcli.errors import UsageProblem
from telcli.output.views import count

# Plain Click help: its two-column layout stays readable at 80 columns for this many
# options, where Rich's four-column panel squeezed the help text to a word per line.
app = TelcliTyper(rich_markup_mode=None)

# --- replay --------------------------------------------------------------------------------


def _parse_sets(items: list[str]) -> tuple[tuple[str, str], ...]:
    out = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageProblem(
                f"--set {item!r} is not FIELD=VALUE",
                hint="form: --set CallStatus=completed; JSON: --set data.payload.to=+14155550123",
            )
        out.append((key, value))
    return tuple(out)


@app.command("replay")
def webhook_replay(
    ctx: typer.Context,
    ids: IdsArg = None,
    filter_: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            metavar="KEY=VALUE",
            help="Replay matching captures, oldest first: provider, event, sid, since, source,"
            " number, call, status, limit (repeat to combine).",
        ),
    ] = None,
    to: Annotated[
        str,
        typer.Option(
            "--to",
            metavar="URL",
            help="Receiver URL. Its scheme and host always apply; its path and query replace the"
            " captured ones when given.",
        ),
    ] = "",
    sign_url: Annotated[
        str | None,
        typer.Option(
            "--sign-url",
            metavar="URL",
            help="Twilio/VAPI: the URL the receiver reconstructs, when not --to (proxy, ngrok).",
        ),
    ] = None,
    resign: Annotated[
        bool | None,
        typer.Option(
            "--resign/--keep-signature",
            help="Re-sign for the target (default when the scheme's secret or key is given), or"
            " send the captured signature headers unchanged.",
            show_default=False,
        ),
    ] = None,
    secret: SecretOpt = None,
    private_key: PrivateKeyOpt = None,
    api_key: ApiKeyOpt = None,
    plan: PlanOpt = None,
    scheme: SchemeOverrideOpt = None,
    strip_credentials: Annotated[
        bool,
        typer.Option(
            "--strip-credentials",
            help="Drop captured Authorization, Proxy-Authorization and Cookie headers (sent"
            " as captured otherwise, with a warning when --to is another host).",
        ),
    ] = False,
    fresh_idempotency_token: Annotated[
        bool,
        typer.Option(
            "--fresh-idempotency-token",
            help="New I-Twilio-Idempotency-Token / webhook-id, so the receiver processes the"
            " replay again (default: keep it, testing its dedupe).",
        ),
    ] = False,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            "-c",
            min=1,
            max=1000,
            help="Deliveries in flight at once (1 keeps the captured order).",
        ),
    ] = 10,
    preserve_timing: Annotated[
        bool, typer.Option("--preserve-timing", help="Keep the captured gaps between deliveries.")
    ] = False,
    speed: Annotated[
        float, typer.Option("--speed", min=0.001, help="With --preserve-timing: 2 = twice as fast.")
    ] = 1.0,
    twice: Annotated[
        bool,
        typer.Option(
            "--twice",
            help="Send each delivery twice with the same idempotency token and compare the"
            " two answers: same, differs, or second refused (a 4xx to the duplicate: fine).",
        ),
    ] = False,
    expect_idempotent: Annotated[
        bool,
        typer.Option(
            "--expect-idempotent",
            help="With --twice: exit 7 when any receiver answered the duplicate differently.",
        ),
    ] = False,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="FIELD=VALUE",
            help="Edit a form param or a JSON field (dotted path) before re-signing.",
        ),
    ] = None,
    expect_status: Annotated[
        str | None,
        typer.Option(
            "--expect-status",
            metavar="CODES",
            help="Statuses that count as success: 200, 2xx,409 (default 2xx).",
        ),
    ] = None,
    request_timeout: Annotated[
        float,
        typer.Option(
            "--request-timeout",
            callback=check_seconds(minimum=0.1),
            metavar="SECONDS",
            help="Give up on one delivery after this long (it counts as failed).",
        ),
    ] = 30.0,
    json_: JsonOpt = False,
) -> None:
    """Send captured webhooks to a receiver again, re-signed for it; exit 7 unless every
    response meets --expect-status.

    Example: telcli webhook replay 41 42 --to http://127.0.0.1:3000 --secret "$TWILIO_AUTH_TOKEN"
    """
    from telcli.errors import PartialFailure
    from telcli.output.webhook_views import REPLAYS
    from telcli.services import replay as engine
    from telcli.services import webhooks as svc

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output(json=json_)
    if not to:
        raise UsageProblem("--to URL is required", hint="e.g. --to http://127.0.0.1:3000")
    bare_to, basic_auth = engine.receiver_credentials(to)  # a bad URL fails before any work
    if not ids and not filter_:
        raise UsageProblem(
            "name the captures to replay: IDs, or --filter KEY=VALUE",
            hint="see them with `telcli webhook list`",
        )
    if not math.isfinite(speed):  # FloatRange lets nan through (nan < 0.001 is False)
        raise UsageProblem(
            f"--speed must be a finite number of at least 0.001, not {speed}",
            hint="e.g. --speed 2 replays twice as fast",
        )
    if speed != 1.0 and not preserve_timing:
        raise UsageProblem("--speed only applies with --preserve-timing")
    if expect_idempotent and not twice:
        raise UsageProblem("--expect-idempotent compares two answers: add --twice")
    store = app_ctx.captures
    if ids and not filter_:
        captures = svc.get_captures(store, ids)
    else:
        flt = filter_from(ids or [], filter_ or [])
        from dataclasses import replace

        captures = store.query(replace(flt, newest_first=False))
    if not captures:
        out.note("no captures match: nothing to replay")
        out.rows([], REPLAYS)
        return
    opts = engine.ReplayOptions(
        to=bare_to,
        basic_auth=basic_auth,
        strip_credentials=strip_credentials,
        sign_url=sign_url,
        resign=resign,
        keys=signing_keys(secret, None, private_key, api_key, plan),
        scheme=str(scheme) if scheme else None,
        fresh_idempotency=fresh_idempotency_token,
        sets=_parse_sets(set_ or []),
        concurrency=concurrency,
        preserve_timing=preserve_timing,
        speed=speed,
        twice=twice,
        expect=engine.Expectation.parse(expect_status),
        timeout=request_timeout,
    )
    from telcli.errors import ExitCode
    from telcli.interrupt import ctrl_c

    total = len(captures) * (2 if twice else 1)
    secrets = (opts.keys.secret, opts.keys.private_key, opts.keys.api_key, *(basic_auth or ()))
    log = app_ctx.debug_log(tuple(v for v in secrets if v))

    def stopping() -> None:
        out.note(
            "interrupted: starting no more requests; waiting for those in flight…"
            " (Ctrl-C again to exit at once)"
        )

    with (
        _progress(out, total, enabled=app_ctx.stderr_isatty and total >= 20) as advance,
        ctrl_c(stopping) as cancel,
    ):

        def on_result(result) -> None:
            advance(result)
            if log is not None:  # --debug: one redacted line per request
                answer = result.status if result.error is None else result.error
                log(f"http: POST {result.url} -> {answer} ({result.latency_ms or 0:.0f} ms)")

        def warn() -> None:  # once every request is prepared: no warning before a usage error
            for warning in engine.warnings_for(captures, opts):
                out.warn(warning)

        results = engine.replay(
            captures, opts, on_result=on_result, before_send=warn, cancel=cancel
        )
    out.rows(results, REPLAYS)
    if cancel:
        ok = sum(1 for r in results if r.ok)
        out.note(
            f"interrupted: sent {len(results)} of {count(total, 'request')} ({ok} met"
            f" {opts.expect.text}); the captures are unchanged"
        )
        raise typer.Exit(int(ExitCode.INTERRUPTED))
    failed = [r for r in results if not r.ok]
    differing = [r for r in results if r.idempotency == "differs"]
    if expect_idempotent and differing and not failed:
        first = differing[0]
        raise PartialFailure(
            f"{len(differing)} of {len(captures)} delivery(ies) were answered differently the"
            f" second time; first: capture {first.capture_id}: {first.idempotency_detail}",
            hint="a receiver that dedupes answers a duplicate like the original, or refuses"
            " it with a 4xx",
        )
    if failed:
        first = failed[0]
        why = first.error or f"status {first.status}"
        raise PartialFailure(
            f"{len(failed)} of {count(len(results), 'replayed request')} did not meet the"
            " expectation"
            f" ({opts.expect.text}); first: capture {first.capture_id}: {why}",
            hint="check the receiver's logs; `telcli webhook show ID` shows what was captured",
        )
    out.note(f"replayed {count(len(results), 'request')}: all {opts.expect.text}")


class _progress:
    """A Rich progress bar on stderr for long replays (a TTY only); a no-op otherwise."""

    def __init__(self, out: object, total: int, *, enabled: bool) -> None:
        self.out, self.total, self.enabled = out, total, enabled
        self._bar = None

    def __enter__(self):
        if not self.enabled:
            return lambda result: None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        console = Console(file=self.out.err)  # type: ignore[attr-defined]
        self._bar = Progress(
            "replay", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console
        )
        self._bar.start()
        task = self._bar.add_task("replay", total=self.total)
        return lambda result: self._bar.advance(task)  # type: ignore[union-attr]

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
