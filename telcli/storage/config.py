"""config.yaml: profiles, provider order, defaults. Validated with file, line and key in errors.

    # config.yaml (top-level keys are defaults for every profile)
    default_profile: default
    providers: [twilio, telnyx]
    default_country: US
    timeout: 20            # seconds per HTTP request
    deadline: 60           # seconds a command may spend on the network, retries included
    settle_window: 30      # seconds a write whose answer was lost may still land (0: no wait)
    breaker:               # circuit breakers, per provider and profile
      failures: 5          #   consecutive retryable failures that open the circuit...
      window: 60           #   ...within this many seconds
      cooldown: 30         #   seconds before one probe request may test the provider again
    rate_limits:           # requests/s per provider account: the pacing ceiling (per profile too)
      twilio: 100
      telnyx: 50
      vapi: 20
    profiles:
      staging:
        sandbox: true
      acme:
        providers: [telnyx]
        base_urls: {telnyx: "http://127.0.0.1:4011"}
    test:                  # `telcli test sms|call` outside the sandbox may reach only these
      allowed_destinations: ["+1415555", "+4477009*"]   # E.164 prefixes or * ? [] patterns
    outcomes:              # how `webhook outcomes` and `test call` classify an answered call
      answered_min_seconds: 10   #   shorter than this: no-answer (voicemail, hang-up on greeting)
      failed_below_seconds: 3    #   shorter than this: failed
    webhooks:
      retention_days: 30   # captures older than this are deleted when listen or pull starts

Secrets never live here: credentials come from the environment or the keyring.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telcli import validate
from telcli.errors import ConfigError
from telcli.validate import shown

PROVIDERS = ("twilio", "telnyx")
BASE_URL_KEYS = ("twilio", "twilio_pricing", "telnyx", "vapi")
RATE_LIMIT_KEYS = ("twilio", "telnyx", "vapi")
_SECRET_KEYS = {"auth_token", "api_key", "api_secret", "token", "secret", "password"}


@dataclass(frozen=True)
class Settings:
    profile: str = "default"
    providers: tuple[str, ...] = PROVIDERS
    default_country: str = "US"
    sandbox: bool = False
    timeout: float = 20.0
    deadline: float = 60.0
    settle_window: float = 30.0
    breaker_failures: int = 5
    breaker_window: float = 60.0
    breaker_cooldown: float = 30.0
    base_urls: dict[str, str] = field(default_factory=dict)
    rate_limits: dict[str, float] = field(default_factory=dict)  # requests/s per provider
    path: Path | None = None
    profiles: tuple[str, ...] = ()
    allowed_destinations: tuple[str, ...] = ()
    answered_min_seconds: int = 10
    failed_below_seconds: int = 3
    retention_days: int | None = None  # None: keep captures until deleted


# Sections of whole numbers (top level only): key -> its allowed keys.
_WHOLE_NUMBER_SECTIONS = {
    "outcomes": ("answered_min_seconds", "failed_below_seconds"),
    "webhooks": ("retention_days",),
}


def _check_section(path: Path, node: Any, *, where: str, top: bool) -> dict[str, Any]:
    """Validate one mapping node (top level or a profile) into plain values."""
    from telcli.storage import yamlfile

    allowed = {"providers", "default_country", "sandbox", "timeout", "deadline", "base_urls"}
    allowed |= {"settle_window"}
    allowed |= {"test", "rate_limits"}
    if top:
        allowed |= {"default_profile", "profiles", "breaker", "outcomes", "webhooks"}
    out: dict[str, Any] = {}
    for key, key_node, value_node in yamlfile.mapping(path, node, where):
        loc = yamlfile.where(path, key_node)
        if key in _SECRET_KEYS:
            raise ConfigError(
                f"{loc}: {key}: secrets do not belong in the config file",
                hint="remove it; use `telcli auth login` (keyring) or the environment variables",
            )
        if key not in allowed:
            raise ConfigError(
                f"{loc}: unknown key {shown(key)} in {where}",
                hint="valid keys: " + ", ".join(sorted(allowed)),
            )
        if key == "profiles":
            out[key] = {
                name: _check_section(path, v, where=f"profile {name!r}", top=False)
                for name, _, v in yamlfile.mapping(path, value_node, "profiles")
            }
        elif key == "providers":
            items = yamlfile.sequence(path, value_node, "providers")
            if not items:
                raise ConfigError(
                    f"{loc}: providers must be a non-empty list, e.g. [twilio, telnyx]"
                )
            names = []
            for item in items:
                name = yamlfile.scalar(path, item, "providers")
                if name not in PROVIDERS:
                    raise ConfigError(
                        f"{yamlfile.where(path, item)}: providers: unknown provider {shown(name)}",
                        hint="use twilio and/or telnyx",
                    )
                names.append(name)
            out[key] = tuple(dict.fromkeys(names))
        elif key == "breaker":
            breaker = {}
            for k, _, v in yamlfile.mapping(path, value_node, "breaker"):
                if k not in ("failures", "window", "cooldown"):
                    raise ConfigError(
                        f"{yamlfile.where(path, v)}: breaker: unknown key {shown(k)}",
                        hint="valid keys: cooldown, failures, window",
                    )
                number = yamlfile.scalar(path, v, f"breaker.{k}")
                if k == "failures":
                    if isinstance(number, bool) or not isinstance(number, int) or number <= 0:
                        raise ConfigError(
                            f"{yamlfile.where(path, v)}: breaker.failures must be a positive"
                            " whole number"
                        )
                else:
                    number = _seconds(path, v, f"breaker.{k}", number)
                breaker[k] = number
            out[key] = breaker
        elif key == "rate_limits":
            limits = {}
            for k, _, v in yamlfile.mapping(path, value_node, "rate_limits"):
                if k not in RATE_LIMIT_KEYS:
                    raise ConfigError(
                        f"{yamlfile.where(path, v)}: rate_limits: unknown provider {shown(k)}",
                        hint="valid keys: " + ", ".join(RATE_LIMIT_KEYS),
                    )
                number = yamlfile.scalar(path, v, f"rate_limits.{k}")
                if (
                    isinstance(number, bool)
                    or not isinstance(number, int | float)
                    or not math.isfinite(number)  # .nan and .inf pass a "> 0" test
                    or number <= 0
                ):
                    raise ConfigError(
                        f"{yamlfile.where(path, v)}: rate_limits.{k} must be a positive number"
                        " of requests per second"
                    )
                limits[k] = float(number)
            out[key] = limits
        elif key in _WHOLE_NUMBER_SECTIONS:
            section = {}
            for k, _, v in yamlfile.mapping(path, value_node, key):
                if k not in _WHOLE_NUMBER_SECTIONS[key]:
                    raise ConfigError(
                        f"{yamlfile.where(path, v)}: {key}: unknown key {shown(k)}",
                        hint="valid keys: " + ", ".join(_WHOLE_NUMBER_SECTIONS[key]),
                    )
                number = yamlfile.scalar(path, v, f"{key}.{k}")
                if isinstance(number, bool) or not isinstance(number, int) or number < 0:
                    raise ConfigError(
                        f"{yamlfile.where(path, v)}: {key}.{k} must be a whole number >= 0"
                    )
                section[k] = number
            out[key] = section
        elif key == "test":
            out[key] = _check_test(path, value_node)
        elif key == "base_urls":
            urls = {}
            for k, _, v in yamlfile.mapping(path, value_node, "base_urls"):
                if k not in BASE_URL_KEYS:
                    raise ConfigError(
                        f"{yamlfile.where(path, v)}: base_urls: unknown key {shown(k)}",
                        hint="valid keys: " + ", ".join(BASE_URL_KEYS),
                    )
                url = yamlfile.scalar(path, v, f"base_urls.{k}")
                try:
                    urls[k] = validate.base_url(url, f"base_urls.{k}")
                except validate.InvalidValue as exc:
                    raise ConfigError(f"{yamlfile.where(path, v)}: {exc.message}") from None
            out[key] = urls
        else:
            value = yamlfile.scalar(path, value_node, key)
            vloc = yamlfile.where(path, value_node)
            if key == "sandbox" and not isinstance(value, bool):
                raise ConfigError(f"{vloc}: sandbox must be true or false, not {shown(value)}")
            if key in ("timeout", "deadline"):
                value = _seconds(path, value_node, key, value)
            if key == "settle_window":
                value = _seconds(path, value_node, key, value, minimum=0.0)
            if key == "default_country":
                try:
                    value = validate.country(value, "default_country")
                except validate.InvalidValue as exc:
                    raise ConfigError(f"{vloc}: {exc.message}", hint=exc.hint) from None
            if key == "default_profile" and not isinstance(value, str):
                raise ConfigError(f"{vloc}: default_profile must be a profile name")
            out[key] = value
    return out


def _seconds(path: Path, node: Any, key: str, value: Any, *, minimum: float | None = None) -> float:
    """A duration from the file: the CLI's rule (validate.seconds), reported with file:line."""
    from telcli.storage.yamlfile import where

    if isinstance(value, str):  # "20" and "20s" are text in YAML
        raise ConfigError(
            f"{where(path, node)}: {key} must be a number of seconds, not the text {shown(value)}",
            hint=f"write a plain number, e.g. {key}: 20",
        )
    try:
        return validate.seconds(value, key, minimum=minimum)
    except validate.InvalidValue as exc:
        raise ConfigError(f"{where(path, node)}: {exc.message}") from None


