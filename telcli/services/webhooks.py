"""Captured webhooks: labelling, import (NDJSON export, HAR, raw HTTP/1.1), export, inspection.

The capture store itself is :mod:`telcli.storage.captures`; replay lives in
:mod:`telcli.services.replay` and the capture server in :mod:`telcli.services.listen`.
Nothing here prints; bad input raises ``UsageProblem`` naming the file and line.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from telcli.errors import UsageProblem
from telcli.storage.captures import (
    Capture,
    CapturedResponse,
    CaptureFilter,
    CaptureStore,
    content_fingerprint,
    iso,
    parse_time,
    utc_now,
)
from telcli.validate import shown

Header = tuple[str, str]

# RFC 9110 §7.6.1: connection-specific fields a proxy must not forward.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)


def hop_by_hop(headers: Sequence[Header]) -> frozenset[str]:
    """The hop-by-hop names of one message: the fixed set plus any the Connection header lists."""
    extra = {
        token.strip().lower()
        for name, value in headers
        if name.lower() == "connection"
        for token in value.split(",")
        if token.strip()
    }
    return HOP_BY_HOP | extra


def end_to_end(headers: Sequence[Header]) -> tuple[Header, ...]:
    drop = hop_by_hop(headers)
    return tuple((n, v) for n, v in headers if n.lower() not in drop)


# --- labelling -----------------------------------------------------------------------------


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def _dig(data: Any, *path: str) -> str | None:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data if isinstance(data, str) and data else None


def sid_of(provider: str | None, headers: Sequence[Header], body: bytes) -> str | None:
    """The call or message id a delivery is about, for ``webhook list --sid``."""
    if provider == "twilio":
        from telcli.webhooks import twilio

        params = dict(reversed(twilio.form_params(body)))
        return next((params[k] for k in ("CallSid", "MessageSid", "SmsSid") if params.get(k)), None)
    from telcli.webhooks._common import label_json

    data = label_json(body)
    if provider == "telnyx":
        payload = (data or {}).get("data", {}).get("payload") if isinstance(data, dict) else None
        event = _dig(data, "data", "event_type") or ""
        if event.startswith("message."):
            return _dig(payload, "id")
        return _dig(payload, "call_control_id") or _dig(payload, "call_session_id")
    if provider == "vapi":
        return _dig(data, "message", "call", "id")
    if provider == "livekit":
        return _dig(data, "room", "sid")
    return None


def numbers_of(provider: str | None, body: bytes) -> set[str]:
    """The phone numbers a delivery is to or from (for ``webhook list --tenant``).

    Twilio: To, From, Called, Caller. Telnyx: ``data.payload.to`` / ``from`` (a string on
    call events; on message events ``from`` is an object and ``to`` a list of them, each
    with ``phone_number``). VAPI: the imported number (``message.phoneNumber.number``) and the
    customer (``message.customer.number``, ``message.call.customer.number``)."""
    found: set[str] = set()
    if provider == "twilio":
        from telcli.webhooks import twilio

        keys = {"To", "From", "Called", "Caller"}
        found = {v for k, v in twilio.form_params(body) if k in keys and v}
    elif provider == "telnyx":
        payload = _dig_any(_json(body), "data", "payload")
        for key in ("to", "from"):
            value = payload.get(key) if isinstance(payload, dict) else None
            items = value if isinstance(value, list) else [value]
            for item in items:
                number = item.get("phone_number") if isinstance(item, dict) else item
                if isinstance(number, str) and number:
                    found.add(number)
    elif provider == "vapi":
        data = _json(body)
        for path in (
            ("message", "phoneNumber", "number"),
            ("message", "customer", "number"),
            ("message", "call", "customer", "number"),
        ):
            number = _dig(data, *path)
            if number:
                found.add(number)
    return found


def _dig_any(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def tenant_captures(
    store: Any, flt: Any, carriers: Sequence[Any], tenant: str, *, notify: Any = None
) -> list[Capture]:
    """The captures matching ``flt`` that are to or from a number the carriers record for
    ``tenant``. PartialFailure (exit 7) when a carrier could not be asked: it may hold some
    of the tenant's numbers, and a short list would read as "nothing there"."""
    from telcli.errors import PartialFailure
    from telcli.services import numbers as numbers_svc

    owned = numbers_svc.list_owned(carriers, tenant=tenant, notify=notify or (lambda _: None))
    if owned.errors:
        names = " and ".join(dict.fromkeys(e.provider for e in owned.errors))
        raise PartialFailure(
            f"cannot tell which captures are tenant {tenant}'s: {names} could not be asked",
            hint="check `telcli providers status`, then run the command again",
        )
    numbers = {n.phone_number for n in owned}
    return for_numbers(store.iter(replace(flt, limit=None)), numbers, flt.limit)


