"""Prism, serving the official OpenAPI documents as validating mocks, for the contract tests.

One ``prism mock`` per spec on a free loopback port, started once per session (per xdist
worker) and stopped at the end. Prism is found via $TELCLI_PRISM, else <repo>/node_modules
(`bash .ci/install-prism.sh`), else /tmp/prism, else PATH. Without Prism or the specs the
tests skip with the reason, except under CI, where they fail.

Prism reports a bad request as 422 (or 415 / 404): Twilio's spec has no 422, so the details
are in a problem+json ``validation`` array; Telnyx's spec has its own 422 example, so the
details are only in the ``sl-violations`` header (see ../shared/notes/prism.md).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO, skip_or_fail, specs_dir

STARTUP_TIMEOUT = 60.0
READY = "Prism is listening"


def prism_binary() -> str:
    explicit = os.environ.get("TELCLI_PRISM")
    if explicit:
        if Path(explicit).is_file() and os.access(explicit, os.X_OK):
            return explicit
        skip_or_fail(f"$TELCLI_PRISM={explicit} is not an executable file")
    for candidate in (
        REPO / "node_modules" / ".bin" / "prism",
        Path("/tmp/prism/node_modules/.bin/prism"),
    ):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("prism")
    if found:
        return found
    skip_or_fail(
        "Prism is not installed: run `bash .ci/install-prism.sh` or set TELCLI_PRISM "
        "(the contract tests serve the official specs with it)"
    )
    raise AssertionError("unreachable")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PrismServer:
    spec: Path
    log: Path
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start(specs: list[str], tmp: Path) -> list[PrismServer]:
    """Start one Prism per spec in parallel and wait until every one listens."""
    prism = prism_binary()
    directory = specs_dir()
    servers: list[PrismServer] = []
    for name in specs:
        spec = directory / name
        if not spec.is_file():
            skip_or_fail(f"{spec} is missing (set TELCLI_SPECS_DIR)")
        port = free_port()
        log = tmp / f"prism-{spec.stem}-{port}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [prism, "mock", "-h", "127.0.0.1", "-p", str(port), str(spec)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        servers.append(PrismServer(spec, log, port, process))
    deadline = time.monotonic() + STARTUP_TIMEOUT
    try:
        for server in servers:
            while READY not in server.log.read_text(errors="replace"):
                if server.process.poll() is not None or time.monotonic() > deadline:
                    tail = server.log.read_text(errors="replace")[-2000:]
                    pytest.fail(f"prism did not start for {server.spec.name}:\n{tail}")
                time.sleep(0.1)
    except BaseException:
        stop(servers)
        raise
    return servers


def stop(servers: list[PrismServer]) -> None:
    for server in servers:
        if server.process.poll() is None:
            server.process.terminate()
    for server in servers:
        try:
            server.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@pytest.fixture(scope="session")
def prism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """All three mocks, started together (start-up is CPU-bound and overlaps well)."""
    names = {
        "twilio_api": "twilio_api_v2010.json",
        "twilio_pricing": "twilio_pricing_v1.json",
        "telnyx": "telnyx_v2.json",
    }
    servers = start(list(names.values()), tmp_path_factory.mktemp("prism"))
    yield {key: server.url for key, server in zip(names, servers, strict=True)}
    stop(servers)


@pytest.fixture(scope="session")
def prism_twilio(prism: dict[str, str]) -> dict[str, str]:
    """ProviderSettings.base_urls for TwilioProvider: {"api": ..., "pricing": ...}."""
    return {"api": prism["twilio_api"], "pricing": prism["twilio_pricing"]}


@pytest.fixture(scope="session")
def prism_telnyx(prism: dict[str, str]) -> dict[str, str]:
    """ProviderSettings.base_urls for TelnyxProvider (no /v2: Prism serves the bare paths)."""
    return {"api": prism["telnyx"]}


# -- recording what Prism said about each request -------------------------------------------

SL_PREFIX = "Too many violations! "


@dataclass
class Recorder(httpx.BaseTransport):
    """A real loopback transport that keeps every exchange for the violation check."""

    inner: httpx.HTTPTransport = field(default_factory=httpx.HTTPTransport)
    exchanges: list[tuple[httpx.Request, httpx.Response]] = field(default_factory=list)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        self.exchanges.append((request, response))
        return response

    def close(self) -> None:
        self.inner.close()

    def violations(self) -> list[str]:
        found: list[str] = []
        for request, response in self.exchanges:
            where = f"{request.method} {request.url}"
            for problem in request_violations(response):
                found.append(f"{where}: {problem}")
            if response.status_code in (404, 415, 422) and not request_violations(response):
                found.append(f"{where}: HTTP {response.status_code} {response.text[:500]}")
        return found

    def assert_clean(self) -> None:
        assert self.exchanges, "no request reached Prism"
        problems = self.violations()
        assert not problems, "Prism found request violations:\n" + "\n".join(problems)


def request_violations(response: httpx.Response) -> list[str]:
    """Request-side problems: sl-violations entries at location[0] == "request" (Telnyx, and
    any spec with its own 422), or the problem+json ``validation`` array (Twilio)."""
    problems: list[str] = []
    header = response.headers.get("sl-violations")
    if header:
        text = header.removeprefix(SL_PREFIX)
        try:
            entries = json.loads(text)
        except ValueError:
            # Cut at ~8 KB: keep what is recognisably about the request.
            entries = []
            if '"request"' in text:
                problems.append(f"(truncated sl-violations) {text[:500]}")
        for entry in entries if isinstance(entries, list) else []:
            location = entry.get("location") or []
            if location and location[0] == "request":
                problems.append(f"{'.'.join(map(str, location))}: {entry.get('message')}")
    if response.status_code in (415, 422) and "json" in response.headers.get("content-type", ""):
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            for entry in body.get("validation") or []:
                location = ".".join(map(str, entry.get("location") or []))
                problems.append(f"{location}: {entry.get('message')}")
    return problems
