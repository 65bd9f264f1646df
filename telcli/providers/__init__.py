"""Provider registry: names map to "module:Class" strings, imported on first use only."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from telcli.providers.base import ProviderSettings

REGISTRY: dict[str, str] = {
    "twilio": "telcli.providers.twilio:TwilioProvider",
    "telnyx": "telcli.providers.telnyx:TelnyxProvider",
    "vapi": "telcli.providers.vapi:VapiProvider",
}


def load_provider(name: str, settings: ProviderSettings) -> Any:
    module_name, _, class_name = REGISTRY[name].partition(":")
    cls = getattr(import_module(module_name), class_name)
    return cls(settings)
