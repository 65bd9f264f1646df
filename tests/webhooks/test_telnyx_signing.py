"""Telnyx Ed25519 signatures: RFC 8032 key, computed vector, window, key formats, SDK oracle."""

from __future__ import annotations

import base64
import importlib.util
import time
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from telcli.errors import UsageProblem
from telcli.webhooks import telnyx

# RFC 8032 section 7.1 TEST 1: a public test key, never a real credential.
SEED_HEX = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
SEED_B64 = base64.b64encode(bytes.fromhex(SEED_HEX)).decode()
PUBLIC_HEX = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
PUBLIC_B64 = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
RFC_EMPTY_SIG = (
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e"
    "39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)
BODY = b'{"data":{"event_type":"call.initiated","id":"0ccc7b54-4df3-4bca-a65a-3da1ecc777f0"}}'
TS = "1700000000"
SIG = "Es5MFqOrJvkje4uCzSmFjAx511fL4rQAC3ZGU4AtJD5rRccxihbsY+CM2fYNIWAs1I5FBdBwgsCyxk2o4h0iCA=="
PKCS8_PEM = (
    "-----BEGIN PRIVATE KEY-----\n"
    + base64.b64encode(bytes.fromhex("302e020100300506032b657004220420" + SEED_HEX)).decode()
    + "\n-----END PRIVATE KEY-----\n"
)
SPKI_PEM = (
    "-----BEGIN PUBLIC KEY-----\n"
    + base64.b64encode(bytes.fromhex("302a300506032b6570032100" + PUBLIC_HEX)).decode()
    + "\n-----END PUBLIC KEY-----\n"
)


def headers(sig: str = SIG, ts: str = TS) -> dict[str, str]:
    return {"telnyx-signature-ed25519": sig, "telnyx-timestamp": ts}


def test_rfc8032_test1_key_loads_and_signs_the_empty_message() -> None:
    seed = telnyx.load_private_key(SEED_B64)
    assert seed.hex() == SEED_HEX
    key = SigningKey(seed)
    assert bytes(key.verify_key).hex() == PUBLIC_HEX
    assert key.sign(b"").signature.hex() == RFC_EMPTY_SIG
    assert telnyx.public_key_for(SEED_B64) == PUBLIC_B64


def test_computed_vector_signs_and_verifies() -> None:
    result = telnyx.sign(SEED_B64, body=BODY, timestamp=TS)
    assert result.headers == headers()
    assert result.url is None
    verdict = telnyx.verify(PUBLIC_B64, body=BODY, headers=result.headers, now=1700000000)
    assert verdict.valid, verdict.reason


def test_one_trailing_space_breaks_it() -> None:
    verdict = telnyx.verify(PUBLIC_B64, body=BODY + b" ", headers=headers(), now=1700000000)
    assert not verdict.valid
    assert verdict.reason.startswith("signature:")


@pytest.mark.parametrize(
    ("now", "valid", "words"),
    [
        (1700000300, True, "300 s old"),
        (1700000301, False, "301 s old"),
        (1699999700, True, "300 s in the future"),
        (1699999699, False, "301 s in the future"),
        (1700000300.9, True, "300 s old"),  # whole seconds, as the SDK compares them
    ],
)
def test_window_is_300_seconds_in_both_directions(now: float, valid: bool, words: str) -> None:
    verdict = telnyx.verify(PUBLIC_B64, body=BODY, headers=headers(), now=now, explain=True)
    assert verdict.valid is valid
    assert any(words in c.detail for c in verdict.checks if c.name == "timestamp")
    if not valid:
        assert verdict.reason.startswith("timestamp:")


def test_the_timestamp_is_signed_so_it_cannot_be_refreshed() -> None:
    verdict = telnyx.verify(PUBLIC_B64, body=BODY, headers=headers(ts="1700000100"), now=1700000100)
    assert not verdict.valid
    assert "signature" in verdict.reason


def test_default_timestamp_is_now() -> None:
    result = telnyx.sign(SEED_B64, body=BODY, now=1712345678.9)
    assert result.headers["telnyx-timestamp"] == "1712345678"


def test_wrong_key_is_rejected() -> None:
    _, other_public = telnyx.keygen()
    verdict = telnyx.verify(other_public, body=BODY, headers=headers(), now=1700000000)
    assert not verdict.valid
    assert "wrong key" in verdict.reason


@pytest.mark.parametrize(
    ("hdrs", "reason"),
    [
        ({"telnyx-timestamp": TS}, "missing required header: telnyx-signature-ed25519"),
        ({"telnyx-signature-ed25519": SIG}, "missing required header: telnyx-timestamp"),
        ({}, "missing required header: telnyx-signature-ed25519, telnyx-timestamp"),
    ],
)
def test_missing_headers(hdrs: dict[str, str], reason: str) -> None:
    verdict = telnyx.verify(PUBLIC_B64, body=BODY, headers=hdrs, now=1700000000)
    assert (verdict.valid, verdict.reason) == (False, reason)


@pytest.mark.parametrize(
    ("sig", "ts", "words"),
    [
        ("not base64!", TS, "not base64"),
        (base64.b64encode(b"x" * 63).decode(), TS, "63 bytes"),
        (SIG, "17e8", "not a Unix time"),
        (SIG, "-1700000000", "not a Unix time"),
    ],
)
def test_malformed_headers_are_verdicts(sig: str, ts: str, words: str) -> None:
    verdict = telnyx.verify(
        PUBLIC_B64, body=BODY, headers=headers(sig, ts), now=1700000000, explain=True
    )
    assert not verdict.valid
    assert any(words in c.detail for c in verdict.checks)


def test_header_names_are_case_insensitive() -> None:
    mixed = {"Telnyx-Signature-Ed25519": SIG, "TELNYX-TIMESTAMP": TS}
    assert telnyx.verify(PUBLIC_B64, body=BODY, headers=mixed, now=1700000000).valid


def test_non_utf8_body_round_trips() -> None:
    body = b"\xff\xfe\x00binary"
    result = telnyx.sign(SEED_B64, body=body, timestamp=TS)
    assert telnyx.verify(PUBLIC_B64, body=body, headers=result.headers, now=1700000000).valid


@pytest.mark.parametrize(
    "private",
    [
        SEED_B64,
        SEED_HEX,
        SEED_HEX.upper(),
        f"  {SEED_B64}\n",
        base64.b64encode(bytes.fromhex(SEED_HEX + PUBLIC_HEX)).decode(),  # NaCl/Go 64-byte form
        base64.urlsafe_b64encode(bytes.fromhex(SEED_HEX)).decode(),
        PKCS8_PEM,
        PKCS8_PEM.encode(),
    ],
)
def test_private_key_formats(private: str | bytes) -> None:
    assert telnyx.load_private_key(private).hex() == SEED_HEX


@pytest.mark.parametrize("public", [PUBLIC_B64, PUBLIC_HEX, SPKI_PEM, PUBLIC_B64 + "\n"])
def test_public_key_formats(public: str) -> None:
    assert telnyx.load_public_key(public).hex() == PUBLIC_HEX
    assert telnyx.verify(public, body=BODY, headers=headers(), now=1700000000).valid


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("not a key", "not base64"),
        (base64.b64encode(b"k" * 31).decode(), "31 bytes"),
        (SPKI_PEM, "PEM"),  # a public key where a private key belongs
        (base64.b64encode(bytes.fromhex(SEED_HEX) + b"\x00" * 32).decode(), "public key"),
        (b"\xff\xfe", "not text"),
    ],
)
def test_bad_private_keys_are_usage_problems_that_never_quote_the_key(
    text: str | bytes, words: str
) -> None:
    with pytest.raises(UsageProblem, match=words) as info:
        telnyx.load_private_key(text)
    if isinstance(text, str) and len(text) > 8:
        assert text.strip() not in str(info.value) + (info.value.hint or "")


