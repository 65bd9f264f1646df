"""The sandbox core: one function from an HTTP request to a response, shared by the in-process
transport and the loopback server.

Per request: pick the emulated API by host, authenticate, find the operation, then run it
between the fault hook's ``before`` and ``after``::

    host -> Api -> authenticate -> route (operation name) -> faults.before -> handler
                                                          -> faults.after  -> response

Operation names (what a fault injector keys on): ``twilio.account.fetch``, ``twilio.search``,
``twilio.purchase``, ``twilio.list``, ``twilio.fetch``, ``twilio.update``, ``twilio.release``,
``twilio.pricing``, ``twilio.pricing.countries``, ``telnyx.search``, ``telnyx.purchase``,
``telnyx.order.fetch``, ``telnyx.order.list``, ``telnyx.list``, ``telnyx.fetch``,
``telnyx.update``, ``telnyx.release``, ``telnyx.voice.fetch``, ``telnyx.voice.update``,
``telnyx.messaging.fetch``, ``telnyx.messaging.update``, ``telnyx.requirements``;
addresses (``addresses.py``): ``twilio.address.create|list|fetch|delete``,
``telnyx.address.create|list|fetch|delete``, ``telnyx.requirement_group.create|fetch``;
VAPI (``vapi.py``): ``vapi.assistant.list|fetch``, ``vapi.number.create|list|fetch|update|
delete``, ``vapi.credential.create|list``; a VAPI call's live call control (its
``monitor.controlUrl``, on its own host, ``lifecycles.py``): ``vapi.calls.control``.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Protocol

from telcli.sandbox import (
    TELNYX_API_HOST,
    TWILIO_API_HOST,
    TWILIO_PRICING_HOST,
    VAPI_API_HOST,
    VAPI_CONTROL_HOST,
    addresses,
    lifecycles,
    telnyx,
    twilio,
    vapi,
    webhook_deliveries,
)
from telcli.sandbox.state import SandboxState
from telcli.sandbox.wire import (
    Api,
    ApiError,
    DropConnection,
    Request,
    Response,
    Route,
    json_response,
    match,
)

__all__ = ["NO_FAULTS", "DropConnection", "FaultHook", "Response", "handle"]


class FaultHook(Protocol):
    """Consulted around every operation (the seam the fault injector plugs into).

    ``before`` may answer instead of the handler (an error status, a 429 with Retry-After), or
    sleep first (latency) and return None. ``after`` sees the handler's response once the
    handler has committed its effects, and may replace it, or raise ``DropConnection`` so that
    the client never receives it (a purchase that happened but whose answer was lost).
    """

    def before(self, operation: str, request: Request) -> Response | None: ...

    def after(self, operation: str, request: Request, response: Response) -> Response: ...


class _NoFaults:
    def before(self, operation: str, request: Request) -> Response | None:
        return None

    def after(self, operation: str, request: Request, response: Response) -> Response:
        return response


NO_FAULTS: FaultHook = _NoFaults()


def _with_routes(api: Api, *extra: list[Route]) -> Api:
    """``api`` plus routes served by other modules (addresses, ...), tried after its own."""
    return replace(api, routes=[*api.routes, *(r for routes in extra for r in routes)])


APIS: dict[str, Api] = {
    TWILIO_API_HOST: _with_routes(twilio.API, addresses.TWILIO_ROUTES, lifecycles.TWILIO_ROUTES),
    TWILIO_PRICING_HOST: _with_routes(twilio.PRICING_API, lifecycles.PRICING_ROUTES),
    TELNYX_API_HOST: _with_routes(
        telnyx.API,
        addresses.TELNYX_ROUTES,
        lifecycles.TELNYX_ROUTES,
        webhook_deliveries.TELNYX_ROUTES,
    ),
    VAPI_API_HOST: _with_routes(vapi.API, lifecycles.VAPI_ROUTES),
    VAPI_CONTROL_HOST: lifecycles.VAPI_CONTROL_API,
}


# Each API's request-id header, as the real one sends it on every answer (errors included):
# Twilio "Twilio-Request-Id: RQ" + 32 hex, Telnyx "x-request-id: <uuid>". VAPI's API document
# declares none, so the emulator sends none.
REQUEST_IDS: dict[str, tuple[str, Callable[[], str]]] = {
    TWILIO_API_HOST: ("Twilio-Request-Id", lambda: "RQ" + secrets.token_hex(16)),
    TWILIO_PRICING_HOST: ("Twilio-Request-Id", lambda: "RQ" + secrets.token_hex(16)),
    TELNYX_API_HOST: ("x-request-id", lambda: str(uuid.uuid4())),
}


def handle(
    state: SandboxState,
    method: str,
    host: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    faults: FaultHook | None = None,
    base_urls: Mapping[str, str] | None = None,
) -> Response:
    """Serve one request against ``state``. ``query`` is the raw query string (no ``?``).
    ``base_urls``: where the client reaches each emulated host, when served over HTTP
    (:attr:`telcli.sandbox.wire.Request.base_urls`).

    Returns ``(status, headers, body)``, with the API's request-id header. Raises
    ``DropConnection`` when a fault hook decides the response is lost; any other exception is
    a sandbox bug.
    """
    response = _handle(
        state, method, host, path, query, headers, body, faults=faults, base_urls=base_urls
    )
    stamp = REQUEST_IDS.get(host.lower().split(":", 1)[0])
    if stamp is None:
        return response
    name, make = stamp
    return Response(response.status, {**response.headers, name: make()}, response.body)


def _handle(
    state: SandboxState,
    method: str,
    host: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    faults: FaultHook | None = None,
    base_urls: Mapping[str, str] | None = None,
) -> Response:
    request = Request(
        method=method.upper(),
        host=host.lower().split(":", 1)[0],
        path=path,
        query=query,
        headers={k.lower(): v for k, v in headers.items()},
        body=body,
        base_urls=dict(base_urls or {}),
    )
    api = APIS.get(request.host)
    if api is None:
        return json_response(
            502,
            {
                "error": f"the telcli sandbox has no emulator for {request.host}",
                "hosts": sorted(APIS),
            },
        )
    denied = api.authenticate(request)
    if denied is not None:
        return denied
    found = match(api.routes, request.method, request.path)
    if found is None:
        return api.not_found(request)
    route, params = found
    hook = faults or NO_FAULTS
    early = hook.before(route.operation, request)
    if early is not None:
        return early
    try:
        response = route.handler(state, request, params)
    except ApiError as exc:
        response = exc.response
    return hook.after(route.operation, request, response)
