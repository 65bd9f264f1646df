"""What the webhook verbs share: option types, secrets from flags or the environment, and
reading bodies, keys and plans (the CLI owns that I/O)."""

from __future__ import annotations

import math
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from telcli import envvars
from telcli.cli.options import MAX_LIMIT
from telcli.errors import ProviderRejected, UsageProblem

if TYPE_CHECKING:
    from telcli.webhooks.vapi import HmacPlan

PS_NOTE = "Secrets given on the command line are visible to other local users in `ps`"
_MAX_UNIX = 2**34  # the year 2514: far enough for any capture, small enough for datetime


def _unix_time(value: float | None) -> float | None:
    # NaN compares false with everything, so a window check "as of NaN" would always pass.
    if value is not None and not (math.isfinite(value) and 0 <= value <= _MAX_UNIX):
        raise typer.BadParameter(f"{value} is not a Unix time in seconds (e.g. 1700000000)")
    return value


def at_option(help_text: str) -> Any:
    return typer.Option("--at", metavar="UNIX", callback=_unix_time, help=help_text)


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
        metavar="SECRET",
        envvar=envvars.TELCLI_WEBHOOK_SECRET,
        show_default=False,
        help="Twilio Auth Token, VAPI secret, LiveKit API secret or HMAC secret"
        f" (TELCLI_WEBHOOK_SECRET). {PS_NOTE}.",
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
        metavar="KEY",
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


ProviderFilterOpt = Annotated[
    str | None,
    typer.Option("--provider", "-p", help="Only captures from this provider (twilio, telnyx…)."),
]
EventOpt = Annotated[
    str | None,
    typer.Option(
        "--event",
        help="Only this event type: the common one (call.completed) or the provider's"
        " (call.hangup, completed).",
    ),
]
NumberFilterOpt = Annotated[
    str | None,
    typer.Option("--number", metavar="NUMBER", help="Only events from or to this E.164 number."),
]
CallFilterOpt = Annotated[
    str | None,
    typer.Option("--call", metavar="ID", help="Only events of this call or message id."),
]
StatusFilterOpt = Annotated[
    str | None,
    typer.Option("--status", help="Only events with this provider status (e.g. busy, delivered)."),
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
# SQLite integers are 64-bit: larger ids and limits are usage errors (exit 2), not overflows.
MAX_ID = 2**63 - 1
LimitOpt = Annotated[
    int | None, typer.Option("--limit", "-n", min=1, max=MAX_LIMIT, help="At most this many.")
]
IdsArg = Annotated[
    list[int] | None,
    typer.Argument(metavar="[ID]...", min=1, max=MAX_ID, help="Capture ids."),
]
PrivateKeyOpt = Annotated[
    str | None,
    typer.Option(
        "--private-key",
        metavar="KEY",
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


def read_body(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UsageProblem(f"cannot read --body-file {path}: {exc.strerror or exc}") from None


def key_text(value: str | None, flag: str) -> str | None:
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


def parse_header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip() or name != name.strip():
        raise UsageProblem(
            f"--header {name.strip()!r}… is not 'Name: value'",
            hint="e.g. -H 'X-Twilio-Signature: RSOYDt4T1cUTdK1PDd93/VVr8B8='",
        )
    return name, value.strip()


def read_plan(path: Path | None) -> HmacPlan | None:
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
    except RecursionError:
        raise UsageProblem(f"--plan {path} is nested too deeply to be an HMAC plan") from None
    if not isinstance(data, dict):
        raise UsageProblem(f"--plan {path} must hold a JSON object")
    return HmacPlan.from_json(data)


def from_env(ctx: typer.Context, param: str) -> bool:
    source = ctx.get_parameter_source(param)
    return source is not None and source.name == "ENVIRONMENT"


# Which credentials each scheme takes. A TELCLI_WEBHOOK_* variable set for one scheme is
# ignored by the others; the same value given as a flag is a usage error (exit 2).
USES = {
    "twilio": {"secret"},
    "telnyx": {"private_key", "public_key"},
    "vapi": {"secret"},
    "livekit": {"secret", "api_key"},
    "hmac-sha256": {"secret"},
}


def credentials(ctx: typer.Context, scheme: str, **values: str | None) -> dict[str, str | None]:
    uses = USES[str(scheme)]
    return {
        name: None if name not in uses and from_env(ctx, name) else value
        for name, value in values.items()
    }


def capture_filter(
    provider, event, sid, since, limit, source=None, ids=(), *, number=None, call=None, status=None
):  # -> CaptureFilter
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
        number=number,
        call=call,
        status=status,
    )


def signing_keys(secret, public_key, private_key, api_key, plan):  # -> services.webhooks.Keys
    from telcli.services.webhooks import Keys

    return Keys(
        secret=secret or None,
        public_key=key_text(public_key, "--public-key"),
        private_key=key_text(private_key, "--private-key"),
        api_key=api_key or None,
        plan=read_plan(plan),
    )


FILTER_KEYS = ("provider", "event", "sid", "since", "source", "number", "call", "status", "limit")


def filter_from(ids: list[int], filters: list[str]):  # -> CaptureFilter
    """``--filter KEY=VALUE`` options (replay, delete) as a capture filter."""
    values: dict[str, str] = {}
    for item in filters:
        key, sep, value = item.partition("=")
        if not sep or key not in FILTER_KEYS or not value:
            raise UsageProblem(
                f"--filter {item[:40]!r} is not KEY=VALUE",
                hint=f"keys: {', '.join(FILTER_KEYS)}; e.g. --filter provider=twilio",
            )
        values[key] = value
    limit = values.get("limit")
    if limit is not None and not (
        limit.isascii() and limit.isdigit() and 0 < int(limit) <= MAX_LIMIT
    ):
        raise UsageProblem(f"--filter limit={limit[:20]!r} is not a number from 1 to {MAX_LIMIT}")
    return capture_filter(
        values.get("provider"),
        values.get("event"),
        values.get("sid"),
        values.get("since"),
        int(limit) if limit else None,
        values.get("source"),
        ids=ids,
        number=values.get("number"),
        call=values.get("call"),
        status=values.get("status"),
    )
