"""auth login | status | logout in process: a MemoryStore (or keyring's real ``fail`` backend)
and an httpx.MockTransport standing in for the providers' cheapest authenticated reads."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import keyring.core
import pytest

from telcli.storage.credentials import KeyringStore, MemoryStore
from tests.providers.helpers import load

SID = "AC" + "9b1e4c7a2d5f8036b9e2c5a8d1f4703b"
TOKEN = "5c2e9a7f1b3d4e6a8c0f2b4d6e8a0c1e"
KEY_SID = "SK" + "7d3a9e1c5b2f48069c1e3a5b7d9f2c4e"
KEY_SECRET = "Zq8Wm2Xn4Yp6Rs0Tu1Vb3Nc5Md7Lf9Kg"
TELNYX_KEY = "KEY0193B8D4F6A2C9E1B3D5F7A9C1E3B5D7_Qw3Er5Ty7Ui9Op1As2"
VAPI_KEY = "1e2d3c4b-5a69-4788-97a6-b5c4d3e2f1a0"

COLUMNS = ["provider", "profile", "source", "last4", "verified", "detail"]


class Api:
    """Answers the verify calls: Twilio FetchAccount, Telnyx ListPhoneNumbers, VAPI
    AssistantController_findAll. ``status`` per host picks a failure; every request is kept."""

    def __init__(self, **status: int) -> None:
        self.status = {"twilio": 200, "telnyx": 200, "vapi": 200, **status}
        self.requests: list[httpx.Request] = []
        self.before: Callable[[httpx.Request], None] | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.before is not None:
            self.before(request)
        host, path = request.url.host, request.url.path
        if host == "api.twilio.com" and path.startswith("/2010-04-01/Accounts/"):
            if self.status["twilio"] != 200:
                return httpx.Response(self.status["twilio"], json=load("twilio", "error_20003"))
            sid = path.rsplit("/", 1)[1].removesuffix(".json")
            return httpx.Response(200, json={**load("twilio", "account"), "sid": sid})
        if host == "api.telnyx.com" and path == "/v2/phone_numbers":
            if self.status["telnyx"] != 200:
                return httpx.Response(self.status["telnyx"], json=load("telnyx", "errors_401"))
            return httpx.Response(200, json=load("telnyx", "phone_numbers"))
        if host == "api.vapi.ai" and path == "/assistant":
            if self.status["vapi"] != 200:
                return httpx.Response(
                    self.status["vapi"], json={"message": "Invalid Key.", "statusCode": 401}
                )
            return httpx.Response(200, json=[{"id": "a1", "name": "Receptionist"}])
        raise AssertionError(f"unexpected request {request.method} {request.url}")


def no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request expected, got {request.method} {request.url}")


@pytest.fixture
def api() -> Api:
    return Api()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def ctx(make_ctx, api: Api, store: MemoryStore):
    def build(*, tty: bool = True, env: dict[str, str] | None = None, **kw):
        kw.setdefault("credential_store", store)
        kw.setdefault("transport", httpx.MockTransport(api))
        return make_ctx(tty=tty, env=env, **kw)

    return build


@pytest.fixture
def fail_keyring(monkeypatch: pytest.MonkeyPatch) -> KeyringStore:
    """keyring's real fail backend (what a headless box without a Secret Service gets)."""
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.core._keyring_backend)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    keyring.core.init_backend()
    return KeyringStore(timeout=5)


def write_profiles(home, *names: str) -> None:
    profiles = "".join(f"  {n}: {{}}\n" for n in names)
    (home / "config.yaml").write_text(f"profiles:\n{profiles}", encoding="utf-8")


# --- login ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "env_vars"),
    [
        ("twilio", "TWILIO_ACCOUNT_SID + TWILIO_AUTH_TOKEN or "),
        ("telnyx", "TELNYX_API_KEY"),
        ("vapi", "VAPI_API_KEY"),
    ],
)
def test_login_without_a_tty_refuses_and_names_the_env_vars(
    telcli, ctx, api, store, provider, env_vars
) -> None:
    result = telcli("auth", "login", provider, ctx=ctx(tty=False), input="would-be-secret\n")
    assert result.exit_code == 2, result
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == f"error: cannot prompt for {provider} credentials: stdin is not a terminal"
    assert lines[1].startswith("hint: set ") and env_vars in lines[1]
    assert len(lines) == 2  # and no prompt was shown
    assert store.values == {} and api.requests == []


