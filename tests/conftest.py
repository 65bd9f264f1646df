"""Shared test fixtures: isolation (autouse), an app context, the CLI invoke helper, and
helpers that locate the official specs (mandatory in CI)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from telcli.context import AppContext
from telcli.storage.credentials import MemoryStore

REPO = Path(__file__).resolve().parent.parent
PROVIDER_ENV = (
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_API_KEY",
    "TWILIO_API_SECRET",
    "TELNYX_API_KEY",
    "VAPI_API_KEY",
    "TELCLI_PROFILE",
    "TELCLI_SANDBOX",
    "TELCLI_SANDBOX_DB",
    "TELCLI_SANDBOX_FAULTS",
    "TELCLI_DEBUG",
    "TELCLI_TWILIO_BASE_URL",
    "TELCLI_TWILIO_PRICING_BASE_URL",
    "TELCLI_TELNYX_BASE_URL",
    "TELCLI_VAPI_BASE_URL",
    "TELCLI_WEBHOOK_SECRET",
    "TELCLI_WEBHOOK_PRIVATE_KEY",
    "TELCLI_WEBHOOK_PUBLIC_KEY",
    "TELCLI_WEBHOOK_API_KEY",
)


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


def skip_or_fail(reason: str) -> None:
    """Skip with a clear reason on a developer machine; fail in CI, where nothing may skip."""
    if in_ci():
        pytest.fail(f"mandatory in CI: {reason}")
    pytest.skip(reason)


def specs_dir() -> Path:
    """The official OpenAPI documents: $TELCLI_SPECS_DIR or ../shared/specs beside the repo."""
    path = Path(os.environ.get("TELCLI_SPECS_DIR") or REPO.parent / "shared" / "specs")
    if not (path / "twilio_api_v2010.json").is_file():
        skip_or_fail(f"the official specs are not at {path} (set TELCLI_SPECS_DIR)")
    return path


@pytest.fixture(autouse=True)
def isolation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "telcli-home"
    home.mkdir()
    monkeypatch.setenv("TELCLI_HOME", str(home))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    for name in PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def home(isolation: Path) -> Path:
    return isolation


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def __repr__(self) -> str:  # readable assertion failures
        return f"Result(exit={self.exit_code}, stdout={self.stdout!r}, stderr={self.stderr!r})"


@pytest.fixture
def make_ctx(home: Path):
    """Build an AppContext like the real one, but with an in-memory credential store and
    explicit TTY flags."""

    def build(*, tty: bool = False, env: dict[str, str] | None = None, **kw) -> AppContext:
        full_env = dict(os.environ)
        full_env.update(env or {})
        kw.setdefault("credential_store", MemoryStore())
        return AppContext(
            env=full_env,
            stdout_isatty=tty,
            stderr_isatty=tty,
            interactive=tty,
            **kw,
        )

    return build


@pytest.fixture
def telcli(make_ctx):
    """Run telcli in process: ``telcli("numbers", "search", tty=False, input=None, ctx=None)``.

    Exceptions propagate (catch_exceptions=False) so a bug is a traceback, not exit 1."""
    from telcli.cli.app import app

    def run(*args: str, tty: bool = False, input: str | None = None, ctx=None, env=None) -> Result:
        context = ctx or make_ctx(tty=tty, env=env)
        runner = CliRunner()
        result = runner.invoke(
            app, list(args), obj=context, input=input, catch_exceptions=False, env=env
        )
        return Result(result.exit_code, result.stdout, result.stderr)

    return run
