"""Fuzzing the edge: every way bad input enters telcli, as a table of surfaces (issue 12).

A surface is a hypothesis strategy of :class:`Case` (argv, environment, files to write first),
plus the issue's examples pinned as explicit cases. :func:`run_case` runs one case in
process (Typer's CliRunner, no network: providers answer through a mock transport that
rejects every request with 401) under a wall-clock limit, and :func:`problem` states the
property: the exit code is a documented one, stderr carries no traceback, nothing hangs.

Used by ``tests/test_fuzz.py`` (bounded examples per surface, part of the suite) and by
``tests/benchmarks/bench_fuzz.py`` (a campaign of thousands of cases, figures per surface).
To cover a new surface, add a ``Surface`` to :data:`SURFACES`: both pick it up.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from hypothesis import strategies as st
from typer.testing import CliRunner

from telcli.validate import ISO_3166_ALPHA2

# Exit codes README documents for a non-interactive run (1 is a bug: an uncaught exception).
DOCUMENTED = frozenset({0, 2, 3, 4, 5, 6, 7})
# A command that does not finish in this long (in process, no network) is a hang.
CASE_TIMEOUT = 10.0

# Fake credentials in the providers' formats: every provider is "configured", and every
# request is answered 401 by the mock transport, so no case can reach a network.
CREDENTIALS = {
    "TWILIO_ACCOUNT_SID": "AC" + "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    "TWILIO_AUTH_TOKEN": "9a8b7c6d5e4f30211203f4e5d6c7b8a9",
    "TELNYX_API_KEY": "KEY0193FUZZ0000000000000000000000_Fuzz0Fuzz0Fuzz0",
    "VAPI_API_KEY": "5f4e3d2c-1b0a-4988-8776-655443322110",
}


@dataclass(frozen=True)
class Case:
    """One invocation. ``files`` (name -> bytes) are written into TELCLI_HOME first; ``{home}``
    in an argument is replaced by that directory. ``env`` is added to the environment."""

    args: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()
    files: tuple[tuple[str, bytes], ...] = ()

    @staticmethod
    def of(*args: str, env: dict[str, str] | None = None, **files: bytes) -> Case:
        return Case(tuple(args), tuple((env or {}).items()), tuple(files.items()))


@dataclass(frozen=True)
class Outcome:
    exit_code: int | None
    stderr: str
    traceback: str | None  # the uncaught exception, if any
    hung: bool
    seconds: float


class Hang(BaseException):  # not an Exception: CliRunner must not catch it
    pass


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`Hang` in the main thread after ``seconds`` (SIGALRM; Unix only)."""

    def alarm(signum: int, frame: object) -> None:
        raise Hang

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _reject(request: httpx.Request) -> httpx.Response:
    return httpx.Response(401, json={"message": "fuzzing: rejected", "code": 20003})


def run_case(case: Case, home: Path, *, timeout: float = CASE_TIMEOUT) -> Outcome:
    """Run ``case`` in process with TELCLI_HOME=``home`` (reused between cases)."""
    import traceback

    from telcli.cli.app import app
    from telcli.context import AppContext

    for name, data in case.files:
        (home / name).write_bytes(data)
    env = {**os.environ, **CREDENTIALS, "TELCLI_HOME": str(home), **dict(case.env)}
    args = [a.replace("{home}", str(home)) for a in case.args]
    ctx = AppContext(env=env, transport=httpx.MockTransport(_reject))
    start = time.perf_counter()
    try:
        with time_limit(timeout):
            result = CliRunner().invoke(app, args, obj=ctx, env=dict(case.env))
    except Hang:
        return Outcome(None, "", None, True, time.perf_counter() - start)
    finally:
        for name, _ in case.files:
            (home / name).unlink(missing_ok=True)
    error = result.exception
    trace = None
    if error is not None and not isinstance(error, SystemExit):
        trace = "".join(traceback.format_exception(error))
    return Outcome(result.exit_code, result.stderr, trace, False, time.perf_counter() - start)


def problem(outcome: Outcome, allowed: frozenset[int] = DOCUMENTED) -> str | None:
    """What is wrong with an outcome, or None: the property every surface must hold."""
    if outcome.hung:
        return "hung"
    if outcome.traceback is not None:
        return "traceback:\n" + outcome.traceback
    if "Traceback (most recent call last)" in outcome.stderr:
        return "traceback on stderr:\n" + outcome.stderr
    if outcome.exit_code not in allowed:
        return f"exit {outcome.exit_code} is not documented:\n{outcome.stderr}"
    return None


