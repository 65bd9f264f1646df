"""Credentials: environment first, then the OS keyring (service ``telcli``); with an
explicit profile (``--profile`` or ``TELCLI_PROFILE``), that profile's keyring entries only.

Keyring usernames are ``<provider>:<field>`` for the ``default`` profile and
``<profile>/<provider>:<field>`` for any other. ``keyring`` is imported inside methods only
(it costs ~0.2 s), and every backend failure becomes one ``AuthError`` with a hint to use the
environment variables. There is never a silent plaintext fallback: a ``fail`` or ``null``
backend counts as "no keyring", and a call that hangs (a locked keychain waiting for a
prompt nobody sees) is bounded by a timeout.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

from telcli import envvars
from telcli.errors import AuthError

SERVICE = "telcli"
DEFAULT_KEYRING_TIMEOUT = 10.0

# What each provider needs; the first group that is complete wins.
FIELDS: dict[str, tuple[str, ...]] = {
    "twilio": ("account_sid", "auth_token", "api_key", "api_secret"),
    "telnyx": ("api_key",),
    "vapi": ("api_key",),
}
REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "twilio": (("account_sid", "auth_token"), ("account_sid", "api_key", "api_secret")),
    "telnyx": (("api_key",),),
    "vapi": (("api_key",),),
}
SECRET_FIELDS = frozenset({"auth_token", "api_key", "api_secret"})
ENV: dict[tuple[str, str], str] = {
    ("twilio", "account_sid"): envvars.TWILIO_ACCOUNT_SID,
    ("twilio", "auth_token"): envvars.TWILIO_AUTH_TOKEN,
    ("twilio", "api_key"): envvars.TWILIO_API_KEY,
    ("twilio", "api_secret"): envvars.TWILIO_API_SECRET,
    ("telnyx", "api_key"): envvars.TELNYX_API_KEY,
    ("vapi", "api_key"): envvars.VAPI_API_KEY,
}


def env_hint(provider: str) -> str:
    groups = [" + ".join(ENV[(provider, f)] for f in group) for group in REQUIRED[provider]]
    return " or ".join(groups)


def username(profile: str, provider: str, field: str) -> str:
    base = f"{provider}:{field}"
    return base if profile == "default" else f"{profile}/{base}"


class KeyringUnavailable(AuthError):
    """The keyring itself cannot be used (none, disabled, locked, hung): not "not logged in"."""


class CredentialStore(Protocol):
    def get(self, profile: str, provider: str, field: str) -> str | None: ...
    def set(self, profile: str, provider: str, field: str, value: str) -> None: ...
    def delete(self, profile: str, provider: str, field: str) -> bool: ...
    def backend_name(self) -> str: ...


T = TypeVar("T")


class KeyringStore:
    """The system keyring, bounded by ``timeout`` seconds per call."""

    def __init__(self, timeout: float = DEFAULT_KEYRING_TIMEOUT) -> None:
        self.timeout = timeout
        self._checked = False
        # Set once a call timed out: its thread is still blocked in the backend, so every
        # further call would wait the full timeout again (3 providers in `auth status`).
        self._hung: str | None = None

    def _fail(self, reason: str, provider: str | None = None) -> KeyringUnavailable:
        where = (
            f"set {env_hint(provider)} in the environment instead"
            if provider
            else "set the provider's environment variables instead"
        )
        return KeyringUnavailable(
            f"cannot use the system keyring: {reason}",
            hint=f"{where}, or run where a Secret Service (gnome-keyring, KeePassXC) or keychain"
            " is unlocked",
        )

    def _bounded(self, what: str, fn: Callable[[], T], provider: str | None = None) -> T:
        if self._hung is not None:
            raise self._fail(self._hung, provider)
        result: list[T] = []
        error: list[BaseException] = []

        def run() -> None:
            try:
                result.append(fn())
            except BaseException as exc:  # carried to the caller's thread
                error.append(exc)

        worker = threading.Thread(target=run, name=f"keyring-{what}", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            self._hung = f"{what} did not answer within {self.timeout:g} s (locked keyring?)"
            raise self._fail(self._hung, provider)
        if error:
            raise self._translate(error[0], provider) from None
        return result[0]

    def _translate(self, exc: BaseException, provider: str | None) -> AuthError:
        import keyring.errors

        if isinstance(exc, AuthError):
            return exc
        if isinstance(exc, keyring.errors.KeyringLocked):
            return self._fail("the keyring is locked", provider)
        if isinstance(exc, keyring.errors.NoKeyringError):
            return self._fail(
                "no system keyring is available (no Secret Service or keychain)", provider
            )
        if isinstance(exc, keyring.errors.InitError):
            return self._fail(f"the keyring could not be opened ({_first_line(exc)})", provider)
        return self._fail(f"{type(exc).__name__}: {_first_line(exc)}", provider)

    def _keyring(self, provider: str | None = None):  # type: ignore[no-untyped-def]
        import keyring
        import keyring.backends.fail
        import keyring.backends.null

        if not self._checked:

            def discover() -> object:
                try:
                    return keyring.get_keyring()
                except Exception as exc:  # a bad PYTHON_KEYRING_BACKEND raises anything
                    raise self._fail(
                        "the keyring backend could not be loaded"
                        f" ({type(exc).__name__}: {_first_line(exc)})",
                        provider,
                    ) from None

            backend = self._bounded("keyring discovery", discover, provider)
            if isinstance(backend, keyring.backends.fail.Keyring):
                raise self._fail(
                    "no system keyring is available (no Secret Service or keychain)", provider
                )
            if isinstance(backend, keyring.backends.null.Keyring):
                raise self._fail("the keyring is disabled (null backend)", provider)
            self._checked = True
        return keyring

    def backend_name(self) -> str:
        kr = self._keyring()
        backend = kr.get_keyring()
        return f"{type(backend).__module__}.{type(backend).__name__}"

    def get(self, profile: str, provider: str, field: str) -> str | None:
        kr = self._keyring(provider)
        value: object = self._bounded(
            "keyring lookup",
            lambda: kr.get_password(SERVICE, username(profile, provider, field)),
            provider,
        )
        if value is not None and not isinstance(value, str):
            # keyring's API promises str or None; anything else is a broken backend.
            raise self._fail(
                f"the keyring backend answered {type(value).__name__} instead of text"
                " (a broken backend)",
                provider,
            )
        return value

    def set(self, profile: str, provider: str, field: str, value: str) -> None:
        kr = self._keyring(provider)
        self._bounded(
            "keyring write",
            lambda: kr.set_password(SERVICE, username(profile, provider, field), value),
            provider,
        )

    def delete(self, profile: str, provider: str, field: str) -> bool:
        kr = self._keyring(provider)
        import keyring.errors

        def remove() -> bool:
            try:
                kr.delete_password(SERVICE, username(profile, provider, field))
            except keyring.errors.PasswordDeleteError:
                return False  # nothing stored: logout stays idempotent
            return True

        return self._bounded("keyring delete", remove, provider)


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


class MemoryStore:
    """An in-memory store (tests, and ``--sandbox``)."""

    def __init__(self, values: Mapping[tuple[str, str, str], str] | None = None) -> None:
        self.values: dict[tuple[str, str, str], str] = dict(values or {})

    def get(self, profile: str, provider: str, field: str) -> str | None:
        return self.values.get((profile, provider, field))

    def set(self, profile: str, provider: str, field: str, value: str) -> None:
        self.values[(profile, provider, field)] = value

    def delete(self, profile: str, provider: str, field: str) -> bool:
        return self.values.pop((profile, provider, field), None) is not None

    def backend_name(self) -> str:
        return "memory"


@dataclass(frozen=True)
class Resolved:
    values: dict[str, str]
    source: str  # "env" | "keyring" | "sandbox"
    # Environment variables that held credentials for this provider but were not used,
    # because an explicit profile chose its own (names only, never values).
    ignored_env: tuple[str, ...] = ()

    @property
    def last4(self) -> str:
        secret = next(
            (self.values[f] for f in ("auth_token", "api_secret", "api_key") if self.values.get(f)),
            "",
        )
        return secret[-4:] if len(secret) >= 12 else "…"


def account_label(provider: str, values: Mapping[str, str]) -> str:
    """The account behind ``values``, masked, for the ledger: a Twilio account SID shortened
    to ``AC12…cdef`` (an identifier, not a secret); for providers known only by an API key,
    the key's last four characters as `telcli auth status` shows them (``key …cdef``)."""
    sid = values.get("account_sid", "")
    if provider == "twilio" and len(sid) >= 12:
        return f"{sid[:4]}…{sid[-4:]}"
    key = values.get("api_key", "")
    return f"key …{key[-4:]}" if len(key) >= 12 else ""


