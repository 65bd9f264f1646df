"""config.yaml: profiles, provider order, defaults. Validated with file, line and key in errors.

    # config.yaml (top-level keys are defaults for every profile)
    default_profile: default
    providers: [twilio, telnyx]
    default_country: US
    timeout: 20            # seconds per HTTP request
    deadline: 60           # seconds a command may spend on the network, retries included
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

Secrets never live here: credentials come from the environment or the keyring.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telcli.errors import ConfigError

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
    breaker_failures: int = 5
    breaker_window: float = 60.0
    breaker_cooldown: float = 30.0
    base_urls: dict[str, str] = field(default_factory=dict)
    rate_limits: dict[str, float] = field(default_factory=dict)  # requests/s per provider
    path: Path | None = None
    profiles: tuple[str, ...] = ()
    allowed_destinations: tuple[str, ...] = ()


def _where(path: Path, node: Any) -> str:
    return f"{path}:{node.start_mark.line + 1}"


def _scalar(path: Path, key: str, node: Any) -> Any:
    import yaml

    if not isinstance(node, yaml.ScalarNode):
        raise ConfigError(f"{_where(path, node)}: {key} must be a single value")
    return yaml.safe_load(yaml.serialize(node))


def _check_section(path: Path, mapping: Any, *, where: str, top: bool) -> dict[str, Any]:
    """Validate one mapping node (top level or a profile) into plain values."""
    import yaml

    if not isinstance(mapping, yaml.MappingNode):
        raise ConfigError(f"{_where(path, mapping)}: {where} must be a mapping of key: value")
    allowed = {"providers", "default_country", "sandbox", "timeout", "deadline", "base_urls"}
    allowed |= {"test", "rate_limits"}
    if top:
        allowed |= {"default_profile", "profiles", "breaker"}
    out: dict[str, Any] = {}
    for key_node, value_node in mapping.value:
        key = key_node.value
        loc = _where(path, key_node)
        if key in _SECRET_KEYS:
            raise ConfigError(
                f"{loc}: {key}: secrets do not belong in the config file",
                hint="remove it; use `telcli auth login` (keyring) or the environment variables",
            )
        if key not in allowed:
            raise ConfigError(
                f"{loc}: unknown key {key!r} in {where}",
                hint="valid keys: " + ", ".join(sorted(allowed)),
            )
        if key == "profiles":
            if not isinstance(value_node, yaml.MappingNode):
                raise ConfigError(f"{loc}: profiles must be a mapping of profile name to settings")
            out[key] = {
                k.value: _check_section(path, v, where=f"profile {k.value!r}", top=False)
                for k, v in value_node.value
            }
        elif key == "providers":
            if not isinstance(value_node, yaml.SequenceNode) or not value_node.value:
                raise ConfigError(
                    f"{loc}: providers must be a non-empty list, e.g. [twilio, telnyx]"
                )
            names = []
            for item in value_node.value:
                if item.value not in PROVIDERS:
                    raise ConfigError(
                        f"{_where(path, item)}: providers: unknown provider {item.value!r}",
                        hint="use twilio and/or telnyx",
                    )
                names.append(item.value)
            out[key] = tuple(dict.fromkeys(names))
        elif key == "breaker":
            if not isinstance(value_node, yaml.MappingNode):
                raise ConfigError(f"{loc}: breaker must be a mapping, e.g. {{failures: 5}}")
            breaker = {}
            for k, v in value_node.value:
                if k.value not in ("failures", "window", "cooldown"):
                    raise ConfigError(
                        f"{_where(path, k)}: breaker: unknown key {k.value!r}",
                        hint="valid keys: cooldown, failures, window",
                    )
                number = _scalar(path, f"breaker.{k.value}", v)
                whole = k.value == "failures"
                if (
                    isinstance(number, bool)
                    or not isinstance(number, int if whole else int | float)
                    or number <= 0
                ):
                    kind = "a positive whole number" if whole else "a positive number of seconds"
                    raise ConfigError(f"{_where(path, v)}: breaker.{k.value} must be {kind}")
                breaker[k.value] = number
            out[key] = breaker
        elif key == "rate_limits":
            if not isinstance(value_node, yaml.MappingNode):
                raise ConfigError(f"{loc}: rate_limits must be a mapping, e.g. {{telnyx: 50}}")
            limits = {}
            for k, v in value_node.value:
                if k.value not in RATE_LIMIT_KEYS:
                    raise ConfigError(
                        f"{_where(path, k)}: rate_limits: unknown provider {k.value!r}",
                        hint="valid keys: " + ", ".join(RATE_LIMIT_KEYS),
                    )
                number = _scalar(path, f"rate_limits.{k.value}", v)
                if isinstance(number, bool) or not isinstance(number, int | float) or number <= 0:
                    raise ConfigError(
                        f"{_where(path, v)}: rate_limits.{k.value} must be a positive number"
                        " of requests per second"
                    )
                limits[k.value] = float(number)
            out[key] = limits
        elif key == "test":
            out[key] = _check_test(path, loc, value_node)
        elif key == "base_urls":
            if not isinstance(value_node, yaml.MappingNode):
                raise ConfigError(f"{loc}: base_urls must be a mapping, e.g. {{telnyx: http://…}}")
            urls = {}
            for k, v in value_node.value:
                if k.value not in BASE_URL_KEYS:
                    raise ConfigError(
                        f"{_where(path, k)}: base_urls: unknown key {k.value!r}",
                        hint="valid keys: " + ", ".join(BASE_URL_KEYS),
                    )
                url = _scalar(path, f"base_urls.{k.value}", v)
                if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                    raise ConfigError(
                        f"{_where(path, v)}: base_urls.{k.value} must be an http(s) URL"
                    )
                urls[k.value] = url.rstrip("/")
            out[key] = urls
        else:
            value = _scalar(path, key, value_node)
            vloc = _where(path, value_node)
            if key == "sandbox" and not isinstance(value, bool):
                raise ConfigError(f"{vloc}: sandbox must be true or false, not {value!r}")
            if key in ("timeout", "deadline") and (
                isinstance(value, bool) or not isinstance(value, int | float) or value <= 0
            ):
                raise ConfigError(f"{vloc}: {key} must be a positive number of seconds")
            if key == "default_country" and (
                not isinstance(value, str) or len(value) != 2 or not value.isalpha()
            ):
                raise ConfigError(f"{vloc}: default_country must be an ISO code like US or GB")
            if key == "default_profile" and not isinstance(value, str):
                raise ConfigError(f"{vloc}: default_profile must be a profile name")
            out[key] = value.upper() if key == "default_country" else value
    return out


def _check_test(path: Path, loc: str, node: Any) -> dict[str, Any]:
    """``test: {allowed_destinations: [E.164 prefixes or glob patterns]}``."""
    import re

    import yaml

    if not isinstance(node, yaml.MappingNode):
        raise ConfigError(f"{loc}: test must be a mapping, e.g. {{allowed_destinations: [...]}}")
    out: dict[str, Any] = {}
    for k, v in node.value:
        if k.value != "allowed_destinations":
            raise ConfigError(
                f"{_where(path, k)}: test: unknown key {k.value!r}",
                hint="valid keys: allowed_destinations",
            )
        if not isinstance(v, yaml.SequenceNode):
            raise ConfigError(f"{_where(path, v)}: test.allowed_destinations must be a list")
        patterns = []
        for item in v.value:
            value = _scalar(path, "test.allowed_destinations", item)
            if not isinstance(value, str) or not re.fullmatch(r"\+[0-9*?\[\]-]+", value):
                raise ConfigError(
                    f"{_where(path, item)}: test.allowed_destinations: {value!r} is not an"
                    " E.164 prefix or pattern",
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
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}{line}: invalid YAML: {problem}") from None
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
        breaker_failures=int(breaker.get("failures", 5)),
        breaker_window=float(breaker.get("window", 60.0)),
        breaker_cooldown=float(breaker.get("cooldown", 30.0)),
        base_urls=base_urls,
        rate_limits=rate_limits,
        path=path,
        profiles=tuple(sorted(profiles)),
        allowed_destinations=merged.get("test", {}).get("allowed_destinations", ()),
    )
