"""Credential use cases: status, login (verify, then save), logout (idempotent)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from telcli.errors import AuthError, TelcliError
from telcli.models import CredentialStatus, ProviderName
from telcli.storage.credentials import (
    FIELDS,
    CredentialStore,
    KeyringUnavailable,
    Resolved,
    check_value,
    env_hint,
)


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
    """Verify ``values`` with one API call, then save them all or nothing (replacing any other
    fields stored for this provider and profile). Returns the account description.

    The write is checked by reading every field back; when a write or the check fails, the
    fields stored before are put back, so a failed login never leaves a new account SID
    beside an old token. AuthError (exit 4) says which of the two happened."""
    for field, value in values.items():
        check_value(value, f"the {provider} {field.replace('_', ' ')}")
    description = verify(values)
    fields = FIELDS[provider]
    before = {f: store.get(profile, provider, f) for f in fields}
    wanted = {f: values.get(f) for f in fields}
    try:
        _write(store, profile, provider, wanted)
        if {f: store.get(profile, provider, f) for f in fields} != wanted:
            raise KeyringUnavailable("the keyring did not keep what was written to it")
    except AuthError as exc:
        try:
            _write(store, profile, provider, before)
        except AuthError:
            raise AuthError(
                f"could not save the {provider} credentials ({exc.message}), and putting the"
                " previous ones back failed too: the keyring may hold a mix of old and new",
                hint=f"run `telcli auth logout {provider}`, then `telcli auth login {provider}`"
                f" again; or set {env_hint(provider)} in the environment",
            ) from None
        raise AuthError(
            f"could not save the {provider} credentials ({exc.message});"
            " the previously stored ones are unchanged",
            hint=exc.hint,
        ) from None
    return description


def _write(
    store: CredentialStore, profile: str, provider: str, values: Mapping[str, str | None]
) -> None:
    for field, value in values.items():
        if value:
            store.set(profile, provider, field, value)
        else:
            store.delete(profile, provider, field)


def logout(provider: str, *, profile: str, store: CredentialStore) -> int:
    """Remove every stored field; succeeds when nothing was stored. Returns how many went."""
    return sum(store.delete(profile, provider, field) for field in FIELDS[provider])