def test_login_prompts_hidden_and_verifies_before_saving(telcli, ctx, api, store) -> None:
    seen_store_at_verify: list[dict] = []
    api.before = lambda request: seen_store_at_verify.append(dict(store.values))
    result = telcli("auth", "login", "telnyx", ctx=ctx(), input=f"  {TELNYX_KEY}  \n")
    assert result.exit_code == 0, result
    # Click's prompt writes its trailing space through input(), hence the blank on stdout.
    assert result.stdout.strip() == ""
    assert result.stderr.startswith("telnyx API key:")
    assert TELNYX_KEY not in result.stderr + result.stdout  # hidden input is not echoed
    assert result.stderr.rstrip().endswith(
        "✓ telnyx credentials verified (Telnyx API key accepted, 1 numbers on the account)"
        " and saved to the keyring for profile 'default'"
    )
    # One cheap authenticated call, made while nothing was saved yet.
    [request] = api.requests
    assert (request.method, request.url.path) == ("GET", "/v2/phone_numbers")
    assert request.url.params["page[size]"] == "1"
    assert request.headers["Authorization"] == f"Bearer {TELNYX_KEY}"
    assert seen_store_at_verify == [{}]
    assert store.values == {("default", "telnyx", "api_key"): TELNYX_KEY}  # stripped


@pytest.mark.parametrize("provider", ["telnyx", "vapi"])
def test_login_that_fails_verification_saves_nothing(telcli, ctx, store, provider) -> None:
    old = "KEY-previously-saved-and-still-good-0000"
    store.values[("default", provider, "api_key")] = old
    api = Api(**{provider: 401})
    result = telcli(
        "auth",
        "login",
        provider,
        ctx=ctx(transport=httpx.MockTransport(api)),
        input="bad-key-12345678\n",
    )
    assert result.exit_code == 4, result
    assert f"error: {provider} rejected the credentials (401)" in result.stderr
    assert "bad-key-12345678" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert len(api.requests) == 1
    assert store.values == {("default", provider, "api_key"): old}  # untouched


def test_login_twilio_prompts_sid_then_hidden_token(telcli, ctx, api, store) -> None:
    # An API-key login stored earlier is replaced, not left half-valid beside the token.
    store.values.update(
        {
            ("default", "twilio", "account_sid"): SID,
            ("default", "twilio", "api_key"): KEY_SID,
            ("default", "twilio", "api_secret"): KEY_SECRET,
        }
    )
    result = telcli("auth", "login", "twilio", ctx=ctx(), input=f"{SID}\n{TOKEN}\n")
    assert result.exit_code == 0, result
    assert "Twilio account SID (AC…):" in result.stderr
    assert "Twilio auth token:" in result.stderr
    assert TOKEN not in result.stderr + result.stdout  # the SID is echoed, the token is not
    assert f"(Acme Telephony Ops ({SID}, active))" in result.stderr
    [request] = api.requests
    assert request.url.path == f"/2010-04-01/Accounts/{SID}.json"
    assert request.headers["Authorization"].startswith("Basic ")
    assert store.values == {
        ("default", "twilio", "account_sid"): SID,
        ("default", "twilio", "auth_token"): TOKEN,
    }


def test_login_twilio_with_an_api_key(telcli, ctx, api, store) -> None:
    result = telcli(
        "auth",
        "login",
        "twilio",
        "--api-key",
        "--account-sid",
        SID,
        ctx=ctx(),
        input=f"{KEY_SID}\n{KEY_SECRET}\n",
    )
    assert result.exit_code == 0, result
    assert "account SID" not in result.stderr  # given as an option, not prompted
    assert KEY_SECRET not in result.stderr + result.stdout
    import base64

    [request] = api.requests
    assert (
        request.headers["Authorization"]
        == "Basic " + base64.b64encode(f"{KEY_SID}:{KEY_SECRET}".encode()).decode()
    )
    assert store.values == {
        ("default", "twilio", "account_sid"): SID,
        ("default", "twilio", "api_key"): KEY_SID,
        ("default", "twilio", "api_secret"): KEY_SECRET,
    }


