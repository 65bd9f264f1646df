"""Replay captured webhooks to a receiver: same bytes, re-signed for the target where the
scheme allows it, concurrently, with a per-request report.

Preparing a request (:func:`prepare`) is pure: target URL, edited body, idempotency token,
signature. Sending (:func:`replay`) is one ``httpx.AsyncClient`` with a pool of workers.
Requests are built with ``httpx.Request`` and sent with ``client.send`` so the client adds
no headers of its own (no User-Agent, Accept or Accept-Encoding the capture did not have).
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets as _secrets
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote_plus, unquote, urlsplit, urlunsplit

from telcli.errors import UsageProblem
from telcli.interrupt import Cancel
from telcli.services.webhooks import Keys, end_to_end, request_problem
from telcli.storage.captures import Capture, parse_time
from telcli.validate import http_host

Header = tuple[str, str]

IDEMPOTENCY_HEADERS = ("I-Twilio-Idempotency-Token",)
MESSAGE_ID_HEADERS = ("webhook-id", "svix-id")


# --- expectations --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Expectation:
    """``--expect-status``: exact codes and/or classes (``2xx``); default any 2xx."""

    codes: frozenset[int] = frozenset()
    classes: frozenset[int] = frozenset({2})
    text: str = "2xx"

    @classmethod
    def parse(cls, text: str | None) -> Expectation:
        if not text:
            return cls()
        codes, classes = set(), set()
        for part in (p.strip().lower() for p in text.split(",")):
            if re.fullmatch(r"[1-5]xx", part):
                classes.add(int(part[0]))
            elif re.fullmatch(r"[1-5][0-9][0-9]", part):
                codes.add(int(part))
            else:
                raise UsageProblem(
                    f"--expect-status {text!r}: {part!r} is not a status or class",
                    hint="e.g. --expect-status 200, --expect-status 2xx,409",
                )
        return cls(frozenset(codes), frozenset(classes), text)

    def met(self, status: int | None) -> bool:
        return status is not None and (status in self.codes or status // 100 in self.classes)


# --- options and results -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReplayOptions:
    to: str
    sign_url: str | None = None
    resign: bool | None = None  # None: re-sign when a key for the scheme is known
    keys: Keys = field(default_factory=Keys)
    scheme: str | None = None  # override the detected provider
    fresh_idempotency: bool = False
    sets: tuple[tuple[str, str], ...] = ()
    concurrency: int = 10
    preserve_timing: bool = False
    speed: float = 1.0
    twice: bool = False
    expect: Expectation = field(default_factory=Expectation)
    timeout: float = 30.0
    strip_credentials: bool = False  # drop captured Authorization, Proxy-Authorization, Cookie
    basic_auth: tuple[str, str] | None = None  # from --to's user:password@ (receiver_credentials)


@dataclass(frozen=True, slots=True)
class Prepared:
    capture_id: int
    method: str
    url: str
    headers: tuple[Header, ...]
    body: bytes
    signed: str  # "resigned", "kept" or "none"
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReplayResult:
    capture_id: int
    attempt: int
    url: str
    status: int | None
    latency_ms: float | None
    ok: bool
    differs: bool | None  # vs the captured response; None when none was captured
    signature: str
    error: str | None = None
    response_body: bytes = b""
    # --twice, on the second attempt: "same", "differs" or "second refused" (a 4xx to the
    # duplicate after a 2xx: the receiver deduped it, which is fine), with a short detail.
    idempotency: str | None = None
    idempotency_detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "capture_id": self.capture_id,
            "attempt": self.attempt,
            "url": self.url,
            "status": self.status,
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 3),
            "ok": self.ok,
            "differs": self.differs,
            "signature": self.signature,
            "error": self.error,
            "idempotency": self.idempotency,
            "idempotency_detail": self.idempotency_detail,
        }


def _snippet(body: bytes, at: int) -> str:
    return repr(body[max(0, at - 12) : at + 12])[1:]


def compare_answers(first: ReplayResult, second: ReplayResult) -> tuple[str, str | None]:
    """How the receiver answered a delivery sent twice with the same idempotency token."""
    if first.error or second.error:
        return "differs", f"no answer: {second.error or first.error}"
    a, b = first.status or 0, second.status or 0
    if 200 <= a < 300 and 400 <= b < 500:
        return "second refused", f"{a} then {b}"
    if a != b:
        return "differs", f"status {a} then {b}"
    one, two = first.response_body, second.response_body
    if one == two:
        return "same", None
    at = next((i for i, (x, y) in enumerate(zip(one, two, strict=False)) if x != y), None)
    at = min(len(one), len(two)) if at is None else at
    return "differs", f"body differs at byte {at}: {_snippet(one, at)} then {_snippet(two, at)}"


# --- preparing one request -----------------------------------------------------------------


MAX_URL = 2048
CREDENTIAL_HEADERS = ("authorization", "proxy-authorization", "cookie")


def _receiver(to: str, flag: str = "--to") -> Any:
    """``to`` split, after checking it is a usable http(s) URL (UsageProblem otherwise)."""
    shown = to if len(to) <= 80 else to[:77] + "..."
    bad = UsageProblem(
        f"{flag} {shown!r} is not an http(s) URL", hint=f"e.g. {flag} http://127.0.0.1:3000"
    )
    if len(to) > MAX_URL or any(ord(ch) < 33 or ord(ch) == 127 for ch in to):
        raise bad
    try:
        dest = urlsplit(to)
        port = dest.port  # ValueError when out of range or not a number
    except ValueError:
        raise bad from None
    if dest.scheme not in ("http", "https") or not dest.hostname:
        raise bad
    if port == 0 or not http_host(dest.hostname):
        raise bad
    return dest


def receiver_credentials(to: str) -> tuple[str, tuple[str, str] | None]:
    """``--to`` without any ``user:password@`` in it, and those credentials (to send as Basic
    auth: in the URL they would be printed in the results and sent inside the Host header)."""
    dest = _receiver(to)
    if dest.username is None and dest.password is None:
        return to, None
    host = dest.netloc.rpartition("@")[2]
    bare = urlunsplit((dest.scheme, host, dest.path, dest.query, dest.fragment))
    return bare, (unquote(dest.username or ""), unquote(dest.password or ""))


def target_url(to: str, captured: str, *, flag: str = "--to") -> str:
    """Where to send a capture: ``--to``'s scheme and host; its path and query when it has
    them, else the captured path and query byte for byte (Twilio signs the query). A bad
    ``to`` is a UsageProblem naming ``flag`` (``--forward-to`` for ``webhook listen``)."""
    dest = _receiver(to, flag)
    orig = urlsplit(captured)
    path = dest.path if dest.path not in ("", "/") else (orig.path or "/")
    query = dest.query if dest.query else orig.query
    return urlunsplit((dest.scheme, dest.netloc, path, query, ""))


def _replace_headers(headers: list[Header], new: dict[str, str]) -> list[Header]:
    """Set each of ``new`` in place of the first header of that name (others of that name go);
    names not present are appended."""
    wanted = {k.lower(): (k, v) for k, v in new.items()}
    out: list[Header] = []
    done: set[str] = set()
    for name, value in headers:
        low = name.lower()
        if low in wanted:
            if low not in done:
                out.append((name, wanted[low][1]))
                done.add(low)
            continue
        out.append((name, value))
    out.extend(wanted[k] for k in wanted if k not in done)
    return out


def _set_form(body: bytes, key: str, value: str) -> bytes:
    from telcli.webhooks.twilio import form_params

    segments = body.split(b"&") if body else []
    encoded = quote_plus(value).encode("ascii")
    for i, segment in enumerate(segments):
        if segment and form_params(segment) and form_params(segment)[0][0] == key:
            raw_key = segment.partition(b"=")[0]
            segments[i] = raw_key + b"=" + encoded
            return b"&".join(segments)
    return b"&".join([*segments, quote_plus(key).encode("ascii") + b"=" + encoded])


def _json_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text
    except RecursionError:
        raise UsageProblem("--set: the value is nested too deeply") from None


def _set_json(body: bytes, path: str, value: str) -> bytes:
    try:
        data = json.loads(body)
    except ValueError:
        raise UsageProblem("--set: the body is not JSON") from None
    except RecursionError:
        raise UsageProblem("--set: the body is nested too deeply to edit") from None
    node = data
    keys = path.split(".")
    for i, key in enumerate(keys):
        last = i == len(keys) - 1
        if isinstance(node, list):
            if not key.isdigit() or int(key) >= len(node):
                raise UsageProblem(f"--set {path}: no index {key} in the body")
            if last:
                node[int(key)] = _json_value(value)
            else:
                node = node[int(key)]
        elif isinstance(node, dict):
            if last:
                node[key] = _json_value(value)
            else:
                node = node.setdefault(key, {})
        else:
            raise UsageProblem(f"--set {path}: {key!r} is inside a value that is not an object")
    # An edited JSON body is re-serialized compactly; unedited bodies are never touched.
    try:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    except RecursionError:
        raise UsageProblem(f"--set {path[:40]}: the result is nested too deeply") from None
    return text.encode("utf-8", "surrogateescape")


def edit_body(capture: Capture, sets: Sequence[tuple[str, str]]) -> bytes:
    body = capture.body
    ctype = (capture.content_type or "").lower()
    for key, value in sets:
        if "json" in ctype or body.lstrip()[:1] in (b"{", b"["):
            body = _set_json(body, key, value)
        else:
            body = _set_form(body, key, value)
    return body


def _resign(
    scheme: str,
    capture: Capture,
    headers: list[Header],
    body: bytes,
    url: str,
    sign_url: str,
    keys: Keys,
    now: float | None,
) -> tuple[list[Header], str]:
    """New signature headers for ``scheme``; returns the headers and the URL to send to."""
    from telcli import webhooks
    from telcli.webhooks import hmac_sha256, vapi

    ctype = capture.content_type
    if scheme == "twilio":
        result = webhooks.sign(
            "twilio", body=body, url=sign_url, content_type=ctype, secret=keys.secret
        )
        if result.url is not None and result.url != sign_url:
            # JSON bodies: bodySHA256 joins the query; the receiver must see it too.
            digest = urlsplit(result.url).query.rsplit("bodySHA256=", 1)[-1].split("&")[0]
            if "bodySHA256=" not in urlsplit(url).query:
                parts = urlsplit(url)
                query = (
                    f"{parts.query}&bodySHA256={digest}" if parts.query else f"bodySHA256={digest}"
                )
                url = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
        return _replace_headers(headers, result.headers), url
    if scheme == "telnyx":
        result = webhooks.sign("telnyx", body=body, private_key=keys.private_key, now=now)
    elif scheme == "livekit":
        result = webhooks.sign(
            "livekit", body=body, api_key=keys.api_key, secret=keys.secret, now=now
        )
    elif scheme == "vapi":
        variant = vapi.detect_variant(headers, keys.plan) or "secret"
        result = webhooks.sign(
            "vapi",
            body=body,
            secret=keys.secret,
            variant=variant,
            plan=keys.plan,
            url=sign_url,
            now=now,
        )
    else:
        variant = hmac_sha256.detect_variant(headers) or "standard"
        msg_id = None
        if variant == "standard":
            msg_id = next((v for k, v in headers if k.lower() in MESSAGE_ID_HEADERS), None)
        result = webhooks.sign(
            "hmac-sha256",
            body=body,
            secret=keys.secret,
            variant=variant,
            message_id=msg_id,
            now=now,
        )
    return _replace_headers(headers, result.headers), url


def prepare(capture: Capture, opts: ReplayOptions, *, now: float | None = None) -> Prepared:
    """The request that replays ``capture`` under ``opts`` (raises UsageProblem for options
    that cannot apply, e.g. --resign without the scheme's key)."""
    problem = request_problem(capture.method, capture.url)
    if problem is not None:  # stored by an older telcli, or by listen (an absolute-form target)
        raise UsageProblem(
            f"capture {capture.id} cannot be sent again: {problem}",
            hint="leave it out of the selection; `telcli webhook delete ID` removes it",
        )
    url = target_url(opts.to, capture.url)
    body = edit_body(capture, opts.sets) if opts.sets else capture.body
    # Same headers in the same order; only Host (the new target) and Content-Length (an
    # edited body) get new values, in place.
    netloc = urlsplit(url).netloc
    headers = [
        (
            n,
            netloc
            if n.lower() == "host"
            else str(len(body))
            if n.lower() == "content-length"
            else v,
        )
        for n, v in end_to_end(capture.headers)
        if not (opts.strip_credentials and n.lower() in CREDENTIAL_HEADERS)
    ]
    if opts.basic_auth is not None:
        if any(n.lower() == "authorization" for n, _ in headers):
            raise UsageProblem(
                f"capture {capture.id} carries its own Authorization header, which the"
                " credentials in --to would replace",
                hint="remove user:password@ from --to, or drop the captured header with"
                " --strip-credentials",
            )
        import base64

        user, password = opts.basic_auth
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        headers.append(("Authorization", f"Basic {token}"))
    if opts.fresh_idempotency:
        fresh: dict[str, str] = {}
        for name, _value in headers:
            if name.lower() in (h.lower() for h in IDEMPOTENCY_HEADERS):
                fresh[name] = str(uuid.uuid4())
            elif name.lower() in MESSAGE_ID_HEADERS:
                fresh[name] = "msg_" + _secrets.token_urlsafe(18)
        headers = _replace_headers(headers, fresh)
    scheme = opts.scheme or capture.provider
    has_key = opts.keys.any_for(scheme) and (scheme != "telnyx" or bool(opts.keys.private_key))
    resign = has_key if opts.resign is None else opts.resign
    warnings: list[str] = []
    if resign:
        if scheme is None:
            raise UsageProblem(
                f"capture {capture.id}: cannot tell which scheme signed it, so cannot re-sign",
                hint="pass --scheme, or --keep-signature",
            )
        if not has_key:
            need = {
                "telnyx": "--private-key (a test key the receiver trusts)",
                "livekit": "--api-key and --secret",
            }
            raise UsageProblem(
                f"--resign needs the {scheme} key: {need.get(scheme, '--secret')}",
                hint="or send the captured signature unchanged with --keep-signature",
            )
        headers, url = _resign(
            scheme, capture, headers, body, url, opts.sign_url or url, opts.keys, now
        )
        signed = "resigned"
    else:
        signed = "kept" if scheme else "none"
        if opts.sets:
            warnings.append("the body was edited but not re-signed: its signature is now invalid")
    return Prepared(capture.id, capture.method, url, tuple(headers), body, signed, tuple(warnings))


# --- sending -------------------------------------------------------------------------------


def _differs(capture: Capture, status: int | None, body: bytes) -> bool | None:
    captured = capture.response
    if captured is None or captured.status is None:
        return None
    return captured.status != status or captured.body != body


def _error_text(exc: Exception, url: Any = None) -> str:
    """One line for a failed request, naming where it went (never the query: it may hold
    secrets)."""
    import httpx

    where = ""
    if url is not None:
        parts = urlsplit(str(url))
        where = f" {parts.scheme}://{parts.netloc}"
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return f"cannot connect to{where or ' the receiver'} (refused or unreachable)"
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer from{where or ' the receiver'} in time"
    return (str(exc) or type(exc).__name__).splitlines()[0][:160]


def _encode(headers: Sequence[Header]) -> list[tuple[bytes, bytes]]:
    return [(wire_bytes(n), wire_bytes(v)) for n, v in headers]


def wire_bytes(text: str) -> bytes:
    """A header as bytes: captured values are ISO-8859-1 (one code point per byte); text
    typed into an imported file may hold other characters, sent as UTF-8."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape")


async def _send(client: Any, prep: Prepared) -> tuple[int | None, bytes, float, str | None]:
    import httpx

    request = httpx.Request(prep.method, prep.url, headers=_encode(prep.headers), content=prep.body)
    start = time.perf_counter()
    try:
        response = await client.send(request)
        try:
            body = await response.aread()
        finally:
            await response.aclose()
    except httpx.HTTPError as exc:
        return None, b"", (time.perf_counter() - start) * 1000, _error_text(exc, prep.url)
    return response.status_code, body, (time.perf_counter() - start) * 1000, None


def _offsets(captures: Sequence[Capture], speed: float) -> list[float]:
    """Seconds after the start at which each capture goes out, keeping the captured gaps."""
    times = [parse_time(c.received_at).timestamp() for c in captures]
    first = min(times) if times else 0.0
    return [max(0.0, (t - first) / speed) for t in times]


async def replay_async(
    captures: Sequence[Capture],
    opts: ReplayOptions,
    *,
    on_result: Callable[[ReplayResult], None] | None = None,
    before_send: Callable[[], None] | None = None,
    transport: Any = None,
    now: Callable[[], float] = time.time,
    cancel: Cancel | None = None,
) -> list[ReplayResult]:
    """Replay ``captures`` (in the given order); results in the same order. ``before_send``
    runs once every request is prepared (so after any usage error) and before the first send.
    Once ``cancel`` is set (Ctrl-C) no request starts; those in flight finish and are in the
    results, which then cover only what was sent."""
    from telcli.transport import build_async_client

    prepared = [prepare(c, opts, now=now()) for c in captures]  # usage errors before any send
    if before_send is not None:
        before_send()
    offsets = _offsets(captures, opts.speed) if opts.preserve_timing else None
    results: list[list[ReplayResult]] = [[] for _ in captures]
    queue = iter(range(len(captures)))
    start = time.monotonic()
    attempts = 2 if opts.twice else 1

    async with build_async_client(
        transport=transport, timeout=opts.timeout, max_connections=opts.concurrency
    ) as client:

        async def worker() -> None:
            for index in queue:
                capture, prep = captures[index], prepared[index]
                if offsets is not None:
                    delay = start + offsets[index] - time.monotonic()
                    while delay > 0 and not cancel:  # short steps: Ctrl-C ends the wait
                        await asyncio.sleep(min(delay, 0.2))
                        delay = start + offsets[index] - time.monotonic()
                    # Time-bound schemes are signed when the request really goes out.
                    prep = prepare(capture, opts, now=now())
                for attempt in range(1, attempts + 1):
                    if cancel:
                        return
                    status, body, ms, error = await _send(client, prep)
                    result = ReplayResult(
                        capture_id=capture.id,
                        attempt=attempt,
                        url=prep.url,
                        status=status,
                        latency_ms=ms,
                        ok=error is None and opts.expect.met(status),
                        differs=None if error else _differs(capture, status, body),
                        signature=prep.signed,
                        error=error,
                        response_body=body,
                    )
                    if attempt == 2:
                        verdict, detail = compare_answers(results[index][0], result)
                        result = replace(
                            result,
                            idempotency=verdict,
                            idempotency_detail=detail,
                            # A refused duplicate after an accepted first delivery is dedupe
                            # working, whatever --expect-status says about 4xx.
                            ok=result.ok or (verdict == "second refused" and results[index][0].ok),
                        )
                    results[index].append(result)
                    if on_result is not None:
                        on_result(result)

        async def tick() -> None:
            # Python runs a signal handler in the main thread only, between bytecodes: a
            # loop waiting on a stuck receiver must still wake for Ctrl-C (a signal that
            # landed on another thread, e.g. the progress bar's, does not wake it).
            while True:
                await asyncio.sleep(0.2)

        workers = max(1, min(opts.concurrency, len(captures)))
        ticker = asyncio.ensure_future(tick()) if cancel is not None else None
        try:
            await asyncio.gather(*(worker() for _ in range(workers)))
        finally:
            if ticker is not None:
                ticker.cancel()
    return [r for group in results for r in group]


def replay(captures: Sequence[Capture], opts: ReplayOptions, **kwargs: Any) -> list[ReplayResult]:
    return asyncio.run(replay_async(captures, opts, **kwargs))


def warnings_for(
    captures: Sequence[Capture], opts: ReplayOptions, *, now: float | None = None
) -> list[str]:
    """What the user should know before replaying (stale time-bound signatures, a Twilio
    signature kept for a different URL). Deduplicated, one line each."""
    from telcli.storage.captures import parse_time as _pt

    seen: dict[str, None] = {}
    clock = time.time() if now is None else now
    to_host = (urlsplit(opts.to).hostname or "").lower()
    for c in captures:
        if not opts.strip_credentials:
            carried = sorted({n for n, _ in c.headers if n.lower() in CREDENTIAL_HEADERS})
            from_host = (urlsplit(c.url).hostname or "").lower()
            if carried and from_host != to_host:
                seen[
                    f"captured credential headers ({', '.join(carried)}) go to {to_host}, not"
                    f" {from_host or 'the captured host'} where they were sent; pass"
                    " --strip-credentials to drop them"
                ] = None
        scheme = opts.scheme or c.provider
        keyed = opts.keys.any_for(scheme) and (scheme != "telnyx" or bool(opts.keys.private_key))
        resign = keyed if opts.resign is None else opts.resign
        if resign:
            continue
        if scheme == "twilio" and target_url(opts.to, c.url) != c.url and not opts.sign_url:
            seen[
                "twilio signatures cover the URL: kept signatures will not verify at the new"
                " URL (give --secret to re-sign)"
            ] = None
        if (
            scheme in ("telnyx", "livekit", "hmac-sha256")
            and clock - _pt(c.received_at).timestamp() > 300
        ):
            seen[
                f"{scheme} signatures expire after 300 s: kept signatures on old captures will"
                " be rejected (re-sign with a test key or secret)"
            ] = None
    return list(seen)
