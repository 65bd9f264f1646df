"""Tenant plan files (``telcli tenants plan|apply PLAN.yaml``): parse and validate.

    version: 1
    defaults:                 # every key may also appear on a tenant, which wins (whole key)
      country: US
      type: local             # local | mobile | toll-free
      capabilities: [voice, sms]
      area_code: "415"        # also contains, locality, region (as `numbers search`)
      numbers: 1
      providers: [twilio, telnyx]
      max_monthly_price: "5.00"
      address: {customer_name: …, street: …, city: …, region: …, postal_code: …, country: GB}
      webhooks: {voice_url: "https://hooks.example.com/{tenant}/voice", sms_url: …}
      telnyx: {connection: my-voice-app, messaging_profile: tenants}
      vapi: {assistant: Receptionist}     # or `vapi: false`
      test: {sms_to: "+15005550007"}      # or call_to
    tenants:
      - id: acme-dental
        name: Acme Dental
        numbers: 2

JSON is valid YAML and works too (tabs in a JSON file are read as spaces). Every problem is
reported at once, each as ``FILE:LINE: KEY: problem``, in one ConfigError (exit 3), before any
request is sent. ``yaml`` and ``phonenumbers`` are imported inside the functions that use them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from telcli.errors import ConfigError, UsageProblem
from telcli.models import AddressInput, Capability, NumberQuery, NumberType
from telcli.tenancy import is_tenant_id

NAME_MAX = 64
NUMBERS_MAX = 100
PROVIDERS = ("twilio", "telnyx")
NANP = ("US", "CA")

# Keys a tenant (or `defaults`) may carry, besides a tenant's own `id` and `name`.
SETTING_KEYS = (
    "country",
    "type",
    "capabilities",
    "area_code",
    "contains",
    "locality",
    "region",
    "numbers",
    "providers",
    "max_monthly_price",
    "address",
    "webhooks",
    "telnyx",
    "vapi",
    "test",
)
TENANT_KEYS = ("id", "name", *SETTING_KEYS)
WEBHOOK_KEYS = ("voice_url", "sms_url", "status_callback")
TELNYX_KEYS = ("connection", "messaging_profile")
TEST_KEYS = ("sms_to", "call_to")
ADDRESS_KEYS = tuple(f.name for f in fields(AddressInput) if f.name != "tenant")
ADDRESS_REQUIRED = ("street", "city", "region", "postal_code", "country")


@dataclass(frozen=True, slots=True)
class Webhooks:
    """Twilio per-number webhooks, ``{tenant}`` already replaced."""

    voice_url: str | None = None
    sms_url: str | None = None
    status_callback: str | None = None


@dataclass(frozen=True, slots=True)
class TelnyxWiring:
    """Telnyx numbers take their webhooks from a connection and a messaging profile (id or
    name: resolved by the service)."""

    connection: str | None = None
    messaging_profile: str | None = None


@dataclass(frozen=True, slots=True)
class Probe:
    sms_to: str | None = None
    call_to: str | None = None


@dataclass(frozen=True, slots=True)
class TenantSpec:
    """One tenant of a plan, with the defaults merged in."""

    id: str
    name: str
    numbers: int = 1
    country: str = "US"
    number_type: NumberType = NumberType.local
    capabilities: tuple[Capability, ...] = ()
    area_code: str | None = None
    contains: str | None = None
    locality: str | None = None
    region: str | None = None
    providers: tuple[str, ...] = PROVIDERS
    max_monthly_price: Decimal | None = None
    address: AddressInput | None = None
    webhooks: Webhooks | None = None
    telnyx: TelnyxWiring | None = None
    assistant: str | None = None  # None: no VAPI (`vapi: false`, or no `vapi` key)
    test: Probe | None = None
    # where each key was written ("FILE:LINE"), for errors found later (an unknown assistant)
    where: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def query(self, limit: int = 20) -> NumberQuery:
        return NumberQuery(
            country=self.country,
            number_type=self.number_type,
            area_code=self.area_code,
            contains=self.contains,
            locality=self.locality,
            region=self.region,
            capabilities=self.capabilities,
            limit=limit,
        )

    def criteria(self) -> str:
        """The search criteria in words, e.g. ``US local 415 voice+sms ≤ 5.00``."""
        parts = [self.country, str(self.number_type)]
        parts += [p for p in (self.area_code, self.contains, self.locality, self.region) if p]
        if self.capabilities:
            parts.append("+".join(str(c) for c in self.capabilities))
        if self.max_monthly_price is not None:
            parts.append(f"≤ {self.max_monthly_price}/month")
        return " ".join(parts)

    def locate(self, key: str) -> str:
        """``FILE:LINE: tenants[ID].KEY`` for a message about ``key`` (dotted)."""
        top = key.split(".", 1)[0]
        return f"{self.where.get(top, self.where.get('id', '?'))}: tenants[{self.id}].{key}"


@dataclass(frozen=True, slots=True)
class Plan:
    path: Path
    tenants: tuple[TenantSpec, ...]

    def select(self, ids: Sequence[str]) -> tuple[TenantSpec, ...]:
        """The tenants named by ``--tenant`` (all when none); unknown ids are a usage error."""
        if not ids:
            return self.tenants
        from telcli.errors import UsageProblem

        known = {t.id: t for t in self.tenants}
        unknown = [i for i in dict.fromkeys(ids) if i not in known]
        if unknown:
            raise UsageProblem(
                f"not in {self.path.name}: " + ", ".join(unknown),
                hint="tenants in the plan: " + _sample(list(known)),
            )
        return tuple(known[i] for i in dict.fromkeys(ids))


def _sample(ids: list[str], limit: int = 8) -> str:
    more = f" and {len(ids) - limit} more" if len(ids) > limit else ""
    return ", ".join(ids[:limit]) + more if ids else "none"


class _Problems:
    """Collects ``FILE:LINE: KEY: problem`` lines; raises them all at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: list[str] = []
        # Tenants naming an assistant or Telnyx resource: looked up (by the command) even
        # when the plan is refused, so those problems are listed with the others.
        self.lookups: list[TenantSpec] = []

    def at(self, node: Any) -> str:
        return f"{self.path}:{node.start_mark.line + 1}"

    def add(self, node: Any, key: str, problem: str) -> None:
        line = f"{self.at(node)}: {key}: {problem}" if key else f"{self.at(node)}: {problem}"
        if line not in self.lines:
            self.lines.append(line)

    def raise_any(self) -> None:
        if self.lines:
            raise PlanError(self.path, self.lines, lookups=self.lookups)


