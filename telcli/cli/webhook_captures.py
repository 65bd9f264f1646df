"""webhook import | export | list | show | listen | pull: the capture store and how
captures get into it."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from telcli.cli.base import TelcliTyper
from telcli.cli.options import DryRunOpt, JsonOpt, YesOpt, tenant_value
from telcli.cli.webhook_common import (
    MAX_ID,
    MAX_LIMIT,
    ApiKeyOpt,
    CallFilterOpt,
    EventOpt,
    IdsArg,
    LimitOpt,
    NumberFilterOpt,
    PlanOpt,
    PrivateKeyOpt,
    ProviderFilterOpt,
    PublicKeyOpt,
    SchemeOverrideOpt,
    SecretOpt,
    SidOpt,
    SinceOpt,
    StatusFilterOpt,
    WebhookScheme,
    at_option,
    capture_filter,
    filter_from,
    signing_keys,
)
from telcli.context import AppContext
from telcli.errors import UsageProblem
from telcli.output.views import count

app = TelcliTyper()


class CaptureFormat(StrEnum):
    ndjson = "ndjson"
    har = "har"
    http = "http"


@app.command("import")
def webhook_import(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="NDJSON (webhook export), a HAR file or raw HTTP/1.1 text.")
    ],
    format_: Annotated[
        CaptureFormat | None,
        typer.Option(
            "--format", "-f", case_sensitive=False, help="Default: detected from the content."
        ),
    ] = None,
    provider: Annotated[
        WebhookScheme | None,
        typer.Option(
            "--provider",
            "-p",
            case_sensitive=False,
            help="Label as this provider; default: detected.",
        ),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Import captured requests into the store (all or nothing); print the new capture ids.

    Example: telcli webhook import ngrok-requests.har
    """
    from telcli.services import webhooks as svc

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output(json=json_)
    result = svc.import_file(
        app_ctx.captures,
        file,
        fmt=str(format_) if format_ else None,
        provider=str(provider) if provider else None,
    )
    if out.json_mode:
        out.json(result.to_json())
    else:
        out.lines(str(c.id) for c in result.added)
    dup = f"; {result.duplicates} already stored" if result.duplicates else ""
    out.note(f"imported {count(len(result.added), 'capture')} from {file} ({result.format}){dup}")


@app.command("export")
def webhook_export(
    ctx: typer.Context,
    ids: Annotated[
        list[int] | None,
        typer.Argument(min=1, max=MAX_ID, help="Capture ids; default: every match."),
    ] = None,
    provider: ProviderFilterOpt = None,
    event: EventOpt = None,
    sid: SidOpt = None,
    since: SinceOpt = None,
    limit: LimitOpt = None,
    number: NumberFilterOpt = None,
    call: CallFilterOpt = None,
    status: StatusFilterOpt = None,
    normalized: Annotated[
        bool,
        typer.Option(
            "--normalized",
            help="Print the normalised event records (see README) instead of the raw requests.",
        ),
    ] = False,
    redact: Annotated[
        bool,
        typer.Option(
            "--redact",
            help="For a ticket: phone numbers keep only country code and last 2 digits; message"
            " text, transcripts and credential headers become [redacted].",
        ),
    ] = False,
) -> None:
    """Print captures as NDJSON (one object per line, bodies base64), oldest first.

    Example: telcli webhook export --provider twilio --since 1d > twilio.ndjson
    """
    from telcli.services import webhooks as svc

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output()
    exported = 0
    flt = capture_filter(
        provider, event, sid, since, limit, ids=ids or (), number=number, call=call, status=status
    )
    lines = (svc.event_lines if normalized else svc.export_lines)(
        app_ctx.captures, flt, redact=redact
    )
    for line in lines:
        out.out.write(line + "\n")
        exported += 1
    out.out.flush()
    out.note(f"exported {count(exported, 'capture')}")


