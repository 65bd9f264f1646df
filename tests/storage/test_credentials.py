"""The credential chain without a real keyring: environment first, then ``KeyringStore``
against keyring's own ``fail``/``null`` backends, a bad ``PYTHON_KEYRING_BACKEND``, a backend
that hangs, and a tiny in-memory ``KeyringBackend`` that records what telcli asks it for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import keyring
import keyring.backend
import keyring.core
import keyring.errors
import pytest

from telcli.errors import AuthError
from telcli.storage.credentials import (
    SERVICE,
    KeyringStore,
    KeyringUnavailable,
    MemoryStore,
    Resolved,
    env_hint,
    resolve,
    username,
)

SID = "AC" + "3f0a9c1e5b7d2468ace013579bdf2468"
TOKEN = "f3a9c1e5b7d2468ace013579bdf24680"
API_KEY_SID = "SK" + "0123456789abcdef0123456789abcdef"
API_SECRET = "aSecretOf32CharactersForTwilio42"
TELNYX_KEY = "KEY0190A4B2C3D4E5F6A7B8C9D0E1F2_abcdefghijklmnop"
VAPI_KEY = "0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"

ALL_ENV = {
    "TWILIO_ACCOUNT_SID": SID,
    "TWILIO_AUTH_TOKEN": TOKEN,
    "TELNYX_API_KEY": TELNYX_KEY,
    "VAPI_API_KEY": VAPI_KEY,
}


class ExplodingStore:
    """A store that must never be asked: the environment is complete."""

    def get(self, profile: str, provider: str, field: str) -> str | None:
        raise AssertionError(f"keyring touched: get {provider}:{field}")

    def set(self, profile: str, provider: str, field: str, value: str) -> None:
        raise AssertionError(f"keyring touched: set {provider}:{field}")

    def delete(self, profile: str, provider: str, field: str) -> bool:
        raise AssertionError(f"keyring touched: delete {provider}:{field}")

    def backend_name(self) -> str:
        raise AssertionError("keyring touched: backend_name")


class DictKeyring(keyring.backend.KeyringBackend):
    """A real KeyringBackend that keeps secrets in a dict, so KeyringStore's own plumbing
    (service name, usernames, delete of a missing item) runs for real."""

    # Raising keeps this test backend out of keyring's discovery (it is never "viable"),
    # even though defining the class registers it process-wide.
    @keyring.backend.properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("test backend, only used through set_keyring")

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("No such password!")


class HangingKeyring(keyring.backend.KeyringBackend):
    """A backend whose calls block, like a locked keychain waiting for an unseen prompt."""

    @keyring.backend.properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("test backend, only used through set_keyring")

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.calls = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.calls += 1
        self.release.wait(30)
        return None

    set_password = delete_password = get_password  # type: ignore[assignment]


class RaisingKeyring(keyring.backend.KeyringBackend):
    """A backend that raises one given exception from every call."""

    @keyring.backend.properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("test backend, only used through set_keyring")

    def __init__(self, exc: BaseException) -> None:
        super().__init__()
        self.exc = exc

    def get_password(self, service: str, username: str) -> str | None:
        raise self.exc

    set_password = delete_password = get_password  # type: ignore[assignment]


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch):
    """Select a keyring backend for this test, in process, and restore the cached one after.

    keyring caches its backend per process, so ``use("keyring.backends.fail.Keyring")`` sets
    PYTHON_KEYRING_BACKEND and re-runs ``init_backend()``; ``use(instance)`` calls set_keyring.
    """
    # Records the cached backend (possibly None) so monkeypatch puts it back at teardown.
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.core._keyring_backend)

    def use(choice: str | keyring.backend.KeyringBackend) -> None:
        if isinstance(choice, str):
            monkeypatch.setenv("PYTHON_KEYRING_BACKEND", choice)
            keyring.core.init_backend()
        else:
            keyring.set_keyring(choice)

    return use


# --- environment first ----------------------------------------------------------------------


def test_env_wins_and_the_store_is_never_asked() -> None:
    found = resolve("twilio", "default", ALL_ENV, ExplodingStore())
    assert found == Resolved({"account_sid": SID, "auth_token": TOKEN}, "env")
    assert resolve("telnyx", "default", ALL_ENV, ExplodingStore()).values == {"api_key": TELNYX_KEY}
    assert resolve("vapi", "acme", ALL_ENV, ExplodingStore()).source == "env"


def test_env_beats_a_keyring_that_holds_other_values() -> None:
    store = MemoryStore({("default", "telnyx", "api_key"): "KEY-from-the-keyring-0000"})
    found = resolve("telnyx", "default", {"TELNYX_API_KEY": TELNYX_KEY}, store)
    assert (found.source, found.values["api_key"]) == ("env", TELNYX_KEY)


def test_twilio_api_key_variant_from_env() -> None:
    env = {
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_API_KEY": API_KEY_SID,
        "TWILIO_API_SECRET": API_SECRET,
    }
    found = resolve("twilio", "default", env, ExplodingStore())
    assert found.source == "env"
    assert found.values == {"account_sid": SID, "api_key": API_KEY_SID, "api_secret": API_SECRET}
    assert found.last4 == API_SECRET[-4:]


def test_twilio_auth_token_group_wins_when_both_are_complete() -> None:
    env = {**ALL_ENV, "TWILIO_API_KEY": API_KEY_SID, "TWILIO_API_SECRET": API_SECRET}
    assert resolve("twilio", "default", env, ExplodingStore()).values == {
        "account_sid": SID,
        "auth_token": TOKEN,
    }


def test_incomplete_env_falls_through_to_the_store() -> None:
    # A SID alone, or an API key without its secret, is not a credential.
    env = {"TWILIO_ACCOUNT_SID": SID, "TWILIO_API_KEY": API_KEY_SID}
    store = MemoryStore(
        {("default", "twilio", "account_sid"): SID, ("default", "twilio", "auth_token"): TOKEN}
    )
    found = resolve("twilio", "default", env, store)
    assert found == Resolved({"account_sid": SID, "auth_token": TOKEN}, "keyring")


def test_api_key_variant_from_the_store() -> None:
    store = MemoryStore(
        {
            ("acme", "twilio", "account_sid"): SID,
            ("acme", "twilio", "api_key"): API_KEY_SID,
            ("acme", "twilio", "api_secret"): API_SECRET,
        }
    )
    found = resolve("twilio", "acme", {}, store)
    assert found.source == "keyring"
    assert set(found.values) == {"account_sid", "api_key", "api_secret"}
    # ... and the default profile's entries are not the acme profile's.
    with pytest.raises(AuthError):
        resolve("twilio", "default", {}, store)


def test_last4_never_shows_more_than_four_characters() -> None:
    assert Resolved({"api_key": TELNYX_KEY}, "env").last4 == TELNYX_KEY[-4:]
    # A short secret would be half revealed by its last four: show nothing.
    assert Resolved({"api_key": "short-key"}, "env").last4 == "…"
    # The SID is an identifier, not the secret the last4 describes.
    assert Resolved({"account_sid": SID, "auth_token": TOKEN}, "env").last4 == TOKEN[-4:]


@pytest.mark.parametrize(
    ("provider", "names"),
    [
        (
            "twilio",
            ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET"],
        ),
        ("telnyx", ["TELNYX_API_KEY"]),
        ("vapi", ["VAPI_API_KEY"]),
    ],
)
def test_missing_credentials_hint_names_the_env_vars(provider: str, names: list[str]) -> None:
    with pytest.raises(AuthError) as caught:
        resolve(provider, "default", {}, MemoryStore())
    assert caught.value.exit_code == 4
    assert caught.value.message == f"no {provider} credentials for profile 'default'"
    assert caught.value.hint is not None
    assert f"telcli auth login {provider}" in caught.value.hint
    for name in names:
        assert name in caught.value.hint
    assert env_hint("twilio") == (
        "TWILIO_ACCOUNT_SID + TWILIO_AUTH_TOKEN or "
        "TWILIO_ACCOUNT_SID + TWILIO_API_KEY + TWILIO_API_SECRET"
    )


def test_missing_credentials_exit_4_through_the_cli(telcli) -> None:
    one = telcli("numbers", "list", "--provider", "telnyx")
    assert one.exit_code == 4, one
    assert one.stdout == ""
    assert one.stderr.splitlines() == [
        "error: no telnyx credentials for profile 'default'",
        "hint: run `telcli auth login telnyx`, or set TELNYX_API_KEY; or try everything with"
        " --sandbox",
    ]
    both = telcli("numbers", "list")
    assert both.exit_code == 4, both
    assert "error: no provider has credentials for profile 'default'" in both.stderr
    hint = next(line for line in both.stderr.splitlines() if line.startswith("hint: "))
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TELNYX_API_KEY"):
        assert name in hint
    assert "Traceback" not in both.stderr


def test_complete_env_never_imports_keyring_in_a_real_process(tmp_path) -> None:
    """With every credential in the environment, even a broken keyring setting is harmless:
    the keyring module is never imported (it costs ~0.2 s and may hang on a locked store)."""
    code = (
        "import sys\n"
        "from telcli.storage.credentials import KeyringStore, resolve\n"
        "import os\n"
        "store = KeyringStore(timeout=1)\n"
        "for name in ('twilio', 'telnyx', 'vapi'):\n"
        "    assert resolve(name, 'default', os.environ, store).source == 'env'\n"
        "print('keyring' in sys.modules)\n"
    )
    env = {**os.environ, **ALL_ENV, "PYTHON_KEYRING_BACKEND": "nope.Keyring"}
    run = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "False"

    status = subprocess.run(
        [sys.executable, "-m", "telcli", "auth", "status", "--offline", "--json"],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert status.returncode == 0, status.stderr
    rows = json.loads(status.stdout)
    assert [(r["provider"], r["source"]) for r in rows] == [
        ("twilio", "env"),
        ("telnyx", "env"),
        ("vapi", "env"),
    ]


# --- KeyringStore against keyring's own failing backends ---------------------------------------


def _all_operations(store: KeyringStore) -> list[AuthError]:
    errors = []
    for op in (
        lambda: store.get("default", "telnyx", "api_key"),
        lambda: store.set("default", "telnyx", "api_key", TELNYX_KEY),
        lambda: store.delete("default", "telnyx", "api_key"),
    ):
        with pytest.raises(AuthError) as caught:
            op()
        errors.append(caught.value)
    return errors


def test_fail_backend_means_no_system_keyring(backend) -> None:
    backend("keyring.backends.fail.Keyring")
    assert type(keyring.get_keyring()).__module__ == "keyring.backends.fail"
    for error in _all_operations(KeyringStore(timeout=5)):
        assert error.exit_code == 4
        assert error.message == (
            "cannot use the system keyring: no system keyring is available"
            " (no Secret Service or keychain)"
        )
        assert error.hint is not None
        assert error.hint.startswith("set TELNYX_API_KEY in the environment instead")
        assert TELNYX_KEY not in error.message + error.hint


def test_null_backend_is_disabled_and_never_pretends_to_save(backend) -> None:
    backend("keyring.backends.null.Keyring")
    for error in _all_operations(KeyringStore(timeout=5)):
        assert (
            error.message == "cannot use the system keyring: the keyring is disabled (null backend)"
        )


def test_bad_backend_setting_is_an_auth_error(backend, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "nope.Keyring")
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)  # force discovery again
    with pytest.raises(AuthError) as caught:
        KeyringStore(timeout=5).get("default", "vapi", "api_key")
    assert caught.value.message == (
        "cannot use the system keyring: the keyring backend could not be loaded"
        " (ModuleNotFoundError: No module named 'nope')"
    )
    assert caught.value.hint is not None and "VAPI_API_KEY" in caught.value.hint


@pytest.mark.parametrize(
    "setting",
    ["nope.Keyring", "keyring.backends.SecretService.Keyrin", "keyring.backends.null.Keyring"],
)
def test_bad_backend_through_the_cli_has_no_traceback(setting: str) -> None:
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": setting}
    run = subprocess.run(
        [sys.executable, "-m", "telcli", "auth", "logout", "telnyx"],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert run.returncode == 4, run
    assert run.stdout == ""
    lines = run.stderr.splitlines()
    assert len(lines) == 2, run.stderr
    assert lines[0].startswith("error: cannot use the system keyring: ")
    assert lines[1].startswith("hint: set TELNYX_API_KEY in the environment instead")


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (keyring.errors.KeyringLocked("Failed to unlock the collection!"), "the keyring is locked"),
        (
            keyring.errors.InitError("Failed to create the collection: Prompt dismissed.."),
            "the keyring could not be opened (Failed to create the collection: Prompt dismissed..)",
        ),
        (
            RuntimeError("Unable to initialize SecretService: bus gone\nmore detail"),
            "RuntimeError: Unable to initialize SecretService: bus gone",
        ),
        (keyring.errors.PasswordSetError("write refused"), "PasswordSetError: write refused"),
    ],
)
def test_backend_errors_become_one_line_auth_errors(backend, exc, reason: str) -> None:
    backend(RaisingKeyring(exc))
    with pytest.raises(AuthError) as caught:
        KeyringStore(timeout=5).get("default", "twilio", "auth_token")
    assert caught.value.message == f"cannot use the system keyring: {reason}"
    assert "\n" not in caught.value.message
    assert "TWILIO_ACCOUNT_SID + TWILIO_AUTH_TOKEN" in (caught.value.hint or "")


def test_a_hanging_backend_times_out(backend) -> None:
    hanging = HangingKeyring()
    backend(hanging)
    store = KeyringStore(timeout=0.3)
    try:
        started = time.monotonic()
        with pytest.raises(AuthError) as caught:
            store.get("default", "telnyx", "api_key")
        elapsed = time.monotonic() - started
        assert 0.25 <= elapsed < 3, elapsed
        assert caught.value.message == (
            "cannot use the system keyring: keyring lookup did not answer within 0.3 s"
            " (locked keyring?)"
        )
        # The blocked call is still pending: later calls fail at once instead of queueing up
        # another full timeout each (three providers in `auth status`).
        started = time.monotonic()
        for provider in ("twilio", "vapi"):
            with pytest.raises(AuthError, match=r"did not answer within 0\.3 s"):
                store.get("default", provider, "api_key")
        # at once: queueing, each would wait its own 0.3 s (0.6 s for two)
        assert time.monotonic() - started < 0.5
        assert hanging.calls == 1
    finally:
        hanging.release.set()


def test_hanging_backend_through_auth_status(backend, telcli, make_ctx) -> None:
    hanging = HangingKeyring()
    backend(hanging)
    try:
        ctx = make_ctx(credential_store=None, env={"TELCLI_KEYRING_TIMEOUT": "1.0"})
        started = time.monotonic()
        result = telcli("auth", "status", "--offline", "--json", ctx=ctx)
        elapsed = time.monotonic() - started
    finally:
        hanging.release.set()
    assert result.exit_code == 0, result
    rows = json.loads(result.stdout)
    assert {r["source"] for r in rows} == {"unavailable"}
    assert all("did not answer within 1 s" in r["detail"] for r in rows)
    # One timeout (1 s), not one per provider (3 s): the margin absorbs a loaded CI machine.
    assert elapsed < 2.5, elapsed


# nan made Thread.join raise ValueError, inf and 1e308 OverflowError; 0 and -1 reported a
# working keyring as "did not answer" (issue 12, item 3).
@pytest.mark.parametrize("raw", ["soon", "nan", "inf", "-inf", "1e308", "0", "-1", "86401"])
def test_bad_keyring_timeout_setting_is_a_usage_error(telcli, make_ctx, raw) -> None:
    ctx = make_ctx(credential_store=None, env={"TELCLI_KEYRING_TIMEOUT": raw})
    result = telcli("auth", "logout", "vapi", ctx=ctx)
    assert result.exit_code == 2, result
    assert result.stderr == (
        "error: TELCLI_KEYRING_TIMEOUT must be a positive number of seconds (at most 86400),"
        f" not {raw!r}\n"
    )


# --- what KeyringStore stores, and where --------------------------------------------------------


def test_usernames_per_profile() -> None:
    assert username("default", "twilio", "auth_token") == "twilio:auth_token"
    assert username("acme", "twilio", "auth_token") == "acme/twilio:auth_token"
    assert username("acme", "telnyx", "api_key") == "acme/telnyx:api_key"


def test_keyring_store_round_trip_uses_service_telcli(backend) -> None:
    kr = DictKeyring()
    backend(kr)
    store = KeyringStore(timeout=5)
    assert store.backend_name() == f"{__name__}.DictKeyring"
    store.set("default", "twilio", "auth_token", TOKEN)
    store.set("acme", "twilio", "auth_token", "acme-token-0123456789")
    assert kr.items == {
        (SERVICE, "twilio:auth_token"): TOKEN,
        (SERVICE, "acme/twilio:auth_token"): "acme-token-0123456789",
    }
    assert SERVICE == "telcli"
    assert store.get("default", "twilio", "auth_token") == TOKEN
    assert store.get("acme", "twilio", "auth_token") == "acme-token-0123456789"
    assert store.get("other", "twilio", "auth_token") is None
    assert store.delete("acme", "twilio", "auth_token") is True
    assert store.delete("acme", "twilio", "auth_token") is False  # idempotent, no error
    assert kr.items == {(SERVICE, "twilio:auth_token"): TOKEN}


def test_resolve_through_keyring_store(backend) -> None:
    kr = DictKeyring()
    backend(kr)
    kr.items[(SERVICE, "acme/telnyx:api_key")] = TELNYX_KEY
    store = KeyringStore(timeout=5)
    assert resolve("telnyx", "acme", {}, store) == Resolved({"api_key": TELNYX_KEY}, "keyring")
    with pytest.raises(AuthError, match="no telnyx credentials for profile 'default'"):
        resolve("telnyx", "default", {}, store)


# -- an explicit profile's credentials win over the environment's ------------------------------

OTHER_KEY = "KEY-of-another-account-in-the-environment-0000"


def test_explicit_profile_uses_its_keyring_even_when_the_environment_holds_others() -> None:
    # Before: the environment's key won, whatever --profile said.
    store = MemoryStore({("acme", "telnyx", "api_key"): TELNYX_KEY})
    env = {"TELNYX_API_KEY": OTHER_KEY}
    found = resolve("telnyx", "acme", env, store, explicit=True)
    assert (found.values, found.source) == ({"api_key": TELNYX_KEY}, "keyring")
    assert found.ignored_env == ("TELNYX_API_KEY",)
    # Without an explicit profile the environment still wins, as documented.
    assert resolve("telnyx", "acme", env, store).values == {"api_key": OTHER_KEY}


def test_explicit_profile_without_stored_credentials_never_uses_the_environments() -> None:
    with pytest.raises(AuthError) as caught:
        resolve("telnyx", "acme", {"TELNYX_API_KEY": OTHER_KEY}, MemoryStore(), explicit=True)
    assert caught.value.exit_code == 4
    assert "TELNYX_API_KEY from the environment are not used" in caught.value.message
    assert OTHER_KEY not in caught.value.message + (caught.value.hint or "")
    assert "telcli auth login telnyx --profile acme" in (caught.value.hint or "")


def test_explicit_profile_says_so_once_on_stderr(telcli, make_ctx, home) -> None:
    (home / "config.yaml").write_text("profiles:\n  acme: {}\n", encoding="utf-8")
    store = MemoryStore({("acme", "telnyx", "api_key"): TELNYX_KEY})
    env = {"TELNYX_API_KEY": OTHER_KEY, "TELCLI_PROFILE": "acme"}
    result = telcli(
        "auth", "status", "--offline", "--json", ctx=make_ctx(env=env, credential_store=store)
    )
    assert result.exit_code == 0, result
    rows = {r["provider"]: r for r in json.loads(result.stdout)}
    assert (rows["telnyx"]["source"], rows["telnyx"]["last4"]) == ("keyring", TELNYX_KEY[-4:])
    notes = [line for line in result.stderr.splitlines() if "TELNYX_API_KEY" in line]
    assert notes == [
        "note: profile 'acme': using its telnyx credentials from the keyring, not"
        " TELNYX_API_KEY from the environment"
    ]
    assert OTHER_KEY not in result.stderr and TELNYX_KEY not in result.stderr


def test_the_profile_note_is_printed_once_per_provider(make_ctx, home, capsys) -> None:
    (home / "config.yaml").write_text("profiles:\n  acme: {}\n", encoding="utf-8")
    store = MemoryStore({("acme", "telnyx", "api_key"): TELNYX_KEY})
    ctx = make_ctx(env={"TELNYX_API_KEY": OTHER_KEY}, credential_store=store)
    ctx.apply_globals(profile="acme", sandbox=False, json=False, yes=False, debug=False)
    for _ in range(3):
        assert ctx.credentials("telnyx").values == {"api_key": TELNYX_KEY}
    assert capsys.readouterr().err.count("using its telnyx credentials") == 1


# --- values that cannot travel in a header, backends that answer nonsense (issue 12) -----------


@pytest.mark.parametrize(
    ("env", "says"),
    [
        (
            {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "\udcff"},
            "TWILIO_AUTH_TOKEN contains a byte that is not UTF-8 at position 1",
        ),
        (
            {"TELNYX_API_KEY": "KEY0190é4B2C3"},
            "TELNYX_API_KEY contains a non-ASCII character at position 8",
        ),
        (
            {"VAPI_API_KEY": "0f8e7d6c 5b4a"},
            "VAPI_API_KEY contains a space or control character at position 9",
        ),
        (
            {"TWILIO_ACCOUNT_SID": "AC\n" + SID[3:], "TWILIO_AUTH_TOKEN": TOKEN},
            "TWILIO_ACCOUNT_SID contains a space or control character at position 3",
        ),
    ],
)
def test_env_credentials_that_cannot_go_in_a_header_are_exit_4(env, says) -> None:
    provider = next(iter(env)).split("_")[0].lower()
    with pytest.raises(AuthError) as err:
        resolve(provider, "default", env, ExplodingStore())
    assert err.value.exit_code == 4
    assert err.value.message.startswith(says)
    bad = [v for v in env.values() if v not in (SID, TOKEN)]
    assert not any(v in err.value.message for v in bad)  # the value itself is never echoed


def test_a_keyring_value_that_cannot_go_in_a_header_names_its_entry() -> None:
    store = MemoryStore({("acme", "telnyx", "api_key"): "KEY\u00e9abcdef"})
    with pytest.raises(AuthError, match=r"^the keyring's acme/telnyx:api_key contains a non-ASCII"):
        resolve("telnyx", "acme", {}, store)


class OddKeyring(DictKeyring):
    """A backend that breaks keyring's contract (str or None) by answering another type."""

    def __init__(self, answer: object) -> None:
        super().__init__()
        self.answer = answer

    def get_password(self, service: str, username: str) -> str | None:
        return self.answer  # type: ignore[return-value]