@pytest.mark.parametrize(
    ("args", "input_", "shown"),
    [
        (["--account-sid", "SK7d3a9e1c5b2f48069c1e3a5b7d9f2c4e"], "", "SK7d3a…"),
        (["--account-sid", "AC123"], "", "AC123…"),
        ([], "ac9b1e4c7a2d5f8036b9e2c5a8d1f4703bXX\n", "ac9b1e…"),
    ],
)
def test_login_twilio_rejects_a_bad_sid_before_asking_for_the_token(
    telcli, ctx, api, store, args, input_, shown
) -> None:
    result = telcli("auth", "login", "twilio", *args, ctx=ctx(), input=input_)
    assert result.exit_code == 2, result
    assert f"error: {shown} is not a Twilio account SID" in result.stderr
    assert "hint: it starts with AC and has 34 characters" in result.stderr
    assert "auth token" not in result.stderr
    assert store.values == {} and api.requests == []


def test_login_verified_but_no_keyring_to_save_to(telcli, ctx, api, fail_keyring) -> None:
    result = telcli(
        "auth", "login", "vapi", ctx=ctx(credential_store=fail_keyring), input=f"{VAPI_KEY}\n"
    )
    assert result.exit_code == 4, result
    assert len(api.requests) == 1
    lines = result.stderr.splitlines()
    assert lines[-2].endswith(  # after the prompt, which ends without a newline
        "error: cannot use the system keyring: no system keyring is available"
        " (no Secret Service or keychain)"
    )
    assert lines[-1].startswith("hint: set VAPI_API_KEY in the environment instead")
    assert "saved" not in result.stderr and VAPI_KEY not in result.stderr


@pytest.mark.parametrize("how", ["flag", "env"])
def test_login_under_the_sandbox_is_a_usage_error(telcli, ctx, api, store, how) -> None:
    if how == "flag":
        result = telcli("--sandbox", "auth", "login", "telnyx", ctx=ctx(), input="x\n")
    else:
        result = telcli(
            "auth", "login", "telnyx", ctx=ctx(env={"TELCLI_SANDBOX": "1"}), input="x\n"
        )
    assert result.exit_code == 2, result
    assert result.stderr.splitlines() == [
        "error: the sandbox needs no credentials",
        "hint: drop --sandbox to log in",
    ]
    assert store.values == {} and api.requests == []


# --- status --------------------------------------------------------------------------------


@pytest.fixture
def mixed(store: MemoryStore) -> dict[str, str]:
    """twilio: nothing; telnyx: in the keyring; vapi: in the environment."""
    store.values[("default", "telnyx", "api_key")] = TELNYX_KEY
    return {"VAPI_API_KEY": VAPI_KEY}


def test_status_json_offline(telcli, ctx, mixed) -> None:
    result = telcli(
        "auth",
        "status",
        "--offline",
        "--json",
        ctx=ctx(tty=False, env=mixed, transport=httpx.MockTransport(no_network)),
    )
    assert result.exit_code == 0, result
    rows = json.loads(result.stdout)
    assert [list(r) for r in rows] == [COLUMNS] * 3
    assert rows == [
        {
            "provider": "twilio",
            "profile": "default",
            "source": "missing",
            "last4": None,
            "verified": None,
            "detail": "no twilio credentials for profile 'default'",
        },
        {
            "provider": "telnyx",
            "profile": "default",
            "source": "keyring",
            "last4": TELNYX_KEY[-4:],
            "verified": None,
            "detail": None,
        },
        {
            "provider": "vapi",
            "profile": "default",
            "source": "env",
            "last4": VAPI_KEY[-4:],
            "verified": None,
            "detail": None,
        },
    ]
    assert TELNYX_KEY not in result.stdout and VAPI_KEY not in result.stdout


