"""The one place an ``httpx.Client`` is made: timeouts, User-Agent, redacted debug log,
and the mapping of transport failures and HTTP statuses onto the error taxonomy.

Nothing here knows about any provider's payloads; providers parse their own error bodies
and call :func:`status_error` with what they found.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterable
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from telcli import __version__
from telcli.errors import AuthError, ProviderError, ProviderRejected, ProviderUnavailable

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
) -> httpx.Client:
    """Build a client. With ``debug_log`` every request is logged as
    ``http: GET <url> -> 200 (12 ms)`` with secrets and the Authorization header never shown."""
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
    return httpx.Client(
        base_url=base_url,
        auth=auth,
        headers=all_headers,
        transport=transport,
        timeout=timeout,
        event_hooks=hooks,
        follow_redirects=False,
    )


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    provider: str,
    **kwargs: Any,
) -> httpx.Response:
    """Send one request, turning transport failures into ``ProviderUnavailable``.

    ``sent=False`` only when the request provably never reached the provider (connect
    errors); read timeouts and dropped connections leave the outcome unknown (``sent=True``).
    """
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
    text = (
        f"{provider} {status} on {what}: {detail}" if detail else f"{provider} {status} on {what}"
    )
    if status in (401, 403):
        return AuthError(
            f"{provider} rejected the credentials ({status}): {detail or 'unauthorized'}",
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
        )
    return ProviderRejected(text, provider=provider, status=status, code=code)


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
