"""webhook sign | verify | keygen (offline signing) and listen | import | export | list | show |
replay | pull (the capture store and the debugging loop)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from telcli import envvars
from telcli.cli.base import TelcliTyper
from telcli.cli.options import JsonOpt
from telcli.context import AppContext
from telcli.errors import ProviderRejected, UsageProblem

if TYPE_CHECKING:
    from telcli.webhooks import Verdict
    from telcli.webhooks.vapi import HmacPlan

_PS_NOTE = "Secrets given on the command line are visible to other local users in `ps`"

app = TelcliTyper(
    help="Capture, sign, verify and replay provider webhooks.\n\n"
    f"{_PS_NOTE}; prefer the TELCLI_WEBHOOK_* environment variables.",
    no_args_is_help=True,
)


class WebhookScheme(StrEnum):
    twilio = "twilio"
    telnyx = "telnyx"
    vapi = "vapi"
    livekit = "livekit"
    hmac_sha256 = "hmac-sha256"


class SignatureInvalid(ProviderRejected):
    """A delivery failed verification: exit 5, like any other refusal."""


SchemeOpt = Annotated[
    WebhookScheme,
    typer.Option(
        "--scheme",
        "-s",
        case_sensitive=False,
        help="twilio, telnyx (Ed25519), vapi, livekit (JWT) or hmac-sha256 (Standard Webhooks"
        " or Stripe-style).",
    ),
]
SecretOpt = Annotated[
    str | None,
    typer.Option(
        "--secret",
        envvar=envvars.TELCLI_WEBHOOK_SECRET,
        show_default=False,
        help="Twilio Auth Token, VAPI secret, LiveKit API secret or HMAC secret"
        f" (TELCLI_WEBHOOK_SECRET). {_PS_NOTE}.",
    ),
]
BodyFileOpt = Annotated[
    str,
    typer.Option(
        "--body-file",
        "-b",
        metavar="FILE",
        help="The raw request body, byte for byte; - reads stdin.",
    ),
]
UrlOpt = Annotated[
    str | None,
    typer.Option("--url", help="Twilio: the exact URL Twilio requests, query included."),
]
ContentTypeOpt = Annotated[
    str | None,
    typer.Option(
        "--content-type",
        help="Twilio: application/x-www-form-urlencoded (default) or application/json.",
    ),
]
ApiKeyOpt = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        envvar=envvars.TELCLI_WEBHOOK_API_KEY,
        show_default=False,
        help="LiveKit API key, the token issuer (TELCLI_WEBHOOK_API_KEY).",
    ),
]
VariantOpt = Annotated[
    str | None,
    typer.Option(
        "--variant",
        help="vapi: secret (X-Vapi-Secret), bearer or hmac; hmac-sha256: standard or stripe;"
        " twilio: sha1 or sha256.",
    ),
]
PlanOpt = Annotated[
    Path | None,
    typer.Option(
        "--plan",
        metavar="FILE",
        help="vapi --variant hmac: the credential's HMACAuthenticationPlan as JSON"
        " (camelCase fields); default: VAPI's documented defaults.",
    ),
]


# --- sign ----------------------------------------------------------------------------------


@app.command("sign")
def webhook_sign(
    ctx: typer.Context,
    scheme: SchemeOpt,
    body_file: BodyFileOpt,
    secret: SecretOpt = None,
    url: UrlOpt = None,
    content_type: ContentTypeOpt = None,
    private_key: Annotated[
        str | None,
        typer.Option(
            "--private-key",
            envvar=envvars.TELCLI_WEBHOOK_PRIVATE_KEY,
            show_default=False,
            help="Telnyx: Ed25519 test private key, a file or base64 (TELCLI_WEBHOOK_PRIVATE_KEY).",
        ),
    ] = None,
    timestamp: Annotated[
        str | None,
        typer.Option(
            "--timestamp",
            metavar="UNIX",
            help="Signing time in Unix seconds (telnyx, vapi, hmac-sha256, livekit); default now.",
        ),
    ] = None,
    api_key: ApiKeyOpt = None,
    variant: VariantOpt = None,
    message_id: Annotated[
        str | None,
        typer.Option("--id", help="hmac-sha256 standard: the webhook-id; default a new msg_… id."),
    ] = None,
    plan: PlanOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Print the signature headers a provider would send with this body.

    Example: telcli webhook sign --scheme twilio --url https://example.com/voice -b body.txt
    """
    from telcli import webhooks

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output(json=json_)
    creds = _credentials(ctx, scheme, secret=secret, private_key=private_key, api_key=api_key)
    result = webhooks.sign(
        str(scheme),
        body=_read_body(body_file),
        url=url,
        content_type=content_type,
        secret=creds["secret"],
        private_key=_key_text(creds["private_key"], "--private-key"),
        timestamp=timestamp,
        api_key=creds["api_key"],
        variant=variant,
        message_id=message_id,
        plan=_plan(plan),
    )
    if out.json_mode:
        out.json(result.to_json())
    else:
        out.lines(f"{name}: {value}" for name, value in result.headers.items())
        if result.url is not None and result.url != url:
            out.note(f"note: send it to the URL with bodySHA256 added: {result.url}")
    if scheme is WebhookScheme.vapi and variant in (None, "secret", "bearer") and plan is None:
        out.note("note: this VAPI header is the secret itself; it signs nothing")