def _complete(provider: str, values: Mapping[str, str]) -> dict[str, str] | None:
    for group in REQUIRED[provider]:
        if all(values.get(f) for f in group):
            return {f: values[f] for f in group}
    return None


def from_env(provider: str, env: Mapping[str, str]) -> dict[str, str] | None:
    values = {f: env.get(ENV[(provider, f)], "") for f in FIELDS[provider]}
    found = _complete(provider, values)
    if found:
        for field, value in found.items():
            check_value(value, ENV[(provider, field)])
    return found


def check_value(value: str, name: str) -> None:
    """Credentials travel in HTTP headers (Basic or Bearer) and Twilio's account SID in URL
    paths: only visible ASCII can be sent. AuthError (exit 4) naming where the value came from
    (``name``) and the first bad position, never the value itself."""
    for position, char in enumerate(value, 1):
        if "!" <= char <= "~":
            continue
        if "\udc80" <= char <= "\udcff":
            what = "a byte that is not UTF-8"
        elif char > "~":
            what = "a non-ASCII character"
        else:
            what = "a space or control character"
        raise AuthError(
            f"{name} contains {what} at position {position}: credentials can hold only"
            " visible ASCII characters",
            hint="copy the value again from the provider's console",
        )


def env_names(provider: str, env: Mapping[str, str]) -> tuple[str, ...]:
    """The names of this provider's credential variables set (non-empty) in ``env``."""
    return tuple(ENV[(provider, f)] for f in FIELDS[provider] if env.get(ENV[(provider, f)]))


