"""webhook sign | verify | keygen: the offline signing commands (capture/listen/replay later)."""

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