def test_bad_public_key_raises_usage_problem_in_verify() -> None:
    with pytest.raises(UsageProblem):
        telnyx.verify("abc", body=BODY, headers=headers(), now=1700000000)


def test_keygen_pairs_are_fresh_and_usable() -> None:
    private, public = telnyx.keygen()
    assert len(base64.b64decode(private)) == 32 and len(base64.b64decode(public)) == 32
    assert telnyx.public_key_for(private) == public
    assert telnyx.keygen()[0] != private
    result = telnyx.sign(private, body=b"{}", now=1000)
    assert telnyx.verify(public, body=b"{}", headers=result.headers, now=1000).valid


# --- the official SDK verifier as the oracle -----------------------------------------------


def _sdk_verifier():
    """telnyx 4.x ``telnyx/lib/webhook_verification.py``, loaded from its file.

    The module is stdlib + PyNaCl; loading it directly skips the ~2 s ``import telnyx``.
    (``test_telnyx_sdk_unwrap.py`` goes through the full client too.)
    """
    spec = importlib.util.find_spec("telnyx")
    if spec is None or spec.origin is None:
        pytest.skip("telnyx SDK is not installed")
    path = Path(spec.origin).parent / "lib" / "webhook_verification.py"
    module_spec = importlib.util.spec_from_file_location("_telnyx_webhook_verification", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def test_official_verifier_accepts_telcli_signatures() -> None:
    sdk = _sdk_verifier()
    body = b'{"data":{"event_type":"message.received","id":"7d3a0c2e-8a7b-4f1e-9f0a-1b2c3d4e5f60"}}'
    result = telnyx.sign(SEED_B64, body=body)  # fresh: the SDK reads the real clock
    sdk.verify_webhook_signature(body, result.headers, PUBLIC_B64)
    sdk.verify_webhook_signature(body.decode(), result.headers, PUBLIC_B64)
    with pytest.raises(sdk.WebhookVerificationError, match="signature does not match"):
        sdk.verify_webhook_signature(body + b" ", result.headers, PUBLIC_B64)


def test_official_verifier_agrees_on_stale_timestamps() -> None:
    sdk = _sdk_verifier()
    stale = telnyx.sign(SEED_B64, body=BODY, timestamp=int(time.time()) - 400)
    with pytest.raises(sdk.WebhookVerificationError, match="too old or too new"):
        sdk.verify_webhook_signature(BODY, stale.headers, PUBLIC_B64)
    assert not telnyx.verify(PUBLIC_B64, body=BODY, headers=stale.headers).valid