def for_numbers(
    captures: Iterable[Capture], numbers: Collection[str], limit: int | None
) -> list[Capture]:
    """The captures to or from any of ``numbers`` (newest first as given), at most
    ``limit``. Reads the store lazily: stops once ``limit`` captures matched."""
    wanted = set(numbers)
    found: list[Capture] = []
    if not wanted:
        return found
    for capture in captures:
        if numbers_of(capture.provider, capture.body) & wanted:
            found.append(capture)
            if limit and len(found) >= limit:
                break
    return found


def normalize_stored(store: CaptureStore) -> int:
    """Give captures stored before events were normalised their event (once; a no-op after).
    Returns how many were done."""
    from telcli.webhooks.events import normalize

    done = 0
    while batch := store.unnormalized():
        events = []
        for c in batch:
            meaning = normalize(c.provider, c.headers, c.body, c.url)
            events.append((c.id, None if meaning is None else meaning.to_json()))
        store.set_events(events)
        done += len(batch)
    return done


def label(capture: Capture, provider: str | None = None) -> Capture:
    """Fill provider, event type and SID from the request (``provider`` forces the provider)."""
    from telcli import webhooks

    found = provider or webhooks.detect_provider(list(capture.headers), capture.body)
    try:
        event = webhooks.event_type(found, list(capture.headers), capture.body)
    except (ValueError, KeyError):
        event = None
    return replace(
        capture,
        provider=found,
        event_type=event,
        event=event_of(capture, found),
        sid=sid_of(found, capture.headers, capture.body),
    )


def event_of(capture: Capture, provider: str | None) -> dict[str, Any] | None:
    """The normalised event record of a capture (telcli.webhooks.events), as stored."""
    from telcli.webhooks.events import normalize

    meaning = normalize(provider, capture.headers, capture.body, capture.url)
    return None if meaning is None else meaning.to_json()


# --- import --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportResult:
    format: str
    added: list[Capture]
    duplicates: int

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "added": len(self.added),
            "duplicates": self.duplicates,
            "ids": [c.id for c in self.added],
        }


_REQUEST_LINE = re.compile(rb"^([A-Z]+) (\S+) HTTP/1\.[01]\r?$")
# RFC 9110 §9.1: a method is a token (a short one: nothing registered is longer than 20).
_METHOD = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,32}")
# A captured URL telcli can send again: httpx refuses URLs over 65,536 characters, and
# replay puts --to's scheme and host (at most 2,048) in front of the captured path and query.
MAX_CAPTURED_URL = 60_000


def request_problem(method: str, url: str) -> str | None:
    """Why a captured request line could not be sent again (None when it can): a method that
    is not an HTTP token, or a URL that is too long, holds control characters or does not
    parse (``http://[::1``, a port beyond 65535)."""
    from urllib.parse import urlsplit

    if not _METHOD.fullmatch(method):
        return f"method {shown(method)} is not an HTTP method"
    if len(url) > MAX_CAPTURED_URL:
        return f"the URL is longer than {MAX_CAPTURED_URL:,} characters"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return f"the URL {shown(url)} holds a control character"
    try:
        urlsplit(url).port  # noqa: B018 (raises ValueError for a bad host or port)
    except ValueError:
        return f"the URL {shown(url)} cannot be parsed"
    return None


