"""The sandbox as an ``httpx`` transport: requests never leave the process.

Routing is by the request's real host (``api.twilio.com``, ``pricing.twilio.com``,
``api.telnyx.com``, ``api.vapi.ai``), so providers keep their production base URLs and only
swap the transport. Every request opens and closes its own SQLite connection, so one
transport may be shared by threads, and several transports (or processes) may share a file.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from telcli.sandbox.app import DropConnection, FaultHook, handle
from telcli.sandbox.faults import answer_within
from telcli.sandbox.state import SandboxState


class SandboxTransport(httpx.BaseTransport):
    """Serve requests from the sandbox whose state lives in ``db_path``."""

    def __init__(self, db_path: Path, *, faults: FaultHook | None = None) -> None:
        self.state = SandboxState(db_path)
        self.faults = faults

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        # The client's read timeout (httpx puts it in the request), which injected latency
        # must not outlast: no socket here would time the request out.
        waits = (request.extensions.get("timeout") or {}).get("read")
        late = httpx.ReadTimeout(
            f"sandbox fault: no answer within the {waits} s read timeout (injected latency)",
            request=request,
        )
        patience = None
        try:
            with answer_within(waits) as patience:
                status, headers, content = handle(
                    self.state,
                    request.method,
                    request.url.host,
                    request.url.path,
                    request.url.query.decode("ascii"),
                    dict(request.headers),
                    body,
                    faults=self.faults,
                )
            if patience is not None and patience.late:
                raise late
        except DropConnection as exc:
            if patience is not None and patience.late:
                raise late from None  # the client gave up before the connection was cut
            if getattr(exc, "seconds", None) is not None:  # faults.Hang: no answer in time
                raise httpx.ReadTimeout("sandbox fault: timed out", request=request) from None
            # What httpx raises when a server hangs up instead of answering.
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None
        return httpx.Response(status, headers=headers, content=content, request=request)
