"""Generic HMAC-SHA256 schemes: Standard Webhooks (Svix) and Stripe-style signatures.

* ``standard``: headers ``webhook-id``, ``webhook-timestamp`` (Unix s) and
  ``webhook-signature: v1,<base64>`` (a space-separated list, for key rotation). The key is
  the base64 after ``whsec_``; the MAC covers ``"{id}.{timestamp}." + raw body``.
* ``stripe``: ``Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]``. The key is the secret's
  UTF-8 bytes (``whsec_`` and all); the MAC covers ``"{t}." + raw body``.

Both verifiers accept any listed ``v1`` signature and enforce the window in both directions
(stripe-python only rejects old timestamps; a future one is just as suspicious).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

from telcli.errors import UsageProblem
from telcli.webhooks._common import (
    DEFAULT_TOLERANCE,
    Check,
    Headers,
    SignResult,
    Verdict,
    b64decode_strict,
    clock,
    get_header,
    parse_unix_timestamp,
    require,
    same,
    timestamp_to_sign,
    verdict_from_checks,
    window_check,
)

NAME = "hmac-sha256"
VARIANTS = ("standard", "stripe")
STRIPE_HEADER = "Stripe-Signature"
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
SECRET_PREFIX = "whsec_"
# Svix sends the same scheme under svix-* names; the Svix libraries accept either.
_SVIX = {
    ID_HEADER: "svix-id",
    TIMESTAMP_HEADER: "svix-timestamp",
    SIGNATURE_HEADER: "svix-signature",
}


def standard_key(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret: base64 after an optional ``whsec_``."""
    text = secret.strip().removeprefix(SECRET_PREFIX)
    # The reference library pads unpadded secrets before decoding; so do we.
    key = b64decode_strict(text + "=" * (-len(text) % 4))
    if not key:
        raise UsageProblem(
            "a Standard Webhooks secret is base64 after 'whsec_', and this one does not decode",
            hint="for Stripe-style secrets, which are used as-is, pass --variant stripe",
        )
    return key


def _mac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def sign(
    secret: str,
    *,
    body: bytes,
    variant: str = "standard",
    timestamp: str | int | None = None,
    message_id: str | None = None,
    now: float | None = None,
) -> SignResult:
    """Sign ``body``. For ``standard`` a missing ``message_id`` is generated (``msg_…``)."""
    require(secret, "a secret", NAME)
    ts = timestamp_to_sign(timestamp, now)
    if variant == "standard":
        msg_id = message_id or f"msg_{uuid.uuid4().hex}"
        digest = _mac(standard_key(secret), f"{msg_id}.{ts}.".encode() + body)
        return SignResult(
            {
                ID_HEADER: msg_id,
                TIMESTAMP_HEADER: ts,
                SIGNATURE_HEADER: "v1," + base64.b64encode(digest).decode("ascii"),
            }
        )
    if variant == "stripe":
        if message_id is not None:
            raise UsageProblem("Stripe-style signatures carry no message id")
        digest = _mac(secret.encode("utf-8"), f"{ts}.".encode() + body)
        return SignResult({STRIPE_HEADER: f"t={ts},v1={digest.hex()}"})
    raise UsageProblem(f"unknown hmac-sha256 variant {variant!r}", hint="use standard or stripe")


def detect_variant(headers: Headers) -> str | None:
    if get_header(headers, STRIPE_HEADER) is not None:
        return "stripe"
    if _standard_header(headers, SIGNATURE_HEADER) is not None:
        return "standard"
    return None


def verify(
    secret: str,
    *,
    body: bytes,
    headers: Headers,
    variant: str | None = None,
    now: float | None = None,
    tolerance: int = DEFAULT_TOLERANCE,
    explain: bool = False,
) -> Verdict:
    """Verify a delivery; ``variant`` defaults to what the headers show."""
    require(secret, "a secret", NAME)
    variant = variant or detect_variant(headers)
    if variant == "standard":
        return _verify_standard(secret, body, headers, clock(now), tolerance, explain)
    if variant == "stripe":
        return _verify_stripe(secret, body, headers, clock(now), tolerance, explain)
    if variant is None:
        reason = f"no {STRIPE_HEADER} or {SIGNATURE_HEADER} header"
        return Verdict(False, NAME, reason, checks=(Check("headers", False, reason),))
    raise UsageProblem(f"unknown hmac-sha256 variant {variant!r}", hint="use standard or stripe")


