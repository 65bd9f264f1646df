"""The credential store against a real freedesktop Secret Service (gnome-keyring).

Runs under ``.ci/with-secret-service.sh``, which starts a private D-Bus session with an unlocked
gnome-keyring and sets TELCLI_REAL_SECRET_SERVICE=1. Elsewhere these tests skip, except in CI
(``CI`` set), where a missing Secret Service fails them. Every test asserts the backend really
is SecretService, so a broken setup fails instead of passing quietly.

Raw keyring calls use a unique service name per test. ``KeyringStore`` always uses the service
``telcli``, so its tests use a unique profile name instead, and remove what they stored.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import keyring
import keyring.core
import keyring.errors
import pytest

from telcli.storage.credentials import FIELDS, SERVICE, KeyringStore, username
from tests.conftest import skip_or_fail
from tests.providers.helpers import load

pytestmark = pytest.mark.secret_service

TELNYX_KEY = "KEY0193C5E7A9B1D3F5A7C9E1B3D5F7A9C1_Lp4Kj6Hg8Fd0Sa2Qw9"
SECRET_BACKEND = "keyring.backends.SecretService.Keyring"


@pytest.fixture(autouse=True)
def real_secret_service() -> None:
    if os.environ.get("TELCLI_REAL_SECRET_SERVICE") != "1":
        skip_or_fail("needs a real Secret Service: run under .ci/with-secret-service.sh")


@pytest.fixture
def real_backend(monkeypatch: pytest.MonkeyPatch):
    """SecretService in this process, overriding the isolation fixture's fail backend.
    keyring caches its backend per process: the cached one is put back afterwards."""
    from keyring.backends import SecretService

    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.core._keyring_backend)
    backend = SecretService.Keyring()
    keyring.set_keyring(backend)
    assert f"{type(keyring.get_keyring()).__module__}.Keyring" == SECRET_BACKEND
    return backend


@pytest.fixture
def service(real_backend) -> str:
    name = f"telcli-test-{uuid.uuid4().hex}"
    yield name
    for user in ("twilio:auth_token", "telnyx:api_key"):
        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            keyring.delete_password(name, user)


@pytest.fixture
def profile(real_backend, home: Path) -> str:
    """A unique profile (defined in the test's config.yaml); its telcli entries are removed
    afterwards, whatever the test left behind."""
    name = f"ss-{uuid.uuid4().hex[:12]}"
    (home / "config.yaml").write_text(f"profiles:\n  {name}: {{}}\n", encoding="utf-8")
    yield name
    for provider, fields in FIELDS.items():
        for field in fields:
            with contextlib.suppress(keyring.errors.PasswordDeleteError):
                keyring.delete_password(SERVICE, username(name, provider, field))


def secret_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["secret-tool", *args], capture_output=True, text=True, timeout=20, check=False
    )


def lookup(service: str, user: str) -> str | None:
    run = secret_tool("lookup", "service", service, "username", user)
    return run.stdout if run.returncode == 0 else None


# --- the service itself ---------------------------------------------------------------------


def test_discovery_finds_secret_service() -> None:
    """What telcli gets when PYTHON_KEYRING_BACKEND is not set."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHON_KEYRING_BACKEND"}
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import keyring; k = keyring.get_keyring(); print(type(k).__module__)",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    # keyrings.alt in the venv would make this a ChainerBackend with a plaintext fallback.
    assert run.stdout.strip() == "keyring.backends.SecretService", run.stdout


def test_raw_round_trip_is_visible_to_secret_tool(service: str) -> None:
    user = "twilio:auth_token"
    assert keyring.get_password(service, user) is None
    keyring.set_password(service, user, "pw-1")
    keyring.set_password(service, user, "pw-2-é")
    assert keyring.get_password(service, user) == "pw-2-é"
    assert lookup(service, user) == "pw-2-é"
    keyring.delete_password(service, user)
    assert keyring.get_password(service, user) is None
    assert lookup(service, user) is None
    with pytest.raises(keyring.errors.PasswordDeleteError):
        keyring.delete_password(service, user)


# --- KeyringStore ---------------------------------------------------------------------------


