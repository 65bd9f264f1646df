"""Telnyx ``telnyx-signature-ed25519``: Ed25519 over ``"{telnyx-timestamp}|" + raw body``.

Only Telnyx holds the private key of an account, so telcli cannot sign *as Telnyx*. It signs
with a test key pair (:func:`keygen`) whose public key the receiver is configured with
(``TELNYX_PUBLIC_KEY``, ``Telnyx(public_key=...)``), exactly as the official SDK tests do.

Verification mirrors telnyx-python 4.x ``telnyx.lib.webhook_verification`` (and the Node and
Go SDKs): both headers required, an integer Unix timestamp within 300 s of now in *either*
direction, a 32-byte key, a 64-byte signature. Unlike the Python SDK, the body is never
decoded, so bodies that are not UTF-8 verify too.

PyNaCl is imported inside the functions that need it, so importing this module stays cheap.
"""

from __future__ import annotations

import base64
import binascii
import re

from telcli.errors import UsageProblem
from telcli.webhooks._common import (
    DEFAULT_TOLERANCE,
    Check,
    Headers,
    SignResult,
    Verdict,
    b64decode_strict,
    b64encode,
    clock,
    get_header,
    parse_unix_timestamp,
    require,
    timestamp_to_sign,
    verdict_from_checks,
    window_check,
)

NAME = "telnyx"
SIGNATURE_HEADER = "telnyx-signature-ed25519"
TIMESTAMP_HEADER = "telnyx-timestamp"

# DER prefixes of Ed25519 keys in PKCS#8 (private) and SubjectPublicKeyInfo (public) form,
# which is what `openssl genpkey -algorithm ed25519` writes inside its PEM files.
_PKCS8_PREFIX = bytes.fromhex("302e020100300506032b657004220420")
_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")
_PEM = re.compile(r"-----BEGIN ([A-Z ]+)-----(.*?)-----END \1-----", re.DOTALL)
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


def signed_message(timestamp: str, body: bytes) -> bytes:
    return timestamp.encode("utf-8", "surrogateescape") + b"|" + body


def keygen() -> tuple[str, str]:
    """A new Ed25519 test key pair as (private seed, public key), both base64 of 32 bytes."""
    from nacl.signing import SigningKey

    key = SigningKey.generate()
    return b64encode(bytes(key)), b64encode(bytes(key.verify_key))


def public_key_for(private_key: str) -> str:
    """The base64 public key that goes with ``private_key`` (any accepted format)."""
    from nacl.signing import SigningKey

    return b64encode(bytes(SigningKey(load_private_key(private_key)).verify_key))


def load_private_key(text: str | bytes) -> bytes:
    """The 32-byte Ed25519 seed from base64 (32-byte seed, or 64-byte seed+public key as NaCl
    and Go store it), 64 hex digits, or a PKCS#8 PEM file's contents.

    Raises UsageProblem when ``text`` is none of those; the message never quotes the key.
    """
    raw = _decode_key(text, "private", pem_prefix=_PKCS8_PREFIX, lengths=(32, 64))
    if len(raw) == 64:
        from nacl.signing import SigningKey

        seed, public = raw[:32], raw[32:]
        if bytes(SigningKey(seed).verify_key) != public:
            raise UsageProblem("the 64-byte private key's second half is not its public key")
        return seed
    return raw


def load_public_key(text: str | bytes) -> bytes:
    """The 32-byte Ed25519 public key from base64 (as Mission Control shows it), 64 hex
    digits, or an SPKI PEM file's contents. Raises UsageProblem otherwise."""
    return _decode_key(text, "public", pem_prefix=_SPKI_PREFIX, lengths=(32,))


