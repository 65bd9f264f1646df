"""webhook sign | verify | keygen: offline signing, no network and no store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from telcli import envvars
from telcli.cli.base import TelcliTyper
from telcli.cli.options import JsonOpt
from telcli.cli.webhook_common import (
    ApiKeyOpt,
    BodyFileOpt,
    ContentTypeOpt,
    PlanOpt,
    PrivateKeyOpt,
    PublicKeyOpt,
    SchemeOpt,
    SecretOpt,
    SignatureInvalid,
    UrlOpt,
    VariantOpt,
    WebhookScheme,
    at_option,
    credentials,
    from_env,
    key_text,
    parse_header,
    read_body,
    read_plan,
)
from telcli.context import AppContext

if TYPE_CHECKING:
    from telcli.webhooks import Verdict

app = TelcliTyper()

# --- sign ----------------------------------------------------------------------------------


@app.command("sign")
def webhook_sign(
    ctx: typer.Context,
    scheme: SchemeOpt,
    body_file: BodyFileOpt,
    secret: SecretOpt = None,
    url: UrlOpt = None,
    content_type: ContentTypeOpt = None,
    private_key: PrivateKeyOpt = None,
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
    creds = credentials(ctx, scheme, secret=secret, private_key=private_key, api_key=api_key)
    result = webhooks.sign(
        str(scheme),
        body=read_body(body_file),
        url=url,
        content_type=content_type,
        secret=creds["secret"],
        private_key=key_text(creds["private_key"], "--private-key"),
        timestamp=timestamp,
        api_key=creds["api_key"],
        variant=variant,
        message_id=message_id,
        plan=read_plan(plan),
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
    public_key: PublicKeyOpt = None,
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
        at_option("Judge time windows as of this Unix time (to check an old capture)."),
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
    headers = [parse_header(h) for h in header or ()]
    creds = credentials(
        ctx, scheme, secret=secret, public_key=public_key, private_key=private_key, api_key=api_key
    )
    if creds["public_key"] is not None and creds["private_key"] is not None:
        # An explicit flag beats the environment; two explicit keys are a usage error below.
        if from_env(ctx, "private_key"):
            creds["private_key"] = None
        elif from_env(ctx, "public_key"):
            creds["public_key"] = None
    verdict = webhooks.verify(
        str(scheme),
        body=read_body(body_file),
        headers=headers,
        url=url,
        content_type=content_type,
        secret=creds["secret"],
        public_key=key_text(creds["public_key"], "--public-key"),
        private_key=key_text(creds["private_key"], "--private-key"),
        api_key=creds["api_key"],
        variant=variant,
        plan=read_plan(plan),
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
