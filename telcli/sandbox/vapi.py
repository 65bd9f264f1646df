"""VAPI in the sandbox: phone numbers, assistants and credentials (``vapi.json``; operationIds
cited per handler), stateful in the sandbox's ``resources`` table.

Bearer auth with the sandbox's VAPI key; errors are NestJS bodies
``{"message": str | [str], "error": "Bad Request", "statusCode": 400}``.

Sandbox choices:

* Three assistants are seeded (fixed UUIDs, read-only): "Receptionist", "Appointment Setter"
  and "After-hours Support". They survive ``sandbox reset``.
* Importing a Twilio number checks it against the sandbox's Twilio account: the SID and auth
  token (or API key and secret) must be the sandbox's and the number owned there, as VAPI
  checks with Twilio; a Telnyx import needs a ``credentialId`` of a Telnyx credential whose
  key is the sandbox's Telnyx key, and the number owned at Telnyx. Secrets are never returned.
* A number can be imported once (400 "Existing Phone Number"). PATCH must name ``provider``
  (the spec's oneOf) and it must match the number's; ``assistantId: null`` detaches the
  assistant, as VAPI accepts (the spec types it as a string).
* ``/credential`` is not in the published spec; it follows the other Create*CredentialDTOs.
"""

from __future__ import annotations

import hmac
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from telcli.sandbox import SANDBOX_CREDENTIALS, SANDBOX_TWILIO_API_KEY
from telcli.sandbox.state import SandboxState
from telcli.sandbox.wire import (
    Api,
    ApiError,
    Request,
    Response,
    json_response,
    route,
)

PROVIDER = "vapi"
NUMBER = "phone_number"
CREDENTIAL = "credential"
ORG_ID = "5a4db0c5-0000-4000-8000-00000000000a"
_API_KEY = SANDBOX_CREDENTIALS["vapi"]["api_key"]
_CREATED = "2026-01-05T09:00:00.000Z"
_PROVIDERS = ("byo-phone-number", "twilio", "vonage", "vapi", "telnyx")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_SECRET_FIELDS = ("twilioAuthToken", "twilioApiSecret", "apiKey", "apiSecret", "authToken")

ASSISTANTS: list[dict[str, Any]] = [
    {
        "id": f"5a4db0c5-a551-4000-8000-00000000000{i}",
        "orgId": ORG_ID,
        "name": name,
        "firstMessage": first,
        "createdAt": _CREATED,
        "updatedAt": _CREATED,
    }
    for i, (name, first) in enumerate(
        (
            ("Receptionist", "Hello, how can I help you today?"),
            ("Appointment Setter", "Hi! Would you like to book an appointment?"),
            ("After-hours Support", "We are closed right now, but I can take a message."),
        ),
        start=1,
    )
]


def error(status: int, message: str | list[str]) -> Response:
    names = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}
    body = {"message": message, "error": names.get(status, "Error"), "statusCode": status}
    return json_response(status, body)


def not_found(request: Request) -> Response:
    return error(404, f"Cannot {request.method} {request.path}")