# -- building blocks --------------------------------------------------------------------------

# Bytes that are not UTF-8, as Python hands them over in argv and the environment (PEP 383).
undecodable = st.binary(min_size=1, max_size=12).map(lambda b: b.decode("utf-8", "surrogateescape"))
NASTY = [
    "",
    " ",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e308",
    "1e999",
    "0",
    "-1",
    "99999999999999999999999",
    "../..",
    "../../IncomingPhoneNumbers",
    "US?x=1#",
    "U\x00",
    "\r\n",
    "\udcff",
    "U\udcff",
    "é",
    "UK",
    "XX",
    "%2e%2e",
    "http://[::1",
    "http://xn--.com/",
    "x" * 5000,
]
junk = st.one_of(st.sampled_from(NASTY), st.text(max_size=20), undecodable)
# Options text may not start with "-" (it would read as another flag: a usage error, fine,
# but it tests Click rather than telcli).
arg = junk.filter(lambda s: not s.startswith("-") or s in NASTY)
number_text = st.one_of(
    st.sampled_from(NASTY),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**30), 10**30).map(str),
    st.text(alphabet="0123456789.e+-naif", max_size=12),
)

# -- YAML documents ---------------------------------------------------------------------------

_TAGS = [
    "!!float",
    "!!int",
    "!!bool",
    "!!timestamp",
    "!!str",
    "!!null",
    "!!binary",
    "!!set",
    "!!omap",
    "!!python/name:os.system",
    "!!python/object/apply:os.system",
    "!custom",
]
_yaml_scalar = st.one_of(
    st.sampled_from(
        [".nan", ".inf", "-.inf", "0", "-1", "20", "1.0e+999", "true", "maybe", "~", "''"]
    ),
    # values that are valid for some key, so generated documents also get past the first one
    st.sampled_from(
        [
            "[twilio, telnyx]",
            "[telnyx]",
            "GB",
            "us",
            "false",
            "0.5",
            "http://127.0.0.1:9",
            '["+1415555"]',
            "{failures: 2, window: 10}",
            "{telnyx: 'http://[::1'}",
            "staging",
        ]
    ),
    st.integers().map(str),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=15).map(repr),
    st.tuples(st.sampled_from(_TAGS), st.sampled_from(["abc", "2020-13-45", "maybe", "1", ""])).map(
        " ".join
    ),
)
_yaml_value = st.recursive(
    _yaml_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(
            st.tuples(st.sampled_from(["a", "failures", "window", "telnyx"]), inner), max_size=3
        ).map(lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}"),
    ),
    max_leaves=6,
)


def _nested(depth: int, flow: bool) -> str:
    if flow:
        return "a: " + "[" * depth + "]" * depth + "\n"
    return "".join("  " * i + "k:\n" for i in range(depth))


def yaml_documents(keys: list[str]) -> st.SearchStrategy[bytes]:
    """Documents over ``keys`` (plus junk keys and non-scalar keys) with hostile values, deep
    nesting, aliases, duplicates and raw bytes that are not UTF-8."""
    key = st.one_of(st.sampled_from([*keys, "? [a, b]", "<<", "&a x", "*a"]), st.text(max_size=8))
    mapping = st.lists(st.tuples(key, _yaml_value), max_size=6).map(
        lambda kv: "".join(f"{k}: {v}\n" for k, v in kv)
    )
    # Only schema keys, each once: documents that get past the first key more often.
    schema = st.lists(
        st.tuples(st.sampled_from(keys), _yaml_value), unique_by=lambda kv: kv[0], max_size=4
    ).map(lambda kv: "".join(f"{k}: {v}\n" for k, v in kv))
    return st.one_of(
        schema.map(str.encode),
        mapping.map(str.encode),
        st.tuples(st.integers(1, 3000), st.booleans()).map(lambda d: _nested(*d).encode()),
        st.binary(max_size=200),
        st.tuples(mapping, st.binary(max_size=8)).map(lambda t: t[0].encode() + t[1]),
        st.sampled_from(
            [b"a: &x [*x]\n", b"providers: &x [*x]\n", b"a: 1\n---\nb: 2\n", b"\xef\xbb\xbfa: 1\n"]
        ),
    )


