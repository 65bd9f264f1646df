"""telcli's embedded provider emulator (the sandbox).

It speaks the real wire formats of the Twilio 2010 API (+ Pricing v1) and Telnyx API v2 for the
phone-number operations, keeps state in its own SQLite file, and is reached either in-process
(:class:`telcli.sandbox.transport.SandboxTransport`, an ``httpx`` transport) or over loopback HTTP
(:func:`telcli.sandbox.server.make_server`). Both go through one core,
:func:`telcli.sandbox.app.handle`.

This module stays light (stdlib only, nothing imported): the CLI reads the credentials below at
startup to fill in sandbox profiles.
"""

from __future__ import annotations

# Fixed and obviously fake. The sandbox accepts exactly these and answers anything else with the
# provider's real 401 (Twilio code 20003, Telnyx error code 10009), so a test that forgets to
# select the sandbox credentials fails the same way it would against the real API.
# "5a4db0c5" reads as "sandbox"; Twilio SIDs must stay hex (spec pattern ^AC[0-9a-fA-F]{32}$).
SANDBOX_CREDENTIALS: dict[str, dict[str, str]] = {
    "twilio": {
        "account_sid": "AC" + "5a4db0c5" * 4,
        "auth_token": "7e57" * 8,
    },
    "telnyx": {"api_key": "KEY5A4DB0C5SANDBOX0000000000_sandbox"},
    "vapi": {"api_key": "5a4db0c5-0000-4000-8000-000000000000"},
}

# Twilio also authenticates with an API key (SK...) as the Basic user and its secret as the
# password, the account SID then only appearing in the path. The sandbox accepts this pair too.
SANDBOX_TWILIO_API_KEY: dict[str, str] = {
    "api_key": "SK" + "5a4db0c5" * 4,
    "api_secret": "sandbox-api-secret-" + "0" * 13,
}

# The real hosts the in-process transport routes on.
TWILIO_API_HOST = "api.twilio.com"
TWILIO_PRICING_HOST = "pricing.twilio.com"
TELNYX_API_HOST = "api.telnyx.com"
VAPI_API_HOST = "api.vapi.ai"
# VAPI's Live Call Control is served per call on another host than the API (a call's
# ``monitor.controlUrl``, docs.vapi.ai/calls/call-features); the sandbox's calls point here.
VAPI_CONTROL_HOST = "phone-call-websocket.aws-us-west-2-backend-production2.vapi.ai"

__all__ = [
    "SANDBOX_CREDENTIALS",
    "SANDBOX_TWILIO_API_KEY",
    "TELNYX_API_HOST",
    "TWILIO_API_HOST",
    "TWILIO_PRICING_HOST",
    "VAPI_API_HOST",
    "VAPI_CONTROL_HOST",
]
