"""Shared pieces of the signing schemes: results, header lookup, encodings, clocks.

Nothing here does I/O. Every comparison of secret-derived values goes through
``hmac.compare_digest`` (via :func:`same`), so no scheme can fall back to ``==`` by accident.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from telcli.errors import UsageProblem

# A mapping, or a sequence of (name, value) pairs when a name may repeat (as captured).
Headers = Mapping[str, str] | Sequence[tuple[str, str]]

DEFAULT_TOLERANCE = 300  # seconds, both directions (Telnyx SDKs, Standard Webhooks)

# Provider webhooks are a few KiB; a bigger body is not parsed just to label it (event type,
# SID): decoding a 60 MB body would hold another copy of it in memory per request.
LABEL_MAX_BODY = 1024 * 1024
_JSON_START = re.compile(rb"\s*[{\[]")


def label_json(body: bytes) -> Any:
    """The body as JSON when it may be a webhook payload (an object or array of at most
    LABEL_MAX_BODY bytes), else None. Never raises."""
    if len(body) > LABEL_MAX_BODY or not _JSON_START.match(body):
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


@dataclass(frozen=True, slots=True)
class Check:
    """One thing a verifier looked at: a URL form, a body hash, a time window, a signature."""

    name: str
    ok: bool
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of verifying one delivery. A failed verification is a verdict, not an error.

    ``reason`` is one sentence for humans. ``matched_url`` (Twilio only) is the URL form the
    signature matched, with any userinfo password masked; ``variant`` names that form or the
    scheme variant that matched. ``checks`` lists what was examined (always filled on failure,
    and in full when ``explain=True``).
    """

    valid: bool
    scheme: str
    reason: str
    matched_url: str | None = None
    variant: str | None = None
    checks: tuple[Check, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "scheme": self.scheme,
            "reason": self.reason,
            "matched_url": self.matched_url,
            "variant": self.variant,
            "checks": [c.to_json() for c in self.checks],
        }


@dataclass(frozen=True, slots=True)
class SignResult:
    """Headers to add to the request, and the URL to send it to when signing changed it.

    ``url`` is None unless the scheme had to change the URL (Twilio JSON bodies gain a
    ``bodySHA256`` query parameter, and the request must go to that exact URL).
    """

    headers: dict[str, str] = field(default_factory=dict)
    url: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"headers": dict(self.headers)}
        if self.url is not None:
            out["url"] = self.url
        return out


def get_header(headers: Headers | None, name: str) -> str | None:
    """Return the first value of header ``name``, matched case-insensitively.

    Also finds WSGI/CGI spellings (``HTTP_X_TWILIO_SIGNATURE``), since captures and
    framework objects expose headers that way.
    """
    if headers is None:
        return None
    wanted = name.lower()
    items = headers.items() if isinstance(headers, Mapping) else headers
    for key, value in items:
        k = key.lower()
        if k == wanted or (k.startswith("http_") and k[5:].replace("_", "-") == wanted):
            return value
    return None


def same(a: str | bytes, b: str | bytes) -> bool:
    """Constant-time equality for str or bytes (str is compared as UTF-8).

    ``hmac.compare_digest`` refuses non-ASCII str, and a header may hold anything.
    """
    ab = a.encode("utf-8", "surrogatepass") if isinstance(a, str) else a
    bb = b.encode("utf-8", "surrogatepass") if isinstance(b, str) else b
    return hmac.compare_digest(ab, bb)


def b64decode_strict(value: str) -> bytes | None:
    """Standard base64 with padding, or None. Whitespace is not tolerated."""
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


_INT_RE = re.compile(r"^[0-9]{1,15}$")


def clock(now: float | None) -> float:
    return time.time() if now is None else float(now)


def parse_unix_timestamp(value: str) -> int | None:
    """A Unix timestamp header: ASCII digits only (no sign, spaces or underscores)."""
    return int(value) if _INT_RE.match(value) else None


def timestamp_to_sign(timestamp: str | int | None, now: float | None) -> str:
    """The timestamp string to put in a header and in the signed message."""
    if timestamp is None:
        return str(int(clock(now)))
    text = str(timestamp).strip()
    if parse_unix_timestamp(text) is None:
        raise UsageProblem(
            f"timestamp {text!r} is not a Unix time in seconds",
            hint="pass whole seconds since 1970, e.g. 1700000000",
        )
    return text


def window_check(ts: int, now: float, tolerance: int) -> Check:
    """Check ``|now - ts| <= tolerance`` (whole seconds, as the SDKs compute it)."""
    age = int(now) - ts
    if age > tolerance:
        return Check("timestamp", False, f"{age} s old; the window is {tolerance} s")
    if -age > tolerance:
        return Check("timestamp", False, f"{-age} s in the future; the window is {tolerance} s")
    if age >= 0:
        return Check("timestamp", True, f"{age} s old, within {tolerance} s")
    return Check("timestamp", True, f"{-age} s in the future, within {tolerance} s")


def require(value: str | None, what: str, scheme: str) -> str:
    if value is None or value == "":
        raise UsageProblem(f"the {scheme} scheme needs {what}")
    return value


def refuse(scheme: str, **given: object) -> None:
    """Reject inputs a scheme does not use, so a wrong flag is a usage error, not ignored."""
    extra = sorted(name.replace("_", " ") for name, value in given.items() if value is not None)
    if extra:
        raise UsageProblem(f"the {scheme} scheme does not use: {', '.join(extra)}")


def verdict_from_checks(
    scheme: str,
    checks: list[Check],
    *,
    ok_reason: str,
    explain: bool,
    variant: str | None = None,
) -> Verdict:
    """Valid when every check passed; otherwise the reason is the first failed check."""
    failed = [c for c in checks if not c.ok]
    if not failed:
        return Verdict(
            True, scheme, ok_reason, variant=variant, checks=tuple(checks) if explain else ()
        )
    first = failed[0]
    reason = f"{first.name}: {first.detail}" if first.detail else f"{first.name} failed"
    return Verdict(False, scheme, reason, variant=variant, checks=tuple(checks))