CONFIG_KEYS = [
    "providers",
    "default_country",
    "sandbox",
    "timeout",
    "deadline",
    "base_urls",
    "test",
    "default_profile",
    "profiles",
    "breaker",
]
ADDRESS_KEYS = [
    "customer_name",
    "business_name",
    "street",
    "city",
    "region",
    "postal_code",
    "country",
    "friendly_name",
]


# -- the surfaces -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Surface:
    """One way input enters telcli: generated cases, and pinned ones with the exit code each
    must give (None: any documented code)."""

    name: str
    cases: st.SearchStrategy[Case]
    pinned: tuple[tuple[Case, int | None], ...] = field(default=())


def _config_case(doc: bytes) -> Case:
    return Case.of("auth", "status", "--offline", **{"config.yaml": doc})


def _address_case(doc: bytes) -> Case:
    return Case.of(
        "addresses",
        "create",
        "-p",
        "telnyx",
        "--file",
        "{home}/address.yaml",
        **{"address.yaml": doc},
    )


_COUNTRY_COMMANDS = [
    ("numbers", "search", "--limit", "1", "--country"),
    ("numbers", "pricing", "--country"),
    ("addresses", "list", "--country"),
]
_TEXT_OPTIONS = [
    ("numbers", "search", "--locality"),
    ("numbers", "search", "--region"),
    ("numbers", "search", "--contains"),
    ("numbers", "search", "--area-code"),
    ("numbers", "buy", "--yes"),
    ("numbers", "release", "--yes"),
    ("addresses", "delete", "--yes"),
    ("test", "sms", "--to", "+14155550100", "--yes", "--no-wait", "--body"),
    ("test", "sms", "--body", "hi", "--yes", "--no-wait", "--to"),
    ("test", "call", "--to", "+14155550100", "--yes", "--no-wait", "--say"),
    ("vapi", "assign", "+14155550100", "--assistant"),
    ("--profile",),
]
_ENV_VARS = [
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TELNYX_API_KEY",
    "VAPI_API_KEY",
    "TELCLI_PROFILE",
    "TELCLI_KEYRING_TIMEOUT",
    "TELCLI_TWILIO_BASE_URL",
    "TELCLI_TELNYX_BASE_URL",
    "TELCLI_VAPI_BASE_URL",
    "TELCLI_SANDBOX_FAULTS",
    "TELCLI_DEBUG",
]


def _plan_case(doc: bytes) -> Case:
    return Case.of("tenants", "plan", "{home}/plan.yaml", **{"plan.yaml": doc})


def _plan_documents() -> st.SearchStrategy[bytes]:
    """Whole hostile documents, and valid plans with one tenant whose settings are hostile."""
    from telcli.storage.plans import TENANT_KEYS

    tenant = st.lists(
        st.tuples(st.sampled_from(TENANT_KEYS), _yaml_value), unique_by=lambda kv: kv[0], max_size=4
    ).map(lambda kv: "".join(f"    {k}: {v}\n" for k, v in kv if k != "id"))
    plans = tenant.map(lambda body: f"version: 1\ntenants:\n  - id: acme\n{body}".encode())
    return st.one_of(plans, yaml_documents(["version", "defaults", "tenants"]))


def _text_case(prefix: tuple[str, ...], value: str) -> Case:
    if prefix == ("--profile",):
        return Case.of("--profile", value, "numbers", "list")
    if prefix[-1] == "--yes":  # a positional argument after the options
        return Case.of(*prefix, "--", value)
    return Case.of(*prefix, value)


def _env_case(name: str, value: str, command: str) -> Case:
    args = {
        "search": ("numbers", "search", "--limit", "1"),
        "status": ("auth", "status"),
        "logout": ("auth", "logout", "vapi"),
    }[command]
    return Case.of(*args, env={name: value})


def _duration_case(where: str, value: str) -> Case:
    if where == "--timeout":
        return Case.of("--timeout", value, "numbers", "list")
    if where == "test --timeout":
        return Case.of(
            "test",
            "sms",
            "--to",
            "+14155550100",
            "--body",
            "hi",
            "--yes",
            "--no-wait",
            "--timeout",
            value,
        )
    if where == "replay --request-timeout":
        return Case.of(
            "webhook", "replay", "1", "--to", "http://127.0.0.1:9", "--request-timeout", value
        )
    if where == "TELCLI_KEYRING_TIMEOUT":
        value = value.replace("\x00", "")  # no environment can hold a NUL
        return Case.of("auth", "logout", "vapi", env={"TELCLI_KEYRING_TIMEOUT": value})
    return _config_case(f"{where}: {value}\n".encode("utf-8", "surrogateescape"))


