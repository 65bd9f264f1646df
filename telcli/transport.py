"""The one place an ``httpx.Client`` is made: timeouts, User-Agent, redacted debug log,
and the mapping of transport failures and HTTP statuses onto the error taxonomy.

Nothing here knows about any provider's payloads; providers parse their own error bodies
and call :func:`status_error` with what they found.
"""

from __future__ import annotations

import random
import re
import sys
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx

from telcli import __version__, correlation
from telcli.errors import (
    AuthError,
    PacingTimeout,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
)

USER_AGENT = f"telcli/{__version__}"
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=20.0, write=20.0, pool=5.0)
REDACTED = "***"

# Parameter names whose values are secrets wherever they appear (query strings, form bodies).
_SECRET_PARAM = re.compile(
    r"(?i)((?:auth_?token|api_?key|api_?secret|password|secret|token|twilioAuthToken)=)[^&\s]+"
)

DebugLog = Callable[[str], None]


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Remove every known secret value and every secret-named parameter value from ``text``."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return _SECRET_PARAM.sub(lambda m: m.group(1) + REDACTED, text)


def stderr_log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def build_client(
    base_url: str = "",
    *,
    auth: httpx.Auth | tuple[str, str] | None = None,
    headers: dict[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    debug_log: DebugLog | None = None,
    secrets: Iterable[str] = (),
    retry: RetryPolicy | None = None,
    request_id_header: str | None = None,
) -> Client:
    """Build a client. With ``debug_log`` every request (and every retry) is logged as
    ``http: GET <url> -> 200 (12 ms)`` with secrets and the Authorization header never shown.
    ``retry`` is the policy :func:`send` applies to this client's requests (default: none,
    :data:`NO_RETRY`; the CLI passes one bound to the command's deadline).
    ``request_id_header`` names the response header carrying the provider's request id
    (:func:`request_id_of`)."""
    all_headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    all_headers.update(headers or {})
    hooks: dict[str, list[Callable[..., Any]]] = {"request": [], "response": []}
    if debug_log is not None:
        secret_list = tuple(secrets)

        def on_request(request: httpx.Request) -> None:
            request.extensions["telcli_start"] = time.perf_counter()

        def on_response(response: httpx.Response) -> None:
            request = response.request
            start = request.extensions.get("telcli_start", time.perf_counter())
            ms = (time.perf_counter() - start) * 1000
            url = redact(str(request.url), secret_list)
            scheme = request.headers.get("Authorization", "").split(" ", 1)[0] or "none"
            debug_log(
                f"http: {request.method} {url} -> {response.status_code}"
                f" ({ms:.0f} ms, auth {scheme} {REDACTED})"
            )

        hooks["request"].append(on_request)
        hooks["response"].append(on_response)
    client = Client(
        base_url=base_url,
        auth=auth,
        headers=all_headers,
        transport=transport,
        timeout=timeout,
        event_hooks=hooks,
        follow_redirects=False,
    )
    client.retry_policy = retry or NO_RETRY
    client.request_id_header = request_id_header
    if debug_log is not None:
        secret_list = tuple(secrets)
        client.debug_log = lambda line: debug_log(redact(line, secret_list))
    return client


# Methods that are safe to repeat by definition (RFC 9110 §9.2.2). Anything else (POST,
# PATCH) is retried only when the caller says it is idempotent.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# 429 and these 5xx mean "not now"; other statuses are answers and go straight back.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
DEFAULT_DEADLINE = 60.0
# Each attempt of an idempotent request gets at least this long, even past the deadline, so
# a last lookup (e.g. reconciling a purchase) is not cut to nothing.
MIN_ATTEMPT_TIMEOUT = 1.0
# A write is not sent with less than this left of the deadline (or of a shorter deadline).
MIN_WRITE_TIME = 1.0


class Deadline:
    """The time budget of one command, shared by all its requests (``--timeout``).

    The clock starts at the first request, not when the command starts, so time spent at a
    confirmation prompt does not count; :meth:`restart` re-arms it.
    """

    def __init__(self, seconds: float | None, *, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self.clock = clock
        self._end: float | None = None

    def restart(self) -> None:
        self._end = None

    def remaining(self) -> float | None:
        """Seconds left (negative once passed), or None for no deadline."""
        if self.seconds is None:
            return None
        now = self.clock()
        if self._end is None:
            self._end = now + self.seconds
        return self._end - now


class Pacer(Protocol):
    """One provider account's shared token bucket (``storage/ratelimits.py``), as
    :func:`send` uses it: a token before every attempt, every 429 reported."""

    def acquire(self, max_wait: float | None = None) -> Any: ...

    def next_slot(self) -> Any: ...

    def paused_until(self) -> float: ...

    def throttled(self, grant: Any, retry_after: float | None) -> float: ...


@dataclass(frozen=True)
class RetryPolicy:
    """How :func:`send` retries: the first retry after a 5xx or a lost connection at once,
    then capped exponential backoff with full jitter (sleep a random time in
    ``[0, min(max_delay, base_delay * 2**n)]``), ``Retry-After`` honoured when the provider
    sends one, never past ``deadline``. ``sleep``/``random`` are injectable so tests
    never really wait. ``deadline=None``: a fresh :data:`DEFAULT_DEADLINE` per request.

    Clients retry nothing unless given a policy (:data:`NO_RETRY`): the CLI builds one per
    command (``AppContext.retry_policy``) and hands it to providers via ``ProviderSettings``,
    with the ``pacer`` of the provider's account: every attempt then waits for a token.
    """

    max_attempts: int = 5
    # 0.1 s, doubling, full jitter (the AWS JavaScript SDK's defaults) from the second retry,
    # or the first after a 429; a provider's Retry-After always wins.
    base_delay: float = 0.1
    max_delay: float = 8.0
    deadline: Deadline | None = None
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    random: Callable[[], float] = field(default=random.random, repr=False)
    pacer: Pacer | None = field(default=None, repr=False, compare=False)
    # Around each request, retries included: the CLI's spinner (output/progress.py) on a TTY.
    busy: Callable[[str], AbstractContextManager[Any]] | None = field(
        default=None, repr=False, compare=False
    )

    def backoff(self, retry: int, *, throttled: bool = False) -> float:
        """The pause before retry number ``retry`` (1-based), with full jitter.

        The first retry after a 5xx or a failed connection is immediate, as in urllib3's
        ``Retry``: such a failure is usually one bad backend or one lost connection, and the
        next request goes elsewhere. Waiting is for the second failure in a row, and for
        throttling (a 429 without ``Retry-After``), where waiting is the point."""
        if retry == 1 and not throttled:
            return 0.0
        return self.random() * min(self.max_delay, self.base_delay * 2.0 ** (retry - 1))


NO_RETRY = RetryPolicy(max_attempts=1)


def build_async_client(
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    max_connections: int = 10,
) -> httpx.AsyncClient:
    """The async counterpart of :func:`build_client`, for bulk work (webhook replay).

    It sets no default headers that matter: callers that must send exact bytes build an
    ``httpx.Request`` themselves and use ``client.send``, which adds none of the client's.
    No retries (a replayed webhook is a write; its outcome is reported, not retried)."""
    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    return httpx.AsyncClient(
        transport=transport,
        timeout=timeout,
        limits=limits,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
    )


class Client(httpx.Client):
    """An ``httpx.Client`` that carries the retry policy and debug log :func:`send` uses."""

    retry_policy: RetryPolicy = NO_RETRY
    debug_log: DebugLog | None = None
    request_id_header: str | None = None


_REQUEST_ID = "telcli_request_id"


def _note_request_id(client: httpx.Client, provider: str, response: httpx.Response) -> None:
    """Keep the provider's request id with the response and hand it to the ledger's
    collectors (:mod:`telcli.correlation`)."""
    header = getattr(client, "request_id_header", None)
    request_id = response.headers.get(header) if header else None
    if request_id:
        request_id = request_id.strip()[:100]
        response.extensions[_REQUEST_ID] = request_id
        correlation.saw(provider, request_id)


def request_id_of(response: httpx.Response) -> str | None:
    """The provider's id for the request behind ``response``, when it sent one."""
    value = response.extensions.get(_REQUEST_ID)
    return str(value) if value else None


def cite(request_id: str | None) -> str:
    """How an error message quotes a provider's request id: `` (request RQ…)``, or nothing."""
    return f" (request {request_id})" if request_id else ""


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    provider: str,
    idempotent: bool | None = None,
    retry: RetryPolicy | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """Send one request, retrying what is safe to retry, turning transport failures into
    ``ProviderUnavailable``.

    Idempotent requests (``idempotent=None``: decided by the method) are retried on
    connection failures, timeouts, 429 and 500/502/503/504. Other requests are retried only
    when the provider provably did not act: the connection was never made, or a 429 (the
    request was refused before any processing). A 5xx, timeout or reset on a write is never
    retried here: its outcome is unknown and the caller must reconcile. When retries run out
    the last response is returned (the provider maps it to an error with its own text) or the
    last failure raised.

    ``sent=False`` only when no attempt can have reached the provider (connect errors);
    read timeouts and dropped connections leave the outcome unknown (``sent=True``).
    """
    policy = retry or getattr(client, "retry_policy", None) or NO_RETRY
    if policy.busy is None:
        return _send(client, method, url, provider, idempotent, policy, kwargs)
    with policy.busy(provider):
        return _send(client, method, url, provider, idempotent, policy, kwargs)


def _send(
    client: httpx.Client,
    method: str,
    url: str,
    provider: str,
    idempotent: bool | None,
    policy: RetryPolicy,
    kwargs: dict[str, Any],
) -> httpx.Response:
    log: DebugLog | None = getattr(client, "debug_log", None)
    if idempotent is None:
        idempotent = method.upper() in IDEMPOTENT_METHODS
    deadline = policy.deadline or Deadline(DEFAULT_DEADLINE if policy.max_attempts > 1 else None)
    sent = False
    attempt = 0
    failure: ProviderUnavailable | None
    last: httpx.Response | None
    while True:
        attempt += 1
        grant = _pace(policy, deadline, provider, log)
        try:
            answer = _send_once(client, method, url, provider, idempotent, deadline, kwargs)
            _note_request_id(client, provider, answer)
            _note_clock(provider, answer)
        except ProviderUnavailable as exc:
            sent = sent or exc.sent
            exc.sent = sent
            failure, last = exc, None
            retryable = idempotent or not exc.sent
            wait = policy.backoff(attempt)
            why = exc.message
        else:
            status = answer.status_code
            if status == 429 and policy.pacer is not None:
                policy.pacer.throttled(grant, parse_retry_after(answer.headers.get("Retry-After")))
            if status not in RETRY_STATUSES or not (idempotent or status == 429):
                return answer
            failure, last = None, answer
            retryable = True
            after = parse_retry_after(answer.headers.get("Retry-After"))
            if after is None:
                wait = policy.backoff(attempt, throttled=status == 429)
            else:
                wait = after
            why = f"{status}"
        remaining = deadline.remaining()
        if (
            not retryable
            or attempt >= policy.max_attempts
            or (remaining is not None and wait >= remaining)
        ):
            if last is not None:
                return last
            assert failure is not None
            raise failure
        if last is not None:
            last.close()
        if log is not None:
            # The URL as sent (base URL and query included), like the response lines.
            shown = client.build_request(method, url, params=kwargs.get("params")).url
            log(
                f"http: {method} {redact(str(shown))} -> {why}; retry {attempt}/"
                f"{policy.max_attempts - 1} in {wait:.2f} s"
            )
        policy.sleep(wait)


def _pace(policy: RetryPolicy, deadline: Deadline, provider: str, log: DebugLog | None) -> Any:
    """Take a token from the account's bucket, waiting for it within the deadline; a slot
    past the deadline is a ``ProviderUnavailable`` that names the wait (nothing was sent)."""
    pacer = policy.pacer
    if pacer is None:
        return None
    while True:
        remaining = deadline.remaining()
        grant = pacer.acquire(None if remaining is None else max(remaining, 0.0))
        if grant is None:
            slot = pacer.next_slot()
            why = f"the next request slot is {slot.wait:.1f} s away at {slot.rate:.1f} requests/s"
            if slot.paused:
                why = f"every request to the account is paused for {slot.paused:.1f} s after a 429"
                if slot.wait > slot.paused + 0.05:
                    why += f" (its next free slot is {slot.wait:.1f} s away)"
            raise PacingTimeout(
                f"{provider} rate limit: {why}, past the command's deadline"
                f" ({max(remaining or 0.0, 0.0):.1f} s left)",
                provider=provider,
                hint="allow more time with --timeout, or share the account with fewer"
                " processes; `telcli providers status` shows its rate and recent 429s",
            )
        if grant.wait <= 0:
            return grant
        if log is not None:
            reason = "paused after a 429" if grant.paused else f"{grant.rate:.1f} requests/s"
            log(f"pacing: {provider} waits {grant.wait:.2f} s for a request slot ({reason})")
        policy.sleep(grant.wait)
        # A 429 seen by another request while this one slept pauses the account past the
        # slot it had: queue again behind the pause.
        if pacer.paused_until() <= grant.at:
            return grant


# How far each provider's clock is ahead of ours (seconds), from the last Date header it sent:
# reconciliation matches only what was created after an intent, on the provider's clock.
_CLOCK_OFFSETS: dict[str, float] = {}


def _note_clock(provider: str, response: httpx.Response) -> None:
    try:
        sent = parsedate_to_datetime(response.headers.get("Date", ""))
    except (TypeError, ValueError, IndexError):
        return
    if sent is not None and sent.tzinfo is not None:
        _CLOCK_OFFSETS[provider] = sent.timestamp() - time.time()


def clock_offset(provider: str) -> float | None:
    """Seconds ``provider``'s clock runs ahead of ours (negative: behind), from the ``Date``
    header of its latest answer; None before it has answered."""
    return _CLOCK_OFFSETS.get(provider)


def _send_once(
    client: httpx.Client,
    method: str,
    url: str,
    provider: str,
    idempotent: bool,
    deadline: Deadline,
    kwargs: dict[str, Any],
) -> httpx.Response:
    remaining = deadline.remaining()
    if (
        remaining is not None
        and not idempotent
        and remaining < min(MIN_WRITE_TIME, deadline.seconds or 0)
    ):
        # A write that cannot be waited for would only make an unknown outcome: not sent.
        raise ProviderUnavailable(
            f"not sent to {provider}: the command's time budget (--timeout) is used up",
            provider=provider,
            sent=False,
        )
    if remaining is not None:
        kwargs = {
            **kwargs,
            "timeout": _capped(kwargs.get("timeout", client.timeout), remaining, idempotent),
        }
    try:
        return client.request(method, url, **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise ProviderUnavailable(
            f"cannot connect to {provider}: {_reason(exc)}", provider=provider, sent=False
        ) from None
    except httpx.TimeoutException as exc:
        raise ProviderUnavailable(
            f"{provider} did not answer in time ({_reason(exc)})", provider=provider, sent=True
        ) from None
    except httpx.TransportError as exc:
        raise ProviderUnavailable(
            f"connection to {provider} failed: {_reason(exc)}", provider=provider, sent=True
        ) from None


def _capped(timeout: Any, remaining: float, idempotent: bool) -> httpx.Timeout:
    """Shrink one attempt's timeouts to what is left of the command's deadline.

    Writes are cut too (--timeout bounds them): a write still unanswered at the deadline has
    an unknown outcome, which the caller settles or reports (exit 7), never guesses."""
    base = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
    cap = max(remaining, MIN_ATTEMPT_TIMEOUT) if idempotent else max(remaining, 0.001)

    def cut(value: float | None) -> float:
        return cap if value is None else min(value, cap)

    return httpx.Timeout(
        connect=cut(base.connect),
        read=cut(base.read),
        write=cut(base.write),
        pool=cut(base.pool),
    )


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    # httpx messages can embed the URL; never echo query strings (they may hold secrets).
    return redact(text.splitlines()[0])[:200]


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds: both the delta-seconds and the HTTP-date forms (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def status_error(
    provider: str,
    response: httpx.Response,
    detail: str,
    *,
    code: str | None = None,
    what: str = "request",
) -> ProviderError | AuthError:
    """Map one non-2xx response onto the taxonomy. ``detail`` is the provider's own error text,
    cleaned of the credentials the request carried (an upstream may quote them back)."""
    status = response.status_code
    detail = _redact_echo(detail, _credentials_of(response))
    request_id = request_id_of(response)
    where = cite(request_id)
    text = f"{provider} {status} on {what}{where}" + (f": {detail}" if detail else "")
    if status in (401, 403):
        return AuthError(
            f"{provider} rejected the credentials ({status}){where}: {detail or 'unauthorized'}",
            hint=f"check them with `telcli auth status`, or log in again:"
            f" `telcli auth login {provider}`",
        )
    if status == 429 or status >= 500:
        return ProviderUnavailable(
            text,
            provider=provider,
            status=status,
            code=code,
            sent=True,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            request_id=request_id,
        )
    return ProviderRejected(
        text, provider=provider, status=status, code=code, request_id=request_id
    )


def _credentials_of(response: httpx.Response) -> list[str]:
    """The secrets the request behind ``response`` sent in its Authorization header, in every
    form an echoing proxy or error page could quote: the header, the token and, for Basic,
    the decoded ``user:password`` and the password."""
    import base64
    import binascii

    try:
        header = response.request.headers.get("Authorization", "")
    except RuntimeError:  # a Response built without a request
        return []
    scheme, _, token = header.partition(" ")
    found = [header, token]
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(token, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        found += [decoded, decoded.partition(":")[2]]
    return [s for s in found if len(s) >= 8]


def _redact_echo(text: str, secrets: list[str]) -> str:
    """:func:`redact`, plus a secret cut short at the end of ``text`` (providers keep only the
    first 200 characters of an error page, which can split a quoted secret)."""
    text = redact(text, secrets)
    for secret in secrets:
        for size in range(len(secret) - 1, 7, -1):
            if text.endswith(secret[:size]):
                return text[:-size] + REDACTED
    return text