def _text_only(value: Any, name: str, where: str) -> None:
    """JSON may spell a lone surrogate (``"\\ud800"``): it is not text, and nothing can store
    or send it."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise _fail(name, where, "holds a \\uD800-style escape that is not text") from None
    except RecursionError:
        raise _fail(name, where, "JSON nested too deeply") from None


_DIGITS = re.compile(r"[0-9]{1,20}")
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")


def detect_format(data: bytes) -> str:
    """``ndjson`` (telcli's export), ``har`` or ``http`` (raw HTTP/1.1 request text)."""
    head = data.lstrip()
    first_line = head.split(b"\n", 1)[0]
    if _REQUEST_LINE.match(first_line.rstrip(b"\n")):
        return "http"
    if head.startswith(b"{"):
        try:
            whole = json.loads(data)
        except (ValueError, RecursionError):
            return "ndjson"
        if isinstance(whole, dict) and isinstance(whole.get("log"), dict):
            return "har"
        return "ndjson"
    raise UsageProblem(
        "unrecognised capture file: expected NDJSON (telcli webhook export), a HAR file or a"
        " raw HTTP/1.1 request",
        hint="raw requests start with a request line such as 'POST /twilio/voice HTTP/1.1'",
    )


def parse_captures(
    data: bytes, *, name: str = "FILE", fmt: str | None = None
) -> tuple[str, list[Capture]]:
    """Parse a capture file into unstored captures (all or nothing: the first bad record
    raises ``UsageProblem`` naming where it is)."""
    fmt = fmt or detect_format(data)
    if fmt == "ndjson":
        return fmt, list(_parse_ndjson(data, name))
    if fmt == "har":
        return fmt, list(_parse_har(data, name))
    if fmt == "http":
        return fmt, list(_parse_http(data, name))
    raise UsageProblem(f"unknown capture format {fmt!r}", hint="use ndjson, har or http")


def import_file(
    store: CaptureStore,
    path: Path,
    *,
    fmt: str | None = None,
    provider: str | None = None,
) -> ImportResult:
    """Read, parse, label and store a capture file in one transaction. Re-importing the same
    captures adds nothing (they are fingerprinted by time, request line, headers and body)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageProblem(f"cannot read {path}: {exc.strerror or exc}") from None
    if not data.strip():
        raise UsageProblem(f"{path} is empty: no captures to import")
    fmt, parsed = parse_captures(data, name=str(path), fmt=fmt)
    if not parsed:
        raise UsageProblem(f"{path} holds no captures")
    ready = []
    now = utc_now()
    for c in parsed:
        c = replace(c, source="import")
        if provider or not c.provider:
            c = label(c, provider)
        elif c.event_type is None and c.sid is None:
            c = label(c, c.provider)
        else:  # labelled by telcli's export: keep its labels, read its event (and event id)
            c = replace(c, event=event_of(c, c.provider))
        # The fingerprint covers the received time only when the file records one, so
        # re-importing a raw request (which carries no time) is a no-op too.
        c = replace(c, fingerprint=content_fingerprint(c))
        ready.append(replace(c, received_at=c.received_at or now))
    stored = store.add_many(ready)
    added = [c for c in stored if c.id > 0]
    return ImportResult(fmt, added, len(stored) - len(added))


def _fail(name: str, where: str, what: str) -> UsageProblem:
    return UsageProblem(
        f"{name} {where}: {what}", hint="the capture file is malformed; nothing was imported"
    )


def _request_line(method: str, url: str, name: str, where: str) -> None:
    problem = request_problem(method.upper(), url)
    if problem is not None:
        raise _fail(name, where, problem)


def _pairs(value: Any, name: str, where: str) -> tuple[Header, ...]:
    if not isinstance(value, list):
        raise _fail(name, where, "headers must be a list of [name, value] pairs")
    out = []
    for pair in value:
        if isinstance(pair, dict) and "name" in pair:
            pair = [pair.get("name"), pair.get("value", "")]
        if (
            not isinstance(pair, list | tuple)
            or len(pair) != 2
            or not isinstance(pair[0], str)
            or not isinstance(pair[1], str)
            or not pair[0]
        ):
            raise _fail(name, where, f"bad header entry {pair!r:.60}")
        out.append((pair[0], pair[1]))
    return tuple(out)


def _status(value: Any, name: str, where: str) -> int | None:
    """An HTTP status as recorded: None, or an integer 100-999 (HAR may give it as text)."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 999:
        raise _fail(name, where, f"response status {value!r:.40} is not an HTTP status")
    return value


def _latency(value: Any, name: str, where: str) -> float | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value < 1e12
    ):
        raise _fail(name, where, f"latency_ms {value!r:.40} is not a duration in milliseconds")
    return float(value)