# -- webhook surfaces: import formats, sign/verify, replay/list/show/export options ------------

_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)


def _json_bytes(value: object) -> bytes:
    import json

    return json.dumps(value).encode()


_NDJSON_RECORDS = st.fixed_dictionaries(
    {
        "method": st.sampled_from(["POST", "GET", "", "PÖST", "PO ST\r\n"]),
        "url": st.sampled_from(
            ["http://x/a", "x", "http://[::1/a", "http://x/\x00", "http://x/\ud800"]
        ),
    },
    optional={
        "headers": _JSONISH,
        "body": _JSONISH,
        "body_b64": _JSONISH,
        "received_at": _JSONISH | st.sampled_from(["99999-01-01T00:00:00Z", "0001-01-01"]),
        "response": st.fixed_dictionaries(
            {},
            optional={
                "status": _JSONISH | st.sampled_from([2**63, "abc", [200]]),
                "latency_ms": _JSONISH,
                "error": _JSONISH,
                "headers": _JSONISH,
                "body": _JSONISH,
            },
        ),
    },
).map(lambda r: _json_bytes(r) + b"\n")
_HAR_FILES = st.fixed_dictionaries(
    {
        "request": st.fixed_dictionaries(
            {"method": st.just("POST"), "url": st.just("http://x/")},
            optional={"headers": _JSONISH, "postData": _JSONISH},
        )
    },
    optional={"response": _JSONISH, "time": _JSONISH, "startedDateTime": _JSONISH},
).map(lambda e: _json_bytes({"log": {"entries": [e]}}))
_RAW_HTTP = st.tuples(
    st.sampled_from(["Content-Length", "Transfer-Encoding"]),
    st.one_of(st.sampled_from(["-44", "-1", "0x10", "1e3", "chunked", " 5 "]), junk),
    st.sampled_from(["-3", "ffff", "0", "zz", "5;ext"]),
    st.binary(max_size=40),
).map(
    lambda t: (
        f"POST /a HTTP/1.1\r\nHost: x\r\n{t[0]}: {t[1]}\r\n\r\n".encode("utf-8", "surrogateescape")
        + (t[2].encode() + b"\r\n" if t[0] == "Transfer-Encoding" else b"")
        + t[3]
    )
)


def _import_case(data: bytes, fmt: str | None) -> Case:
    options = ("--format", fmt) if fmt else ()
    return Case.of("webhook", "import", "{home}/in.capture", *options, **{"in.capture": data})


