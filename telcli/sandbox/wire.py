"""Requests, responses and routes as the sandbox's handlers see them (stdlib only).

The in-process transport and the loopback server both reduce an HTTP exchange to a
:class:`Request` and expect a :class:`Response` back, so every provider handler is a plain
function of ``(state, request, path params)``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from telcli.sandbox.state import SandboxState


class Response(NamedTuple):
    """What the core returns: unpacks as ``status, headers, body``."""

    status: int
    headers: dict[str, str]
    body: bytes


class ApiError(Exception):
    """Raised anywhere inside a handler to answer with ``response`` (a provider error body)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


class DropConnection(Exception):
    """Close the connection without any response (the "lost response" fault).

    The transport turns it into ``httpx.RemoteProtocolError``; the server closes the socket.
    Whatever the handler committed before stays committed, exactly like a real provider whose
    answer never reached the client.
    """


@dataclass(frozen=True)
class Request:
    method: str
    host: str
    path: str
    query: str  # raw query string, without "?"
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    # Where the client reaches each emulated host when the sandbox is served over HTTP
    # (``sandbox serve``: host -> "http://127.0.0.1:4780/vapi"), for URLs a handler hands out
    # (a VAPI call's controlUrl); empty in process, where the real host names are used.
    base_urls: Mapping[str, str] = field(default_factory=dict)

    def base_url(self, host: str) -> str:
        """The base URL a client reaches ``host`` at (``https://HOST`` in process)."""
        return self.base_urls.get(host) or f"https://{host}"

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @cached_property
    def query_items(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query, keep_blank_values=True)

    @cached_property
    def form_items(self) -> list[tuple[str, str]]:
        return parse_qsl(self.body.decode("utf-8", errors="replace"), keep_blank_values=True)

    def json(self) -> Any:
        """The JSON body; raises ValueError when it is not JSON."""
        return json.loads(self.body.decode("utf-8"))


Handler = Callable[["SandboxState", Request, dict[str, str]], Response]


@dataclass(frozen=True)
class Route:
    """One operation of one API. ``operation`` names it for the fault injector
    (``twilio.purchase``, ``telnyx.search``, ...)."""

    method: str
    pattern: re.Pattern[str]
    operation: str
    handler: Handler


def route(method: str, path: str, operation: str, handler: Handler) -> Route:
    """``path`` uses ``{name}`` for one path segment, e.g. ``/v2/phone_numbers/{id}``."""
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
    return Route(method, re.compile(f"^{regex}$"), operation, handler)


def match(routes: list[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for r in routes:
        if r.method == method:
            m = r.pattern.match(path)
            if m:
                return r, m.groupdict()
    return None


def json_response(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    all_headers = {"Content-Type": "application/json; charset=utf-8"}
    all_headers.update(headers or {})
    return Response(status, all_headers, body)


def empty_response(status: int = 204) -> Response:
    return Response(status, {}, b"")


@dataclass(frozen=True)
class Api:
    """One emulated API host (or a family of hosts served the same way)."""

    name: str
    authenticate: Callable[[Request], Response | None]
    routes: list[Route]
    not_found: Callable[[Request], Response]
