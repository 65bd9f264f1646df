"""The loopback server: path-prefix routing to the same handlers, concurrency, clean shutdown,
and the fault-hook seam on both the server and the in-process transport."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from telcli.sandbox import SANDBOX_CREDENTIALS
from telcli.sandbox.app import DropConnection
from telcli.sandbox.server import base_urls, make_server
from telcli.sandbox.transport import SandboxTransport
from telcli.sandbox.wire import Request, Response, json_response

from .conftest import ACC, ACCOUNT_SID, AUTH_TOKEN, TELNYX_KEY, available, twilio_client


def _twilio(urls: dict[str, str]) -> httpx.Client:
    return httpx.Client(base_url=urls["twilio"], auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=10)


def test_base_urls_name_one_port(server) -> None:
    urls = base_urls(server)
    port = server.server_address[1]
    assert urls == {
        "twilio": f"http://127.0.0.1:{port}/twilio",
        "twilio_pricing": f"http://127.0.0.1:{port}/twilio-pricing",
        "telnyx": f"http://127.0.0.1:{port}/telnyx/v2",
        "vapi": f"http://127.0.0.1:{port}/vapi",
    }


def test_each_prefix_reaches_its_api(urls: dict[str, str]) -> None:
    with _twilio(urls) as twilio:
        assert twilio.get(f"{ACC}.json").json()["sid"] == ACCOUNT_SID
        numbers = twilio.get(f"{ACC}/AvailablePhoneNumbers/US/Local.json", params={"AreaCode": 512})
        assert numbers.json()["available_phone_numbers"][0]["phone_number"].startswith("+1512")
    pricing = httpx.get(
        f"{urls['twilio_pricing']}/v1/PhoneNumbers/Countries/US", auth=(ACCOUNT_SID, AUTH_TOKEN)
    )
    assert pricing.json()["price_unit"] == "USD"
    telnyx = httpx.get(
        f"{urls['telnyx']}/available_phone_numbers",
        params={"filter[country_code]": "ZA", "filter[limit]": 2},
        headers={"Authorization": f"Bearer {TELNYX_KEY}"},
    )
    assert [n["phone_number"][:3] for n in telnyx.json()["data"]] == ["+27", "+27"]
    vapi = httpx.get(
        f"{urls['vapi']}/assistant",
        headers={"Authorization": f"Bearer {SANDBOX_CREDENTIALS['vapi']['api_key']}"},
    )
    assert vapi.status_code == 200 and {a["name"] for a in vapi.json()} >= {"Receptionist"}
    assert httpx.get(f"{urls['vapi']}/assistant").status_code == 401
    root = urls["twilio"].rsplit("/", 1)[0]
    assert httpx.get(f"{root}/nowhere").status_code == 404
    assert httpx.get(f"{urls['telnyx']}/phone_numbers").status_code == 401


def test_unknown_host_on_the_transport_is_a_502(transport: SandboxTransport) -> None:
    with httpx.Client(transport=transport) as client:
        response = client.get("https://example.com/")
    assert response.status_code == 502


def test_server_and_transport_share_the_file(urls: dict[str, str], db_path: Path) -> None:
    with _twilio(urls) as over_http, twilio_client(SandboxTransport(db_path)) as in_process:
        number = available(in_process, AreaCode=808)[0]["phone_number"]
        sid = over_http.post(
            f"{ACC}/IncomingPhoneNumbers.json", data={"PhoneNumber": number}
        ).json()["sid"]
        assert in_process.get(f"{ACC}/IncomingPhoneNumbers/{sid}.json").status_code == 200


def test_concurrent_buyers_of_one_number_get_it_once(urls: dict[str, str]) -> None:
    # One client, many threads: httpx clients are thread-safe and pool their connections.
    with _twilio(urls) as twilio:
        number = available(twilio, AreaCode=312)[0]["phone_number"]

        def buy(_: int) -> int:
            response = twilio.post(f"{ACC}/IncomingPhoneNumbers.json", data={"PhoneNumber": number})
            return response.status_code if response.status_code == 201 else response.json()["code"]

        with ThreadPoolExecutor(max_workers=12) as pool:
            outcomes = list(pool.map(buy, range(12)))
    assert sorted(outcomes) == [201] + [21422] * 11


def test_many_concurrent_clients(urls: dict[str, str]) -> None:
    with _twilio(urls) as twilio:
        numbers = [n["phone_number"] for n in available(twilio, PageSize=16)]

        def buy_and_fetch(number: str) -> str:
            created = twilio.post(f"{ACC}/IncomingPhoneNumbers.json", data={"PhoneNumber": number})
            assert created.status_code == 201, created.text
            sid = created.json()["sid"]
            assert twilio.get(f"{ACC}/IncomingPhoneNumbers/{sid}.json").status_code == 200
            return sid

        with ThreadPoolExecutor(max_workers=8) as pool:
            sids = list(pool.map(buy_and_fetch, numbers))
        listed = twilio.get(f"{ACC}/IncomingPhoneNumbers.json", params={"PageSize": 100}).json()
    assert sorted(r["sid"] for r in listed["incoming_phone_numbers"]) == sorted(sids)


def test_shutdown_is_clean_and_frees_the_port(db_path: Path) -> None:
    server = make_server("127.0.0.1", 0, db_path)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    # A keep-alive connection left open must not block shutdown.
    idle = httpx.Client(base_url=base_urls(server)["vapi"])
    assert idle.get("/x").status_code == 401  # VAPI authenticates before routing
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    assert not thread.is_alive()
    idle.close()
    # Freed: `sandbox serve --port N` can start again at once on the same port, even with
    # the closed keep-alive connection still in TIME_WAIT.
    again = make_server("127.0.0.1", port, db_path)
    assert again.server_address[1] == port
    again.server_close()


def test_request_log_is_optional(db_path: Path) -> None:
    lines: list[str] = []
    server = make_server("127.0.0.1", 0, db_path, log=lines.append)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        httpx.get(f"{base_urls(server)['vapi']}/assistant")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert len(lines) == 1 and "GET /vapi/assistant" in lines[0]


class RecordingFaults:
    """A fault hook: refuse purchases with 429, or let them commit and then drop the answer."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.seen: list[str] = []

    def before(self, operation: str, request: Request) -> Response | None:
        self.seen.append(operation)
        if self.mode == "429" and operation == "twilio.purchase":
            return json_response(
                429, {"code": 20429, "message": "Too Many Requests"}, {"Retry-After": "2"}
            )
        return None

    def after(self, operation: str, request: Request, response: Response) -> Response:
        if self.mode == "drop" and operation in ("twilio.purchase", "telnyx.purchase"):
            raise DropConnection
        return response


