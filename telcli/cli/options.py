"""Shared option types (Annotated aliases) used by several command modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from telcli import validate
from telcli.enums import ProviderChoice

# A --limit beyond this is a usage error: SQLite integers (and islice) stop at 64 bits.
MAX_LIMIT = 10**9


def check_seconds(minimum: float | None = None) -> Callable[..., float | None]:
    """An option callback for a duration in seconds: one rule for every duration flag
    (:func:`telcli.validate.seconds`: finite, above zero or ``minimum``, at most a day).
    Click's own ``min=`` lets NaN through (every comparison with NaN is false)."""

    def check(ctx: typer.Context, param: typer.CallbackParam, value: float | None) -> float | None:
        if value is None or ctx.resilient_parsing:
            return value
        try:
            return validate.seconds(value, "the value", minimum=minimum)
        except validate.InvalidValue as exc:
            raise typer.BadParameter(exc.message.removeprefix("the value ")) from None

    return check


def check_utf8(ctx: typer.Context, param: typer.CallbackParam, value: str | None) -> str | None:
    """An option callback for text options that are parsed before any command runs (global
    options): refuse bytes that are not UTF-8, as TelcliTyper does for command options."""
    if value is not None and validate.undecodable(value) is not None:
        raise typer.BadParameter(f"{validate.shown(value)} is not valid UTF-8 text")
    return value


def check_country(ctx: typer.Context, param: typer.CallbackParam, value: str | None) -> str | None:
    """An option callback: an ISO 3166-1 alpha-2 code, upper-cased (``UK`` → "did you mean GB?").
    Country codes end up in URL paths (Twilio's AvailablePhoneNumbers/{CountryCode}), so
    nothing else may pass."""
    if value is None or ctx.resilient_parsing:
        return value
    try:
        return validate.country(value, "")
    except validate.InvalidValue as exc:
        raise typer.BadParameter(f"{exc.message.strip()}; {exc.hint}") from None


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout (stable fields).")]
YesOpt = Annotated[
    bool, typer.Option("--yes", "-y", help="Confirm without asking (required without a TTY).")
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Show what would happen; change nothing, spend nothing.")
]
ProviderOpt = Annotated[
    ProviderChoice | None,
    typer.Option(
        "--provider",
        "-p",
        metavar="PROVIDER",
        help="Carrier to use: twilio, telnyx or all; default: every configured provider, in"
        " configured order.",
        case_sensitive=False,
    ),
]
CountryOpt = Annotated[
    str | None,
    typer.Option(
        "--country",
        "-c",
        callback=check_country,
        help="ISO country code (US, GB, ZA…); default from config, else US.",
    ),
]
NumberArg = Annotated[
    str, typer.Argument(metavar="NUMBER", help="Phone number in E.164, e.g. +14155550123.")
]
TenantOpt = Annotated[
    str | None,
    typer.Option(
        "--tenant",
        metavar="ID",
        help="Tenant id: 1-40 lowercase letters, digits and dashes, as recorded at the provider.",
    ),
]


def tenant_value(value: str | None) -> str | None:
    """``--tenant``, checked: a UsageProblem (exit 2) for an id no tenant can have."""
    from telcli.tenancy import check_tenant_id

    return None if value is None else check_tenant_id(value)