def _verify_case(scheme: str, header: str, at: str | None, body: bytes) -> Case:
    key = ("--public-key", "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
    creds = key if scheme == "telnyx" else ("--secret", "s3cret", "--api-key", "k")
    at_args = ("--at", at) if at is not None else ()
    return Case.of(
        "webhook",
        "verify",
        "-s",
        scheme,
        "-b",
        "{home}/body",
        *creds,
        "--url",
        "http://x/",
        "-H",
        header,
        *at_args,
        body=body,
    )


def _sign_case(scheme: str, timestamp: str, plan: bytes) -> Case:
    return Case.of(
        "webhook",
        "sign",
        "-s",
        scheme,
        "-b",
        "{home}/body",
        "--secret",
        "s3cret",
        "--api-key",
        "k",
        "--url",
        "http://x/",
        "--timestamp",
        timestamp,
        *(("--variant", "hmac", "--plan", "{home}/plan.json") if scheme == "vapi" else ()),
        body=b"{}",
        **{"plan.json": plan},
    )


def _forged_livekit(claims: bytes | None = None) -> Case:
    """A LiveKit token whose (attacker-controlled) exp claim is the JSON number 1e999, or with
    the given ``claims`` JSON."""
    import base64
    import hashlib
    import hmac

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    body = b'{"event":"room_started"}'
    sha = base64.b64encode(hashlib.sha256(body).digest()).decode()
    head = b64(b'{"alg":"HS256","typ":"JWT"}')
    payload = b64(claims or f'{{"iss":"k","sha256":"{sha}","nbf":0,"exp":1e999}}'.encode())
    sig = b64(hmac.new(b"s3cret", f"{head}.{payload}".encode(), hashlib.sha256).digest())
    return _verify_case("livekit", f"Authorization: {head}.{payload}.{sig}", None, body)


_REPLAY_TO = "http://127.0.0.1:9/"


def _option_case(where: str, value: str) -> Case:
    return {
        "list --since": Case.of("webhook", "list", "--since", value),
        "list --limit": Case.of("webhook", "list", "--limit", value),
        "export ids": Case.of("webhook", "export", "--", value),
        "show id": Case.of("webhook", "show", "--", value),
        "replay --to": Case.of("webhook", "replay", "1", "--to", value),
        "replay --filter": Case.of("webhook", "replay", "--filter", value, "--to", _REPLAY_TO),
        "replay --set": Case.of(
            "webhook", "replay", "--filter", "limit=1", "--to", _REPLAY_TO, "--set", value
        ),
    }[where]


_OPTION_PLACES = [
    "list --since",
    "list --limit",
    "export ids",
    "show id",
    "replay --to",
    "replay --filter",
    "replay --set",
]

# Whole-number and fraction options beyond the list, and the sandbox fault settings
# (flags and TELCLI_SANDBOX_FAULTS): nothing the sandbox sleeps or SQLite stores may overflow.
_NUMBER_PLACES = [
    "history --limit",
    "faults --latency",
    "faults --rate",
    "faults --seed",
    "faults --status",
    "TELCLI_SANDBOX_FAULTS latency",
    "TELCLI_SANDBOX_FAULTS rate",
    "outcomes --answered-min-seconds",
]


def _number_case(where: str, value: str) -> Case:
    if where.startswith("TELCLI_SANDBOX_FAULTS"):
        value = value.replace("\x00", "")  # no environment can hold a NUL
        setting = where.split()[1]
        return Case.of(
            "sandbox", "faults", "list", env={"TELCLI_SANDBOX_FAULTS": f"twilio:{setting}={value}"}
        )
    if where.startswith("faults"):
        flag = where.split()[1]
        extra = ("--status", "500") if flag in ("--rate", "--seed") else ()
        return Case.of("sandbox", "faults", "set", "twilio", flag, value, *extra)
    return Case.of(*where.split(), value)


SURFACES: dict[str, Surface] = {
    s.name: s
    for s in [
        Surface(
            "config",
            yaml_documents(CONFIG_KEYS).map(_config_case),
            pinned=tuple(
                (_config_case(doc), 3)
                for doc in [
                    b"timeout: !!float abc\n",
                    b"sandbox: !!bool maybe\n",
                    b"deadline: !!timestamp 2020-13-45\n",
                    b"timeout: !!python/name:os.system ''\n",
                    b"? [a, b]\n: 1\n",
                    _nested(2000, flow=True).encode(),
                    _nested(2000, flow=False).encode(),
                    b"timeout: .nan\n",
                    b"deadline: .nan\n",
                    b"default_country: XX\n",
                    b"providers: [twilio]\ndefault_country: U\xff\n",
                ]
            ),
        ),
        Surface(
            "address-yaml",
            yaml_documents(ADDRESS_KEYS).map(_address_case),
            pinned=tuple(
                (_address_case(doc), 3)
                for doc in [
                    b"street: \xff\xfe\n",
                    b"\xff",
                    _nested(2000, flow=True).encode(),
                    _nested(2000, flow=False).encode(),
                    b"? [a, b]\n: 1\n",
                    b"country: UK\n",
                    b"city: !!python/name:os.system ''\n",
                ]
            ),
        ),
        Surface(
            "plan",
            _plan_documents().map(_plan_case),
            pinned=tuple(
                (_plan_case(doc), 3)
                for doc in [
                    b"version: !!float abc\ntenants: [{id: a}]\n",
                    b"version: 1\ntenants:\n  - id: !!python/name:os.system ''\n",
                    b"version: 1\n? [a, b]\n: 1\ntenants: [{id: a}]\n",
                    b"version: 1\ntenants: [{id: a, numbers: !!int x}]\n",
                    b"version: 1\ntenants: [{id: a, country: !!timestamp 2020-13-45}]\n",
                    b'version: 1\ntenants: [{id: "\xff"}]\n',
                    b"version: 1\ntenants: " + b"[" * 2000 + b"]" * 2000 + b"\n",
                    _nested(2000, flow=False).encode(),
                ]
            ),
        ),
        Surface(
            "country",
            st.tuples(
                st.sampled_from(_COUNTRY_COMMANDS),
                st.one_of(arg, st.sampled_from(sorted(ISO_3166_ALPHA2)).map(str.lower)),
            ).map(lambda t: Case.of(*t[0], t[1])),
            pinned=tuple(
                (Case.of(*_COUNTRY_COMMANDS[0], value), 2)
                for value in [
                    "../../IncomingPhoneNumbers",
                    "../..",
                    "US?x=1#",
                    "U\x01",
                    "XX",
                    "UK",
                    "U\udcff",
                ]
            ),
        ),
        Surface(
            "durations",
            st.tuples(
                st.sampled_from(
                    [
                        "--timeout",
                        "test --timeout",
                        "replay --request-timeout",
                        "TELCLI_KEYRING_TIMEOUT",
                        "timeout",
                        "deadline",
                    ]
                ),
                number_text,
            ).map(lambda t: _duration_case(*t)),
            pinned=tuple(
                (_duration_case(where, value), 3 if where in ("timeout", "deadline") else 2)
                for where in [
                    "--timeout",
                    "test --timeout",
                    "replay --request-timeout",
                    "TELCLI_KEYRING_TIMEOUT",
                    "timeout",
                    "deadline",
                ]
                for value in ["nan", "inf", "1e308", "0", "-1"]
                if not (where in ("timeout", "deadline") and value in ("nan", "inf"))
            )
            + tuple(
                (_config_case(f"{k}: {v}\n".encode()), 3)
                for k in ("timeout", "deadline")
                for v in (".nan", ".inf")
            ),
        ),
        Surface(
            "argv-encoding",
            st.tuples(st.sampled_from(_TEXT_OPTIONS), arg).map(lambda t: _text_case(*t)),
            pinned=(
                (Case.of("numbers", "search", "--country", "U\udcff"), 2),
                (Case.of("numbers", "search", "--locality", "\udcff"), 2),
                (_text_case(_TEXT_OPTIONS[7], "hi\udcff"), 2),
                (Case.of("--profile", "a\udcff", "numbers", "list"), 2),
                (
                    Case.of(
                        "test",
                        "call",
                        "--to",
                        "+14155550100",
                        "--yes",
                        "--twiml",
                        "{home}/t.xml",
                        **{"t.xml": b"<Response><Say>\xe9</Say></Response>"},
                    ),
                    2,
                ),
            ),
        ),
        Surface(
            "env-encoding",
            st.tuples(
                st.sampled_from(_ENV_VARS),
                junk.filter(lambda s: "\x00" not in s),  # no environment can hold a NUL
                st.sampled_from(["search", "status", "logout"]),
            ).map(lambda t: _env_case(*t)),
            pinned=(
                (
                    Case.of(
                        "numbers", "search", "-p", "twilio", env={"TWILIO_AUTH_TOKEN": "\udcff"}
                    ),
                    4,
                ),
                (Case.of("numbers", "search", "-p", "telnyx", env={"TELNYX_API_KEY": "KEYé"}), 4),
                (_env_case("TELCLI_KEYRING_TIMEOUT", "nan", "logout"), 2),
                (_env_case("TELCLI_TELNYX_BASE_URL", "http://[::1", "search"), 2),
                (_env_case("TELCLI_TWILIO_BASE_URL", "http://xn--.com", "search"), 2),
                (_env_case("TELCLI_TELNYX_BASE_URL", "http://999.1.1.1", "search"), 2),
            ),
        ),
        Surface(
            "webhook-import",
            st.tuples(
                st.one_of(st.binary(max_size=300), _NDJSON_RECORDS, _HAR_FILES, _RAW_HTTP),
                st.sampled_from([None, "ndjson", "har", "http"]),
            ).map(lambda t: _import_case(*t)),
            pinned=tuple(
                (_import_case(data, fmt), 2)
                for data, fmt in [
                    (
                        b"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-3\r\n",
                        None,
                    ),
                    (b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: -44\r\n\r\nab", None),
                    (
                        _json_bytes(
                            {
                                "log": {
                                    "entries": [
                                        {
                                            "request": {"method": "POST", "url": "x"},
                                            "response": {"status": "abc"},
                                        }
                                    ]
                                }
                            }
                        ),
                        None,
                    ),
                    (
                        _json_bytes(
                            {
                                "log": {
                                    "entries": [
                                        {
                                            "request": {
                                                "method": "POST",
                                                "url": "x",
                                                "postData": {"params": [1]},
                                            }
                                        }
                                    ]
                                }
                            }
                        ),
                        None,
                    ),
                    (b"[1, 2]", "har"),
                    (b'{"method": "POST", "url": "http://x/\\ud800"}', None),
                    (
                        _json_bytes(
                            {"method": "POST", "url": "x", "received_at": "99999-01-01T00:00:00Z"}
                        ),
                        None,
                    ),
                    (
                        _json_bytes({"method": "POST", "url": "x", "response": {"status": 2**63}}),
                        None,
                    ),
                    (
                        _json_bytes(
                            {
                                "method": "POST",
                                "url": "x",
                                "response": {"status": 200, "latency_ms": "slow"},
                            }
                        ),
                        None,
                    ),
                    (
                        _json_bytes(
                            {
                                "method": "POST",
                                "url": "x",
                                "response": {"status": 200, "error": {"a": 1}},
                            }
                        ),
                        None,
                    ),
                ]
            ),
        ),
        Surface(
            "webhook-sign-verify",
            st.one_of(
                st.tuples(
                    st.sampled_from(["twilio", "telnyx", "vapi", "livekit", "hmac-sha256"]),
                    junk,
                    st.one_of(st.none(), number_text),
                    st.binary(max_size=120),
                ).map(lambda t: _verify_case(*t)),
                st.tuples(
                    st.sampled_from(["twilio", "vapi", "livekit", "hmac-sha256"]),
                    number_text,
                    st.one_of(_JSONISH.map(_json_bytes), st.binary(max_size=40)),
                ).map(lambda t: _sign_case(*t)),
            ),
            pinned=(
                (_verify_case("twilio", "X-Twilio-Signature: a", "inf", b"a=1"), 2),
                (_verify_case("twilio", "X-Twilio-Signature: a", "nan", b"a=1"), 2),
                (_forged_livekit(), 5),
                (_forged_livekit(b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}"), 5),
                (_sign_case("vapi", "1700000000", b'{"a":' * 5000 + b"1" + b"}" * 5000), 2),
                (_sign_case("vapi", "1700000000", b'{"signatureEncoding": 5}'), 2),
                (_sign_case("vapi", "1700000000", b'{"includeTimestamp": "yes"}'), 2),
                (
                    Case.of(
                        "webhook",
                        "sign",
                        "-s",
                        "twilio",
                        "-b",
                        "{home}/body",
                        "--url",
                        "http://x/",
                        "--secret",
                        "s\udcff",
                        body=b"a=1",
                    ),
                    2,
                ),
            ),
        ),
        Surface(
            "webhook-options",
            st.tuples(
                st.sampled_from(_OPTION_PLACES),
                st.one_of(
                    arg,
                    number_text,
                    st.integers(-(2**70), 2**70).map(str),
                    st.builds(lambda p: f"http://127.0.0.1:{p}/", st.integers(-5, 10**6)),
                    st.builds(
                        lambda k, v: f"{k}={v}",
                        st.sampled_from(["limit", "since", "provider", "a.b", ""]),
                        junk,
                    ),
                ),
            ).map(lambda t: _option_case(*t)),
            pinned=tuple(
                (_option_case(where, value), 2)
                for where, value in [
                    ("replay --to", "http://127.0.0.1:99999"),
                    ("replay --to", "http://[::1"),
                    ("replay --to", "http://xn--.com/"),
                    ("replay --to", "http://exa\u00admple.com/"),
                    ("replay --to", "http://ex\x07ample.com/"),
                    ("replay --to", "http://" + "a" * 65_000 + ".com/"),
                    ("list --since", "9999999999d"),
                    ("list --limit", "99999999999999999999999"),
                    ("replay --filter", "limit="),
                    ("replay --filter", "limit=99999999999999999999"),
                    ("show id", str(2**63)),
                    ("export ids", str(2**64)),
                ]
            ),
        ),
        Surface(
            "number-options",
            st.tuples(st.sampled_from(_NUMBER_PLACES), number_text).map(lambda t: _number_case(*t)),
            pinned=(
                (_number_case("history --limit", "99999999999999999999999"), 2),
                (_number_case("history --limit", str(2**63 - 1)), 2),
                (_number_case("faults --latency", "99999999999999999999999"), 2),
                (_number_case("TELCLI_SANDBOX_FAULTS latency", "99999999999999999999999"), 3),
                (_number_case("faults --rate", "nan"), 2),
            ),
        ),
    ]
}
