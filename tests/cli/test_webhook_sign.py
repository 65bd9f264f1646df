"""webhook sign | verify | keygen through the CLI: output contract, exit codes 0/5/2, and no
secret ever echoed to stdout or stderr."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest

from telcli import envvars

TOKEN = "12345"  # the Twilio SDK test token
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
FORM = urlencode(
    [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+14158675309"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
        ("To", "+18005551212"),
    ]
).encode()
SIG = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
SEED = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="  # RFC 8032 TEST 1
PUBLIC = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
TELNYX_BODY = (
    b'{"data":{"event_type":"call.initiated","id":"0ccc7b54-4df3-4bca-a65a-3da1ecc777f0"}}'
)
TELNYX_SIG = (
    "Es5MFqOrJvkje4uCzSmFjAx511fL4rQAC3ZGU4AtJD5rRccxihbsY+CM2fYNIWAs1I5FBdBwgsCyxk2o4h0iCA=="
)
SW_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
WEBHOOK_ENV = (
    envvars.TELCLI_WEBHOOK_SECRET,
    envvars.TELCLI_WEBHOOK_PRIVATE_KEY,
    envvars.TELCLI_WEBHOOK_PUBLIC_KEY,
    envvars.TELCLI_WEBHOOK_API_KEY,
)


@pytest.fixture(autouse=True)
def no_webhook_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in WEBHOOK_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def files(tmp_path: Path):
    def write(name: str, data: bytes | str) -> str:
        path = tmp_path / name
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return str(path)

    return write


@pytest.fixture
def form(files) -> str:
    return files("form.txt", FORM)


def assert_clean(result, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in result.stdout, f"secret on stdout: {result!r}"
        assert secret not in result.stderr, f"secret on stderr: {result!r}"


# --- sign ----------------------------------------------------------------------------------


def test_sign_twilio_prints_header_lines(telcli, form) -> None:
    result = telcli(
        "webhook",
        "sign",
        "--scheme",
        "twilio",
        "--secret",
        TOKEN,
        "--url",
        URL,
        "--body-file",
        form,
    )
    assert result.exit_code == 0, result
    assert result.stdout == f"X-Twilio-Signature: {SIG}\n"
    assert result.stderr == ""


def test_sign_twilio_json(telcli, form) -> None:
    result = telcli(
        "webhook", "sign", "-s", "twilio", "--secret", TOKEN, "--url", URL, "-b", form, "--json"
    )
    assert result.exit_code == 0, result
    assert json.loads(result.stdout) == {"headers": {"X-Twilio-Signature": SIG}}


def test_sign_twilio_json_body_prints_the_url_with_body_hash(telcli, files) -> None:
    body = files("body.json", b'{"property": "value", "boolean": true}')
    args = ("webhook", "sign", "-s", "twilio", "--secret", TOKEN, "--url", URL, "-b", body)
    result = telcli(*args, "--content-type", "application/json", "--json")
    assert result.exit_code == 0, result
    assert json.loads(result.stdout) == {
        "headers": {"X-Twilio-Signature": "a9nBmqA0ju/hNViExpshrM61xv4="},
        "url": URL + "&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620",
    }
    text = telcli(*args, "--content-type", "application/json")
    assert text.stdout == "X-Twilio-Signature: a9nBmqA0ju/hNViExpshrM61xv4=\n"
    assert "bodySHA256=0a1ff763" in text.stderr


def test_body_from_stdin(telcli) -> None:
    result = telcli(
        "webhook",
        "sign",
        "-s",
        "twilio",
        "--secret",
        TOKEN,
        "--url",
        URL,
        "-b",
        "-",
        input=FORM.decode(),
    )
    assert result.exit_code == 0, result
    assert result.stdout == f"X-Twilio-Signature: {SIG}\n"


def test_secret_from_the_environment(telcli, form) -> None:
    env = {envvars.TELCLI_WEBHOOK_SECRET: TOKEN}
    result = telcli("webhook", "sign", "-s", "twilio", "--url", URL, "-b", form, env=env)
    assert result.exit_code == 0, result
    assert result.stdout == f"X-Twilio-Signature: {SIG}\n"


def test_telnyx_sign_with_key_file_and_timestamp(telcli, files) -> None:
    key = files("telnyx.key", SEED + "\n")
    body = files("event.json", TELNYX_BODY)
    result = telcli(
        "webhook",
        "sign",
        "-s",
        "telnyx",
        "--private-key",
        key,
        "--timestamp",
        "1700000000",
        "-b",
        body,
        "--json",
    )
    assert result.exit_code == 0, result
    assert json.loads(result.stdout) == {
        "headers": {"telnyx-signature-ed25519": TELNYX_SIG, "telnyx-timestamp": "1700000000"}
    }
    assert_clean(result, SEED)


def test_an_env_secret_meant_for_another_scheme_is_ignored(telcli, files) -> None:
    body = files("event.json", TELNYX_BODY)
    env = {envvars.TELCLI_WEBHOOK_SECRET: "for-twilio", envvars.TELCLI_WEBHOOK_PRIVATE_KEY: SEED}
    result = telcli(
        "webhook", "sign", "-s", "telnyx", "--timestamp", "1700000000", "-b", body, env=env
    )
    assert result.exit_code == 0, result
    assert f"telnyx-signature-ed25519: {TELNYX_SIG}" in result.stdout


def test_standard_webhooks_vector_through_the_cli(telcli, files) -> None:
    body = files("sw.json", b'{"test": 2432232314}')
    args = ("--secret", SW_SECRET, "-b", body)
    result = telcli(
        "webhook",
        "sign",
        "-s",
        "hmac-sha256",
        *args,
        "--id",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "--timestamp",
        "1614265330",
    )
    assert result.exit_code == 0, result
    assert (
        "webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        in result.stdout.splitlines()
    )
    headers = [f"-H{line}" for line in result.stdout.splitlines()]
    ok = telcli("webhook", "verify", "-s", "hmac-sha256", *args, *headers, "--at", "1614265400")
    assert ok.exit_code == 0, ok
    late = telcli("webhook", "verify", "-s", "hmac-sha256", *args, *headers, "--at", "1614265700")
    assert late.exit_code == 5, late
    assert "timestamp: 370 s old" in late.stderr


def test_vapi_static_secret_warns_that_the_header_is_the_secret(telcli, files) -> None:
    result = telcli(
        "webhook", "sign", "-s", "vapi", "--secret", "vapi-s3cret", "-b", files("b.json", b"{}")
    )
    assert result.exit_code == 0, result
    assert result.stdout == "X-Vapi-Secret: vapi-s3cret\n"
    assert "the secret itself" in result.stderr


def test_vapi_hmac_with_a_plan_file(telcli, files) -> None:
    plan = files(
        "plan.json",
        json.dumps(
            {
                "algorithm": "sha256",
                "signatureHeader": "x-vapi-signature",
                "includeTimestamp": False,
                "payloadFormat": "{body}",
                "signaturePrefix": "sha256=",
            }
        ),
    )
    body = files("b.json", b'{"message":{"type":"status-update"}}')
    args = (
        "-s",
        "vapi",
        "--variant",
        "hmac",
        "--plan",
        plan,
        "--secret",
        "vapi-s3cret",
        "-b",
        body,
    )
    signed = telcli("webhook", "sign", *args)
    assert signed.exit_code == 0, signed
    assert signed.stdout.startswith("x-vapi-signature: sha256=")
    assert_clean(signed, "vapi-s3cret")
    verified = telcli("webhook", "verify", *args, "-H", signed.stdout.strip())
    assert verified.exit_code == 0, verified


# --- verify --------------------------------------------------------------------------------


def verify_twilio(
    telcli, form, *extra: str, signature: str = SIG, secret: str = TOKEN, url: str = URL
):
    return telcli(
        "webhook", "verify", "-s", "twilio", "--secret", secret, "--url", url, "-b", form,
        "--header", f"X-Twilio-Signature: {signature}", *extra,
    )  # fmt: skip


def test_verify_valid_exits_0_with_the_verdict_on_stderr(telcli, form) -> None:
    result = verify_twilio(telcli, form)
    assert result.exit_code == 0, result
    assert result.stdout == ""
    assert result.stderr == "valid: signature matches the URL as received\n"


def test_verify_invalid_exits_5(telcli, form) -> None:
    result = verify_twilio(telcli, form, secret="54321")
    assert result.exit_code == 5, result
    assert result.stdout == ""
    assert result.stderr.startswith("error: invalid twilio signature: signature does not match")
    assert "hint: re-run with --explain" in result.stderr


def test_verify_json_prints_the_verdict_even_when_invalid(telcli, form) -> None:
    good = verify_twilio(telcli, form, "--json")
    assert good.exit_code == 0
    assert json.loads(good.stdout) == {
        "valid": True,
        "scheme": "twilio",
        "reason": "signature matches the URL as received",
        "matched_url": URL,
        "variant": "exact",
        "checks": [],
    }
    bad = verify_twilio(telcli, form, "--json", url=URL.replace("bar=2", "bar=3"))
    assert bad.exit_code == 5
    verdict = json.loads(bad.stdout)
    assert verdict["valid"] is False and verdict["checks"]
    assert bad.stderr.startswith("error: invalid twilio signature")


def test_verify_explain_lists_the_url_forms(telcli, form) -> None:
    url = "https://mycompany.com:1234/myapp.php?foo=1&bar=2"
    result = verify_twilio(telcli, form, "--explain", url=url)
    assert result.exit_code == 0, result
    assert result.stderr.splitlines() == [
        f"  -- url exact: {url} (twilio-python, twilio-node, twilio-go)",
        f"  ok url without-port: {URL} (twilio-python, twilio-node, twilio-go)",
        "valid: signature matches the URL without its port",
    ]


def test_verify_explain_diagnoses_a_proxy_that_hid_https(telcli, form) -> None:
    result = verify_twilio(telcli, form, "--explain", url=URL.replace("https", "http"))
    assert result.exit_code == 5
    assert "matches https://mycompany.com/myapp.php?foo=1&bar=2" in result.stderr
    assert "hint:" not in result.stderr


def test_verify_telnyx_with_public_key_and_at(telcli, files) -> None:
    body = files("event.json", TELNYX_BODY)
    args = ("webhook", "verify", "-s", "telnyx", "--public-key", PUBLIC, "-b", body,
            "-H", f"telnyx-signature-ed25519: {TELNYX_SIG}",
            "-H", "Telnyx-Timestamp: 1700000000")  # fmt: skip
    assert telcli(*args, "--at", "1700000300").exit_code == 0
    stale = telcli(*args, "--at", "1700000301")
    assert stale.exit_code == 5
    assert "timestamp: 301 s old; the window is 300 s" in stale.stderr
    assert telcli(*args, "--at", "1700000301", "--tolerance", "400").exit_code == 0


def test_keygen_pair_round_trips_through_sign_and_verify(telcli, files) -> None:
    result = telcli("webhook", "keygen", "--json")
    assert result.exit_code == 0, result
    pair = json.loads(result.stdout)
    assert set(pair) == {"private_key", "public_key"}
    assert "public key" in result.stderr
    text = telcli("webhook", "keygen")
    lines = text.stdout.splitlines()
    assert [line.split(": ")[0] for line in lines] == ["private_key", "public_key"]

    key_file = files("test.key", pair["private_key"])
    body = files("b.json", b'{"data":{}}')
    signed = telcli("webhook", "sign", "-s", "telnyx", "--private-key", key_file, "-b", body)
    headers = [f"-H{line}" for line in signed.stdout.splitlines()]
    ok = telcli(
        "webhook",
        "verify",
        "-s",
        "telnyx",
        "--public-key",
        pair["public_key"],
        "-b",
        body,
        *headers,
    )
    assert ok.exit_code == 0, ok
    other = telcli(
        "webhook", "verify", "-s", "telnyx", "--public-key", PUBLIC, "-b", body, *headers
    )
    assert other.exit_code == 5


def test_livekit_round_trip(telcli, files) -> None:
    body = files("lk.json", b'{"event":"room_started"}')
    creds = ("--api-key", "APIabcdef", "--secret", "livekit-api-secret-xyz")
    signed = telcli("webhook", "sign", "-s", "livekit", *creds, "-b", body, "--json")
    assert signed.exit_code == 0, signed
    token = json.loads(signed.stdout)["headers"]["Authorization"]
    assert token.count(".") == 2 and not token.startswith("Bearer")
    assert_clean(signed, "livekit-api-secret-xyz")
    ok = telcli(
        "webhook", "verify", "-s", "livekit", *creds, "-b", body, "-H", f"Authorization: {token}"
    )
    assert ok.exit_code == 0, ok
    bearer = telcli(
        "webhook",
        "verify",
        "-s",
        "livekit",
        *creds,
        "-b",
        body,
        "-H",
        f"Authorization: Bearer {token}",
    )
    assert bearer.exit_code == 5 and "Bearer prefix" in bearer.stderr


# --- usage errors: exit 2 ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("webhook", "sign", "--secret", TOKEN, "--url", URL), "--scheme"),
        (("webhook", "sign", "-s", "nexmo", "--secret", TOKEN, "-b", "F"), "nexmo"),
        (("webhook", "sign", "-s", "twilio", "--secret", TOKEN, "-b", "F"), "needs the URL"),
        (("webhook", "sign", "-s", "twilio", "--url", URL, "-b", "F"), "needs a secret"),
        (
            (
                "webhook",
                "sign",
                "-s",
                "twilio",
                "--secret",
                TOKEN,
                "--url",
                URL,
                "-b",
                "F",
                "--private-key",
                SEED,
            ),
            "does not use: private key",
        ),
        (
            (
                "webhook",
                "sign",
                "-s",
                "hmac-sha256",
                "--secret",
                SW_SECRET,
                "-b",
                "F",
                "--variant",
                "github",
            ),
            "no variant 'github'",
        ),
        (
            ("webhook", "sign", "-s", "telnyx", "--private-key", "not-a-key", "-b", "F"),
            "must be base64 of 32 bytes",
        ),
        (
            (
                "webhook",
                "sign",
                "-s",
                "telnyx",
                "--private-key",
                SEED,
                "-b",
                "F",
                "--timestamp",
                "soon",
            ),
            "not a Unix time",
        ),
        (
            (
                "webhook",
                "sign",
                "-s",
                "twilio",
                "--secret",
                TOKEN,
                "--url",
                URL,
                "-b",
                "missing.txt",
            ),
            "cannot read --body-file",
        ),
        (
            (
                "webhook",
                "verify",
                "-s",
                "twilio",
                "--secret",
                TOKEN,
                "--url",
                URL,
                "-b",
                "F",
                "-H",
                "no colon",
            ),
            "not 'Name: value'",
        ),
        (("webhook", "verify", "-s", "telnyx", "--public-key", "abc", "-b", "F"), "public key"),
        (
            (
                "webhook",
                "verify",
                "-s",
                "vapi",
                "--secret",
                "x",
                "--variant",
                "hmac",
                "--plan",
                "missing.json",
                "-b",
                "F",
            ),
            "cannot read --plan",
        ),
    ],
)
def test_usage_errors_exit_2(telcli, files, args: tuple[str, ...], words: str) -> None:
    body = files("F", FORM)
    args = tuple(body if a == "F" else a for a in args)
    result = telcli(*args)
    assert result.exit_code == 2, result
    assert words in result.stderr
    assert result.stdout == ""
    assert_clean(result, SEED, "not-a-key")


# --- secrets never echoed ------------------------------------------------------------------

SECRET_CASES = [
    (
        "twilio",
        ("--secret", "tw-secret-0123456789abcdef", "--url", URL),
        "tw-secret-0123456789abcdef",
    ),
    ("vapi", ("--secret", "vapi-secret-0123456789", "--variant", "hmac"), "vapi-secret-0123456789"),
    (
        "livekit",
        ("--secret", "lk-secret-0123456789", "--api-key", "APIkey"),
        "lk-secret-0123456789",
    ),
    ("hmac-sha256", ("--secret", SW_SECRET), "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
    ("telnyx", ("--private-key", SEED), SEED),
]


@pytest.mark.parametrize(("scheme", "creds", "secret"), SECRET_CASES)
def test_no_secret_in_any_output(
    telcli, form, files, scheme: str, creds: tuple[str, ...], secret: str
) -> None:
    tampered = files("tampered.txt", FORM + b"&Extra=1")
    signed = telcli("webhook", "sign", "-s", scheme, *creds, "-b", form, "--json")
    assert signed.exit_code == 0, signed
    assert_clean(signed, secret)
    headers = [f"-H{name}: {value}" for name, value in json.loads(signed.stdout)["headers"].items()]
    for extra in ((), ("--explain",), ("--json", "--explain")):
        ok = telcli("webhook", "verify", "-s", scheme, *creds, "-b", form, *headers, *extra)
        assert ok.exit_code == 0, ok
        assert_clean(ok, secret)
        bad = telcli("webhook", "verify", "-s", scheme, *creds, "-b", tampered, *headers, *extra)
        assert bad.exit_code == 5, bad
        assert_clean(bad, secret)