class PlanError(ConfigError):
    """Every problem of a plan file, in file order; ``problems`` holds one
    ``FILE:LINE: KEY: …`` each. ``lookups``: the plan's tenants that name an assistant or a
    Telnyx resource (partly parsed ones too), for :meth:`with_problems`."""

    def __init__(
        self, path: Path, problems: list[str], *, lookups: Sequence[TenantSpec] = ()
    ) -> None:
        prefix = len(str(path)) + 1

        def line(problem: str) -> int:  # the number after the path
            number = problem[prefix:].split(":", 1)[0]
            return int(number) if number.isdigit() else 0

        problems = sorted(dict.fromkeys(problems), key=line)
        count = len(problems)
        head = f"{path} has {count} problem{'s' if count != 1 else ''}"
        super().__init__(
            head + ":\n" + "\n".join(f"  {p}" for p in problems),
            hint="fix them and run the command again; nothing was bought or changed",
        )
        self.path = path
        self.problems = problems
        self.lookups = tuple(lookups)

    def with_problems(self, more: Sequence[str]) -> PlanError:
        """This error with ``more`` problems (found by looking names up), in file order."""
        return PlanError(self.path, [*self.problems, *more]) if more else self


# --- reading -------------------------------------------------------------------------------


def load_plan(path: Path, *, default_providers: Sequence[str] = PROVIDERS) -> Plan:
    """Read and validate the plan at ``path``. ``default_providers`` is the profile's provider
    order, used for tenants whose plan names none. Raises ConfigError (exit 3)."""

    from telcli.storage.yamlfile import read_text

    return _parse(read_text(path), path, tuple(default_providers))


