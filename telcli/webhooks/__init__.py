"""Webhook signing schemes as pure functions: sign, verify, detect, classify.

One module per scheme (``twilio``, ``telnyx``, ``vapi``, ``livekit``, ``hmac_sha256``), each
with explicit ``sign``/``verify`` functions over the raw body bytes. This package adds the
uniform entry points the CLI and the capture/replay services call:

* :func:`sign` ``(scheme, body=..., ...) -> SignResult`` (headers to add, and the URL to send
  to when signing changed it);
* :func:`verify` ``(scheme, body=..., headers=..., ...) -> Verdict`` (a failed verification is
  a verdict, never an exception);
* :func:`detect_provider` and :func:`event_type` for labelling captured deliveries.

Bad inputs (an undecodable key, a missing secret, a flag the scheme does not use) raise
``UsageProblem``. ``url`` and ``content_type`` describe the request and are accepted by every
scheme, whether or not it signs them. Nothing here performs I/O or prints.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from telcli.errors import UsageProblem
from telcli.webhooks import hmac_sha256, livekit, telnyx, twilio, vapi
from telcli.webhooks._common import (
    DEFAULT_TOLERANCE,
    LABEL_MAX_BODY,
    Check,
    Headers,
    SignResult,
    Verdict,
    get_header,
    label_json,
    refuse,
    require,
    timestamp_to_sign,
)

__all__ = [
    "SCHEMES",
    "Check",
    "Scheme",
    "SignResult",
    "Verdict",
    "detect_provider",
    "event_type",
    "get_header",
    "sign",
    "verify",
]


@dataclass(frozen=True, slots=True)
class Scheme:
    """What a scheme is and which inputs it takes (for help texts and the CLI)."""

    name: str
    summary: str
    sign_inputs: tuple[str, ...]
    verify_inputs: tuple[str, ...]
    variants: tuple[str, ...] = ()
    time_bound: bool = True


SCHEMES: dict[str, Scheme] = {
    "twilio": Scheme(
        "twilio",
        "X-Twilio-Signature: HMAC-SHA1 of the URL and sorted form params (Auth Token)",
        sign_inputs=("secret", "url", "content_type"),
        verify_inputs=("secret", "url"),
        variants=("sha1", "sha256"),
        time_bound=False,
    ),
    "telnyx": Scheme(
        "telnyx",
        "telnyx-signature-ed25519: Ed25519 over timestamp|body (test key pair)",
        sign_inputs=("private_key", "timestamp"),
        verify_inputs=("public_key",),
    ),
    "vapi": Scheme(
        "vapi",
        "X-Vapi-Secret or Bearer static secret, or an HMAC credential (x-signature)",
        sign_inputs=("secret", "variant", "timestamp"),
        verify_inputs=("secret", "variant"),
        variants=vapi.VARIANTS,
    ),
    "livekit": Scheme(
        "livekit",
        "Authorization: HS256 JWT with the body's sha256 (API key and secret)",
        sign_inputs=("api_key", "secret", "timestamp"),
        verify_inputs=("secret",),
    ),
    "hmac-sha256": Scheme(
        "hmac-sha256",
        "Standard Webhooks (webhook-signature: v1,...) or Stripe-style (t=...,v1=...)",
        sign_inputs=("secret", "variant", "timestamp", "message_id"),
        verify_inputs=("secret", "variant"),
        variants=hmac_sha256.VARIANTS,
    ),
}


def _scheme(name: str) -> Scheme:
    try:
        return SCHEMES[name]
    except KeyError:
        raise UsageProblem(
            f"unknown webhook scheme {name!r}", hint=f"use one of: {', '.join(SCHEMES)}"
        ) from None


def _variant(scheme: Scheme, variant: str | None) -> str | None:
    if variant is not None and variant not in scheme.variants:
        allowed = ", ".join(scheme.variants) or "none"
        raise UsageProblem(
            f"the {scheme.name} scheme has no variant {variant!r}", hint=f"variants: {allowed}"
        )
    return variant


def sign(
    scheme: str,
    *,
    body: bytes,
    url: str | None = None,
    content_type: str | None = None,
    secret: str | None = None,
    private_key: str | None = None,
    timestamp: str | int | None = None,
    api_key: str | None = None,
    variant: str | None = None,
    message_id: str | None = None,
    plan: vapi.HmacPlan | None = None,
    now: float | None = None,
) -> SignResult:
    """Sign ``body`` under ``scheme``. See each scheme module for what its inputs mean."""
    info = _scheme(scheme)
    variant = _variant(info, variant)
    if scheme == "twilio":
        refuse(scheme, private_key=private_key, timestamp=timestamp, api_key=api_key)
        refuse(scheme, message_id=message_id, plan=plan)
        algorithm = twilio.HMAC_SHA256 if variant == "sha256" else twilio.HMAC_SHA1
        return twilio.sign(
            require(secret, "a secret (the account Auth Token)", scheme),
            url=require(url, "the URL Twilio requests", scheme),
            body=body,
            content_type=content_type,
            algorithm=algorithm,
        )
    if scheme == "telnyx":
        refuse(scheme, secret=secret, api_key=api_key, message_id=message_id, plan=plan)
        key = require(private_key, "a private key (base64, or a key file's contents)", scheme)
        return telnyx.sign(key, body=body, timestamp=timestamp, now=now)
    if scheme == "vapi":
        refuse(scheme, private_key=private_key, api_key=api_key)
        if plan is not None and variant not in (None, "hmac"):
            raise UsageProblem("an HMAC plan only applies to the hmac variant")
        return vapi.sign(
            require(secret, "a secret", scheme),
            body=body,
            variant=variant or ("hmac" if plan is not None else "secret"),
            plan=plan,
            timestamp=timestamp,
            now=now,
            url=url,
            message_id=message_id,
        )
    if scheme == "livekit":
        refuse(scheme, private_key=private_key, message_id=message_id, plan=plan)
        # The token's nbf; exp follows 5 minutes later.
        issued = None if timestamp is None else int(timestamp_to_sign(timestamp, now))
        return livekit.sign(
            require(api_key, "an API key", scheme),
            require(secret, "a secret (the API secret)", scheme),
            body=body,
            now=now if issued is None else issued,
        )
    refuse(scheme, private_key=private_key, api_key=api_key, plan=plan)
    return hmac_sha256.sign(
        require(secret, "a secret", scheme),
        body=body,
        variant=variant or "standard",
        timestamp=timestamp,
        message_id=message_id,
        now=now,
    )


def verify(
    scheme: str,
    *,
    body: bytes,
    headers: Headers,
    url: str | None = None,
    content_type: str | None = None,
    secret: str | None = None,
    public_key: str | None = None,
    private_key: str | None = None,
    api_key: str | None = None,
    variant: str | None = None,
    plan: vapi.HmacPlan | None = None,
    explain: bool = False,
    now: float | None = None,
    tolerance: int | None = None,
) -> Verdict:
    """Verify a delivery under ``scheme``.

    ``tolerance`` is the timestamp window in seconds (default 300), or for livekit the
    exp/nbf leeway (default 60). For telnyx, a ``private_key`` stands in for its public key.
    """
    info = _scheme(scheme)
    variant = _variant(info, variant)
    if scheme == "twilio":
        refuse(scheme, public_key=public_key, private_key=private_key, api_key=api_key)
        refuse(scheme, variant=variant, plan=plan, tolerance=tolerance)
        return twilio.verify(
            require(secret, "a secret (the account Auth Token)", scheme),
            url=require(url, "the URL Twilio requested", scheme),
            body=body,
            headers=headers,
            content_type=content_type,
            explain=explain,
        )
    window = DEFAULT_TOLERANCE if tolerance is None else tolerance
    if scheme == "telnyx":
        refuse(scheme, secret=secret, api_key=api_key, plan=plan)
        if public_key is not None and private_key is not None:
            raise UsageProblem("give the telnyx public key or the private key, not both")
        if public_key is None and private_key is not None:
            public_key = telnyx.public_key_for(private_key)
        key = require(public_key, "a public key (base64, or a key file's contents)", scheme)
        return telnyx.verify(
            key, body=body, headers=headers, now=now, tolerance=window, explain=explain
        )
    if scheme == "vapi":
        refuse(scheme, public_key=public_key, private_key=private_key, api_key=api_key)
        return vapi.verify(
            require(secret, "a secret", scheme),
            body=body,
            headers=headers,
            variant=variant,
            plan=plan,
            now=now,
            tolerance=window,
            url=url,
            explain=explain,
        )
    if scheme == "livekit":
        refuse(scheme, public_key=public_key, private_key=private_key, plan=plan)
        return livekit.verify(
            require(secret, "a secret (the API secret)", scheme),
            body=body,
            headers=headers,
            api_key=api_key,
            now=now,
            leeway=livekit.LEEWAY if tolerance is None else tolerance,
            explain=explain,
        )
    refuse(scheme, public_key=public_key, private_key=private_key, api_key=api_key, plan=plan)
    return hmac_sha256.verify(
        require(secret, "a secret", scheme),
        body=body,
        headers=headers,
        variant=variant,
        now=now,
        tolerance=window,
        explain=explain,
    )


# --- detection and classification ----------------------------------------------------------

_JWT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def _dig(data: Any, *path: str) -> str | None:
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data if isinstance(data, str) else None


def detect_provider(headers: Headers, body: bytes) -> str | None:
    """Guess which scheme signed a captured delivery (a ``SCHEMES`` key), or None.

    Headers decide first (``X-Twilio-Signature``, ``telnyx-signature-ed25519``, LiveKit's
    ``application/webhook+json``, any ``x-vapi-*``), then the body (LiveKit's bare-JWT
    ``Authorization`` with a top-level ``event``; VAPI's ``message.type`` envelope), then
    generic HMAC headers (Stripe, Standard Webhooks).
    """
    if get_header(headers, twilio.SIGNATURE_HEADER) is not None:
        return "twilio"
    if get_header(headers, telnyx.SIGNATURE_HEADER) is not None:
        return "telnyx"
    content_type = (get_header(headers, "Content-Type") or "").split(";")[0].strip().lower()
    if content_type == livekit.CONTENT_TYPE:
        return "livekit"
    names = headers.keys() if isinstance(headers, Mapping) else (n for n, _ in headers)
    if any(n.lower().replace("_", "-").removeprefix("http-").startswith("x-vapi-") for n in names):
        return "vapi"
    data = label_json(body)
    auth = (get_header(headers, livekit.AUTH_HEADER) or "").strip()
    if _JWT.fullmatch(auth) and _dig(data, "event") is not None:
        return "livekit"
    if _dig(data, "message", "type") is not None:
        return "vapi"
    if hmac_sha256.detect_variant(headers) is not None:
        return "hmac-sha256"
    return None


_TWILIO_STATUS_PARAMS = ("CallStatus", "MessageStatus", "SmsStatus")


def event_type(provider: str | None, headers: Headers, body: bytes) -> str | None:
    """The event a delivery reports, for listing captures; None when it cannot tell.

    Twilio: the ``CallStatus``/``MessageStatus``/``SmsStatus`` form param; Telnyx:
    ``data.event_type``; VAPI: ``message.type``; LiveKit: ``event``; Stripe and Standard
    Webhooks: the top-level ``type``.
    """
    if len(body) > LABEL_MAX_BODY:
        return None
    if provider == "twilio":
        content_type = (get_header(headers, "Content-Type") or "").lower()
        if "json" in content_type:
            return None
        params = dict(reversed(twilio.form_params(body)))  # first occurrence wins
        return next((params[p] for p in _TWILIO_STATUS_PARAMS if params.get(p)), None)
    data = label_json(body)
    if provider == "telnyx":
        return _dig(data, "data", "event_type")
    if provider == "vapi":
        return _dig(data, "message", "type")
    if provider == "livekit":
        return _dig(data, "event")
    if provider == "hmac-sha256":
        return _dig(data, "type")
    return None
