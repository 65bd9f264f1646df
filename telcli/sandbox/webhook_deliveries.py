"""Telnyx ``GetWebhookDeliveries`` (GET /v2/webhook_deliveries) for the sandbox.

Deliveries are sandbox resources (provider ``telnyx``, kind ``webhook_delivery``), shaped as
the spec's ``webhook_delivery`` record: ``id``, ``record_type``, ``status``, ``started_at``,
``finished_at``, ``user_id``, ``webhook`` (the event: ``event_type``, ``id``,
``occurred_at``, ``payload``, ``record_type``) and ``attempts`` (newest first, each with
``http.request`` url and headers as [name, value] pairs, and ``http.response``). Whatever
sends webhooks in the sandbox records them with :func:`record_delivery`.

Filters honoured: ``filter[status][eq]``, ``filter[event_type]`` (comma-separated),
``filter[webhook][contains]``, ``filter[started_at][gte|lte]``; pages with
``page[number]``/``page[size]`` (size 1..250, default 20).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from telcli.sandbox.state import SandboxState
from telcli.sandbox.wire import ApiError, Request, Response, json_response, route

KIND = "webhook_delivery"
USER_ID = "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0"


def record_delivery(
    state: SandboxState,
    *,
    event: dict[str, Any],
    url: str,
    request_headers: list[tuple[str, str]],
    status: int | None,
    response_body: str = "",
    started_at: str,
    finished_at: str,
    error: str | None = None,
) -> dict[str, Any]:
    """Store one delivery (one attempt) as Telnyx would report it; returns the record."""
    delivered = status is not None and 200 <= status < 300
    attempt: dict[str, Any] = {
        "status": "delivered" if delivered else "failed",
        "started_at": started_at,
        "finished_at": finished_at,
        "http": {
            "request": {"url": url, "headers": [list(h) for h in request_headers]},
            "response": None
            if status is None
            else {"status": status, "headers": [], "body": response_body},
        },
    }
    if not delivered:
        attempt["errors"] = [75499] if error is None else [{"code": "75001", "detail": error}]
    record = {
        "id": str(uuid.uuid4()),
        "record_type": "webhook_delivery",
        "status": attempt["status"],
        "started_at": started_at,
        "finished_at": finished_at,
        "user_id": USER_ID,
        "webhook": event,
        "attempts": [attempt],
    }
    state.add_resource("telnyx", KIND, record["id"], record)
    return record


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = dict(request.query_items).get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ApiError(
            json_response(
                400,
                {
                    "errors": [
                        {
                            "code": "10015",
                            "title": "Bad Request",
                            "detail": f"{name} must be an integer from {low} to {high}",
                            "source": {"parameter": name},
                        }
                    ]
                },
            )
        )
    return int(raw)


def list_deliveries(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    query = dict(request.query_items)
    records = list(reversed(state.list_resources("telnyx", KIND)))  # newest first
    status = query.get("filter[status][eq]")
    if status:
        records = [r for r in records if r.get("status") == status]
    types = {t.strip() for t in (query.get("filter[event_type]") or "").split(",") if t.strip()}
    if types:
        records = [r for r in records if (r.get("webhook") or {}).get("event_type") in types]
    contains = query.get("filter[webhook][contains]")
    if contains:
        records = [r for r in records if contains in json.dumps(r.get("webhook"))]
    # ISO-8601 UTC strings of one format compare in time order.
    gte, lte = query.get("filter[started_at][gte]"), query.get("filter[started_at][lte]")
    if gte:
        records = [r for r in records if r.get("started_at", "") >= gte]
    if lte:
        records = [r for r in records if r.get("started_at", "") <= lte]
    number = _int(request, "page[number]", 1, 1, 10**6)
    size = _int(request, "page[size]", 20, 1, 250)
    page = records[(number - 1) * size : number * size]
    total_pages = max(1, -(-len(records) // size))
    meta = {
        "page_number": number,
        "page_size": size,
        "total_pages": total_pages,
        "total_results": len(records),
    }
    return json_response(200, {"data": page, "meta": meta})


TELNYX_ROUTES = [
    route("GET", "/v2/webhook_deliveries", "telnyx.webhook_deliveries.list", list_deliveries),
]
