"""VAPI server URL authentication: a static secret header, or an HMAC credential.

* ``secret``: the legacy ``server.secret`` sends ``X-Vapi-Secret: <secret>``. It is not a
  signature (it covers neither body nor time), so a captured delivery can simply be re-sent.
* ``bearer``: a Bearer Token credential sends ``Authorization: Bearer <token>``.
* ``hmac``: an HMAC credential signs per its ``HMACAuthenticationPlan`` (VAPI openapi), whose
  documented defaults are :class:`HmacPlan`'s: sha256, header ``x-signature``, timestamp in
  ``x-timestamp``, payload ``{timestamp}.{body}``, hex, no prefix, secret used as UTF-8.

VAPI publishes no signature test vectors and does not document whether the timestamp is in
seconds or milliseconds; :class:`HmacPlan` assumes seconds (``timestamp_unit``) and the
verifier reads a 13-digit value as milliseconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

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

NAME = "vapi"
SECRET_HEADER = "X-Vapi-Secret"
AUTHORIZATION = "Authorization"
VARIANTS = ("secret", "bearer", "hmac")
_HASHES = {"sha256": hashlib.sha256, "sha512": hashlib.sha512, "sha1": hashlib.sha1}
_PLACEHOLDER = re.compile(r"(\{body\}|\{timestamp\}|\{method\}|\{url\}|\{svix-id\})")
_MS_THRESHOLD = 10**11  # a "seconds" value this large is year 5138: it must be milliseconds


@dataclass(frozen=True, slots=True)
class HmacPlan:
    """VAPI's ``HMACAuthenticationPlan`` minus the secret, with the documented defaults.

    ``timestamp_unit`` is telcli's own field: VAPI does not document the unit.
    """

    algorithm: str = "sha256"
    signature_header: str = "x-signature"
    timestamp_header: str = "x-timestamp"
    include_timestamp: bool = True
    payload_format: str = "{timestamp}.{body}"
    signature_prefix: str = ""
    signature_encoding: str = "hex"
    secret_is_base64: bool = False
    message_id_header: str | None = None
    timestamp_unit: str = "s"

    def __post_init__(self) -> None:
        if self.algorithm.lower() not in _HASHES:
            raise UsageProblem(
                f"unsupported VAPI HMAC algorithm {self.algorithm!r}",
                hint="VAPI supports sha256, sha512 and sha1",
            )
        if self.signature_encoding not in ("hex", "base64"):
            raise UsageProblem(
                f"signature encoding must be hex or base64, not {self.signature_encoding!r}"
            )
        if self.timestamp_unit not in ("s", "ms"):
            raise UsageProblem(f"timestamp unit must be s or ms, not {self.timestamp_unit!r}")
        if "{timestamp}" in self.payload_format and not self.include_timestamp:
            raise UsageProblem(
                "the payload format uses {timestamp} but the plan sends no timestamp",
                hint="use a payload format without {timestamp}, e.g. {body}",
            )

    @classmethod
    def from_json(cls, plan: Mapping[str, Any]) -> HmacPlan:
        """Build from the openapi ``HMACAuthenticationPlan`` (camelCase keys; ``type`` and
        ``secretKey`` are ignored). Unknown keys raise UsageProblem."""
        names = {f.name: f.name for f in fields(cls)}
        defaults = {f.name: f.default for f in fields(cls)}
        camel = {re.sub(r"_(\w)", lambda m: m.group(1).upper(), n): n for n in names}
        kwargs: dict[str, Any] = {}
        for key, value in plan.items():
            if key in ("type", "secretKey"):
                continue
            name = camel.get(key) or names.get(key)
            if name is None:
                raise UsageProblem(f"unknown HMAC plan field {key!r}")
            default = defaults[name]
            wanted = (bool,) if isinstance(default, bool) else (str,)
            if not isinstance(value, wanted) and not (default is None and value is None):
                kind = "true or false" if wanted == (bool,) else "a string"
                raise UsageProblem(f"HMAC plan field {key!r} must be {kind}, not {value!r:.40}")
            kwargs[name] = value
        return cls(**kwargs)


def secret_bytes(secret: str, plan: HmacPlan) -> bytes:
    if not plan.secret_is_base64:
        return secret.encode("utf-8")
    raw = b64decode_strict(secret.strip())
    if raw is None:
        raise UsageProblem("the HMAC plan says the secret is base64, but it does not decode")
    return raw


def payload(
    plan: HmacPlan,
    *,
    body: bytes,
    timestamp: str | None,
    method: str = "POST",
    url: str | None = None,
    message_id: str | None = None,
) -> bytes:
    """The bytes the plan's ``payloadFormat`` describes, with the raw body spliced in.

    Raises UsageProblem when the format needs a value that was not supplied.
    """
    values: dict[str, bytes | None] = {
        "{body}": body,
        "{timestamp}": timestamp.encode("utf-8") if timestamp is not None else None,
        "{method}": method.encode("utf-8"),
        "{url}": url.encode("utf-8") if url is not None else None,
        "{svix-id}": message_id.encode("utf-8") if message_id is not None else None,
    }
    out = bytearray()
    for piece in _PLACEHOLDER.split(plan.payload_format):
        if piece in values:
            value = values[piece]
            if value is None:
                raise UsageProblem(f"the payload format uses {piece} but no value was given")
            out += value
        else:
            out += piece.encode("utf-8")
    return bytes(out)


def _digest(secret: bytes, plan: HmacPlan, message: bytes) -> bytes:
    return hmac.new(secret, message, _HASHES[plan.algorithm.lower()]).digest()


def _encode(digest: bytes, plan: HmacPlan) -> str:
    if plan.signature_encoding == "hex":
        return digest.hex()
    return base64.b64encode(digest).decode("ascii")


def _decode(text: str, plan: HmacPlan) -> bytes | None:
    if plan.signature_encoding == "hex":
        try:
            return bytes.fromhex(text)
        except ValueError:
            return None
    return b64decode_strict(text)


def sign(
    secret: str,
    *,
    body: bytes = b"",
    variant: str = "secret",
    plan: HmacPlan | None = None,
    timestamp: str | int | None = None,
    now: float | None = None,
    method: str = "POST",
    url: str | None = None,
    message_id: str | None = None,
) -> SignResult:
    """Headers VAPI would send for ``body`` under ``variant`` (secret, bearer or hmac)."""
    require(secret, "a secret", NAME)
    if variant == "secret":
        return SignResult({SECRET_HEADER: secret})
    if variant == "bearer":
        return SignResult({AUTHORIZATION: f"Bearer {secret}"})
    if variant != "hmac":
        raise UsageProblem(f"unknown vapi variant {variant!r}", hint="use secret, bearer or hmac")
    plan = plan or HmacPlan()
    ts: str | None = None
    if plan.include_timestamp:
        if timestamp is None:
            scale = 1000 if plan.timestamp_unit == "ms" else 1
            timestamp = int(clock(now) * scale)
        ts = timestamp_to_sign(timestamp, now)
    message = payload(plan, body=body, timestamp=ts, method=method, url=url, message_id=message_id)
    signature = plan.signature_prefix + _encode(
        _digest(secret_bytes(secret, plan), plan, message), plan
    )
    headers = {plan.signature_header: signature}
    if ts is not None:
        headers[plan.timestamp_header] = ts
    if plan.message_id_header and message_id is not None:
        headers[plan.message_id_header] = message_id
    return SignResult(headers)


def detect_variant(headers: Headers, plan: HmacPlan | None = None) -> str | None:
    """Which mode a delivery's headers use: hmac (a plan was given, or its signature header is
    present), secret (``X-Vapi-Secret``) or bearer (``Authorization: Bearer``)."""
    if plan is not None:
        return "hmac"
    if get_header(headers, SECRET_HEADER) is not None:
        return "secret"
    auth = get_header(headers, AUTHORIZATION)
    if auth is not None and auth[:7].lower() == "bearer ":
        return "bearer"
    if get_header(headers, HmacPlan().signature_header) is not None:
        return "hmac"
    return None


def verify(
    secret: str,
    *,
    body: bytes,
    headers: Headers,
    variant: str | None = None,
    plan: HmacPlan | None = None,
    now: float | None = None,
    tolerance: int = DEFAULT_TOLERANCE,
    method: str = "POST",
    url: str | None = None,
    explain: bool = False,
) -> Verdict:
    """Verify a VAPI delivery. ``variant`` defaults to what the headers show (see
    :func:`detect_variant`). Static secrets are compared in constant time."""
    require(secret, "a secret", NAME)
    variant = variant or detect_variant(headers, plan)
    if variant is None:
        reason = f"no {SECRET_HEADER}, Authorization: Bearer or x-signature header"
        return Verdict(False, NAME, reason, checks=(Check("headers", False, reason),))
    if variant in ("secret", "bearer"):
        return _verify_static(secret, headers, variant, explain=explain)
    if variant != "hmac":
        raise UsageProblem(f"unknown vapi variant {variant!r}", hint="use secret, bearer or hmac")
    return _verify_hmac(
        secret,
        body=body,
        headers=headers,
        plan=plan or HmacPlan(),
        now=now,
        tolerance=tolerance,
        method=method,
        url=url,
        explain=explain,
    )


def _verify_static(secret: str, headers: Headers, variant: str, *, explain: bool) -> Verdict:
    name = SECRET_HEADER if variant == "secret" else AUTHORIZATION
    value = get_header(headers, name)
    if value is None:
        check = Check("header", False, f"no {name} header")
    elif variant == "bearer" and value[:7].lower() != "bearer ":
        check = Check("header", False, f"{name} is not a Bearer token")
    else:
        token = value[7:] if variant == "bearer" else value
        ok = same(token, secret)
        check = Check("secret", ok, f"{name} {'matches' if ok else 'does not match'} the secret")
    return verdict_from_checks(
        NAME,
        [check],
        ok_reason=f"{name} matches (a static secret: it covers neither the body nor a timestamp)",
        explain=explain,
        variant=variant,
    )


def _verify_hmac(
    secret: str,
    *,
    body: bytes,
    headers: Headers,
    plan: HmacPlan,
    now: float | None,
    tolerance: int,
    method: str,
    url: str | None,
    explain: bool,
) -> Verdict:
    key = secret_bytes(secret, plan)
    checks: list[Check] = []
    sig_text = get_header(headers, plan.signature_header)
    ts_text = get_header(headers, plan.timestamp_header) if plan.include_timestamp else None
    message_id = get_header(headers, plan.message_id_header) if plan.message_id_header else None
    missing = [] if sig_text is not None else [plan.signature_header]
    if plan.include_timestamp and ts_text is None:
        missing.append(plan.timestamp_header)
    if "{svix-id}" in plan.payload_format and message_id is None:
        missing.append(plan.message_id_header or "message id header (plan has none)")
    if missing or sig_text is None:
        reason = f"missing required header: {', '.join(missing)}"
        return Verdict(
            False, NAME, reason, variant="hmac", checks=(Check("headers", False, reason),)
        )

    if ts_text is not None:
        ts = parse_unix_timestamp(ts_text.strip())
        if ts is None:
            checks.append(Check("timestamp", False, f"{ts_text!r} is not a Unix timestamp"))
        else:
            ms = plan.timestamp_unit == "ms" or ts >= _MS_THRESHOLD
            checks.append(window_check(ts // 1000 if ms else ts, clock(now), tolerance))

    value = sig_text.strip()
    prefix = plan.signature_prefix
    if prefix and not value.startswith(prefix):
        checks.insert(0, Check("signature", False, f"does not start with {prefix!r}"))
    else:
        given = _decode(value[len(prefix) :], plan)
        message = payload(
            plan, body=body, timestamp=ts_text, method=method, url=url, message_id=message_id
        )
        expected = _digest(key, plan, message)
        if given is None:
            detail = f"not {plan.signature_encoding}"
            checks.insert(0, Check("signature", False, detail))
        else:
            ok = same(given, expected)
            detail = (
                f"HMAC-{plan.algorithm.upper()} over {plan.payload_format} matches"
                if ok
                else f"HMAC-{plan.algorithm.upper()} over {plan.payload_format} does not match "
                "(wrong secret or plan, or the body changed)"
            )
            checks.insert(0, Check("signature", ok, detail))
    return verdict_from_checks(
        NAME,
        checks,
        ok_reason=f"HMAC signature in {plan.signature_header} matches"
        + (" and the timestamp is within the window" if ts_text is not None else ""),
        explain=explain,
        variant="hmac",
    )