def _standard_header(headers: Headers, name: str) -> str | None:
    value = get_header(headers, name)
    return value if value is not None else get_header(headers, _SVIX[name])


def _verify_standard(
    secret: str, body: bytes, headers: Headers, now: float, tolerance: int, explain: bool
) -> Verdict:
    key = standard_key(secret)
    msg_id = _standard_header(headers, ID_HEADER)
    ts_text = _standard_header(headers, TIMESTAMP_HEADER)
    sig_text = _standard_header(headers, SIGNATURE_HEADER)
    if msg_id is None or ts_text is None or sig_text is None:
        names = (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER)
        missing = [n for n, v in zip(names, (msg_id, ts_text, sig_text), strict=True) if v is None]
        reason = f"missing required header: {', '.join(missing)}"
        return Verdict(
            False, NAME, reason, variant="standard", checks=(Check("headers", False, reason),)
        )
    expected = _mac(key, f"{msg_id}.{ts_text}.".encode() + body)
    given = []
    for entry in sig_text.split():
        version, _, value = entry.partition(",")
        if version == "v1":  # v1a (Ed25519) and future versions are not ours to check
            given.append(b64decode_strict(value))
    checks = [_match("v1", given, expected)]
    ts = parse_unix_timestamp(ts_text.strip())
    if ts is None:
        checks.append(Check("timestamp", False, f"{ts_text!r} is not a Unix time in seconds"))
    else:
        checks.append(window_check(ts, now, tolerance))
    return verdict_from_checks(
        NAME,
        checks,
        ok_reason="Standard Webhooks signature matches and the timestamp is within the window",
        explain=explain,
        variant="standard",
    )


def _verify_stripe(
    secret: str, body: bytes, headers: Headers, now: float, tolerance: int, explain: bool
) -> Verdict:
    header = get_header(headers, STRIPE_HEADER)
    if header is None:
        reason = f"missing required header: {STRIPE_HEADER}"
        return Verdict(
            False, NAME, reason, variant="stripe", checks=(Check("headers", False, reason),)
        )
    items = [part.strip().partition("=") for part in header.split(",")]
    ts_values = [value for key, _, value in items if key == "t"]
    signatures = [value for key, _, value in items if key == "v1"]
    if not ts_values:
        reason = f"{STRIPE_HEADER} has no t= timestamp"
        return Verdict(
            False, NAME, reason, variant="stripe", checks=(Check("header", False, reason),)
        )
    ts_text = ts_values[0]
    expected = _mac(secret.encode("utf-8"), f"{ts_text}.".encode() + body)
    given: list[bytes | None] = []
    for value in signatures:
        try:
            given.append(bytes.fromhex(value))
        except ValueError:
            given.append(None)
    checks = [_match("v1", given, expected)]
    ts = parse_unix_timestamp(ts_text)
    if ts is None:
        checks.append(Check("timestamp", False, f"t={ts_text!r} is not a Unix time in seconds"))
    else:
        checks.append(window_check(ts, now, tolerance))
    return verdict_from_checks(
        NAME,
        checks,
        ok_reason="Stripe-style v1 signature matches and the timestamp is within the window",
        explain=explain,
        variant="stripe",
    )


def _match(version: str, given: list[bytes | None], expected: bytes) -> Check:
    """Compare every listed signature (no early exit), so timing reveals only the count."""
    if not given:
        return Check("signature", False, f"no {version} signature in the header")
    hits = [i for i, g in enumerate(given, 1) if same(g or b"", expected)]
    if hits:
        return Check("signature", True, f"{version} signature {hits[0]} of {len(given)} matches")
    return Check(
        "signature",
        False,
        f"none of {len(given)} {version} signature(s) match (wrong secret, or the body or "
        "timestamp changed)",
    )
