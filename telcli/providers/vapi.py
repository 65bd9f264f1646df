"""VAPI over REST (httpx). Credentials: a private API key as a Bearer token.

Only ``verify`` exists so far (used by ``telcli auth login vapi``); phone-number and assistant
operations arrive with the ``telcli vapi`` commands.
"""

from __future__ import annotations

import httpx

from telcli.models import ProviderName
from telcli.providers.base import ProviderSettings
from telcli.transport import build_client, send, status_error

BASE_URL = "https://api.vapi.ai"


class VapiProvider:
    name = ProviderName.vapi

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings
        self._client: httpx.Client | None = None

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            s = self.settings
            self._client = build_client(
                s.base_urls.get("api", BASE_URL),
                headers={"Authorization": f"Bearer {s.credentials['api_key']}"},
                transport=s.transport,
                timeout=s.timeout or 20.0,
                retry=s.retry,
                debug_log=s.debug_log,
                secrets=s.secrets,
            )
        return self._client

    def _check(self, response: httpx.Response, what: str) -> httpx.Response:
        if response.is_success:
            return response
        try:
            body = response.json()
            message = body.get("message") if isinstance(body, dict) else None
            if isinstance(message, list):
                message = "; ".join(map(str, message))
        except ValueError:
            message = None
        raise status_error("vapi", response, str(message or response.reason_phrase), what=what)

    def verify(self) -> str:
        # AssistantController_findAll with limit=1: the cheapest authenticated read.
        response = self._check(
            send(self.client, "GET", "/assistant", provider="vapi", params={"limit": 1}),
            "verify",
        )
        count = len(response.json()) if isinstance(response.json(), list) else 0
        return "VAPI org reachable" + (f", {count}+ assistants" if count else "")
