"""Rebuild the completion cache from the sources of truth (``telcli completion refresh``).

Everyday commands keep the cache fresh as a side effect of what they list; this is the one
place that asks every source at once. Reads only: owned numbers at each carrier, VAPI's
assistants, the local capture store, the config's profiles.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from telcli.errors import TelcliError

Notify = Callable[[str], None]

# Capture ids offered on TAB: the newest ones (older ids still work when typed).
CAPTURES_OFFERED = 200


def _quiet(_: str) -> None:
    pass


def remember_numbers(cache: Any, numbers: Sequence[Any], *, complete: Sequence[str] = ()) -> None:
    """Owned numbers just listed: replace each provider in ``complete`` (a full listing of it),
    add the rest. Tenant ids carried by the numbers are remembered too."""
    by_provider: dict[str, list[str]] = {str(p): [] for p in complete}
    for n in numbers:
        by_provider.setdefault(str(n.provider), []).append(n.phone_number)
    for provider, values in by_provider.items():
        if provider in complete:
            cache.replace("numbers", values, scope=provider)
        else:
            cache.add("numbers", values, scope=provider)
    tenants = [t for t in (getattr(n, "tenant", None) for n in numbers) if t]
    if tenants:
        cache.add("tenants", tenants)


def assistant_words(assistants: Sequence[Any]) -> list[str]:
    """Each assistant's id, and its name where the name is one shell word."""
    words = []
    for a in assistants:
        words.append(a.id)
        if a.name and " " not in a.name:
            words.append(a.name)
    return words


def refresh(
    cache: Any,
    *,
    carriers: Sequence[Any],
    vapi: Callable[[], Any] | None,
    captures: Any,
    profiles: Sequence[str],
    notify: Notify = _quiet,
) -> dict[str, int]:
    """Ask every source and rewrite the cache; returns how many values each kind now holds.

    A source that cannot be asked keeps its old entries (with a note): stale beats empty.
    """
    from telcli.services import numbers as numbers_svc
    from telcli.services import vapi as vapi_svc
    from telcli.storage.captures import CaptureFilter

    counts: dict[str, int] = {}
    for carrier in carriers:
        try:
            owned = numbers_svc.list_owned([carrier])
        except TelcliError as exc:
            notify(f"{carrier.name}: owned numbers not refreshed: {exc.message}")
            continue
        remember_numbers(cache, owned, complete=[str(carrier.name)])
    counts["numbers"] = len(cache.values("numbers"))
    if vapi is not None:
        try:
            cache.replace("assistants", assistant_words(vapi_svc.list_assistants(vapi())))
        except TelcliError as exc:
            notify(f"vapi: assistants not refreshed: {exc.message}")
    counts["assistants"] = len(cache.values("assistants"))
    newest = captures.query(CaptureFilter(limit=CAPTURES_OFFERED))
    cache.replace("captures", [str(c.id) for c in reversed(newest)])
    counts["captures"] = len(cache.values("captures"))
    cache.replace("profiles", profiles)
    counts["profiles"] = len(cache.values("profiles"))
    counts["tenants"] = len(cache.values("tenants"))
    return counts
