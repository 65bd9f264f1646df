"""Tenant ids and how each provider field carries them (pure functions, stdlib only).

A tenant is recorded **at the provider**, in a field every machine can read back, so a
colleague's laptop with an empty state DB still knows which number belongs to whom:

============================  ==========================  ==================================
provider resource             field                       value for tenant ``acme-dental``
============================  ==========================  ==================================
Twilio IncomingPhoneNumber    ``FriendlyName`` (64 max)   ``acme-dental · Acme Dental``
Twilio Address                ``FriendlyName``            ``acme-dental · Acme Dental``
Telnyx phone number / order   ``customer_reference``      ``tenant:acme-dental``
Telnyx address                ``customer_reference``      ``tenant:acme-dental``
VAPI phone number             ``name`` (40 max)           ``acme-dental · Acme Dental``
============================  ==========================  ==================================

Why these fields: they are the only free-text fields each API lets a caller write *in the
purchase request itself* (Twilio CreateIncomingPhoneNumber ``FriendlyName``; Telnyx
CreateNumberOrder ``customer_reference``; Telnyx ``tags`` exist only on UpdatePhoneNumber,
after the purchase) and read back on every listing.

The forms are chosen so that nothing a person typed by hand reads as a tenant by accident:
a label needs the `` · `` separator (U+00B7 between spaces) after a valid id, a Telnyx
reference needs the ``tenant:`` prefix. Twilio's default friendly name (the formatted
number) and Telnyx's empty reference are "untagged". VAPI names hold 40 characters at most,
as many as a tenant id: an id of 37 characters or more is stored alone, and only such a long
id is read back without the separator.
"""

from __future__ import annotations

import re

from telcli.errors import UsageProblem

TENANT_ID_PATTERN = r"[a-z0-9][a-z0-9-]{0,39}"
_TENANT_ID = re.compile(TENANT_ID_PATTERN)
SEPARATOR = " · "
TELNYX_PREFIX = "tenant:"
TWILIO_NAME_MAX = 64  # IncomingPhoneNumber / Address FriendlyName: "up to 64 characters"
VAPI_NAME_MAX = 40  # Create/Update*PhoneNumberDTO.name maxLength
_LABEL = re.compile(rf"^({TENANT_ID_PATTERN}){re.escape(SEPARATOR)}")


def is_tenant_id(value: str) -> bool:
    return _TENANT_ID.fullmatch(value) is not None


def check_tenant_id(value: str, *, what: str = "--tenant") -> str:
    """``value`` if it is a valid tenant id (``[a-z0-9][a-z0-9-]{0,39}``), else UsageProblem."""
    if not is_tenant_id(value):
        raise UsageProblem(
            f"{what} {value!r} is not a tenant id",
            hint="use 1-40 lowercase letters, digits and dashes, starting with a letter or"
            " digit, e.g. acme-dental",
        )
    return value


# -- "id · Name" labels: Twilio FriendlyName, VAPI name ------------------------------------


def label(tenant: str, name: str | None = None, *, limit: int = TWILIO_NAME_MAX) -> str:
    """``tenant · name`` cut to ``limit`` characters (the name defaults to the id). When not
    even one character of the name fits after the separator, the id alone."""
    check_tenant_id(tenant, what="tenant")
    room = limit - len(tenant) - len(SEPARATOR)
    if room < 1:
        return tenant
    text = " ".join((name or tenant).split()) or tenant
    return f"{tenant}{SEPARATOR}{text[:room].rstrip() or text[:room]}"


def tenant_of_label(value: str | None, *, limit: int = TWILIO_NAME_MAX) -> str | None:
    """The tenant id a label carries, or None for an untagged name."""
    if not value:
        return None
    match = _LABEL.match(value)
    if match:
        return match.group(1)
    # Only an id too long to leave room for the separator is stored alone (see label()).
    if is_tenant_id(value) and len(value) + len(SEPARATOR) >= limit:
        return value
    return None


def name_of_label(value: str | None) -> str | None:
    """The display name part of a label (``Acme Dental``), or None."""
    if not value:
        return None
    match = _LABEL.match(value)
    return value[match.end() :] if match else None


def twilio_name(tenant: str, name: str | None = None) -> str:
    """Twilio FriendlyName (IncomingPhoneNumber or Address) for ``tenant``."""
    return label(tenant, name, limit=TWILIO_NAME_MAX)


def tenant_of_twilio_name(value: str | None) -> str | None:
    return tenant_of_label(value, limit=TWILIO_NAME_MAX)


def vapi_name(tenant: str, name: str | None = None) -> str:
    """VAPI phone-number ``name`` for ``tenant`` (40 characters at most)."""
    return label(tenant, name, limit=VAPI_NAME_MAX)


def tenant_of_vapi_name(value: str | None) -> str | None:
    return tenant_of_label(value, limit=VAPI_NAME_MAX)


# -- Telnyx customer_reference --------------------------------------------------------------


def telnyx_reference(tenant: str) -> str:
    """Telnyx ``customer_reference`` (number order, phone number, address) for ``tenant``."""
    return TELNYX_PREFIX + check_tenant_id(tenant, what="tenant")


def tenant_of_telnyx_reference(value: str | None) -> str | None:
    if not value or not value.startswith(TELNYX_PREFIX):
        return None
    tenant = value[len(TELNYX_PREFIX) :]
    return tenant if is_tenant_id(tenant) else None
