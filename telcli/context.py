"""AppContext: the single seam between commands and the outside world (STYLE.md §4).

Everything expensive (config, state DB, keyring, providers, the sandbox) is built on first
use. Tests build their own context and pass it as ``obj=`` to the CliRunner.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telcli import envvars, validate
from telcli.errors import UsageProblem

if TYPE_CHECKING:
    import httpx

    from telcli.output.console import Output
    from telcli.output.progress import Activity
    from telcli.providers.base import ProviderSettings
    from telcli.storage.breakers import Breakers
    from telcli.storage.captures import CaptureStore
    from telcli.storage.completion_cache import CompletionCache
    from telcli.storage.config import Settings
    from telcli.storage.credentials import CredentialStore, Resolved
    from telcli.storage.ratelimits import RateLimits
    from telcli.storage.state import RunInfo, StateDB
    from telcli.transport import RetryPolicy

_TRUE = {"1", "true", "yes", "on"}


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in _TRUE


@dataclass
class AppContext:
    env: Mapping[str, str] = field(default_factory=dict)
    credential_store: CredentialStore | None = None
    transport: httpx.BaseTransport | None = None
    stdout_isatty: bool = False
    stderr_isatty: bool = False
    interactive: bool = False
    # global options (filled by the root callback)
    profile: str | None = None
    sandbox_flag: bool = False
    json: bool = False
    yes: bool = False
    debug: bool = False
    timeout: float | None = None  # --timeout: the command's deadline in seconds
    # time, injectable so tests of retries and breakers never really wait
    monotonic: Callable[[], float] = field(default=time.monotonic, repr=False)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    # wall-clock epoch seconds, for state shared between processes (pacing)
    clock: Callable[[], float] = field(default=time.time, repr=False)
    _carriers: dict[str, Any] = field(default_factory=dict, repr=False)
    _noted_profile: set[str] = field(default_factory=set, repr=False)

    @classmethod
    def from_environment(cls) -> AppContext:
        return cls(
            env=os.environ,
            stdout_isatty=sys.stdout.isatty(),
            stderr_isatty=sys.stderr.isatty(),
            interactive=sys.stdin.isatty() and sys.stderr.isatty(),
        )

    def apply_globals(
        self,
        *,
        profile: str | None,
        sandbox: bool,
        json: bool,
        yes: bool,
        debug: bool,
        timeout: float | None = None,
    ) -> None:
        self.timeout = timeout or self.timeout
        self.profile = profile or self.profile
        self.sandbox_flag = sandbox or self.sandbox_flag
        self.json = json or self.json
        self.yes = yes or self.yes
        self.debug = debug or self.debug or _truthy(self.env.get(envvars.TELCLI_DEBUG))

    # --- places ------------------------------------------------------------------------

    @cached_property
    def config_dir(self) -> Path:
        home = self.env.get(envvars.TELCLI_HOME)
        if home:
            return Path(home)
        import platformdirs

        return Path(platformdirs.user_config_dir("telcli", appauthor=False))

    @cached_property
    def state_dir(self) -> Path:
        home = self.env.get(envvars.TELCLI_HOME)
        if home:
            return Path(home)
        import platformdirs

        return Path(platformdirs.user_state_dir("telcli", appauthor=False))

    @property
    def config_path(self) -> Path:
        return self.config_dir / "config.yaml"

    @cached_property
    def sandbox_db_path(self) -> Path:
        """The sandbox's SQLite file, made ready (privately) on first use: a TELCLI_HOME or
        TELCLI_SANDBOX_DB where it cannot live is a config error, like for the state DB."""
        from telcli.storage.private import prepare_db

        override = self.env.get(envvars.TELCLI_SANDBOX_DB)
        path = Path(override) if override else self.state_dir / "sandbox.db"
        try:
            prepare_db(path)
        except OSError as exc:
            from telcli.errors import ConfigError

            raise ConfigError(
                f"cannot open the sandbox database {path}: {exc.strerror or exc}",
                hint=f"set {envvars.TELCLI_HOME} (or {envvars.TELCLI_SANDBOX_DB}) to a writable"
                " location",
            ) from None
        return path

    # --- settings and state ------------------------------------------------------------

    @cached_property
    def settings(self) -> Settings:
        from telcli.storage.completion_cache import CompletionCache
        from telcli.storage.config import load_settings

        settings = load_settings(
            self.config_path, self.profile or self.env.get(envvars.TELCLI_PROFILE)
        )
        # TAB offers the config's profiles; rewritten only when config.yaml changed.
        CompletionCache(self.state_dir / "completion").sync(
            "profiles", settings.profiles, source=self.config_path
        )
        return settings

    @property
    def profile_name(self) -> str:
        return self.settings.profile

    @property
    def sandbox(self) -> bool:
        return (
            self.sandbox_flag
            or _truthy(self.env.get(envvars.TELCLI_SANDBOX))
            or self.settings.sandbox
        )

    @cached_property
    def run(self) -> RunInfo:
        """This command run's operation id, OS user, host and (masked) provider accounts:
        what every ledger row it writes carries."""
        from telcli.storage.state import RunInfo

        return RunInfo()

    @cached_property
    def state(self) -> StateDB:
        from telcli.storage.state import StateDB

        return StateDB(self.state_dir / "state.db", self.run, notify=self.output().warn)

    @cached_property
    def completion(self) -> CompletionCache:
        """Values TAB offers (storage/completion_cache.py); commands refresh what they list."""
        from telcli.storage.completion_cache import CompletionCache

        return CompletionCache(self.state_dir / "completion", sandbox=self.sandbox)

    @cached_property
    def captures(self) -> CaptureStore:
        """The webhook capture store, in the state DB."""
        from telcli.storage.captures import CaptureStore

        return CaptureStore(self.state)

    @property
    def store(self) -> CredentialStore:
        if self.credential_store is None:
            from telcli.storage.credentials import DEFAULT_KEYRING_TIMEOUT, KeyringStore

            raw = self.env.get(envvars.TELCLI_KEYRING_TIMEOUT)
            try:
                timeout = (
                    validate.seconds(raw, envvars.TELCLI_KEYRING_TIMEOUT)
                    if raw
                    else DEFAULT_KEYRING_TIMEOUT
                )
            except validate.InvalidValue as exc:
                raise UsageProblem(exc.message) from None
            self.credential_store = KeyringStore(timeout=timeout)
        return self.credential_store

    # --- providers ---------------------------------------------------------------------

    def credentials(self, provider: str) -> Resolved:
        from telcli.storage.credentials import Resolved, resolve

        if self.sandbox:
            from telcli.sandbox import SANDBOX_CREDENTIALS

            return Resolved(dict(SANDBOX_CREDENTIALS[provider]), "sandbox")
        explicit = bool(self.profile or self.env.get(envvars.TELCLI_PROFILE))
        found = resolve(provider, self.profile_name, self.env, self.store, explicit=explicit)
        if found.ignored_env and provider not in self._noted_profile:
            # Once per provider and command: the environment says one account, the profile
            # another, and the profile wins (README, "Credentials").
            self._noted_profile.add(provider)
            print(
                f"note: profile {self.profile_name!r}: using its {provider} credentials from the"
                f" keyring, not {', '.join(found.ignored_env)} from the environment",
                file=sys.stderr,
            )
        return found

    @cached_property
    def sandbox_transport(self) -> httpx.BaseTransport:
        from telcli.sandbox.transport import SandboxTransport

        return SandboxTransport(self.sandbox_db_path, faults=self.sandbox_faults())

    def sandbox_faults(self) -> Any:
        """The sandbox's fault injector: rules from `sandbox faults set` and
        TELCLI_SANDBOX_FAULTS."""
        from telcli.sandbox.faults import FaultError, FaultInjector

        try:
            return FaultInjector.for_sandbox(
                self.sandbox_db_path, self.env.get(envvars.TELCLI_SANDBOX_FAULTS)
            )
        except FaultError as exc:
            from telcli.errors import ConfigError

            raise ConfigError(
                f"{envvars.TELCLI_SANDBOX_FAULTS}: {exc}",
                hint="e.g. TELCLI_SANDBOX_FAULTS='twilio.purchase:status=503,rate=0.2'",
            ) from None

    def base_urls(self, provider: str) -> dict[str, str]:
        """Host overrides for one provider: env beats config; the sandbox ignores both."""
        if self.sandbox:
            return {}
        urls = dict(self.settings.base_urls)
        variables = {
            **envvars.BASE_URL_VARS,
            "twilio_pricing": envvars.TELCLI_TWILIO_PRICING_BASE_URL,
        }
        for key, var in variables.items():
            if self.env.get(var):
                try:
                    urls[key] = validate.base_url(self.env[var], var)
                except validate.InvalidValue as exc:
                    raise UsageProblem(exc.message) from None
        out = {}
        if provider in urls:
            out["api"] = urls[provider]
        if provider == "twilio" and "twilio_pricing" in urls:
            out["pricing"] = urls["twilio_pricing"]
        return out

    def debug_log(self, secrets: tuple[str, ...] = ()) -> Any:
        if not self.debug:
            return None
        from telcli.transport import redact

        def log(line: str) -> None:
            # One write per line: print() writes the line and its newline separately, and
            # bulk work logs from several threads (pacing waits, requests), which then run
            # two lines into one.
            sys.stderr.write(redact(line, secrets) + "\n")
            sys.stderr.flush()

        return log

    def provider_settings(
        self, provider: str, credentials: Mapping[str, str] | None = None
    ) -> ProviderSettings:
        from telcli.providers.base import ProviderSettings

        values = dict(credentials) if credentials else self.credentials(provider).values
        secrets = tuple(v for k, v in values.items() if k != "account_sid")
        from telcli.storage.credentials import account_label

        self.run.accounts[provider] = "sandbox" if self.sandbox else account_label(provider, values)
        transport = self.transport
        if transport is None and self.sandbox:
            transport = self.sandbox_transport
        return ProviderSettings(
            credentials=values,
            base_urls=self.base_urls(provider),
            transport=transport,
            timeout=self.settings.timeout,
            debug_log=self.debug_log(secrets),
            retry=self.paced_policy(provider, values),
        )

    @cached_property
    def ratelimits(self) -> RateLimits:
        from telcli.storage.ratelimits import RateLimits

        return RateLimits(self.state.path, clock=self.clock)

    @property
    def rate_ceilings(self) -> dict[str, float]:
        """Requests/s per provider account: config ``rate_limits`` over the defaults."""
        from telcli.storage.ratelimits import DEFAULT_RATES

        return {**DEFAULT_RATES, **self.settings.rate_limits}

    def paced_policy(self, provider: str, credentials: Mapping[str, str]) -> RetryPolicy:
        """The command's retry policy, with the token bucket of the account these credentials
        belong to: every process of this TELCLI_HOME and profile paces through the same one."""
        from dataclasses import replace

        from telcli.storage.ratelimits import account_id

        ceiling = self.rate_ceilings[provider]
        pacer = self.ratelimits.pacer(
            provider, self.ledger_profile, account_id(provider, credentials), ceiling
        )
        return replace(self.retry_policy, pacer=pacer, busy=self.spinner and self.spinner.waiting)

    @cached_property
    def spinner(self) -> Activity | None:
        """The spinner every provider request runs under (transport.send): on a terminal's
        stderr only, never when it is piped or ``TERM=dumb``."""
        if not self.stderr_isatty or self.env.get("TERM") == "dumb":
            return None
        from telcli.output.progress import Activity

        return Activity(lambda: sys.stderr)

    @cached_property
    def retry_policy(self) -> RetryPolicy:
        """One retry policy per command: every request shares the deadline (``--timeout``,
        else the config ``deadline``), which starts at the first request."""
        from telcli.transport import Deadline, RetryPolicy

        seconds = self.timeout or self.settings.deadline
        return RetryPolicy(deadline=Deadline(seconds, clock=self.monotonic), sleep=self.sleep)

    def use_request_deadlines(self) -> None:
        """For long bulk runs (``tenants apply``): without --timeout, each request gets its
        own deadline instead of one budget for the whole command, which hundreds of
        requests would outlast. Call before any provider is built."""
        if self.timeout is None:
            from telcli.transport import RetryPolicy

            self.__dict__["retry_policy"] = RetryPolicy(deadline=None, sleep=self.sleep)

    @cached_property
    def settle(self) -> Any:
        """How this command settles a write whose answer was lost (services/settling.py):
        the configured window, bounded by the same deadline as every request."""
        from telcli.services.settling import Settle
        from telcli.transport import clock_offset

        return Settle(
            window=self.settings.settle_window,
            request_timeout=self.settings.timeout,
            deadline=self.retry_policy.deadline,
            clock_offset=clock_offset,
            monotonic=self.monotonic,
            sleep=self.sleep,
        )

    def restart_deadline(self) -> None:
        policy = self.__dict__.get("retry_policy")
        if policy is not None and policy.deadline is not None:
            policy.deadline.restart()

    def provider_with(self, name: str, credentials: Mapping[str, str]) -> Any:
        """A provider built from explicit credentials (``auth login`` verifies before saving)."""
        from telcli.providers import load_provider

        return load_provider(name, self.provider_settings(name, credentials))

    def vapi(self) -> Any:
        """The VAPI API (``providers.vapi.VapiProvider``) with this profile's key."""
        if "vapi" not in self._carriers:
            from telcli.providers import load_provider

            self._carriers["vapi"] = load_provider("vapi", self.provider_settings("vapi"))
        return self._carriers["vapi"]

    def carrier(self, name: str, *, notify: Any = None) -> Any:
        """The provider ``name``, behind its circuit breaker (services/failover.py)."""
        if name not in self._carriers:
            from telcli.providers import load_provider

            self._carriers[name] = load_provider(name, self.provider_settings(name))
        from telcli.services.failover import guard

        return guard(self._carriers[name], self.breakers, notify=notify)

    @property
    def ledger_profile(self) -> str:
        """The profile name the ledger and breakers use: sandbox work is kept apart from the
        real accounts of the same profile."""
        return f"{self.profile_name} (sandbox)" if self.sandbox else self.profile_name

    @cached_property
    def breakers(self) -> Breakers:
        from telcli.storage.breakers import Breakers, BreakerSettings

        s = self.settings
        limits = BreakerSettings(s.breaker_failures, s.breaker_window, s.breaker_cooldown)
        return Breakers(self.state, self.ledger_profile, limits)

    def carriers(self, choice: str | None, *, notify: Any = None) -> list[Any]:
        """Providers in failover order: ``--provider NAME`` (exactly that one, its credential
        errors raised), else ``all``/the profile's list, skipping (with a note) carriers that
        have no credentials, as long as one remains."""
        from telcli.errors import AuthError

        if choice not in (None, "all"):
            return [self.carrier(str(choice), notify=notify)]
        found, missing = [], []
        for name in self.settings.providers:
            try:
                found.append(self.carrier(name, notify=notify))
            except AuthError as exc:
                missing.append(exc)
                # A one-provider user is not told about the other on every command; asking
                # for all providers (or --debug) says which were left out.
                if notify is not None and (choice == "all" or self.debug):
                    notify(f"{name}: skipped ({exc.message})")
        if not found:
            if len(missing) == 1:
                raise missing[0]
            from telcli.storage.credentials import env_hint

            names = self.settings.providers
            raise AuthError(
                "no provider has credentials for profile " + repr(self.profile_name),
                hint=f"run `telcli auth login {names[0]}`, set "
                + " or ".join(env_hint(n) for n in names)
                + ", or try everything with --sandbox",
            )
        return found

    @property
    def command_prefix(self) -> str:
        """``telcli`` plus the global options in effect that the next command needs too
        (``--profile NAME``, ``--sandbox``): every hint and fix command runs as printed."""
        import shlex

        parts = ["telcli"]
        profile = self.profile or self.env.get(envvars.TELCLI_PROFILE)
        if profile:
            parts += ["--profile", shlex.quote(profile)]
        if self.sandbox_flag or _truthy(self.env.get(envvars.TELCLI_SANDBOX)):
            parts.append("--sandbox")
        return " ".join(parts)

    def output(self, *, json: bool = False) -> Output:
        from telcli.output.console import Output

        color = not (self.env.get(envvars.NO_COLOR) or self.env.get("TERM") == "dumb")
        return Output(
            json_mode=json or self.json,
            stdout_isatty=self.stdout_isatty,
            stderr_isatty=self.stderr_isatty,
            color=color,
            command_prefix=self.command_prefix,
        )
