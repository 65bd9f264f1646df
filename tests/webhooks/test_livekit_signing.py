"""LiveKit: HS256 JWT with the body's sha256 claim; PyJWT is the oracle."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from telcli.errors import UsageProblem
from telcli.webhooks import livekit

API_KEY, API_SECRET = "abcdefg", "abababa"  # the LiveKit SDK test credentials
BODY = (
    b'{"event":"room_started", "room":{"sid":"RM_TkVjUvAqgzKz", "name":"mytestroom", '
    b'"emptyTimeout":300, "creationTime":"1628545903", '
    b'"turnPassword":"ICkSr2rEeslkN6e9bXL4Ji5zzMD5Z7zzr6ulOaxMj6N", '
    b'"enabledCodecs":[{"mime":"audio/opus"}, {"mime":"video/VP8"}]}}'
)
BODY_SHA = "CoEQz1chqJ9bnZRcORddjplkvpjmPujmLTR42DbefYI="
NOW = 1700000000

# The SDK test secret is 7 bytes by design; PyJWT warns about short HMAC keys.
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": token, "Content-Type": "application/webhook+json"}


def pyjwt_token(claims: dict, secret: str = API_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, secret, algorithm=algorithm)


def test_node_sdk_vector_body_hash() -> None:
    assert livekit.body_sha256(BODY) == BODY_SHA


def test_sign_mints_the_documented_claims() -> None:
    token = livekit.sign(API_KEY, API_SECRET, body=BODY, now=NOW).headers["Authorization"]
    assert not token.startswith("Bearer")
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(
        token, API_SECRET, algorithms=["HS256"], options={"verify_exp": False, "verify_nbf": False}
    )
    assert claims == {"iss": API_KEY, "sha256": BODY_SHA, "nbf": NOW, "exp": NOW + 300}


def test_pyjwt_validates_fresh_telcli_tokens_like_the_python_sdk() -> None:
    token = livekit.sign(API_KEY, API_SECRET, body=BODY).headers["Authorization"]
    claims = jwt.decode(
        token,
        API_SECRET,
        algorithms=["HS256"],
        issuer=API_KEY,
        leeway=60,
        options={"require": ["exp"]},
    )
    assert claims["sha256"] == BODY_SHA
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "wrong-secret", algorithms=["HS256"])


def test_telcli_validates_pyjwt_tokens() -> None:
    token = pyjwt_token(
        {"iss": API_KEY, "sha256": BODY_SHA, "nbf": NOW, "exp": NOW + 300, "video": {}}
    )
    verdict = livekit.verify(
        API_SECRET, body=BODY, headers=auth(token), api_key=API_KEY, now=NOW + 1
    )
    assert verdict.valid, verdict.reason


def test_body_with_one_more_space_is_a_hash_mismatch() -> None:
    token = livekit.sign(API_KEY, API_SECRET, body=BODY, now=NOW).headers["Authorization"]
    verdict = livekit.verify(API_SECRET, body=BODY + b" ", headers=auth(token), now=NOW)
    assert not verdict.valid
    assert verdict.reason.startswith("body hash: sha256 claim is CoEQz1")


def test_bearer_prefix_is_rejected_with_a_clear_reason() -> None:
    token = livekit.sign(API_KEY, API_SECRET, body=BODY, now=NOW).headers["Authorization"]
    verdict = livekit.verify(API_SECRET, body=BODY, headers=auth("Bearer " + token), now=NOW)
    assert not verdict.valid
    assert verdict.reason.startswith("format: Bearer prefix present")
    # everything else about the token was fine, and explain-style checks say so
    assert [c.name for c in verdict.checks if not c.ok] == ["format"]


def test_wrong_secret_and_wrong_issuer() -> None:
    token = livekit.sign(API_KEY, API_SECRET, body=BODY, now=NOW).headers["Authorization"]
    wrong = livekit.verify("not-the-secret", body=BODY, headers=auth(token), now=NOW)
    assert not wrong.valid and wrong.reason.startswith("signature:")
    other = livekit.verify(API_SECRET, body=BODY, headers=auth(token), api_key="APIother", now=NOW)
    assert not other.valid and "iss is 'abcdefg'" in other.reason


@pytest.mark.parametrize(
    ("now", "valid", "words"),
    [
        (NOW + 300 + 59, True, "expires in"),
        (NOW + 300 + 60, False, "expired 60 s ago"),  # PyJWT: exp <= now - leeway
        (NOW - 60, True, ""),
        (NOW - 61, False, "not valid for another 61 s"),
    ],
)
def test_exp_and_nbf_with_60_second_leeway(now: int, valid: bool, words: str) -> None:
    token = livekit.sign(API_KEY, API_SECRET, body=BODY, now=NOW).headers["Authorization"]
    verdict = livekit.verify(API_SECRET, body=BODY, headers=auth(token), now=now, explain=True)
    assert verdict.valid is valid, verdict.reason
    assert any(words in c.detail for c in verdict.checks)


def test_pyjwt_agrees_on_the_expiry_boundary() -> None:
    now = int(time.time())
    for exp_offset, valid in ((-59, True), (-60, False)):
        token = pyjwt_token({"iss": API_KEY, "sha256": BODY_SHA, "exp": now + exp_offset})
        try:
            jwt.decode(token, API_SECRET, algorithms=["HS256"], leeway=60)
            pyjwt_ok = True
        except jwt.ExpiredSignatureError:
            pyjwt_ok = False
        ours = livekit.verify(API_SECRET, body=BODY, headers=auth(token), now=now)
        assert pyjwt_ok is valid is ours.valid


@pytest.mark.parametrize(
    ("claims", "words"),
    [
        ({"iss": API_KEY, "sha256": BODY_SHA}, "no numeric exp"),
        ({"iss": API_KEY, "sha256": BODY_SHA, "exp": "later"}, "no numeric exp"),
        ({"iss": API_KEY, "exp": NOW + 300}, "no sha256 claim"),
    ],
)
def test_required_claims(claims: dict, words: str) -> None:
    verdict = livekit.verify(API_SECRET, body=BODY, headers=auth(pyjwt_token(claims)), now=NOW)
    assert not verdict.valid and words in verdict.reason


def test_alg_none_and_other_algorithms_are_refused() -> None:
    none_token = pyjwt_token({"iss": API_KEY, "sha256": BODY_SHA, "exp": NOW + 300}, None, "none")
    verdict = livekit.verify(API_SECRET, body=BODY, headers=auth(none_token), now=NOW)
    assert not verdict.valid and "expected HS256" in verdict.reason
    hs512 = pyjwt_token({"iss": API_KEY, "sha256": BODY_SHA, "exp": NOW + 300}, algorithm="HS512")
    assert not livekit.verify(API_SECRET, body=BODY, headers=auth(hs512), now=NOW).valid


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c.d", "!!.??.##", "e30.W10.c2ln"])
def test_malformed_tokens_are_verdicts(token: str) -> None:
    verdict = livekit.verify(API_SECRET, body=BODY, headers=auth(token), now=NOW)
    assert not verdict.valid
    assert "Authorization" in verdict.reason


def test_missing_inputs_are_usage_problems() -> None:
    with pytest.raises(UsageProblem, match="API key"):
        livekit.sign("", API_SECRET, body=BODY)
    with pytest.raises(UsageProblem, match="API secret"):
        livekit.verify("", body=BODY, headers={})


def test_non_utf8_body_round_trips() -> None:
    body = b"\xff\x00\xfe"
    token = livekit.sign(API_KEY, API_SECRET, body=body, now=NOW).headers["Authorization"]
    assert livekit.verify(API_SECRET, body=body, headers=auth(token), now=NOW).valid
