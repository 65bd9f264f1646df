"""Validators for values that enter telcli from outside: durations, country codes, text.

Stdlib only (but for ``idna``, httpx's own dependency, for international host names) and
free of I/O, so the CLI edge (flags, environment variables) and the config
and plan files share one rule per kind of value. Each validator returns the clean value or
raises :class:`InvalidValue`; the caller turns that into the error of its edge (a usage error
for a flag or variable, exit 2; a config error with file and line, exit 3).
"""

from __future__ import annotations

import math
import re

# A command deadline, a per-request timeout, a breaker window or cooldown, a keyring wait:
# nothing telcli waits for is meant to take longer than a day, and larger values overflow
# the thread and socket timeouts underneath (`Thread.join(1e308)` raises OverflowError).
MAX_SECONDS = 86_400.0

# What httpx takes for an IPv4 address (and then checks as one).
_IPV4_STYLE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")

# ISO 3166-1 alpha-2: the 249 officially assigned codes, plus XK (Kosovo; user-assigned, and
# used for it by Twilio, Telnyx and libphonenumber alike).
ISO_3166_ALPHA2 = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ
    BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
    CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
    DE DJ DK DM DO DZ
    EC EE EG EH ER ES ET
    FI FJ FK FM FO FR
    GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY
    HK HM HN HR HT HU
    ID IE IL IM IN IO IQ IR IS IT
    JE JM JO JP
    KE KG KH KI KM KN KP KR KW KY KZ
    LA LB LC LI LK LR LS LT LU LV LY
    MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ
    NA NC NE NF NG NI NL NO NP NR NU NZ
    OM
    PA PE PF PG PH PK PL PM PN PR PS PT PW PY
    QA
    RE RO RS RU RW
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ
    TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ
    UA UG UM US UY UZ
    VA VC VE VG VI VN VU
    WF WS
    XK
    YE YT
    ZA ZM ZW
    """.split()  # noqa: SIM905 (a table of codes reads better than 250 quoted strings)
)
# Codes people type that ISO reserves for another use: the usual suggestion is the real one.
COUNTRY_ALIASES = {"UK": "GB", "EL": "GR", "USA": "US", "GBR": "GB"}


class InvalidValue(ValueError):
    """A value that fails validation: ``message`` says why, ``hint`` (optional) what to do."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


def shown(value: object, limit: int = 40) -> str:
    """``value`` quoted for an error message: bytes that are not UTF-8 (smuggled into ``str`` by
    Python's surrogateescape) and control characters appear escaped, long values cut short."""
    if isinstance(value, str):
        text = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        text = repr(text[:limit] + ("…" if len(text) > limit else ""))
        return text.replace("\\\\x", "\\x")
    return repr(value)[:limit]


def seconds(value: object, what: str, *, minimum: float | None = None) -> float:
    """A duration in seconds: a finite number above zero (or at least ``minimum``) and at most
    :data:`MAX_SECONDS`. Accepts numbers and numeric text; rejects booleans, NaN, infinities,
    zero, negatives and anything else, naming ``what`` ("--timeout", "config deadline")."""
    expected = (
        f"a number of seconds from {minimum:g} to {MAX_SECONDS:g}"
        if minimum is not None
        else f"a positive number of seconds (at most {MAX_SECONDS:g})"
    )
    number: float | None = None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:  # an int beyond float's range
            number = math.inf
    if number is None:
        raise InvalidValue(f"{what} must be {expected}, not {shown(value)}")
    low_ok = number >= minimum if minimum is not None else number > 0
    if not math.isfinite(number) or not low_ok or number > MAX_SECONDS:
        raise InvalidValue(f"{what} must be {expected}, not {shown(value)}")
    return number


def country(value: object, what: str = "country") -> str:
    """An ISO 3166-1 alpha-2 country code, upper-cased (``gb`` → ``GB``). A near miss names the
    code meant (``UK`` → ``GB``)."""
    # ASCII before upper-casing: "ſe".upper() is "SE".
    code = value.strip().upper() if isinstance(value, str) and value.isascii() else ""
    if code in ISO_3166_ALPHA2:
        return code
    alias = COUNTRY_ALIASES.get(code)
    hint = (
        f"did you mean {alias}?"
        if alias
        else "use the two-letter ISO 3166-1 code, e.g. US, GB, DE or ZA"
    )
    raise InvalidValue(
        f"{what} {shown(value)} is not an ISO 3166-1 alpha-2 country code", hint=hint
    )


def http_host(host: str) -> bool:
    """Whether httpx can send to ``host`` (a URL's lower-cased ``hostname``): a dotted quad
    must be an IPv4 address (``999.1.1.1`` is not), and an international name must be valid
    IDNA (``xn--.com`` and a soft hyphen are not). httpx raises deep inside a request
    otherwise. ``idna`` is httpx's own dependency, imported only for such names."""
    if _IPV4_STYLE.fullmatch(host):
        import ipaddress

        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return False
        return True
    if host.isascii() and not host.startswith("xn--"):
        return True
    import idna

    try:
        idna.decode(host) if host.isascii() else idna.encode(host)
    except (idna.IDNAError, UnicodeError):
        return False
    return True


def base_url(value: object, what: str) -> str:
    """An http(s) URL with a host (and a valid port, if any) for a provider's base URL,
    without the trailing slash. Rejects what httpx would refuse deep inside a request
    (``http://[::1``, a port of ``99999``) and control characters or spaces."""
    from urllib.parse import urlsplit

    problem = f"{what} must be an http(s) URL like https://api.example.com, not {shown(value)}"
    if not isinstance(value, str) or not value.isascii() or not value.isprintable():
        raise InvalidValue(problem)
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError for a port out of range or not a number)
    except ValueError:
        raise InvalidValue(problem) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
        raise InvalidValue(problem)
    if not http_host(parts.hostname):
        raise InvalidValue(problem)
    return value.rstrip("/")


def utf8(data: bytes) -> str:
    """``data`` decoded as UTF-8 (a leading BOM dropped). InvalidValue says where the first bad
    byte is, as ``LINE: not valid UTF-8 (byte 0xff at column 4)`` for a ``file:`` prefix."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[start : exc.start].decode("utf-8", "replace")) + 1  # in characters
        raise InvalidValue(
            f"{line}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at column {column})",
            hint="save the file as UTF-8",
        ) from None


def undecodable(value: str) -> int | None:
    """The index of the first character of ``value`` that stands for a byte that was not valid
    UTF-8 (Python decodes such argv and environment bytes to lone surrogates), or None."""
    for index, char in enumerate(value):
        if "\ud800" <= char <= "\udfff":
            return index
    return None
