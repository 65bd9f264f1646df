"""LiveKit webhooks: ``Authorization: <HS256 JWT>`` whose ``sha256`` claim hashes the body.

The server (livekit/protocol ``webhook/url_notifier.go``) mints a token with ``iss`` = API key,
``sha256`` = standard base64 (padded) of SHA-256 of the raw body, ``nbf`` = now and
``exp`` = now + 5 min, signs it with the API secret, and sends it *without* ``Bearer``.
Receivers (python-sdks ``WebhookReceiver``) verify HS256, ``exp``/``nbf`` with 60 s leeway,
then the body hash. Since the URL is not signed, telcli can mint a fresh token for any target.

The JWT is built here with hmac/base64/json (a few lines), so PyJWT is not a runtime
dependency; the tests use PyJWT as the oracle.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
from typing import Any

from telcli.webhooks._common import (
    Check,
    Headers,
    SignResult,
    Verdict,
    b64encode,
    clock,
    get_header,
    require,
    same,
    verdict_from_checks,
)

NAME = "livekit"
AUTH_HEADER = "Authorization"
CONTENT_TYPE = "application/webhook+json"
TOKEN_TTL = 300  # url_notifier.go: SetValidFor(5 * time.Minute)
LEEWAY = 60  # python-sdks TokenVerifier default leeway
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def body_sha256(body: bytes) -> str:
    """The ``sha256`` claim: standard base64 with padding of SHA-256 of the raw body."""
    return b64encode(hashlib.sha256(body).digest())


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes | None:
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        return None
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_hs256(claims: dict[str, Any], secret: str) -> str:
    """A compact HS256 JWS of ``claims`` (header ``{"alg":"HS256","typ":"JWT"}``)."""
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode("ascii")
    mac = hmac.new(secret.encode("utf-8"), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(mac)}"


def sign(
    api_key: str,
    api_secret: str,
    *,
    body: bytes,
    now: float | None = None,
    ttl: int = TOKEN_TTL,
) -> SignResult:
    """A fresh ``Authorization`` token for ``body``, valid from ``now`` for ``ttl`` seconds."""
    require(api_key, "an API key", NAME)
    require(api_secret, "a secret (the API secret)", NAME)
    issued = int(clock(now))
    claims = {"iss": api_key, "sha256": body_sha256(body), "nbf": issued, "exp": issued + ttl}
    return SignResult({AUTH_HEADER: encode_hs256(claims, api_secret)})


def verify(
    api_secret: str,
    *,
    body: bytes,
    headers: Headers,
    api_key: str | None = None,
    now: float | None = None,
    leeway: int = LEEWAY,
    explain: bool = False,
) -> Verdict:
    """Verify a LiveKit delivery: HS256 with ``api_secret``, ``iss`` (when ``api_key`` is
    given), ``exp``/``nbf`` with ``leeway`` seconds, and the ``sha256`` claim against the
    raw body. Claims are compared, never token strings (issuers serialize differently)."""
    require(api_secret, "a secret (the API secret)", NAME)
    token = get_header(headers, AUTH_HEADER)
    if not token:
        reason = f"missing {AUTH_HEADER} header"
        return Verdict(False, NAME, reason, checks=(Check("headers", False, reason),))
    checks: list[Check] = []
    token = token.strip()
    if token[:7].lower() == "bearer ":
        checks.append(
            Check(
                "format",
                False,
                "Bearer prefix present; LiveKit sends the bare JWT and its SDKs reject the prefix",
            )
        )
        token = token[7:].strip()

    parts = token.split(".")
    decoded = [_b64url_decode(p) for p in parts] if len(parts) == 3 else [None]
    header: Any = None
    claims: Any = None
    if None not in decoded:
        try:
            header, claims = json.loads(decoded[0]), json.loads(decoded[1])  # type: ignore[arg-type]
        except (ValueError, RecursionError):  # bytes that are not UTF-8; 1,000-deep nesting
            header = claims = None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        checks.append(Check("token", False, f"{AUTH_HEADER} is not a compact JWT"))
        return verdict_from_checks(NAME, checks, ok_reason="", explain=True)

    if header.get("alg") != "HS256":
        checks.append(Check("algorithm", False, f"alg is {header.get('alg')!r}, expected HS256"))
        return verdict_from_checks(NAME, checks, ok_reason="", explain=True)
    signing_input = f"{parts[0]}.{parts[1]}".encode("ascii")
    expected = hmac.new(api_secret.encode("utf-8"), signing_input, hashlib.sha256).digest()
    sig_ok = same(decoded[2], expected)  # type: ignore[arg-type]
    checks.append(
        Check(
            "signature",
            sig_ok,
            "HS256 signature matches the secret"
            if sig_ok
            else "HS256 signature does not match the secret",
        )
    )
    if api_key is not None:
        iss = claims.get("iss")
        ok = isinstance(iss, str) and same(iss, api_key)
        checks.append(
            Check("issuer", ok, "iss is the API key" if ok else f"iss is {iss!r}, not the API key")
        )
    checks.extend(_time_checks(claims, clock(now), leeway))

    claim = claims.get("sha256")
    actual = body_sha256(body)
    if not isinstance(claim, str):
        checks.append(Check("body hash", False, "the token has no sha256 claim"))
    else:
        ok = same(claim, actual)
        detail = (
            "sha256 claim matches the body"
            if ok
            else f"sha256 claim is {claim}, the body hashes to {actual}"
        )
        checks.append(Check("body hash", ok, detail))
    return verdict_from_checks(
        NAME,
        checks,
        ok_reason="JWT signature, validity window and body hash all match",
        explain=explain,
    )


def _time_checks(claims: dict[str, Any], now: float, leeway: int) -> list[Check]:
    """exp is required (python-sdks TokenVerifier); nbf is checked when present. Boundaries
    follow PyJWT: expired when ``exp <= now - leeway``, early when ``nbf > now + leeway``."""

    def number(name: str) -> float | None:
        # The token is attacker-controlled: "exp": 1e999 parses as infinity; not a time.
        value = claims.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value) if abs(value) < 1e15 else math.inf
            return number if math.isfinite(number) else None
        return None

    out: list[Check] = []
    exp = number("exp")
    if exp is None:
        out.append(Check("expiry", False, "the token has no numeric exp claim"))
    elif exp <= now - leeway:
        out.append(Check("expiry", False, f"expired {int(now - exp)} s ago (leeway {leeway} s)"))
    else:
        out.append(Check("expiry", True, f"expires in {int(exp - now)} s"))
    nbf = number("nbf")
    if nbf is not None and nbf > now + leeway:
        out.append(
            Check(
                "not before", False, f"not valid for another {int(nbf - now)} s (leeway {leeway} s)"
            )
        )
    elif nbf is not None:
        out.append(Check("not before", True, "nbf has passed"))
    return out