def _parse(text: str, path: Path, default_providers: tuple[str, ...]) -> Plan:
    import yaml

    if text.lstrip().startswith(("{", "[")):
        # JSON: a tab may only stand between tokens (inside strings it must be escaped), and
        # YAML refuses tabs there, so a space keeps every line and column where it was.
        text = text.replace("\t", " ")
    from telcli.storage.yamlfile import compose_text

    # Bounded in size and depth, libyaml when present (storage/yamlfile.py).
    root = compose_text(path, text)
    problems = _Problems(path)
    if root is None or not isinstance(root, yaml.MappingNode):
        line = 1 if root is None else root.start_mark.line + 1
        raise PlanError(path, [f"{path}:{line}: expected a mapping with version and tenants"])
    top = _mapping(root, problems, "", ("version", "defaults", "tenants"))
    version = top.get("version")
    if version is None:
        problems.add(root, "version", "missing; add `version: 1` at the top")
    elif _value(version[1], problems, "version") not in (1, _BAD):
        problems.add(version[1], "version", f"unsupported version {version[1].value!r}; use 1")
    defaults: dict[str, tuple[Any, Any]] = {}
    if "defaults" in top:
        node = top["defaults"][1]
        if isinstance(node, yaml.MappingNode):
            defaults = _settings(
                _mapping(node, problems, "defaults", SETTING_KEYS), problems, "defaults"
            )
        elif not _is_null(node):
            problems.add(node, "defaults", "must be a mapping of settings")
    tenants: list[TenantSpec] = []
    if "tenants" not in top:
        problems.add(root, "tenants", "missing; list the tenants under `tenants:`")
    else:
        node = top["tenants"][1]
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            problems.add(node, "tenants", "must be a non-empty list of tenants")
        else:
            seen: dict[str, str] = {}
            for i, item in enumerate(node.value):
                tenant_id, where, spec = _tenant(item, i, defaults, problems, default_providers)
                if tenant_id is None:
                    continue
                # Checked whatever else is wrong with the tenant: every problem at once.
                if tenant_id in seen:
                    problems.add(
                        item,
                        f"tenants[{i}].id",
                        f"duplicate id {tenant_id!r} (first at {seen[tenant_id]})",
                    )
                    continue
                seen[tenant_id] = where
                if spec is not None:
                    tenants.append(spec)
    problems.raise_any()
    return Plan(path=path, tenants=tuple(tenants))


def _is_null(node: Any) -> bool:
    import yaml

    return isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")


_BAD = object()  # a value whose tag or text is invalid (the problem is recorded)


def _value(node: Any, problems: _Problems, key: str) -> Any:
    """A scalar node's Python value (safe_load semantics: 1 is int, "1" is str), with the
    YAML core schema's tags only; anything else is recorded as a problem and gives _BAD."""
    from telcli.storage.yamlfile import construct

    try:
        return construct(node)
    except ValueError as exc:
        problems.add(node, key, str(exc))
        return _BAD


def _mapping(
    node: Any, problems: _Problems, where: str, allowed: Sequence[str]
) -> dict[str, tuple[Any, Any]]:
    """key -> (key node, value node); unknown and repeated keys are problems."""
    out: dict[str, tuple[Any, Any]] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        dotted = f"{where}.{key}" if where else key
        if key not in allowed:
            problems.add(key_node, dotted, "unknown key; valid: " + ", ".join(allowed))
        elif key in out:
            problems.add(key_node, dotted, "given twice")
        else:
            out[key] = (key_node, value_node)
    return out


def _settings(
    raw: Mapping[str, tuple[Any, Any]], problems: _Problems, where: str
) -> dict[str, tuple[Any, Any]]:
    """Validate every setting of a mapping (from :func:`_mapping`); returns
    key -> (key node, parsed value) for those without problems."""
    parsed: dict[str, tuple[Any, Any]] = {}
    for key, (key_node, value_node) in raw.items():
        if key in ("id", "name"):
            continue
        before = len(problems.lines)
        value = _setting(key, value_node, problems, f"{where}.{key}")
        if len(problems.lines) == before:
            parsed[key] = (key_node, value)
    return parsed


def _text(node: Any, problems: _Problems, key: str, *, allow_int: bool = False) -> str | None:
    import yaml

    if not isinstance(node, yaml.ScalarNode) or _is_null(node):
        problems.add(node, key, "must be text")
        return None
    value = _value(node, problems, key)
    if value is _BAD:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, str | int)
        or (isinstance(value, int) and not allow_int)
    ):
        problems.add(node, key, f"must be text, not {type(value).__name__} {node.value!r}")
        return None
    text = str(value).strip()
    if not text:
        problems.add(node, key, "must not be empty")
        return None
    return text


def _url(node: Any, problems: _Problems, key: str) -> str | None:
    text = _text(node, problems, key)
    if text is None:
        return None
    if not re.match(r"^https?://[^\s/{}]+", text) or re.search(r"\s", text):
        problems.add(node, key, f"{text!r} is not an http(s) URL")
        return None
    unknown = set(re.findall(r"\{([^{}]*)\}", text)) - {"tenant"}
    if unknown:
        problems.add(
            node, key, "unknown placeholder " + ", ".join("{" + u + "}" for u in sorted(unknown))
        )
        return None
    return text