def _owned(client: httpx.Client) -> list[str]:
    page = client.get(f"{ACC}/IncomingPhoneNumbers.json").json()
    return [r["phone_number"] for r in page["incoming_phone_numbers"]]


def test_fault_hook_sees_operation_names_and_can_refuse(db_path: Path) -> None:
    faults = RecordingFaults("429")
    with twilio_client(SandboxTransport(db_path, faults=faults)) as twilio:
        number = available(twilio)[0]["phone_number"]
        refused = twilio.post(f"{ACC}/IncomingPhoneNumbers.json", data={"PhoneNumber": number})
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "2"
        assert _owned(twilio) == []  # refused before the handler: nothing bought
    assert faults.seen == ["twilio.search", "twilio.purchase", "twilio.list"]


def test_dropped_response_after_commit_in_process(db_path: Path) -> None:
    with twilio_client(SandboxTransport(db_path, faults=RecordingFaults("drop"))) as twilio:
        number = available(twilio)[0]["phone_number"]
        with pytest.raises(httpx.RemoteProtocolError):
            twilio.post(f"{ACC}/IncomingPhoneNumbers.json", data={"PhoneNumber": number})
        assert _owned(twilio) == [number]  # the purchase happened all the same


def test_dropped_response_after_commit_over_http(db_path: Path) -> None:
    server = make_server("127.0.0.1", 0, db_path, faults=RecordingFaults("drop"))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        urls = base_urls(server)
        with _twilio(urls) as twilio:
            number = available(twilio)[0]["phone_number"]
            with pytest.raises(httpx.RemoteProtocolError):
                twilio.post(f"{ACC}/IncomingPhoneNumbers.json", data={"PhoneNumber": number})
            assert _owned(twilio) == [number]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_chunked_request_bodies_are_read(urls: dict[str, str]) -> None:
    with _twilio(urls) as twilio:
        number = available(twilio, AreaCode=617)[0]["phone_number"]

        def chunks():
            yield b"PhoneNumber="
            yield number.replace("+", "%2B").encode()

        response = twilio.post(
            f"{ACC}/IncomingPhoneNumbers.json",
            content=chunks(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.request.headers["Transfer-Encoding"] == "chunked"
        assert response.status_code == 201, response.text
        assert response.json()["phone_number"] == number


def test_a_sandbox_bug_is_a_500_and_reported(db_path: Path, capsys) -> None:
    class Broken:
        def before(self, operation: str, request: Request) -> Response | None:
            raise RuntimeError("boom")

        def after(self, operation: str, request: Request, response: Response) -> Response:
            return response

    server = make_server("127.0.0.1", 0, db_path, faults=Broken())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        with _twilio(base_urls(server)) as twilio:
            assert twilio.get(f"{ACC}.json").status_code == 500
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert "RuntimeError: boom" in capsys.readouterr().err


@pytest.mark.parametrize(
    "head",
    [
        b"Content-Length: ten\r\n",
        b"Transfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n",  # read(-3) would read to EOF
        b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n",
    ],
)
def test_bad_framing_is_a_400_and_clients_that_hang_up_print_nothing(
    server, head: bytes, capfd
) -> None:
    import socket

    port = server.server_address[1]
    request = b"POST /twilio/2010-04-01/Accounts.json HTTP/1.1\r\nHost: x\r\n" + head + b"\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(request)  # our side stays open: a server that hangs times out below
        answer = b""
        while chunk := s.recv(65536):  # the server hangs up after answering
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400 ") and b"malformed" in answer
    for _ in range(10):  # half a request, then a reset
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(b"POST /vapi/call HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\nab")
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    with httpx.Client(base_url=base_urls(server)["vapi"]) as client:
        assert client.get("/x").status_code == 401  # still serving
    assert capfd.readouterr().err == ""