def _check_test(path: Path, node: Any) -> dict[str, Any]:
    """``test: {allowed_destinations: [E.164 prefixes or glob patterns]}``."""
    import re

    from telcli.storage import yamlfile

    out: dict[str, Any] = {}
    for k, _, v in yamlfile.mapping(path, node, "test"):
        if k != "allowed_destinations":
            raise ConfigError(
                f"{yamlfile.where(path, v)}: test: unknown key {shown(k)}",
                hint="valid keys: allowed_destinations",
            )
        patterns = []
        for item in yamlfile.sequence(path, v, "test.allowed_destinations"):
            value = yamlfile.scalar(path, item, "test.allowed_destinations")
            if not isinstance(value, str) or not re.fullmatch(r"\+[0-9*?\[\]-]+", value):
                raise ConfigError(
                    f"{yamlfile.where(path, item)}: test.allowed_destinations: {shown(value)}"
                    " is not an E.164 prefix or pattern",
                    hint='quote it and start with +, e.g. "+1415555" or "+4477009*"',
                )
            patterns.append(value)
        out["allowed_destinations"] = tuple(patterns)
    return out


def load_settings(path: Path, profile: str | None) -> Settings:
    """Read ``path`` (absent is fine: defaults) and resolve ``profile`` (None: default_profile)."""
    if not path.exists():
        if profile not in (None, "default"):
            raise ConfigError(
                f"profile {profile!r} is not defined: {path} does not exist",
                hint=f"add it under `profiles:` in {path}",
            )
        return Settings(path=path)
    from telcli.storage import yamlfile

    root = yamlfile.compose(path)
    if root is None:
        return Settings(path=path)
    data = _check_section(path, root, where="the top level", top=True)
    profiles: dict[str, dict[str, Any]] = data.pop("profiles", {})
    name = profile or data.pop("default_profile", None) or "default"
    data.pop("default_profile", None)
    if name != "default" and name not in profiles:
        raise ConfigError(
            f"profile {name!r} is not defined in {path}",
            hint="defined profiles: " + (", ".join(sorted(profiles)) or "none"),
        )
    merged = {**data, **profiles.get(name, {})}
    breaker: dict[str, float] = data.get("breaker", {})
    outcomes: dict[str, int] = data.get("outcomes", {})
    if outcomes.get("failed_below_seconds", 3) > outcomes.get("answered_min_seconds", 10):
        raise ConfigError(
            f"{path}: outcomes.failed_below_seconds must not exceed answered_min_seconds"
        )
    base_urls = {**data.get("base_urls", {}), **profiles.get(name, {}).get("base_urls", {})}
    rate_limits = {
        **data.get("rate_limits", {}),
        **profiles.get(name, {}).get("rate_limits", {}),
    }
    return Settings(
        profile=name,
        providers=merged.get("providers", PROVIDERS),
        default_country=merged.get("default_country", "US"),
        sandbox=merged.get("sandbox", False),
        timeout=float(merged.get("timeout", 20.0)),
        deadline=float(merged.get("deadline", 60.0)),
        settle_window=float(merged.get("settle_window", 30.0)),
        breaker_failures=int(breaker.get("failures", 5)),
        breaker_window=float(breaker.get("window", 60.0)),
        breaker_cooldown=float(breaker.get("cooldown", 30.0)),
        base_urls=base_urls,
        rate_limits=rate_limits,
        path=path,
        profiles=tuple(sorted(profiles)),
        allowed_destinations=merged.get("test", {}).get("allowed_destinations", ()),
        answered_min_seconds=outcomes.get("answered_min_seconds", 10),
        failed_below_seconds=outcomes.get("failed_below_seconds", 3),
        retention_days=data.get("webhooks", {}).get("retention_days"),
    )