def _e164(node: Any, problems: _Problems, key: str) -> str | None:
    text = _text(node, problems, key)
    if text is None:
        return None
    from telcli.errors import UsageProblem
    from telcli.phone import parse_e164

    try:
        return parse_e164(text)
    except UsageProblem as exc:
        problems.add(node, key, exc.message)
        return None


def _sub(
    node: Any, problems: _Problems, key: str, allowed: Sequence[str]
) -> dict[str, tuple[Any, Any]] | None:
    import yaml

    if not isinstance(node, yaml.MappingNode):
        problems.add(node, key, "must be a mapping with " + ", ".join(allowed))
        return None
    return _mapping(node, problems, key, allowed)


def _setting(key: str, node: Any, problems: _Problems, dotted: str) -> Any:
    import yaml

    if key == "country":
        text = _text(node, problems, dotted)
        if text is None:
            return None
        import phonenumbers

        iso = text.upper()
        if len(iso) != 2 or not iso.isalpha() or phonenumbers.country_code_for_region(iso) == 0:
            problems.add(node, dotted, f"{text!r} is not an ISO 3166 alpha-2 country code")
            return None
        return iso
    if key == "type":
        text = _text(node, problems, dotted)
        if text is None:
            return None
        try:
            return NumberType(text.lower().replace("_", "-"))
        except ValueError:
            problems.add(node, dotted, f"{text!r} is not one of local, mobile, toll-free")
            return None
    if key == "capabilities":
        if not isinstance(node, yaml.SequenceNode):
            problems.add(node, dotted, "must be a list, e.g. [voice, sms]")
            return None
        caps: list[Capability] = []
        for item in node.value:
            text = _text(item, problems, dotted)
            if text is None:
                continue
            try:
                caps.append(Capability(text.lower()))
            except ValueError:
                problems.add(item, dotted, f"{text!r} is not one of voice, sms, mms, fax")
        return tuple(dict.fromkeys(caps))
    if key == "area_code":
        text = _text(node, problems, dotted, allow_int=True)
        if text is not None and not re.fullmatch(r"[0-9]{1,5}", text):
            problems.add(node, dotted, f"{text!r} is not an area code (1-5 digits)")
            return None
        return text
    if key == "contains":
        text = _text(node, problems, dotted, allow_int=True)
        if text is not None and not re.fullmatch(r"[0-9A-Za-z*]{2,16}", text.lstrip("+")):
            problems.add(node, dotted, f"{text!r} must be 2-16 digits, letters or *")
            return None
        return None if text is None else text.lstrip("+")
    if key in ("locality", "region"):
        return _text(node, problems, dotted)
    if key == "numbers":
        value = _value(node, problems, dotted) if isinstance(node, yaml.ScalarNode) else None
        if value is _BAD:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= NUMBERS_MAX:
            problems.add(node, dotted, f"must be a whole number from 1 to {NUMBERS_MAX}")
            return None
        return value
    if key == "providers":
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            problems.add(node, dotted, "must be a non-empty list, e.g. [twilio, telnyx]")
            return None
        names: list[str] = []
        for item in node.value:
            text = _text(item, problems, dotted)
            if text is not None and text not in PROVIDERS:
                problems.add(item, dotted, f"unknown provider {text!r}; use twilio and/or telnyx")
            elif text is not None:
                names.append(text)
        return tuple(dict.fromkeys(names))
    if key == "max_monthly_price":
        raw = _value(node, problems, dotted) if isinstance(node, yaml.ScalarNode) else None
        if raw is _BAD:
            return None
        try:
            if isinstance(raw, bool) or not isinstance(raw, str | int | float):
                raise InvalidOperation
            price = Decimal(str(raw).strip())
        except InvalidOperation:
            problems.add(node, dotted, 'must be a price such as "5.00"')
            return None
        if not price.is_finite() or price <= 0:
            problems.add(node, dotted, 'must be a positive price such as "5.00"')
            return None
        return price
    if key == "address":
        return _address(node, problems, dotted)
    if key == "webhooks":
        sub = _sub(node, problems, dotted, WEBHOOK_KEYS)
        if sub is None:
            return None
        urls = {k: _url(v, problems, f"{dotted}.{k}") for k, (_, v) in sub.items()}
        if not node.value:
            problems.add(node, dotted, "name at least one of " + ", ".join(WEBHOOK_KEYS))
        return Webhooks(**urls)
    if key == "telnyx":
        sub = _sub(node, problems, dotted, TELNYX_KEYS)
        if sub is None:
            return None
        values = {
            k: _text(v, problems, f"{dotted}.{k}", allow_int=True) for k, (_, v) in sub.items()
        }
        if not node.value:
            problems.add(node, dotted, "name connection and/or messaging_profile")
        return TelnyxWiring(**values)
    if key == "vapi":
        if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":bool"):
            if _value(node, problems, dotted) is not False:
                problems.add(node, dotted, "must be false or a mapping with assistant")
                return None
            return False
        sub = _sub(node, problems, dotted, ("assistant",))
        if sub is None:
            return None
        if "assistant" not in sub:
            problems.add(node, dotted, "needs assistant (an ID or exact name), or `vapi: false`")
            return None
        return _text(sub["assistant"][1], problems, f"{dotted}.assistant")
    if key == "test":
        sub = _sub(node, problems, dotted, TEST_KEYS)
        if sub is None:
            return None
        if not node.value:
            problems.add(node, dotted, "name sms_to and/or call_to")
        return Probe(**{k: _e164(v, problems, f"{dotted}.{k}") for k, (_, v) in sub.items()})
    raise AssertionError(key)


