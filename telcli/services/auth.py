"""Credential use cases: status, login (verify, then save), logout (idempotent)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from telcli.errors import AuthError, TelcliError
from telcli.models import CredentialStatus, ProviderName
from telcli.storage.credentials import FIELDS, CredentialStore, KeyringUnavailable, Resolved


def status(
    providers: Sequence[str],
    *,
    profile: str,
    lookup: Callable[[str], Resolved],
    verify: Callable[[str], str] | None = None,
) -> list[CredentialStatus]:
    """One row per provider: where its credentials come from, their last 4 characters, and
    (with ``verify``) whether one cheap authenticated call succeeded. Never raises for a single
    provider: a missing or unreadable credential is a row, not an error."""
    rows = []
    for name in providers:
        try:
            found = lookup(name)
        except AuthError as exc:
            source = "unavailable" if isinstance(exc, KeyringUnavailable) else "missing"
            rows.append(CredentialStatus(ProviderName(name), profile, source, detail=exc.message))
            continue
        verified: bool | None = None
        detail = None
        if verify is not None:
            try:
                detail = verify(name)
                verified = True
            except TelcliError as exc:
                verified, detail = False, exc.message
        rows.append(
            CredentialStatus(
                ProviderName(name), profile, found.source, found.last4, verified, detail
            )
        )
    return rows


def login(
    provider: str,
    values: Mapping[str, str],
    *,
    profile: str,
    store: CredentialStore,
    verify: Callable[[Mapping[str, str]], str],
) -> str:
    """Verify ``values`` with one API call, and only then save them (replacing any other
    fields stored for this provider and profile). Returns the account description."""
    description = verify(values)
    for field in FIELDS[provider]:
        if field in values:
            store.set(profile, provider, field, values[field])
        else:
            store.delete(profile, provider, field)
    return description


def logout(provider: str, *, profile: str, store: CredentialStore) -> int:
    """Remove every stored field; succeeds when nothing was stored. Returns how many went."""
    return sum(store.delete(profile, provider, field) for field in FIELDS[provider])
