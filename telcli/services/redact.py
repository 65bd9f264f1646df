"""Captures made fit for a ticket (``webhook export --redact``): phone numbers keep only their
country code and last two digits, message text and transcripts become ``[redacted]``, and
credential headers are dropped to ``[redacted]``. Signatures no longer verify, by design."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from telcli.storage.captures import Capture, CapturedResponse

REDACTED = "[redacted]"
# Keys whose values are what people said or wrote (Twilio form params, Telnyx, VAPI).
TEXT_KEYS = frozenset(
    {"Body", "text", "transcript", "summary", "messages", "messagesOpenAIFormatted", "content"}
)
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
_NUMBER = re.compile(r"\+[1-9][0-9]{6,14}")


def _numbers(text: str) -> str:
    from telcli.phone import masked

    return _NUMBER.sub(lambda m: masked(m.group(0)), text)


def _value(key: str | None, value: Any) -> Any:
    if key in TEXT_KEYS and value not in (None, "", [], {}):
        return REDACTED
    if isinstance(value, str):
        return _numbers(value)
    if isinstance(value, list):
        return [_value(None, v) for v in value]
    if isinstance(value, dict):
        return {k: _value(k, v) for k, v in value.items()}
    return value


def redact_body(body: bytes, content_type: str | None) -> bytes:
    if not body:
        return body
    kind = (content_type or "").lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return REDACTED.encode()  # bytes telcli cannot read may hold anything
    if "json" in kind or text.lstrip()[:1] in ("{", "["):
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return _numbers(text).encode()
        return json.dumps(_value(None, data), ensure_ascii=False, separators=(",", ":")).encode()
    if "x-www-form-urlencoded" in kind or ("=" in text and " " not in text):
        pairs = parse_qsl(text, keep_blank_values=True)
        return urlencode([(k, _value(k, v)) for k, v in pairs]).encode()
    return _numbers(text).encode()


def _url(url: str) -> str:
    parts = urlsplit(url)
    query = urlencode([(k, _value(k, v)) for k, v in parse_qsl(parts.query, True)])
    return urlunsplit((parts.scheme, parts.netloc, _numbers(parts.path), query, ""))


def _headers(headers: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (n, REDACTED if n.lower() in CREDENTIAL_HEADERS else _numbers(v)) for n, v in headers
    )


def redact(capture: Capture) -> Capture:
    response = capture.response
    if response is not None:
        response = CapturedResponse(
            response.status,
            _headers(response.headers),
            redact_body(response.body, _header(response.headers, "Content-Type")),
            response.latency_ms,
            response.error,
        )
    return replace(
        capture,
        url=_url(capture.url),
        headers=_headers(capture.headers),
        body=redact_body(capture.body, capture.content_type),
        forwarded_to=capture.forwarded_to and _url(capture.forwarded_to),
        response=response,
        event=None if capture.event is None else _value(None, capture.event),
    )


def _header(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name.lower()), None)