def _address(node: Any, problems: _Problems, dotted: str) -> AddressInput | None:
    sub = _sub(node, problems, dotted, ADDRESS_KEYS)
    if sub is None:
        return None
    values = {k: _text(v, problems, f"{dotted}.{k}", allow_int=True) for k, (_, v) in sub.items()}
    missing = [k for k in ADDRESS_REQUIRED if k not in sub]
    if "customer_name" not in sub and "business_name" not in sub:
        missing.insert(0, "customer_name (or business_name)")
    if missing:
        problems.add(node, dotted, "missing " + ", ".join(missing))
        return None
    country = values.get("country")
    if country is not None and (len(country) != 2 or not country.isalpha()):
        problems.add(sub["country"][1], f"{dotted}.country", f"{country!r} is not an ISO code")
        return None
    if any(v is None for v in values.values()):
        return None
    clean: dict[str, Any] = {k: v for k, v in values.items()}
    clean["country"] = str(clean["country"]).upper()
    clean.setdefault("customer_name", clean.get("business_name"))
    return AddressInput(**clean)


def _tenant(
    node: Any,
    index: int,
    defaults: Mapping[str, tuple[Any, Any]],
    problems: _Problems,
    default_providers: tuple[str, ...],
) -> tuple[str | None, str, TenantSpec | None]:
    """(the tenant's id when valid, where its `id` is written, its spec when it has no
    problem)."""
    import yaml

    label = f"tenants[{index}]"
    if not isinstance(node, yaml.MappingNode):
        problems.add(node, label, "must be a mapping with at least `id`")
        return None, "", None
    raw = _mapping(node, problems, label, TENANT_KEYS)
    tenant_id = None
    if "id" not in raw:
        problems.add(node, f"{label}.id", "missing")
    else:
        tenant_id = _text(raw["id"][1], problems, f"{label}.id")
        if tenant_id is not None and not is_tenant_id(tenant_id):
            problems.add(
                raw["id"][1],
                f"{label}.id",
                f"{tenant_id!r} must be 1-40 of a-z, 0-9 and -, starting with a letter or digit",
            )
            tenant_id = None
    if tenant_id is not None:
        label = f"tenants[{tenant_id}]"
    name = tenant_id
    if "name" in raw:
        name = _text(raw["name"][1], problems, f"{label}.name", allow_int=True)
        if name is not None and (len(name) > NAME_MAX or not name.isprintable()):
            problems.add(
                raw["name"][1], f"{label}.name", f"must be printable, at most {NAME_MAX} characters"
            )
            name = None
    own = _settings(raw, problems, label)
    valid = (
        tenant_id is not None
        and name is not None
        and all(k in own for k in raw if k not in ("id", "name"))
    )
    merged = {**defaults, **own}
    where = {k: problems.at(key_node) for k, (key_node, _) in merged.items()}
    values = {k: v for k, (_, v) in merged.items()}
    providers = values.get("providers") or default_providers
    vapi = values.get("vapi")
    webhooks: Webhooks | None = values.get("webhooks")
    if webhooks is not None:
        webhooks = Webhooks(
            **{
                k: (v.replace("{tenant}", tenant_id or "") if v else v)
                for k, v in _fields(webhooks)
            }
        )
    if (
        "telnyx" in providers
        and values.get("webhooks") is not None
        and values.get("telnyx") is None
    ):
        key_node = merged["webhooks"][0]
        problems.add(
            key_node,
            f"{label}.webhooks" if "webhooks" in own else "defaults.webhooks",
            "Telnyx has no per-number webhook URLs: add `telnyx: {connection: …,"
            " messaging_profile: …}` or limit `providers` to [twilio]",
        )
        valid = False
    country = values.get("country", "US")
    area = values.get("area_code")
    if area is not None and country in NANP and not re.fullmatch(r"[2-9][0-9]{2}", area):
        problems.add(
            merged["area_code"][0],
            f"{label}.area_code" if "area_code" in own else "defaults.area_code",
            f"{area!r} is not a {country} area code (3 digits, not starting with 0 or 1)",
        )
        valid = False
    id_at = problems.at(raw["id"][0]) if "id" in raw else ""
    assistant = vapi if isinstance(vapi, str) else None
    if not valid or tenant_id is None or name is None:
        if assistant or values.get("telnyx") is not None:
            problems.lookups.append(
                TenantSpec(
                    id=tenant_id or str(index),  # tenants[INDEX], as its other problems say
                    name=name or "",
                    providers=tuple(providers),
                    telnyx=values.get("telnyx"),
                    assistant=assistant,
                    where=where,
                )
            )
        return tenant_id, id_at, None
    where["id"] = id_at
    spec = TenantSpec(
        id=tenant_id,
        name=name,
        numbers=values.get("numbers", 1),
        country=country,
        number_type=values.get("type", NumberType.local),
        capabilities=values.get("capabilities", ()),
        area_code=area,
        contains=values.get("contains"),
        locality=values.get("locality"),
        region=values.get("region"),
        providers=tuple(providers),
        max_monthly_price=values.get("max_monthly_price"),
        address=values.get("address"),
        webhooks=webhooks,
        telnyx=values.get("telnyx"),
        assistant=assistant,
        test=values.get("test"),
        where=where,
    )
    if assistant or spec.telnyx is not None:
        problems.lookups.append(spec)
    return tenant_id, id_at, spec