@pytest.mark.parametrize("answer", [b"KEY0190A4B2C3D4E5F6", 42, ["a"]])
def test_a_backend_answering_other_than_text_is_a_broken_keyring(backend, answer) -> None:
    backend(OddKeyring(answer))
    with pytest.raises(KeyringUnavailable) as err:
        KeyringStore(timeout=5).get("default", "telnyx", "api_key")
    assert err.value.message == (
        "cannot use the system keyring: the keyring backend answered"
        f" {type(answer).__name__} instead of text (a broken backend)"
    )


def test_a_broken_backend_is_exit_4_for_search_and_a_row_in_auth_status(
    backend, telcli, make_ctx
) -> None:
    backend(OddKeyring(b"bytes"))
    search = telcli("numbers", "search", "-p", "telnyx", ctx=make_ctx(credential_store=None))
    assert search.exit_code == 4, search
    assert "Traceback" not in search.stderr
    assert "answered bytes instead of text" in search.stderr
    status = telcli("auth", "status", "--offline", "--json", ctx=make_ctx(credential_store=None))
    assert status.exit_code == 0, status
    assert {row["source"] for row in json.loads(status.stdout)} == {"unavailable"}
    providers = telcli("providers", "status", "--json", ctx=make_ctx(credential_store=None))
    assert providers.exit_code == 0, providers
    assert {row["credentials"] for row in json.loads(providers.stdout)} == {"unavailable"}
