"""Fixtures for the sandbox tests: clients on the in-process transport, and a live server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from telcli.sandbox import SANDBOX_CREDENTIALS
from telcli.sandbox.server import SandboxServer, base_urls, make_server
from telcli.sandbox.transport import SandboxTransport

ACCOUNT_SID = SANDBOX_CREDENTIALS["twilio"]["account_sid"]
AUTH_TOKEN = SANDBOX_CREDENTIALS["twilio"]["auth_token"]
TELNYX_KEY = SANDBOX_CREDENTIALS["telnyx"]["api_key"]
ACC = f"/2010-04-01/Accounts/{ACCOUNT_SID}"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "sb.db"


@pytest.fixture
def transport(db_path: Path) -> SandboxTransport:
    return SandboxTransport(db_path)


def twilio_client(transport: httpx.BaseTransport, *, host: str = "api.twilio.com") -> httpx.Client:
    return httpx.Client(
        transport=transport, base_url=f"https://{host}", auth=(ACCOUNT_SID, AUTH_TOKEN)
    )


def telnyx_client(transport: httpx.BaseTransport) -> httpx.Client:
    return httpx.Client(
        transport=transport,
        base_url="https://api.telnyx.com/v2",
        headers={"Authorization": f"Bearer {TELNYX_KEY}"},
    )


@pytest.fixture
def twilio(transport: SandboxTransport) -> Iterator[httpx.Client]:
    with twilio_client(transport) as client:
        yield client


@pytest.fixture
def pricing(transport: SandboxTransport) -> Iterator[httpx.Client]:
    with twilio_client(transport, host="pricing.twilio.com") as client:
        yield client


@pytest.fixture
def telnyx(transport: SandboxTransport) -> Iterator[httpx.Client]:
    with telnyx_client(transport) as client:
        yield client


@pytest.fixture
def server(db_path: Path) -> Iterator[SandboxServer]:
    srv = make_server("127.0.0.1", 0, db_path)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(timeout=5)


@pytest.fixture
def urls(server: SandboxServer) -> dict[str, str]:
    return base_urls(server)


def available(client: httpx.Client, country: str = "US", kind: str = "Local", **params: object):
    response = client.get(f"{ACC}/AvailablePhoneNumbers/{country}/{kind}.json", params=params)
    assert response.status_code == 200, response.text
    return response.json()["available_phone_numbers"]


def buy_twilio(client: httpx.Client, phone_number: str, **fields: str) -> httpx.Response:
    return client.post(
        f"{ACC}/IncomingPhoneNumbers.json", data={"PhoneNumber": phone_number, **fields}
    )


def telnyx_search(client: httpx.Client, **filters: object) -> list[dict]:
    params = {f"filter[{k}]": v for k, v in filters.items()}
    response = client.get("/available_phone_numbers", params=params)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def telnyx_order(client: httpx.Client, *numbers: str, **fields: object) -> httpx.Response:
    body = {"phone_numbers": [{"phone_number": n} for n in numbers], **fields}
    return client.post("/number_orders", json=body)


def telnyx_number_id(client: httpx.Client, phone_number: str) -> str:
    response = client.get("/phone_numbers", params={"filter[phone_number]": phone_number})
    (record,) = response.json()["data"]
    return record["id"]
