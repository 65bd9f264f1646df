"""The value sets of telcli's options and models (StrEnums), in a module of their own: every
command signature uses them, so ``telcli --help`` and each TAB import this (stdlib only) and
not the dataclasses of ``models.py``, which re-exports them."""

from __future__ import annotations

from enum import StrEnum


class ProviderName(StrEnum):
    twilio = "twilio"
    telnyx = "telnyx"
    vapi = "vapi"


CARRIERS: tuple[ProviderName, ...] = (ProviderName.twilio, ProviderName.telnyx)


class ListFormat(StrEnum):
    """What ``--format`` accepts on commands that stream long lists (``history``)."""

    table = "table"
    tsv = "tsv"
    json = "json"
    ndjson = "ndjson"
    csv = "csv"


class ProviderChoice(StrEnum):
    """What ``--provider`` accepts on carrier commands."""

    twilio = "twilio"
    telnyx = "telnyx"
    all = "all"


class NumberType(StrEnum):
    local = "local"
    mobile = "mobile"
    toll_free = "toll-free"


class Capability(StrEnum):
    voice = "voice"
    sms = "sms"
    mms = "mms"
    fax = "fax"


class AddressRequirement(StrEnum):
    """Twilio's ``address_requirements`` vocabulary; Telnyx requirements are mapped onto it."""

    none = "none"
    any = "any"
    local = "local"
    foreign = "foreign"


class SmsExpect(StrEnum):
    """Final message statuses ``test sms --expect`` accepts."""

    delivered = "delivered"
    sent = "sent"
    undelivered = "undelivered"
    failed = "failed"


class CallExpect(StrEnum):
    """Final call statuses ``test call --expect`` accepts."""

    completed = "completed"
    busy = "busy"
    no_answer = "no-answer"
    failed = "failed"
    canceled = "canceled"