def test_status_verifies_each_configured_provider(telcli, ctx, mixed, store) -> None:
    api = Api(telnyx=401)
    result = telcli(
        "auth",
        "status",
        "--json",
        ctx=ctx(tty=False, env=mixed, transport=httpx.MockTransport(api)),
    )
    assert result.exit_code == 0, result
    rows = {r["provider"]: r for r in json.loads(result.stdout)}
    assert rows["twilio"]["verified"] is None  # nothing to verify
    assert rows["telnyx"]["verified"] is False
    assert rows["telnyx"]["detail"].startswith("telnyx rejected the credentials (401)")
    assert rows["vapi"]["verified"] is True
    assert rows["vapi"]["detail"] == "VAPI org reachable, 1+ assistants"
    assert sorted(r.url.host for r in api.requests) == ["api.telnyx.com", "api.vapi.ai"]
    # A failed check reports; it never deletes what is stored.
    assert store.values == {("default", "telnyx", "api_key"): TELNYX_KEY}


def test_status_piped_is_six_column_tsv(telcli, ctx, mixed) -> None:
    result = telcli("auth", "status", "--offline", ctx=ctx(tty=False, env=mixed))
    assert result.exit_code == 0, result
    assert [line.split("\t") for line in result.stdout.splitlines()] == [
        ["twilio", "default", "missing", "", "", "no twilio credentials for profile 'default'"],
        ["telnyx", "default", "keyring", "…" + TELNYX_KEY[-4:], "", ""],
        ["vapi", "default", "env", "…" + VAPI_KEY[-4:], "", ""],
    ]


def test_status_on_a_tty_is_a_table(telcli, ctx, mixed) -> None:
    result = telcli("auth", "status", "--offline", ctx=ctx(tty=True, env=mixed))
    assert result.exit_code == 0, result
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["Provider", "Profile", "Source", "Key", "Verified", "Detail"]
    assert lines[2].split() == ["telnyx", "default", "keyring", "…" + TELNYX_KEY[-4:]]


def test_status_env_source_for_twilio_api_key(telcli, ctx) -> None:
    env = {"TWILIO_ACCOUNT_SID": SID, "TWILIO_API_KEY": KEY_SID, "TWILIO_API_SECRET": KEY_SECRET}
    result = telcli("auth", "status", "--offline", "--json", ctx=ctx(tty=False, env=env))
    twilio = json.loads(result.stdout)[0]
    assert (twilio["source"], twilio["last4"]) == ("env", KEY_SECRET[-4:])


def test_status_for_another_profile(telcli, ctx, store, home) -> None:
    write_profiles(home, "acme")
    store.values[("acme", "vapi", "api_key")] = VAPI_KEY
    store.values[("default", "telnyx", "api_key")] = TELNYX_KEY
    result = telcli(
        "--profile", "acme", "auth", "status", "--offline", "--json", ctx=ctx(tty=False)
    )
    rows = json.loads(result.stdout)
    assert [(r["provider"], r["profile"], r["source"]) for r in rows] == [
        ("twilio", "acme", "missing"),
        ("telnyx", "acme", "missing"),
        ("vapi", "acme", "keyring"),
    ]


def test_status_with_no_keyring_still_succeeds(telcli, ctx, fail_keyring) -> None:
    result = telcli(
        "auth",
        "status",
        "--offline",
        "--json",
        ctx=ctx(tty=False, env={"TELNYX_API_KEY": TELNYX_KEY}, credential_store=fail_keyring),
    )
    assert result.exit_code == 0, result
    rows = {r["provider"]: r for r in json.loads(result.stdout)}
    assert rows["telnyx"]["source"] == "env"
    for name in ("twilio", "vapi"):
        assert rows[name]["source"] == "unavailable"
        assert "no system keyring is available" in rows[name]["detail"]


# --- logout --------------------------------------------------------------------------------