def _text(value: Any, key: str, name: str, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _fail(name, where, f"{key} must be a string")


def _b64(value: Any, name: str, where: str) -> bytes:
    if not isinstance(value, str):
        raise _fail(name, where, "body_b64 must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _fail(name, where, "body_b64 is not valid base64") from None


def _time(value: Any, name: str, where: str) -> str:
    if value is None:
        return ""  # unknown: the import time is filled in after fingerprinting
    try:
        return iso(parse_time(str(value)))
    except (ValueError, OverflowError, OSError):  # malformed, or beyond datetime's range
        raise _fail(name, where, f"received_at {value!r:.40} is not an ISO-8601 time") from None


def _body(obj: dict[str, Any], name: str, where: str) -> bytes:
    if obj.get("body_b64") is not None:
        return _b64(obj["body_b64"], name, where)
    text = obj.get("body", "")
    if not isinstance(text, str):
        raise _fail(name, where, "body must be a string (or give body_b64)")
    return text.encode("utf-8")


def _parse_ndjson(data: bytes, name: str) -> Iterator[Capture]:
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            obj = json.loads(line)
        except ValueError as exc:  # JSONDecodeError, or bytes that are not UTF-8
            why = (
                exc.msg
                if isinstance(exc, json.JSONDecodeError)
                else "not UTF-8"
                if isinstance(exc, UnicodeDecodeError)
                else str(exc).split(";")[0]  # an integer over Python's 4,300-digit limit
            )
            raise _fail(name, where, f"not JSON ({why})") from None
        except RecursionError:
            raise _fail(name, where, "JSON nested too deeply") from None
        if not isinstance(obj, dict):
            raise _fail(name, where, "each line must be a JSON object")
        for key in ("method", "url"):
            if not isinstance(obj.get(key), str) or not obj[key]:
                raise _fail(name, where, f"missing {key!r}")
        _text_only(obj, name, where)
        _request_line(obj["method"], obj["url"], name, where)
        response = None
        raw = obj.get("response")
        if isinstance(raw, dict):
            response = CapturedResponse(
                status=_status(raw.get("status"), name, where),
                headers=_pairs(raw.get("headers", []), name, where),
                body=_body(raw, name, where),
                latency_ms=_latency(raw.get("latency_ms"), name, where),
                error=_text(raw.get("error"), "response.error", name, where),
            )
        elif raw is not None:
            raise _fail(name, where, "response must be an object")
        yield Capture(
            method=obj["method"].upper(),
            url=obj["url"],
            headers=_pairs(obj.get("headers", []), name, where),
            body=_body(obj, name, where),
            received_at=_time(obj.get("received_at"), name, where),
            provider=obj.get("provider") if isinstance(obj.get("provider"), str) else None,
            event_type=obj.get("event_type") if isinstance(obj.get("event_type"), str) else None,
            sid=obj.get("sid") if isinstance(obj.get("sid"), str) else None,
            forwarded_to=obj.get("forwarded_to")
            if isinstance(obj.get("forwarded_to"), str)
            else None,
            response=response,
        )


def _har_body(container: Any, name: str, where: str) -> bytes:
    """A HAR postData/content body. ``encoding: base64`` (HAR 1.2 §content) is decoded."""
    if not isinstance(container, dict):
        return b""
    text = container.get("text")
    params = container.get("params")
    if text is None and params:
        from urllib.parse import quote_plus

        if not isinstance(params, list) or not all(
            isinstance(p, dict)
            and isinstance(p.get("name", ""), str)
            and isinstance(p.get("value", ""), str)
            for p in params
        ):
            raise _fail(name, where, "postData.params must be a list of {name, value} strings")
        # Only the parsed params were recorded: rebuild the form (not byte-exact by nature).
        return "&".join(
            f"{quote_plus(p.get('name', ''))}={quote_plus(p.get('value', ''))}" for p in params
        ).encode("utf-8")
    if not isinstance(text, str):
        return b""
    if container.get("encoding") == "base64":
        return _b64(text, name, where)
    return text.encode("utf-8")


def _parse_har(data: bytes, name: str) -> Iterator[Capture]:
    try:
        whole = json.loads(data)
    except (ValueError, RecursionError):
        raise _fail(name, "", "not a HAR file (not JSON)") from None
    log = whole.get("log") if isinstance(whole, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise _fail(name, "log", "a HAR file needs log.entries")
    for index, entry in enumerate(entries):
        where = f"entry {index}"
        request = entry.get("request") if isinstance(entry, dict) else None
        if (
            not isinstance(request, dict)
            or not isinstance(request.get("url"), str)
            or not isinstance(request.get("method"), str)
            or not request["url"]
            or not request["method"]
        ):
            raise _fail(name, where, "missing request.method or request.url")
        _text_only(entry, name, where)
        _request_line(request["method"], request["url"], name, where)
        # HTTP/2 pseudo-headers (":authority") are not HTTP/1.1 headers.
        headers = tuple(
            h for h in _pairs(request.get("headers", []), name, where) if not h[0].startswith(":")
        )
        response = None
        raw = entry.get("response")
        # HAR records "no response" as status 0.
        if isinstance(raw, dict) and raw.get("status") not in (None, 0, "0", ""):
            response = CapturedResponse(
                status=_status(raw["status"], name, where),
                headers=tuple(
                    h
                    for h in _pairs(raw.get("headers", []), name, where)
                    if not h[0].startswith(":")
                ),
                body=_har_body(raw.get("content"), name, where),
                # HAR's "time" is -1 when unknown.
                latency_ms=_latency(entry["time"], name, where)
                if isinstance(entry.get("time"), int | float) and entry["time"] >= 0
                else None,
            )
        yield Capture(
            method=str(request["method"]).upper(),
            url=str(request["url"]),
            headers=headers,
            body=_har_body(request.get("postData"), name, where),
            received_at=_time(entry.get("startedDateTime"), name, where),
            response=response,
        )


def _parse_http(data: bytes, name: str) -> Iterator[Capture]:
    """One or more raw HTTP/1.1 requests, back to back (CRLF or bare LF line ends). The body
    is Content-Length bytes, chunked, or (for the last request) the rest of the file."""
    pos = 0
    number = 0
    while True:
        while data[pos : pos + 2] in (b"\r\n",) or data[pos : pos + 1] == b"\n":
            pos += 2 if data[pos : pos + 2] == b"\r\n" else 1
        if pos >= len(data):
            return
        number += 1
        where = f"request {number}"
        end = data.find(b"\n", pos)
        if end < 0:
            raise _fail(name, where, "no header section")
        match = _REQUEST_LINE.match(data[pos:end])
        if not match:
            raise _fail(name, where, f"bad request line {data[pos:end][:60]!r}")
        method, target = match.group(1).decode(), match.group(2).decode("latin-1")
        _request_line(method, target, name, where)
        pos = end + 1
        headers: list[Header] = []
        while True:
            end = data.find(b"\n", pos)
            if end < 0:
                raise _fail(name, where, "headers do not end with a blank line")
            line = data[pos:end].rstrip(b"\r")
            pos = end + 1
            if not line:
                break
            key, sep, value = line.partition(b":")
            if not sep or not key or key != key.strip():
                raise _fail(name, where, f"bad header line {line[:60]!r}")
            headers.append((key.decode("latin-1"), value.strip(b" \t").decode("latin-1")))
        lookup = {k.lower(): v for k, v in reversed(headers)}
        if "chunked" in lookup.get("transfer-encoding", "").lower():
            body, pos = _dechunk(data, pos, name, where)
        elif "content-length" in lookup:
            length = lookup["content-length"].strip()
            if not _DIGITS.fullmatch(length):
                raise _fail(name, where, f"Content-Length {shown(length)} is not a byte count")
            size = int(length)
            if pos + size > len(data):
                raise _fail(name, where, f"body is shorter than Content-Length {size}")
            body, pos = data[pos : pos + size], pos + size
        else:
            body, pos = data[pos:], len(data)
        yield Capture(
            method=method,
            url=_absolute(target, lookup.get("host")),
            headers=tuple(headers),
            body=body,
            received_at="",
        )


def _dechunk(data: bytes, pos: int, name: str, where: str) -> tuple[bytes, int]:
    out = bytearray()
    while True:
        end = data.find(b"\n", pos)
        if end < 0:
            raise _fail(name, where, "truncated chunked body")
        field = data[pos:end].split(b";")[0].strip()
        if not _CHUNK_SIZE.fullmatch(field):
            raise _fail(name, where, f"bad chunk size {field[:20]!r}")
        size = int(field, 16)
        pos = end + 1
        if size == 0:
            while True:  # trailers, then the blank line
                end = data.find(b"\n", pos)
                line = data[pos : end if end >= 0 else len(data)].rstrip(b"\r")
                pos = len(data) if end < 0 else end + 1
                if not line:
                    return bytes(out), pos
        if pos + size > len(data):
            raise _fail(name, where, "truncated chunked body")
        out += data[pos : pos + size]
        pos += size
        if data[pos : pos + 2] == b"\r\n":
            pos += 2
        elif data[pos : pos + 1] == b"\n":
            pos += 1


def _absolute(target: str, host: str | None) -> str:
    if "://" in target:
        return target
    if not host:
        raise UsageProblem(
            f"request target {target!r} has no Host header to make a URL from",
            hint="add a Host header to the request text",
        )
    # The text does not say whether it came over TLS: loopback is http, anything else https
    # (providers only deliver to public https URLs).
    bare = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    local = bare in ("localhost", "127.0.0.1", "[::1]") or bare.startswith("127.")
    return f"{'http' if local else 'https'}://{host}{target}"


# --- export, inspect -----------------------------------------------------------------------


def older_than(value: str, *, now: float | None = None) -> str:
    """``--older-than 30d`` (a duration back from now, as --since takes) as an ISO-8601 time."""
    cutoff = since_filter(value, now=now, flag="--older-than")
    assert cutoff is not None
    return cutoff


def apply_retention(store: CaptureStore, days: int | None, *, now: float | None = None) -> int:
    """Delete captures older than ``days`` (``webhooks.retention_days``); how many went."""
    if not days:
        return 0
    return store.delete(CaptureFilter(before=older_than(f"{days}d", now=now), newest_first=False))


def export_lines(store: CaptureStore, flt: CaptureFilter, *, redact: bool = False) -> Iterator[str]:
    """NDJSON lines of the export format, oldest first (the order to replay them in);
    ``redact`` masks numbers, message text and credentials (services/redact.py)."""
    from telcli.services.redact import redact as redacted

    for capture in store.iter(replace(flt, newest_first=False)):
        if redact:
            capture = redacted(capture)
        yield json.dumps(capture.to_json(), ensure_ascii=True, separators=(",", ":"))


def event_lines(store: CaptureStore, flt: CaptureFilter, *, redact: bool = False) -> Iterator[str]:
    """NDJSON of the normalised event records (``export --normalized``), oldest first, each
    with its ``capture_id`` and how many times it was delivered."""
    from telcli.services.redact import redact as redacted

    normalize_stored(store)
    for capture in store.iter(replace(flt, newest_first=False)):
        if redact:
            capture = redacted(capture)
        if capture.event is not None:
            record = {**capture.event, "capture_id": capture.id, "deliveries": capture.deliveries}
            yield json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def get_captures(store: CaptureStore, ids: Sequence[int]) -> list[Capture]:
    """The captures with these ids, in the order given; a missing id is a usage error."""
    found = {c.id: c for c in store.query(CaptureFilter(ids=tuple(ids), limit=None))}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise UsageProblem(
            f"no capture with id {', '.join(missing)}", hint="list them with `telcli webhook list`"
        )
    return [found[i] for i in ids]


def decode_body(capture: Capture) -> dict[str, Any]:
    """How ``webhook show`` presents a body: form pairs, parsed JSON, text or base64."""
    body = capture.body
    ctype = (capture.content_type or "").split(";")[0].strip().lower()
    if ctype == "application/x-www-form-urlencoded" or (
        not ctype and b"=" in body and b"{" not in body[:1]
    ):
        from telcli.webhooks.twilio import form_params

        return {"kind": "form", "params": [list(p) for p in form_params(body)]}
    data = _json(body) if body else None
    if data is not None:
        return {"kind": "json", "value": data}
    try:
        return {"kind": "text", "text": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"kind": "binary", "base64": base64.b64encode(body).decode("ascii")}


@dataclass(frozen=True, slots=True)
class Keys:
    """Secrets for verifying and re-signing; never stored, printed or logged."""

    secret: str | None = None
    public_key: str | None = None
    private_key: str | None = None
    api_key: str | None = None
    plan: Any = None  # webhooks.vapi.HmacPlan

    def any_for(self, scheme: str | None) -> bool:
        if scheme == "telnyx":
            return bool(self.public_key or self.private_key)
        if scheme in ("twilio", "vapi", "hmac-sha256", "livekit"):
            return bool(self.secret)
        return False


def verify_capture(
    capture: Capture,
    keys: Keys,
    *,
    scheme: str | None = None,
    url: str | None = None,
    now: float | None = None,
) -> Any:
    """The signature verdict for a capture (``webhooks.Verdict``), or None when no key is known
    for its scheme. ``url`` overrides the URL Twilio signed (default: the URL as received)."""
    from telcli import webhooks

    scheme = scheme or capture.provider
    if scheme not in webhooks.SCHEMES or not keys.any_for(scheme):
        return None
    common: dict[str, Any] = {
        "body": capture.body,
        "headers": list(capture.headers),
        "now": now,
        "explain": True,
    }
    if scheme == "twilio":
        return webhooks.verify(
            "twilio",
            url=url or capture.url,
            content_type=capture.content_type,
            secret=keys.secret,
            **common,
        )
    if scheme == "telnyx":
        return webhooks.verify(
            "telnyx",
            public_key=keys.public_key,
            private_key=None if keys.public_key else keys.private_key,
            **common,
        )
    if scheme == "vapi":
        return webhooks.verify(
            "vapi", secret=keys.secret, plan=keys.plan, url=url or capture.url, **common
        )
    if scheme == "livekit":
        return webhooks.verify("livekit", secret=keys.secret, api_key=keys.api_key, **common)
    return webhooks.verify("hmac-sha256", secret=keys.secret, **common)


def since_filter(
    value: str | None, *, now: float | None = None, flag: str = "--since"
) -> str | None:
    """``--since``: an ISO-8601 time, or a duration back from now (``90s``, ``15m``, ``2h``,
    ``7d``); returned as ISO-8601 UTC for the store. ``flag`` names the option in errors."""
    if value is None:
        return None
    import time
    from datetime import UTC, datetime, timedelta

    m = re.fullmatch(r"\s*([0-9]{1,12})\s*([smhd])\s*", value)
    try:
        if m:
            seconds = int(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
            base = datetime.fromtimestamp(time.time() if now is None else now, UTC)
            return iso(base - timedelta(seconds=seconds))
        return iso(parse_time(value))
    except (ValueError, OverflowError, OSError):  # malformed, or before year 1
        raise UsageProblem(
            f"{flag} {value[:40]!r} is neither a time nor a duration",
            hint=f"e.g. {flag} 2h, {flag} 2026-11-22T10:00:00Z",
        ) from None


# --- pull (Telnyx GetWebhookDeliveries) ----------------------------------------------------


def _delivery_headers(raw: Any) -> tuple[Header, ...]:
    """Attempt request headers: [name, value] pairs, or "Name: value" strings (both appear in
    the spec's examples)."""
    out: list[Header] = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, list | tuple) and len(item) == 2:
            out.append((str(item[0]), str(item[1])))
        elif isinstance(item, str) and ":" in item:
            name, _, value = item.partition(":")
            out.append((name.strip(), value.strip()))
    return tuple(out)


def _ms_between(start: Any, end: Any) -> float | None:
    try:
        return (parse_time(str(end)) - parse_time(str(start))).total_seconds() * 1000
    except ValueError:
        return None


def _attempt_error(attempt: dict[str, Any]) -> str | None:
    errors = attempt.get("errors") or []
    if not errors:
        return None
    parts = []
    for e in errors:
        if isinstance(e, dict):
            parts.append(
                " ".join(str(x) for x in (e.get("code"), e.get("title"), e.get("detail")) if x)
            )
        else:
            parts.append(str(e))
    return "telnyx error " + "; ".join(parts)


def delivery_captures(record: dict[str, Any]) -> list[Capture]:
    """One capture per attempt of a Telnyx ``webhook_delivery`` record (oldest first).

    Telnyx reports the event, not the bytes it sent: the body is rebuilt as the compact
    envelope ``{"data": <webhook>}``, so captured signatures (when listed in the attempt's
    headers) will not verify against it; re-sign with a test key to replay.
    """
    webhook = record.get("webhook") or {}
    body = json.dumps({"data": webhook}, separators=(",", ":"), ensure_ascii=False).encode()
    attempts = [a for a in record.get("attempts") or [] if isinstance(a, dict)]
    out = []
    for index, attempt in enumerate(reversed(attempts)):  # the spec lists newest first
        http = attempt.get("http") or {}
        request = http.get("request") or {}
        headers = _delivery_headers(request.get("headers"))
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers = (*headers, ("Content-Type", "application/json"))
        answer = http.get("response") or http.get("reponse")  # the spec's example misspells it
        error = _attempt_error(attempt)
        response = None
        if isinstance(answer, dict) or error:
            answer = answer if isinstance(answer, dict) else {}
            text = answer.get("body")
            response = CapturedResponse(
                status=answer.get("status") if isinstance(answer.get("status"), int) else None,
                headers=_delivery_headers(answer.get("headers")),
                body=text.encode("utf-8") if isinstance(text, str) else b"",
                latency_ms=_ms_between(attempt.get("started_at"), attempt.get("finished_at")),
                error=error,
            )
        started = attempt.get("started_at") or record.get("started_at")
        capture = Capture(
            method="POST",
            url=str(request.get("url") or ""),
            headers=headers,
            body=body,
            received_at=iso(parse_time(started)) if started else utc_now(),
            source="pull",
            forwarded_to=None,
            response=response,
            fingerprint=f"telnyx-delivery:{record.get('id')}:{index}",
        )
        out.append(label(capture, "telnyx"))
    return out


def pull_telnyx(
    provider: Any,
    store: CaptureStore,
    *,
    since: str | None = None,
    event_type: str | None = None,
    status: str | None = None,
    limit: int | None = None,
) -> tuple[int, list[Capture], int]:
    """Fetch delivery records and store their attempts. Returns (records fetched, new
    captures, attempts already stored). Re-pulling stores nothing twice."""
    records = provider.webhook_deliveries(
        since=since, event_type=event_type, status=status, limit=limit
    )
    captures = sorted(
        (c for r in records if r.get("id") for c in delivery_captures(r)),
        key=lambda c: c.received_at,
    )  # stored oldest first, so ids follow time
    stored = store.add_many(captures) if captures else []
    added = [c for c in stored if c.id > 0]
    return len(records), added, len(stored) - len(added)