def resolve(
    provider: str,
    profile: str,
    env: Mapping[str, str],
    store: CredentialStore,
    *,
    explicit: bool = False,
) -> Resolved:
    """Environment first (never touching the keyring when it is complete), then the keyring.

    With ``explicit`` (the profile was named by ``--profile`` or ``TELCLI_PROFILE``), the
    profile's own keyring entries are used even when the environment holds credentials, as
    the AWS CLI does with ``--profile``; a profile without stored credentials is an error,
    never a silent use of the environment's (another account's) credentials.
    """
    if not explicit:
        found = from_env(provider, env)
        if found:
            return Resolved(found, "env")
    ignored = env_names(provider, env) if explicit else ()
    values = {}
    for field in FIELDS[provider]:
        value = store.get(profile, provider, field)
        if value:
            values[field] = value
    found = _complete(provider, values)
    if found:
        for field, value in found.items():
            check_value(value, f"the keyring's {username(profile, provider, field)}")
        return Resolved(found, "keyring", ignored)
    if ignored:
        flag = "" if profile == "default" else f" --profile {profile}"
        raise AuthError(
            f"no {provider} credentials stored for profile {profile!r}; with an explicit"
            f" profile, {', '.join(ignored)} from the environment are not used",
            hint=f"run `telcli auth login {provider}{flag}`, or drop --profile and unset"
            " TELCLI_PROFILE to use the environment's credentials",
        )
    raise AuthError(
        f"no {provider} credentials for profile {profile!r}",
        hint=f"run `telcli auth login {provider}`, or set {env_hint(provider)}; "
        "or try everything with --sandbox",
    )