def test_logout_is_idempotent_and_per_profile(telcli, ctx, store) -> None:
    store.values.update(
        {
            ("default", "twilio", "account_sid"): SID,
            ("default", "twilio", "auth_token"): TOKEN,
            ("default", "twilio", "api_key"): KEY_SID,
            ("acme", "twilio", "auth_token"): TOKEN,
            ("default", "vapi", "api_key"): VAPI_KEY,
        }
    )
    first = telcli("auth", "logout", "twilio", ctx=ctx(tty=False))
    assert first.exit_code == 0, first
    assert first.stderr == "ok: removed twilio credentials for profile 'default'\n"
    assert store.values == {
        ("acme", "twilio", "auth_token"): TOKEN,
        ("default", "vapi", "api_key"): VAPI_KEY,
    }
    again = telcli("auth", "logout", "twilio", ctx=ctx(tty=False))
    assert again.exit_code == 0, again
    assert again.stderr == "no twilio credentials were stored for profile 'default'\n"
    assert first.stdout == again.stdout == ""


def test_logout_without_a_keyring_is_one_clean_error(telcli, ctx, fail_keyring) -> None:
    result = telcli("auth", "logout", "telnyx", ctx=ctx(tty=False, credential_store=fail_keyring))
    assert result.exit_code == 4, result
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: cannot use the system keyring: no system keyring is available"
        " (no Secret Service or keychain)",
        "hint: set TELNYX_API_KEY in the environment instead, or run where a Secret Service"
        " (gnome-keyring, KeePassXC) or keychain is unlocked",
    ]


# --- all or nothing (issue 12, item 11) -------------------------------------------------------


class FlakyStore(MemoryStore):
    """A MemoryStore whose writes number ``fail`` (1-based) fail, like a keyring that locks
    mid-login, or that silently keeps nothing (``discard``)."""

    def __init__(self, values=None, *, fail: tuple[int, ...] = (), discard: bool = False):
        super().__init__(values)
        self.fail, self.discard, self.writes = fail, discard, 0

    def set(self, profile: str, provider: str, field: str, value: str) -> None:
        from telcli.storage.credentials import KeyringUnavailable

        self.writes += 1
        if self.writes in self.fail:
            raise KeyringUnavailable("cannot use the system keyring: the keyring is locked")
        if not self.discard:
            super().set(profile, provider, field, value)


OLD = {
    ("default", "twilio", "account_sid"): "AC" + "0" * 32,
    ("default", "twilio", "auth_token"): "0" * 32,
}


def test_login_whose_token_write_fails_keeps_the_old_pair(telcli, ctx, api) -> None:
    store = FlakyStore(OLD, fail=(2,))  # the SID is written, the token write fails
    result = telcli(
        "auth", "login", "twilio", ctx=ctx(credential_store=store), input=f"{SID}\n{TOKEN}\n"
    )
    assert result.exit_code == 4, result
    assert store.values == OLD  # never the new SID beside the old token
    assert (
        "error: could not save the twilio credentials (cannot use the system keyring: the"
        " keyring is locked); the previously stored ones are unchanged" in result.stderr
    )
    assert TOKEN not in result.stderr


def test_login_into_a_keyring_that_keeps_nothing_is_reported(telcli, ctx, api) -> None:
    store = FlakyStore(OLD, discard=True)
    result = telcli(
        "auth", "login", "twilio", ctx=ctx(credential_store=store), input=f"{SID}\n{TOKEN}\n"
    )
    assert result.exit_code == 4, result
    assert "the keyring did not keep what was written to it" in result.stderr
    assert store.values == OLD


def test_login_whose_rollback_fails_too_says_the_keyring_may_be_mixed(telcli, ctx, api) -> None:
    store = FlakyStore(OLD, fail=(2, 3, 4))  # the token write fails, and so does the rollback
    result = telcli(
        "auth", "login", "twilio", ctx=ctx(credential_store=store), input=f"{SID}\n{TOKEN}\n"
    )
    assert result.exit_code == 4, result
    assert "the keyring may hold a mix of old and new" in result.stderr
    assert "hint: run `telcli auth logout twilio`, then `telcli auth login twilio`" in (
        result.stderr
    )


def test_login_with_a_key_that_cannot_go_in_a_header_sends_nothing(telcli, ctx, api, store) -> None:
    result = telcli("auth", "login", "telnyx", ctx=ctx(), input="KEY0193é\n")
    assert result.exit_code == 4, result
    assert "the telnyx api key contains a non-ASCII character at position 8" in result.stderr
    assert api.requests == [] and store.values == {}