def authenticate(request: Request) -> Response | None:
    scheme, _, token = (request.header("authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(token.strip(), _API_KEY):
        return None
    return error(
        401,
        "Invalid Key. Hot tip, you may be using the private key instead of the public key,"
        " or vice versa.",
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _body(request: Request) -> dict[str, Any]:
    try:
        body = request.json()
    except ValueError:
        raise ApiError(error(400, "Unexpected token in JSON")) from None
    if not isinstance(body, dict):
        raise ApiError(error(400, ["body must be an object"]))
    return body


def _uuid_param(request: Request, value: str) -> None:
    if not _UUID.match(value):
        raise ApiError(error(400, ["id must be a UUID"]))


def _assistant_ids() -> set[str]:
    return {a["id"] for a in ASSISTANTS}


def _check_assistant(body: dict[str, Any], problems: list[str]) -> None:
    value = body.get("assistantId")
    if value is None:
        return
    if not isinstance(value, str) or value not in _assistant_ids():
        problems.append(f"Couldn't Find Assistant. assistantId {value!r} does not exist.")


def _server(body: dict[str, Any], problems: list[str]) -> dict[str, Any] | None:
    server = body.get("server")
    if server is None:
        return None
    if not isinstance(server, dict) or not isinstance(server.get("url"), str):
        problems.append("server.url must be a URL address")
        return None
    if not re.match(r"^https?://", server["url"]):
        problems.append("server.url must be a URL address")
    return {"url": server["url"], "timeoutSeconds": int(server.get("timeoutSeconds") or 20)}


def _view(resource: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resource.items() if k not in _SECRET_FIELDS and v is not None}


# -- assistants -------------------------------------------------------------------------------


def list_assistants(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """AssistantController_findAll (newest first, ``limit``)."""
    limit = _limit(request)
    return json_response(200, list(reversed(ASSISTANTS))[:limit])


def get_assistant(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """AssistantController_findOne."""
    _uuid_param(request, params["id"])
    found = next((a for a in ASSISTANTS if a["id"] == params["id"]), None)
    if found is None:
        return error(404, "Couldn't Find Assistant")
    return json_response(200, found)


def _limit(request: Request) -> int:
    raw = dict(request.query_items).get("limit")
    try:
        value = int(float(raw)) if raw else 100
    except ValueError:
        raise ApiError(error(400, ["limit must be a number"])) from None
    if not 0 <= value <= 1000:
        raise ApiError(error(400, ["limit must not be greater than 1000"]))
    return value


# -- credentials ------------------------------------------------------------------------------


def create_credential(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    body = _body(request)
    problems = []
    if body.get("provider") not in ("telnyx", "twilio", "vonage"):
        problems.append("provider must be one of the following values: telnyx, twilio, vonage")
    if not isinstance(body.get("apiKey"), str) or not body["apiKey"]:
        problems.append("apiKey should not be empty")
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or not 1 <= len(name) <= 40):
        problems.append("name must be shorter than or equal to 40 characters")
    if problems:
        return error(400, problems)
    now = _now()
    credential = {
        "id": str(uuid.uuid4()),
        "orgId": ORG_ID,
        "provider": body["provider"],
        "name": name,
        "apiKey": body["apiKey"],  # kept for the import check; never returned
        "createdAt": now,
        "updatedAt": now,
    }
    state.add_resource(PROVIDER, CREDENTIAL, credential["id"], credential)
    return json_response(201, _view(credential))


def list_credentials(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    found = state.list_resources(PROVIDER, CREDENTIAL)
    return json_response(200, [_view(c) for c in reversed(found)])


# -- phone numbers ----------------------------------------------------------------------------


def _owned_at(state: SandboxState, carrier: str, number: str) -> bool:
    return any(n.get("phone_number") == number for n in state.list_numbers(carrier))


def _check_carrier(state: SandboxState, body: dict[str, Any], problems: list[str]) -> None:
    provider, number = body.get("provider"), body.get("number")
    if provider == "twilio":
        sid = body.get("twilioAccountSid")
        if not isinstance(sid, str) or not sid:
            problems.append("twilioAccountSid should not be empty")
            return
        creds = SANDBOX_CREDENTIALS["twilio"]
        token_ok = body.get("twilioAuthToken") == creds["auth_token"]
        key_ok = (body.get("twilioApiKey"), body.get("twilioApiSecret")) == (
            SANDBOX_TWILIO_API_KEY["api_key"],
            SANDBOX_TWILIO_API_KEY["api_secret"],
        )
        if sid != creds["account_sid"] or not (token_ok or key_ok):
            problems.append("Twilio Error: Authenticate. Check the Account SID and Auth Token.")
        elif not _owned_at(state, "twilio", str(number)):
            problems.append(f"Number Not Found on Twilio. {number} is not on this account.")
    elif provider == "telnyx":
        credential_id = body.get("credentialId")
        credential = (
            state.get_resource(PROVIDER, CREDENTIAL, credential_id)
            if isinstance(credential_id, str)
            else None
        )
        if credential is None or credential.get("provider") != "telnyx":
            problems.append("Couldn't Find Credential. credentialId must be a Telnyx credential.")
        elif credential.get("apiKey") != SANDBOX_CREDENTIALS["telnyx"]["api_key"]:
            problems.append("Telnyx Error: Authentication failed.")
        elif not _owned_at(state, "telnyx", str(number)):
            problems.append(f"Number Not Found on Telnyx. {number} is not on this account.")


def create_number(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """PhoneNumberController_create: Twilio and Telnyx imports (201)."""
    body = _body(request)
    problems: list[str] = []
    provider, number = body.get("provider"), body.get("number")
    if provider not in _PROVIDERS:
        problems.append("provider must be one of the following values: " + ", ".join(_PROVIDERS))
    elif provider not in ("twilio", "telnyx"):
        problems.append(f"the sandbox imports twilio and telnyx numbers, not {provider}")
    if not isinstance(number, str) or not _E164.match(number):
        problems.append("number must be a valid phone number in the E.164 format")
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > 40):
        problems.append("name must be shorter than or equal to 40 characters")
    _check_assistant(body, problems)
    server = _server(body, problems)
    if not problems:
        _check_carrier(state, body, problems)
    if not problems and any(n["number"] == number for n in state.list_resources(PROVIDER, NUMBER)):
        problems.append(f"Existing Phone Number. {number} is already imported.")
    if problems:
        return error(400, problems)
    now = _now()
    resource: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "orgId": ORG_ID,
        "provider": provider,
        "number": number,
        "name": name,
        "assistantId": body.get("assistantId"),
        "server": server,
        "status": "active",
        "createdAt": now,
        "updatedAt": now,
    }
    if provider == "twilio":
        resource["twilioAccountSid"] = body["twilioAccountSid"]
        resource["smsEnabled"] = bool(body.get("smsEnabled", True))
    else:
        resource["credentialId"] = body["credentialId"]
    state.add_resource(PROVIDER, NUMBER, resource["id"], resource)
    return json_response(201, _view(resource))


def list_numbers(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """PhoneNumberController_findAll (newest first, ``limit``)."""
    limit = _limit(request)
    found = list(reversed(state.list_resources(PROVIDER, NUMBER)))[:limit]
    return json_response(200, [_view(n) for n in found])


def _find(state: SandboxState, request: Request, id_: str) -> dict[str, Any]:
    _uuid_param(request, id_)
    found = state.get_resource(PROVIDER, NUMBER, id_)
    if found is None:
        raise ApiError(error(404, "Couldn't Find Phone Number"))
    return found


def get_number(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """PhoneNumberController_findOne."""
    return json_response(200, _view(_find(state, request, params["id"])))


def update_number(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """PhoneNumberController_update: name, assistantId (null detaches), server."""
    current = _find(state, request, params["id"])
    body = _body(request)
    problems: list[str] = []
    if body.get("provider") != current["provider"]:
        problems.append(
            f"provider must be {current['provider']!r} for this number (the body is a oneOf"
            " keyed on provider)"
        )
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > 40):
        problems.append("name must be shorter than or equal to 40 characters")
    _check_assistant(body, problems)
    server = _server(body, problems)
    if problems:
        return error(400, problems)

    def change(resource: dict[str, Any]) -> dict[str, Any]:
        if "assistantId" in body:
            resource["assistantId"] = body["assistantId"]
        if "name" in body:
            resource["name"] = name
        if "server" in body:
            resource["server"] = server
        resource["updatedAt"] = _now()
        return resource

    updated = state.update_resource(PROVIDER, NUMBER, params["id"], change)
    return json_response(200, _view(updated or current))


def delete_number(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """PhoneNumberController_remove: 200 with the removed number."""
    found = _find(state, request, params["id"])
    state.remove_resource(PROVIDER, NUMBER, params["id"])
    return json_response(200, _view(found))


API = Api(
    name="vapi",
    authenticate=authenticate,
    not_found=not_found,
    routes=[
        route("GET", "/assistant", "vapi.assistant.list", list_assistants),
        route("GET", "/assistant/{id}", "vapi.assistant.fetch", get_assistant),
        route("GET", "/phone-number", "vapi.number.list", list_numbers),
        route("POST", "/phone-number", "vapi.number.create", create_number),
        route("GET", "/phone-number/{id}", "vapi.number.fetch", get_number),
        route("PATCH", "/phone-number/{id}", "vapi.number.update", update_number),
        route("DELETE", "/phone-number/{id}", "vapi.number.delete", delete_number),
        route("GET", "/credential", "vapi.credential.list", list_credentials),
        route("POST", "/credential", "vapi.credential.create", create_credential),
    ],
)
