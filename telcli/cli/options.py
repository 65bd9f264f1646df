"""Shared option types (Annotated aliases) used by several command modules."""

from __future__ import annotations

from typing import Annotated

import typer

from telcli.models import ProviderChoice

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
        "--country", "-c", help="ISO country code (US, GB, ZA…); default from config, else US."
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
        help="Tenant id ([a-z0-9][a-z0-9-]{0,39}), as recorded at the provider.",
    ),
]


def tenant_value(value: str | None) -> str | None:
    """``--tenant``, checked: a UsageProblem (exit 2) for an id no tenant can have."""
    from telcli.tenancy import check_tenant_id

    return None if value is None else check_tenant_id(value)
