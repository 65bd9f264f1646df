"""Telnyx connections and messaging profiles: list them, and turn a name into the id a number
is pointed at (``numbers configure --connection-id NAME``, tenant plan keys
``telnyx.connection`` / ``telnyx.messaging_profile``).

Telnyx sends a number's calls to its connection and its messages to its messaging profile, so
setting a number up needs those ids; the portal is no longer the only place to find them.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Literal

from telcli.errors import UsageProblem
from telcli.models import NumberConfig, ProviderResource

Kind = Literal["connection", "messaging_profile"]

_LISTING = {"connection": "list_connections", "messaging_profile": "list_messaging_profiles"}
_COMMAND = {"connection": "connections", "messaging_profile": "messaging-profiles"}
_WHAT = {"connection": "connection", "messaging_profile": "messaging profile"}
# Telnyx ids: connections are 64-bit integers (numbers_IntId), messaging profiles UUIDs.
_ID = re.compile(
    r"^(\d+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
)


def list_resources(carrier: Any, kind: Kind) -> list[ProviderResource]:
    """The account's connections or messaging profiles, by name (then id)."""
    found: list[ProviderResource] = getattr(carrier, _LISTING[kind])()
    return sorted(found, key=lambda r: ((r.name or "").casefold(), r.id))


def resolve(carrier: Any, kind: Kind, value: str) -> str:
    """The id of the Telnyx connection or messaging profile ``value`` names.

    A value shaped like a Telnyx id (digits, or a UUID) is taken as the id without a request
    (Telnyx itself refuses an unknown one); anything else is looked up by name, exactly but
    case-insensitively, or by id. UsageProblem (exit 2) when nothing or several match; the
    listing's own errors (AuthError, ProviderUnavailable...) pass through."""
    value = value.strip()
    if _ID.match(value):
        return value
    resources = list_resources(carrier, kind)
    exact = [r for r in resources if r.id == value]
    if exact:
        return exact[0].id
    named = [r for r in resources if (r.name or "").casefold() == value.casefold()]
    what, command = _WHAT[kind], f"telcli telnyx {_COMMAND[kind]}"
    if len(named) == 1:
        return named[0].id
    if named:
        ids = ", ".join(r.id for r in named)
        raise UsageProblem(
            f"{len(named)} Telnyx {what}s are named {value!r} ({ids})",
            hint=f"pass the id instead; `{command}` lists them",
        )
    names = [r.name for r in resources if r.name]
    close = [n for n in names if value.casefold() in n.casefold()]
    raise UsageProblem(
        f"no Telnyx {what} is named {value!r}"
        + (f" (did you mean {', '.join(repr(n) for n in close[:3])}?)" if close else ""),
        hint=f"`{command}` lists them with their ids",
    )


def resolve_config(carrier: Any, config: NumberConfig) -> NumberConfig:
    """``config`` with a connection or messaging profile given by name replaced by its id
    (Telnyx numbers only; other carriers refuse those settings themselves)."""
    if str(carrier.name) != "telnyx":
        return config
    changes: dict[str, str] = {}
    if config.connection_id:
        changes["connection_id"] = resolve(carrier, "connection", config.connection_id)
    if config.messaging_profile_id:
        changes["messaging_profile_id"] = resolve(
            carrier, "messaging_profile", config.messaging_profile_id
        )
    return replace(config, **changes) if changes else config