@app.command("list")
def webhook_list(
    ctx: typer.Context,
    provider: ProviderFilterOpt = None,
    event: EventOpt = None,
    sid: SidOpt = None,
    since: SinceOpt = None,
    limit: Annotated[
        int,
        typer.Option(
            "--limit", "-n", min=1, max=MAX_LIMIT, help="At most this many (newest first)."
        ),
    ] = 50,
    source: Annotated[str | None, typer.Option("--source", help="listen, import or pull.")] = None,
    number: NumberFilterOpt = None,
    call: CallFilterOpt = None,
    status: StatusFilterOpt = None,
    tenant: Annotated[
        str | None,
        typer.Option(
            "--tenant",
            metavar="ID",
            help="Only captures to or from the numbers the carriers record for this tenant.",
        ),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """List captured webhooks, newest first.

    Example: telcli webhook list --provider telnyx --event call.hangup --since 2h
    """
    from telcli.output.webhook_views import CAPTURES
    from telcli.services.webhooks import normalize_stored

    app_ctx: AppContext = ctx.obj
    tenant = tenant_value(tenant)
    out = app_ctx.output(json=json_)
    normalize_stored(app_ctx.captures)
    flt = capture_filter(
        provider, event, sid, since, limit, source, number=number, call=call, status=status
    )
    if tenant is None:
        found = app_ctx.captures.query(flt)
    else:
        from telcli.services import webhooks as svc

        carriers = app_ctx.carriers(None, notify=out.note)
        found = svc.tenant_captures(app_ctx.captures, flt, carriers, tenant, notify=out.note)
    if out.json_mode:
        out.json([c.summary_json() for c in found])
    else:
        out.rows(found, CAPTURES, empty="no captures match")
    app_ctx.completion.add("captures", [str(c.id) for c in reversed(found)])


@app.command("show")
def webhook_show(
    ctx: typer.Context,
    capture_id: Annotated[
        int, typer.Argument(metavar="ID", min=1, max=MAX_ID, help="The capture id (webhook list).")
    ],
    secret: SecretOpt = None,
    public_key: PublicKeyOpt = None,
    private_key: PrivateKeyOpt = None,
    api_key: ApiKeyOpt = None,
    plan: PlanOpt = None,
    scheme: SchemeOverrideOpt = None,
    url: Annotated[
        str | None,
        typer.Option("--url", help="Twilio: the URL it signed, when not the URL received."),
    ] = None,
    at: Annotated[
        float | None,
        at_option("Judge time windows as of this Unix time."),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Show one capture: request, headers, decoded body, the receiver's answer and, when a
    secret or key is known, the signature verdict.

    Example: telcli webhook show 42 --secret "$TWILIO_AUTH_TOKEN"
    """
    from telcli.services import webhooks as svc

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output(json=json_)
    capture = svc.get_captures(app_ctx.captures, [capture_id])[0]
    keys = signing_keys(secret, public_key, private_key, api_key, plan)
    verdict = svc.verify_capture(
        capture, keys, scheme=str(scheme) if scheme else None, url=url, now=at
    )
    if out.json_mode:
        data = capture.to_json()
        data["body_decoded"] = svc.decode_body(capture)
        data["verdict"] = None if verdict is None else verdict.to_json()
        data["event"] = capture.event
        data["deliveries"] = [
            {"received_at": at, "source": source, "status": status}
            for at, source, status in app_ctx.captures.deliveries(capture.id)
        ]
        out.json(data)
        return
    deliveries = app_ctx.captures.deliveries(capture.id)
    out.lines(
        [
            *_event_lines(capture, deliveries),
            *_show_lines(capture, svc.decode_body(capture), verdict),
        ]
    )


def _event_lines(capture, deliveries) -> list[str]:
    """What the delivery means, above the raw request (``webhook show``)."""
    e = capture.event
    if e is None:
        return ["event: not a provider event telcli understands", ""]
    if e.get("call_id"):
        what = f"call {e['call_id']}"
    else:
        what = f"message {e.get('message_id') or '-'}"
    lines = [
        f"event: {e.get('event_type') or '-'} ({e.get('provider')} {e.get('provider_event_type')})"
        f"  {what}  id {e.get('event_id') or '-'}",
        f"  {e.get('from') or '-'} -> {e.get('to') or '-'}  {e.get('direction') or ''}"
        f"  status {e.get('status') or '-'}  at {e.get('occurred_at') or '-'}",
    ]
    extra = [
        f"{name} {e[key]}"
        for key, name in (
            ("duration_seconds", "duration"),
            ("hangup_cause", "hangup cause"),
            ("error_code", "error"),
            ("recording_url", "recording"),
            ("tenant", "tenant"),
        )
        if e.get(key) not in (None, "")
    ]
    extra += [f"meta {k}={v}" for k, v in (e.get("meta") or {}).items()]
    if extra:
        lines.append("  " + "  ".join(extra))
    if len(deliveries) > 1:
        lines.append(
            f"  delivered {len(deliveries)} times: "
            + ", ".join(f"{at} ({source})" for at, source, _ in deliveries)
        )
    return [*lines, ""]


def _show_lines(capture, decoded, verdict) -> list[str]:
    import json

    lines = [
        f"capture {capture.id}  {capture.received_at}  source {capture.source}"
        f"  provider {capture.provider or '-'}  event {capture.event_type or '-'}"
        f"  sid {capture.sid or '-'}",
        f"{capture.method} {capture.url}",
    ]
    lines += [f"{name}: {value}" for name, value in capture.headers]
    lines.append("")
    kind = decoded["kind"]
    if kind == "form":
        lines += [f"  {k} = {v!r}" for k, v in decoded["params"]] or ["  (empty form)"]
    elif kind == "json":
        lines += json.dumps(decoded["value"], indent=2, ensure_ascii=False).splitlines()
    elif kind == "text":
        lines += decoded["text"].splitlines() or ["(empty body)"]
    else:
        lines.append(f"(binary, {len(capture.body)} bytes, base64) {decoded['base64']}")
    r = capture.response
    if r is not None:
        lines.append("")
        where = f" from {capture.forwarded_to}" if capture.forwarded_to else ""
        if r.status is None:
            lines.append(f"response{where}: failed: {r.error}")
        else:
            ms = "" if r.latency_ms is None else f" in {r.latency_ms:.1f} ms"
            lines.append(f"response{where}: {r.status}{ms}, {len(r.body)} bytes")
    lines.append("")
    if verdict is None:
        lines.append("signature: not checked (no secret or key given for this scheme)")
    else:
        state = "valid" if verdict.valid else "INVALID"
        lines.append(f"signature: {state} ({verdict.scheme}): {verdict.reason}")
        lines += [f"  {'ok' if c.ok else '--'} {c.name}: {c.detail}" for c in verdict.checks]
    return lines


# --- listen --------------------------------------------------------------------------------


@app.command("listen")
def webhook_listen(
    ctx: typer.Context,
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="0 picks a free port.")
    ] = 8787,
    host: Annotated[
        str, typer.Option("--host", help="Address to bind (keep it loopback).")
    ] = "127.0.0.1",
    forward_to: Annotated[
        str | None,
        typer.Option(
            "--forward-to",
            help="Forward each request to this receiver and record its answer (502 when down).",
        ),
    ] = None,
    provider: Annotated[
        WebhookScheme | None,
        typer.Option(
            "--provider", "-p", case_sensitive=False, help="Label captures as this provider."
        ),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Capture webhooks on a local port (and forward them); Ctrl-C stops, nothing is lost.

    Example: telcli webhook listen --port 8787 --forward-to http://127.0.0.1:3000
    """
    import signal
    import threading

    from telcli.services.listen import CaptureServer

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output(json=json_)
    store = app_ctx.captures
    store.db.conn  # create and migrate the DB before the writer thread opens it  # noqa: B018
    _retention(app_ctx, out)
    counts = {"captured": 0, "failed": 0}
    captured: list[str] = []
    stop = threading.Event()
    reader_gone = threading.Event()

    def on_event(event) -> None:
        if event.capture is None:
            counts["failed"] += 1
            out.warn(f"request not captured: {event.error}")
            return
        counts["captured"] += 1
        captured.append(str(event.capture.id))
        out.note(_listen_line(event))
        if out.json_mode and not reader_gone.is_set():
            try:
                for piece in event.capture.json_line():  # a large body in chunks, not copies
                    out.out.write(piece)
                out.out.write("\n")
                out.out.flush()
            except BrokenPipeError:
                # `webhook listen --json | head -5`: the reader has what it wanted; stop as on
                # Ctrl-C (this capture is stored) and keep Python's exit flush quiet.
                import contextlib
                import os

                with contextlib.suppress(OSError, ValueError):
                    os.dup2(os.open(os.devnull, os.O_WRONLY), out.out.fileno())
                reader_gone.set()
                stop.set()

    try:
        server = CaptureServer(
            store.db.path,
            host=host,
            port=port,
            forward_to=forward_to,
            provider=str(provider) if provider else None,
            on_event=on_event,
        )
    except OSError as exc:
        raise UsageProblem(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="pick another --port (0 picks a free one)",
        ) from None
    if host not in ("127.0.0.1", "localhost", "::1"):
        out.warn(f"listening on {host}: reachable from other machines")
    target = f"; forwarding to {forward_to}" if forward_to else ""
    out.note(f"listening on http://{server.host}:{server.port}{target} (Ctrl-C to stop)")
    # Ctrl-C and SIGTERM both mean "stop cleanly" (SIGINT explicitly: a shell starts
    # background jobs with it ignored, and `kill -INT` must still work).
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    server.start()
    try:
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        out.note("stopping: finishing requests in flight…")
        server.stop()
    lost = f", {counts['failed']} not captured" if counts["failed"] else ""
    app_ctx.completion.add("captures", captured)
    out.note(f"stopped: {count(counts['captured'], 'request')} captured{lost}")


def _listen_line(event) -> str:
    c = event.capture
    path = c.url.split("://", 1)[-1]
    path = path[path.find("/") :] if "/" in path else "/"
    label = " ".join(x for x in (c.provider, c.event_type, c.sid) if x) or "-"
    r = c.response
    if r is None:
        answer = f"{event.status}"
    elif r.status is None:
        answer = f"502 (forward failed: {r.error})"
    else:
        answer = f"{r.status} ({r.latency_ms:.0f} ms)"
    return f"#{c.id} {c.method} {path} [{label}] {len(c.body)} B -> {answer}"


# --- pull ----------------------------------------------------------------------------------


class PullProvider(StrEnum):
    telnyx = "telnyx"


@app.command("pull")
def webhook_pull(
    ctx: typer.Context,
    provider: Annotated[
        PullProvider,
        typer.Option("--provider", "-p", case_sensitive=False, help="Only telnyx keeps them."),
    ] = PullProvider.telnyx,
    since: SinceOpt = None,
    event: EventOpt = None,
    status: Annotated[str | None, typer.Option("--status", help="delivered or failed.")] = None,
    limit: LimitOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Pull recent webhook deliveries from the provider into the store (one capture per attempt).

    Example: telcli webhook pull --provider telnyx --since 1h --status failed
    """
    from telcli.output.webhook_views import CAPTURES
    from telcli.services import webhooks as svc

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output(json=json_)
    if status not in (None, "delivered", "failed"):
        raise UsageProblem(f"--status {status!r}: use delivered or failed")
    _retention(app_ctx, out)
    records, added, known = svc.pull_telnyx(
        app_ctx.carrier(str(provider), notify=out.note),
        app_ctx.captures,
        since=svc.since_filter(since),
        event_type=event,
        status=status,
        limit=limit,
    )
    if out.json_mode:
        out.json([c.summary_json() for c in added])
    else:
        out.rows(added, CAPTURES)
    already = f"; {known} already stored" if known else ""
    out.note(
        f"pulled {count(records, 'delivery record')} from {provider}:"
        f" {count(len(added), 'new capture')}{already}"
    )
    if added:
        out.note(
            "note: Telnyx reports the event, not the bytes sent: bodies are rebuilt as"
            ' {"data": …}; re-sign with a test key (--private-key) to replay them'
        )


# --- outcomes ------------------------------------------------------------------------------


@app.command("outcomes")
def webhook_outcomes(
    ctx: typer.Context,
    provider: ProviderFilterOpt = None,
    since: SinceOpt = None,
    number: NumberFilterOpt = None,
    call: CallFilterOpt = None,
    limit: LimitOpt = None,
    answered_min_seconds: Annotated[
        int | None,
        typer.Option(
            "--answered-min-seconds",
            min=0,
            max=86_400,
            metavar="SECONDS",
            help="An answered call shorter than this is no-answer (config outcomes."
            "answered_min_seconds; default 10).",
        ),
    ] = None,
    failed_below_seconds: Annotated[
        int | None,
        typer.Option(
            "--failed-below-seconds",
            min=0,
            max=86_400,
            metavar="SECONDS",
            help="An answered call shorter than this failed (config outcomes."
            "failed_below_seconds; default 3).",
        ),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Classify each captured call and message from its webhook events: completed, no-answer,
    busy, failed or canceled (messages: delivered, undelivered, failed, unconfirmed); exit 7
    while any is unsettled.

    Example: telcli webhook outcomes --since 1h --json
    """
    from telcli.errors import PartialFailure
    from telcli.output.webhook_views import OUTCOMES
    from telcli.services import outcomes as svc

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output(json=json_)
    settings = app_ctx.settings
    minimum = (
        settings.answered_min_seconds if answered_min_seconds is None else answered_min_seconds
    )
    below = settings.failed_below_seconds if failed_below_seconds is None else failed_below_seconds
    if below > minimum:
        raise UsageProblem(
            f"--failed-below-seconds {below} is above --answered-min-seconds {minimum}",
            hint="a call too short to count as answered cannot be longer than one that failed",
        )
    flt = capture_filter(provider, None, None, since, limit, number=number, call=call)
    found = svc.from_store(app_ctx.captures, flt, svc.Thresholds(minimum, below))
    if out.json_mode:
        out.json([o.to_json() for o in found])
    else:
        out.rows(found, OUTCOMES, empty="no captured call or message events match")
    unsettled = [o for o in found if not o.settled]
    if unsettled:
        raise PartialFailure(
            f"{len(unsettled)} of {count(len(found), 'outcome')} cannot be settled from the events"
            f" captured so far; first: {unsettled[0].kind} {unsettled[0].id}:"
            f" {unsettled[0].reason}",
            hint="wait for the provider's final callback (or `telcli webhook pull`), then run"
            " this again",
        )


def _retention(app_ctx: AppContext, out) -> None:
    """``webhooks.retention_days``: captures older than that go when listen or pull starts."""
    from telcli.services import webhooks as svc

    days = app_ctx.settings.retention_days
    gone = svc.apply_retention(app_ctx.captures, days)
    if gone:
        out.note(
            f"deleted {count(gone, 'capture')} older than {count(days, 'day')}"
            " (webhooks.retention_days)"
        )


# --- delete --------------------------------------------------------------------------------


@app.command("delete")
def webhook_delete(
    ctx: typer.Context,
    ids: IdsArg = None,
    older_than: Annotated[
        str | None,
        typer.Option(
            "--older-than",
            metavar="AGE",
            help="Captures received more than this long ago: 90s, 15m, 2h, 30d.",
        ),
    ] = None,
    filter_: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            metavar="KEY=VALUE",
            help="Captures matching every filter: provider, event, sid, since, source,"
            " number, call, status.",
        ),
    ] = None,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Delete captures (bodies hold customers' numbers and messages); asks first, --yes
    without a TTY.

    Example: telcli webhook delete --older-than 30d --yes
    """
    from dataclasses import replace

    from telcli.cli.base import confirm
    from telcli.services import webhooks as svc

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output(json=json_)
    if not ids and not older_than and not filter_:
        raise UsageProblem(
            "name the captures to delete: IDs, --older-than AGE or --filter KEY=VALUE",
            hint="e.g. `telcli webhook delete --older-than 30d`",
        )
    flt = filter_from(ids or [], filter_ or [])
    if older_than:
        flt = replace(flt, before=svc.older_than(older_than))
    store = app_ctx.captures
    matching = sum(1 for _ in store.iter(replace(flt, newest_first=False)))
    if matching and not dry_run:
        confirm(app_ctx, f"Delete {count(matching, 'capture')}? This cannot be undone.", yes=yes)
        deleted = store.delete(flt)
    else:
        deleted = 0
    if out.json_mode:
        out.json({"matched": matching, "deleted": deleted, "dry_run": dry_run})
    else:
        out.lines([f"{deleted if not dry_run else matching}"])
    if dry_run:
        out.note(f"dry run: {count(matching, 'capture')} would be deleted")
    elif not matching:
        out.note("no captures match: nothing deleted")
    else:
        out.success(f"Deleted {count(deleted, 'capture')}")