def test_keyring_store_round_trip(profile: str) -> None:
    store = KeyringStore()
    assert store.backend_name() == SECRET_BACKEND
    user = f"{profile}/telnyx:api_key"
    assert store.get(profile, "telnyx", "api_key") is None
    store.set(profile, "telnyx", "api_key", TELNYX_KEY)
    assert store.get(profile, "telnyx", "api_key") == TELNYX_KEY
    assert lookup(SERVICE, user) == TELNYX_KEY
    # The default profile's entry is another item, untouched by this one.
    assert store.get("default", "telnyx", "api_key") != TELNYX_KEY
    store.set(profile, "telnyx", "api_key", "KEY-rotated-ünïcode-0000")
    assert lookup(SERVICE, user) == "KEY-rotated-ünïcode-0000"
    assert store.delete(profile, "telnyx", "api_key") is True
    assert store.delete(profile, "telnyx", "api_key") is False
    assert lookup(SERVICE, user) is None
    assert store.get(profile, "telnyx", "api_key") is None


def test_keyring_store_reads_what_secret_tool_stored(profile: str) -> None:
    user = f"{profile}/vapi:api_key"
    stored = subprocess.run(
        ["secret-tool", "store", "--label=telcli test", "service", SERVICE, "username", user],
        input="vapi-key-from-secret-tool-1234",
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert stored.returncode == 0, stored.stderr
    assert KeyringStore().get(profile, "vapi", "api_key") == "vapi-key-from-secret-tool-1234"


def test_cli_login_status_logout(profile: str, telcli, make_ctx) -> None:
    requests: list[httpx.Request] = []

    def telnyx(request: httpx.Request) -> httpx.Response:
        # ListPhoneNumbers, Telnyx's cheapest authenticated read (what verify calls).
        requests.append(request)
        assert (request.url.host, request.url.path) == ("api.telnyx.com", "/v2/phone_numbers")
        return httpx.Response(200, json=load("telnyx", "phone_numbers"))

    def run(*args: str, input: str | None = None, tty: bool = False):
        ctx = make_ctx(
            tty=tty, credential_store=KeyringStore(), transport=httpx.MockTransport(telnyx)
        )
        return telcli("--profile", profile, *args, ctx=ctx, input=input)

    login = run("auth", "login", "telnyx", input=f"{TELNYX_KEY}\n", tty=True)
    assert login.exit_code == 0, login
    assert "saved to the keyring" in login.stderr
    assert TELNYX_KEY not in login.stdout + login.stderr
    assert len(requests) == 1
    assert requests[0].headers["Authorization"] == f"Bearer {TELNYX_KEY}"
    assert lookup(SERVICE, f"{profile}/telnyx:api_key") == TELNYX_KEY

    status = run("auth", "status", "--offline", "--json")
    assert status.exit_code == 0, status
    rows = {r["provider"]: r for r in json.loads(status.stdout)}
    assert rows["telnyx"] == {
        "provider": "telnyx",
        "profile": profile,
        "source": "keyring",
        "last4": TELNYX_KEY[-4:],
        "verified": None,
        "detail": None,
    }
    assert rows["twilio"]["source"] == rows["vapi"]["source"] == "missing"

    for _ in range(2):
        logout = run("auth", "logout", "telnyx")
        assert logout.exit_code == 0, logout
    assert logout.stderr == f"no telnyx credentials were stored for profile {profile!r}\n"
    assert lookup(SERVICE, f"{profile}/telnyx:api_key") is None

    after = run("auth", "status", "--offline", "--json")
    assert {r["source"] for r in json.loads(after.stdout)} == {"missing"}
    assert len(requests) == 1  # --offline never calls out


def test_cli_subprocess_reads_the_real_keyring(profile: str) -> None:
    KeyringStore().set(profile, "telnyx", "api_key", TELNYX_KEY)
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": SECRET_BACKEND}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "telcli",
            "--profile",
            profile,
            "auth",
            "status",
            "--offline",
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    rows = {r["provider"]: r for r in json.loads(run.stdout)}
    assert (rows["telnyx"]["source"], rows["telnyx"]["last4"]) == ("keyring", TELNYX_KEY[-4:])
    assert rows["twilio"]["source"] == "missing"  # reachable store, nothing stored
    assert TELNYX_KEY not in run.stdout + run.stderr

    logout = subprocess.run(
        [sys.executable, "-m", "telcli", "--profile", profile, "auth", "logout", "telnyx"],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert logout.returncode == 0, logout.stderr
    assert lookup(SERVICE, f"{profile}/telnyx:api_key") is None