# --- verify --------------------------------------------------------------------------------


@app.command("verify")
def webhook_verify(
    ctx: typer.Context,
    scheme: SchemeOpt,
    body_file: BodyFileOpt,
    header: Annotated[
        list[str] | None,
        typer.Option(
            "--header",
            "-H",
            metavar="'NAME: VALUE'",
            help="A request header as received; repeat for each (signature, timestamp, …).",
        ),
    ] = None,
    secret: SecretOpt = None,
    url: UrlOpt = None,
    content_type: ContentTypeOpt = None,
    public_key: Annotated[
        str | None,
        typer.Option(
            "--public-key",
            envvar=envvars.TELCLI_WEBHOOK_PUBLIC_KEY,
            show_default=False,
            help="Telnyx: Ed25519 public key, a file or base64 (TELCLI_WEBHOOK_PUBLIC_KEY).",
        ),
    ] = None,
    private_key: Annotated[
        str | None,
        typer.Option(
            "--private-key",
            envvar=envvars.TELCLI_WEBHOOK_PRIVATE_KEY,
            show_default=False,
            help="Telnyx: verify against the public half of this test private key.",
        ),
    ] = None,
    api_key: ApiKeyOpt = None,
    variant: VariantOpt = None,
    plan: PlanOpt = None,
    at: Annotated[
        float | None,
        typer.Option(
            "--at",
            metavar="UNIX",
            help="Judge time windows as of this Unix time (to check an old capture).",
        ),
    ] = None,
    tolerance: Annotated[
        int | None,
        typer.Option(
            min=0,
            metavar="SECONDS",
            help="Timestamp window (default 300), or LiveKit's exp/nbf leeway (default 60).",
        ),
    ] = None,
    explain: Annotated[
        bool,
        typer.Option("--explain", help="List every check; Twilio: every URL form tried."),
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Check a delivery's signature: exit 0 when valid, 5 when not.

    Example: telcli webhook verify --scheme twilio --url URL --body-file body.txt
    -H 'X-Twilio-Signature: …' --explain
    """
    from telcli import webhooks

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output(json=json_)
    headers = [_parse_header(h) for h in header or ()]
    creds = _credentials(
        ctx, scheme, secret=secret, public_key=public_key, private_key=private_key, api_key=api_key
    )
    if creds["public_key"] is not None and creds["private_key"] is not None:
        # An explicit flag beats the environment; two explicit keys are a usage error below.
        if _from_env(ctx, "private_key"):
            creds["private_key"] = None
        elif _from_env(ctx, "public_key"):
            creds["public_key"] = None
    verdict = webhooks.verify(
        str(scheme),
        body=_read_body(body_file),
        headers=headers,
        url=url,
        content_type=content_type,
        secret=creds["secret"],
        public_key=_key_text(creds["public_key"], "--public-key"),
        private_key=_key_text(creds["private_key"], "--private-key"),
        api_key=creds["api_key"],
        variant=variant,
        plan=_plan(plan),
        explain=explain,
        now=at,
        tolerance=tolerance,
    )
    if out.json_mode:
        out.json(verdict.to_json())
    if explain and not out.json_mode:
        _print_checks(out, verdict)
    if not verdict.valid:
        hint = None if explain else "re-run with --explain to see every check"
        raise SignatureInvalid(
            f"invalid {scheme} signature: {verdict.reason}", provider=str(scheme), hint=hint
        )
    out.note(f"valid: {verdict.reason}")


def _print_checks(out: object, verdict: Verdict) -> None:
    for check in verdict.checks:
        mark = "ok" if check.ok else "--"
        out.note(f"  {mark} {check.name}: {check.detail}")  # type: ignore[attr-defined]


# --- keygen --------------------------------------------------------------------------------


@app.command("keygen")
def webhook_keygen(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Print a new Ed25519 test key pair (base64) for signing Telnyx-style webhooks.

    Example: telcli webhook keygen --json
    """
    from telcli.webhooks import telnyx

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output(json=json_)
    private, public = telnyx.keygen()
    if out.json_mode:
        out.json({"private_key": private, "public_key": public})
    else:
        out.lines([f"private_key: {private}", f"public_key: {public}"])
    out.note(
        "note: a test key pair: configure the receiver with the public key (e.g."
        " TELNYX_PUBLIC_KEY); sign with --private-key. Telnyx's own key cannot be recreated."
    )


# --- helpers -------------------------------------------------------------------------------


def _read_body(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UsageProblem(f"cannot read --body-file {path}: {exc.strerror or exc}") from None


def _key_text(value: str | None, flag: str) -> str | None:
    """A key given as a file path (read here: the CLI owns I/O) or as the key text itself."""
    if value is None:
        return None
    path = Path(value)
    try:
        if path.is_file():
            return path.read_text(encoding="ascii")
    except (OSError, ValueError):
        raise UsageProblem(f"cannot read the key file given to {flag}") from None
    return value


def _parse_header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip() or name != name.strip():
        raise UsageProblem(
            f"--header {name.strip()!r}… is not 'Name: value'",
            hint="e.g. -H 'X-Twilio-Signature: RSOYDt4T1cUTdK1PDd93/VVr8B8='",
        )
    return name, value.strip()


def _plan(path: Path | None) -> HmacPlan | None:
    if path is None:
        return None
    import json

    from telcli.webhooks.vapi import HmacPlan

    try:
        data = json.loads(path.read_bytes())
    except OSError as exc:
        raise UsageProblem(f"cannot read --plan {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise UsageProblem(f"--plan {path} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise UsageProblem(f"--plan {path} must hold a JSON object")
    return HmacPlan.from_json(data)


def _from_env(ctx: typer.Context, param: str) -> bool:
    source = ctx.get_parameter_source(param)
    return source is not None and source.name == "ENVIRONMENT"


# Which credentials each scheme takes. A TELCLI_WEBHOOK_* variable set for one scheme is
# ignored by the others; the same value given as a flag is a usage error (exit 2).
_USES = {
    "twilio": {"secret"},
    "telnyx": {"private_key", "public_key"},
    "vapi": {"secret"},
    "livekit": {"secret", "api_key"},
    "hmac-sha256": {"secret"},
}


def _credentials(ctx: typer.Context, scheme: str, **values: str | None) -> dict[str, str | None]:
    uses = _USES[str(scheme)]
    return {
        name: None if name not in uses and _from_env(ctx, name) else value
        for name, value in values.items()
    }


# --- the capture store: import | export | list | show ------------------------------------


class CaptureFormat(StrEnum):
    ndjson = "ndjson"
    har = "har"
    http = "http"


ProviderFilterOpt = Annotated[
    str | None,
    typer.Option("--provider", "-p", help="Only captures from this provider (twilio, telnyx…)."),
]
EventOpt = Annotated[
    str | None, typer.Option("--event", help="Only this event type (e.g. call.initiated).")
]
SidOpt = Annotated[
    str | None, typer.Option("--sid", help="Only deliveries about this call/message.")
]
SinceOpt = Annotated[
    str | None,
    typer.Option(
        "--since", help="Only captures received since a time (ISO-8601) or ago (15m, 2h, 7d)."
    ),
]
LimitOpt = Annotated[int | None, typer.Option("--limit", "-n", min=1, help="At most this many.")]
PrivateKeyOpt = Annotated[
    str | None,
    typer.Option(
        "--private-key",
        envvar=envvars.TELCLI_WEBHOOK_PRIVATE_KEY,
        show_default=False,
        help="Telnyx: Ed25519 test private key, a file or base64 (TELCLI_WEBHOOK_PRIVATE_KEY).",
    ),
]
PublicKeyOpt = Annotated[
    str | None,
    typer.Option(
        "--public-key",
        envvar=envvars.TELCLI_WEBHOOK_PUBLIC_KEY,
        show_default=False,
        help="Telnyx: Ed25519 public key, a file or base64 (TELCLI_WEBHOOK_PUBLIC_KEY).",
    ),
]
SchemeOverrideOpt = Annotated[
    WebhookScheme | None,
    typer.Option(
        "--scheme",
        "-s",
        case_sensitive=False,
        help="Signing scheme; default: the detected provider.",
    ),
]


def _store(app_ctx: AppContext):  # -> CaptureStore (lazy import keeps --help fast)
    from telcli.storage.captures import CaptureStore

    return CaptureStore(app_ctx.state)


def _filter(provider, event, sid, since, limit, source=None, ids=()):  # -> CaptureFilter
    from telcli.services.webhooks import since_filter
    from telcli.storage.captures import CaptureFilter

    return CaptureFilter(
        ids=tuple(ids),
        provider=provider,
        event_type=event,
        sid=sid,
        since=since_filter(since),
        source=source,
        limit=limit,
    )


def _keys(secret, public_key, private_key, api_key, plan):  # -> services.webhooks.Keys
    from telcli.services.webhooks import Keys

    return Keys(
        secret=secret or None,
        public_key=_key_text(public_key, "--public-key"),
        private_key=_key_text(private_key, "--private-key"),
        api_key=api_key or None,
        plan=_plan(plan),
    )


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
        _store(app_ctx),
        file,
        fmt=str(format_) if format_ else None,
        provider=str(provider) if provider else None,
    )
    if out.json_mode:
        out.json(result.to_json())
    else:
        out.lines(str(c.id) for c in result.added)
    dup = f"; {result.duplicates} already stored" if result.duplicates else ""
    out.note(f"imported {len(result.added)} capture(s) from {file} ({result.format}){dup}")


@app.command("export")
def webhook_export(
    ctx: typer.Context,
    ids: Annotated[
        list[int] | None, typer.Argument(help="Capture ids; default: every match.")
    ] = None,
    provider: ProviderFilterOpt = None,
    event: EventOpt = None,
    sid: SidOpt = None,
    since: SinceOpt = None,
    limit: LimitOpt = None,
) -> None:
    """Print captures as NDJSON (one object per line, bodies base64), oldest first.

    Example: telcli webhook export --provider twilio --since 1d > twilio.ndjson
    """
    from telcli.services import webhooks as svc

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output()
    count = 0
    for line in svc.export_lines(
        _store(app_ctx), _filter(provider, event, sid, since, limit, ids=ids or ())
    ):
        out.out.write(line + "\n")
        count += 1
    out.out.flush()
    out.note(f"exported {count} capture(s)")


@app.command("list")
def webhook_list(
    ctx: typer.Context,
    provider: ProviderFilterOpt = None,
    event: EventOpt = None,
    sid: SidOpt = None,
    since: SinceOpt = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="At most this many (newest first).")
    ] = 50,
    source: Annotated[str | None, typer.Option("--source", help="listen, import or pull.")] = None,
    json_: JsonOpt = False,
) -> None:
    """List captured webhooks, newest first.

    Example: telcli webhook list --provider telnyx --event call.hangup --since 2h
    """
    from telcli.output.webhook_views import CAPTURES

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output(json=json_)
    found = _store(app_ctx).query(_filter(provider, event, sid, since, limit, source))
    if out.json_mode:
        out.json([c.summary_json() for c in found])
    else:
        out.rows(found, CAPTURES, empty="no captures match")


@app.command("show")
def webhook_show(
    ctx: typer.Context,
    capture_id: Annotated[int, typer.Argument(metavar="ID", help="The capture id (webhook list).")],
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
        typer.Option("--at", metavar="UNIX", help="Judge time windows as of this time."),
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
    capture = svc.get_captures(_store(app_ctx), [capture_id])[0]
    keys = _keys(secret, public_key, private_key, api_key, plan)
    verdict = svc.verify_capture(
        capture, keys, scheme=str(scheme) if scheme else None, url=url, now=at
    )
    if out.json_mode:
        data = capture.to_json()
        data["body_decoded"] = svc.decode_body(capture)
        data["verdict"] = None if verdict is None else verdict.to_json()
        out.json(data)
        return
    out.lines(_show_lines(capture, svc.decode_body(capture), verdict))


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


# --- replay --------------------------------------------------------------------------------

_FILTER_KEYS = ("provider", "event", "sid", "since", "source", "limit")


def _replay_filter(ids: list[int], filters: list[str]):  # -> CaptureFilter
    values: dict[str, str] = {}
    for item in filters:
        key, sep, value = item.partition("=")
        if not sep or key not in _FILTER_KEYS or not value:
            raise UsageProblem(
                f"--filter {item!r} is not KEY=VALUE",
                hint=f"keys: {', '.join(_FILTER_KEYS)}; e.g. --filter provider=twilio",
            )
        values[key] = value
    limit = values.get("limit")
    if limit is not None and not limit.isdigit():
        raise UsageProblem(f"--filter limit={limit!r} is not a number")
    return _filter(
        values.get("provider"),
        values.get("event"),
        values.get("sid"),
        values.get("since"),
        int(limit) if limit else None,
        values.get("source"),
        ids=ids,
    )


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
    ids: Annotated[list[int] | None, typer.Argument(metavar="[ID]...", help="Capture ids.")] = None,
    filter_: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            metavar="KEY=VALUE",
            help="Replay matching captures, oldest first: provider, event, sid, since, source,"
            " limit (repeat to combine).",
        ),
    ] = None,
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="Receiver URL. Its scheme and host always apply; its path and query replace the"
            " captured ones when given.",
        ),
    ] = "",
    sign_url: Annotated[
        str | None,
        typer.Option(
            "--sign-url",
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
    fresh_idempotency_token: Annotated[
        bool,
        typer.Option(
            "--fresh-idempotency-token",
            help="New I-Twilio-Idempotency-Token / webhook-id, so the receiver processes the"
            " replay again (default: keep it, testing its dedupe).",
        ),
    ] = False,
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1, max=1000)] = 10,
    preserve_timing: Annotated[
        bool, typer.Option("--preserve-timing", help="Keep the captured gaps between deliveries.")
    ] = False,
    speed: Annotated[
        float, typer.Option("--speed", min=0.001, help="With --preserve-timing: 2 = twice as fast.")
    ] = 1.0,
    twice: Annotated[
        bool, typer.Option("--twice", help="Send each delivery twice (tests idempotency).")
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
            "--expect-status", help="Statuses that count as success: 200, 2xx,409 (default 2xx)."
        ),
    ] = None,
    request_timeout: Annotated[
        float, typer.Option("--request-timeout", min=0.1, metavar="SECONDS")
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
    if not ids and not filter_:
        raise UsageProblem(
            "name the captures to replay: IDs, or --filter KEY=VALUE",
            hint="see them with `telcli webhook list`",
        )
    if speed != 1.0 and not preserve_timing:
        raise UsageProblem("--speed only applies with --preserve-timing")
    store = _store(app_ctx)
    if ids and not filter_:
        captures = svc.get_captures(store, ids)
    else:
        flt = _replay_filter(ids or [], filter_ or [])
        from dataclasses import replace

        captures = store.query(replace(flt, newest_first=False))
    if not captures:
        out.note("no captures match: nothing to replay")
        out.rows([], REPLAYS)
        return
    opts = engine.ReplayOptions(
        to=to,
        sign_url=sign_url,
        resign=resign,
        keys=_keys(secret, None, private_key, api_key, plan),
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
    for warning in engine.warnings_for(captures, opts):
        out.warn(warning)
    total = len(captures) * (2 if twice else 1)
    log = app_ctx.debug_log(
        tuple(v for v in (opts.keys.secret, opts.keys.private_key, opts.keys.api_key) if v)
    )
    with _progress(out, total, enabled=app_ctx.stderr_isatty and total >= 20) as advance:

        def on_result(result) -> None:
            advance(result)
            if log is not None:  # --debug: one redacted line per request
                answer = result.status if result.error is None else result.error
                log(f"http: POST {result.url} -> {answer} ({result.latency_ms or 0:.0f} ms)")

        results = engine.replay(captures, opts, on_result=on_result)
    out.rows(results, REPLAYS)
    failed = [r for r in results if not r.ok]
    if failed:
        first = failed[0]
        why = first.error or f"status {first.status}"
        raise PartialFailure(
            f"{len(failed)} of {len(results)} replayed request(s) did not meet the expectation"
            f" ({opts.expect.text}); first: capture {first.capture_id}: {why}",
            hint="check the receiver's logs; `telcli webhook show ID` shows what was captured",
        )
    out.note(f"replayed {len(results)} request(s): all {opts.expect.text}")


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
    store = _store(app_ctx)
    store.db.conn  # create and migrate the DB before the writer thread opens it  # noqa: B018
    counts = {"captured": 0, "failed": 0}

    def on_event(event) -> None:
        if event.capture is None:
            counts["failed"] += 1
            out.warn(f"request not captured: {event.error}")
            return
        counts["captured"] += 1
        out.note(_listen_line(event))
        if out.json_mode:
            import json

            out.out.write(json.dumps(event.capture.to_json(), separators=(",", ":")) + "\n")
            out.out.flush()

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
    stop = threading.Event()
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
    out.note(f"stopped: {counts['captured']} request(s) captured{lost}")


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
    from telcli.providers import load_provider
    from telcli.services import webhooks as svc

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output(json=json_)
    if status not in (None, "delivered", "failed"):
        raise UsageProblem(f"--status {status!r}: use delivered or failed")
    carrier = load_provider(str(provider), app_ctx.provider_settings(str(provider)))
    records, added, known = svc.pull_telnyx(
        carrier,
        _store(app_ctx),
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
        f"pulled {records} delivery record(s) from {provider}: {len(added)} new capture(s){already}"
    )
    if added:
        out.note(
            "note: Telnyx reports the event, not the bytes sent: bodies are rebuilt as"
            ' {"data": …}; re-sign with a test key (--private-key) to replay them'
        )