def _decode_key(
    text: str | bytes, kind: str, *, pem_prefix: bytes, lengths: tuple[int, ...]
) -> bytes:
    if isinstance(text, bytes):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError:
            raise UsageProblem(f"the Ed25519 {kind} key is not text") from None
    text = text.strip()
    if not text:
        raise UsageProblem(f"the Ed25519 {kind} key is empty")
    pem = _PEM.search(text)
    if pem is not None:
        try:
            der = base64.b64decode("".join(pem.group(2).split()), validate=True)
        except (binascii.Error, ValueError):
            der = b""
        if der.startswith(pem_prefix) and len(der) == len(pem_prefix) + 32:
            return der[len(pem_prefix) :]
        raise UsageProblem(
            f"the PEM file does not hold an Ed25519 {kind} key",
            hint="expected `openssl genpkey -algorithm ed25519` output or base64 of 32 bytes",
        )
    if _HEX64.fullmatch(text):
        return bytes.fromhex(text)
    raw = b64decode_strict(text)
    if raw is None:
        try:
            raw = base64.urlsafe_b64decode(text)
        except (binascii.Error, ValueError):
            raw = None
    if raw is None or len(raw) not in lengths:
        got = "not base64" if raw is None else f"{len(raw)} bytes"
        raise UsageProblem(
            f"the Ed25519 {kind} key must be base64 of 32 bytes ({got})",
            hint="`telcli webhook keygen` prints a test key pair in the expected format",
        )
    return raw


def sign(
    private_key: str,
    *,
    body: bytes,
    timestamp: str | int | None = None,
    now: float | None = None,
) -> SignResult:
    """Sign ``body`` with a test private key (base64, hex or PEM; see :func:`load_private_key`).

    The timestamp defaults to ``now`` (whole seconds). The header string is signed as given.
    """
    from nacl.signing import SigningKey

    require(private_key, "a private key (base64, or a key file's contents)", NAME)
    ts = timestamp_to_sign(timestamp, now)
    signature = SigningKey(load_private_key(private_key)).sign(signed_message(ts, body)).signature
    return SignResult({SIGNATURE_HEADER: b64encode(signature), TIMESTAMP_HEADER: ts})


def verify(
    public_key: str,
    *,
    body: bytes,
    headers: Headers,
    now: float | None = None,
    tolerance: int = DEFAULT_TOLERANCE,
    explain: bool = False,
) -> Verdict:
    """Verify a Telnyx delivery against ``public_key``.

    Invalid when a header is missing or malformed, the timestamp is more than ``tolerance``
    seconds away from ``now`` (past or future), or the signature does not match the raw
    body. Raises UsageProblem only for a public key that does not decode.
    """
    from nacl.exceptions import BadSignatureError
    from nacl.signing import VerifyKey

    require(public_key, "a public key (base64, or a key file's contents)", NAME)
    key = VerifyKey(load_public_key(public_key))
    sig_text = get_header(headers, SIGNATURE_HEADER)
    ts_text = get_header(headers, TIMESTAMP_HEADER)
    missing = [n for n, v in ((SIGNATURE_HEADER, sig_text), (TIMESTAMP_HEADER, ts_text)) if not v]
    if missing or sig_text is None or ts_text is None:
        reason = f"missing required header: {', '.join(missing)}"
        return Verdict(False, NAME, reason, checks=(Check("headers", False, reason),))

    checks: list[Check] = []
    ts = parse_unix_timestamp(ts_text.strip())
    if ts is None:
        checks.append(Check("timestamp", False, f"{ts_text!r} is not a Unix time in seconds"))
    else:
        checks.append(window_check(ts, clock(now), tolerance))

    signature = b64decode_strict(sig_text.strip())
    if signature is None or len(signature) != 64:
        got = "not base64" if signature is None else f"{len(signature)} bytes"
        checks.append(Check("signature", False, f"not a base64 Ed25519 signature ({got})"))
    else:
        try:
            key.verify(signed_message(ts_text, body), signature)
            checks.append(Check("signature", True, "Ed25519 signature matches timestamp|body"))
        except BadSignatureError:
            checks.append(
                Check(
                    "signature",
                    False,
                    "does not match timestamp|body for this public key "
                    "(wrong key, or the body or timestamp changed)",
                )
            )
    # Report a bad signature before a stale timestamp: it is the more fundamental failure.
    checks.sort(key=lambda c: c.name != "signature")
    return verdict_from_checks(
        NAME,
        checks,
        ok_reason="Ed25519 signature matches and the timestamp is within the window",
        explain=explain,
    )