def _fields(obj: Any) -> list[tuple[str, Any]]:
    return [(f.name, getattr(obj, f.name)) for f in fields(obj)]


_FLAGS = {
    "type": "--type",
    "capabilities": "--capability",
    "providers": "--provider",
    "vapi.assistant": "--assistant",
    "vapi": "--assistant",
    "address": "--address-file",
}


def tenant_from_flags(
    values: Mapping[str, Any], *, default_providers: Sequence[str] = PROVIDERS
) -> TenantSpec:
    """One tenant from ``tenants add`` flags (the plan's keys; None: not given), validated
    exactly as a plan's tenant. Problems are a UsageProblem (exit 2) naming the flags."""
    import json

    tenant = {k: v for k, v in values.items() if v is not None}
    # One key per line, so that each problem's line says which flag it is about.
    text = json.dumps({"version": 1, "tenants": [tenant]}, indent=1)
    try:
        return _parse(text, Path("flags"), tuple(default_providers)).tenants[0]
    except PlanError as exc:
        raise flags_problem(exc) from None


def flags_problem(exc: PlanError) -> UsageProblem:
    """The problems of a tenant made by ``tenant_from_flags`` (found while parsing, or while
    looking up its assistant or Telnyx names) as a UsageProblem (exit 2) naming the flags."""
    lines = [_flag_problem(p) for p in exc.problems]
    return UsageProblem("; ".join(lines), hint="see `telcli tenants add --help`")


def _flag_problem(problem: str) -> str:
    """``flags:4: tenants[a].webhooks.voice_url: …`` -> ``--webhook-voice-url: …``."""
    rest = problem.split(": ", 1)[1] if ": " in problem else problem
    key, _, text = rest.partition(": ")
    key = re.sub(r"^tenants\[[^\]]*\]\.?", "", key)
    if key in _FLAGS:
        return f"{_FLAGS[key]}: {text}"
    if key.startswith("address."):
        return f"--address-file {key.removeprefix('address.')}: {text}"
    if key in ("", "id"):
        return f"ID: {text}"
    flag = key.replace("webhooks.", "webhook-").replace(".", "-").replace("_", "-")
    return f"--{flag}: {text}"
