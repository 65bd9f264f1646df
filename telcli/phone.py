"""Phone-number parsing and formatting (phonenumbers is imported lazily: it is heavy).

Below the models: ``models`` formats numbers with these functions, so nothing here imports
``models`` (``E164`` lives here and ``models`` re-exports it).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal, NewType

from telcli.errors import UsageProblem

E164 = NewType("E164", str)


def parse_e164(text: str, default_country: str | None = None) -> E164:
    """Validate ``text`` and return it in E.164, or raise UsageProblem saying what is wrong."""
    import phonenumbers
    from phonenumbers import NumberParseException, ValidationResult

    raw = text.strip()
    try:
        parsed = phonenumbers.parse(raw, None if raw.startswith("+") else default_country)
    except NumberParseException as exc:
        hint = "give the number in E.164 form, e.g. +14155550123"
        raise UsageProblem(f"{text!r} is not a phone number: {exc._msg}", hint=hint) from None
    region = phonenumbers.region_code_for_number(
        parsed
    ) or phonenumbers.region_code_for_country_code(parsed.country_code)
    if region in (None, "ZZ"):
        region = f"+{parsed.country_code}"
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    problems = {
        ValidationResult.TOO_SHORT: "too short",
        ValidationResult.TOO_LONG: "too long",
        ValidationResult.INVALID_LENGTH: "the wrong length",
        ValidationResult.INVALID_COUNTRY_CODE: "not in a known country code",
    }
    if reason in problems:
        raise UsageProblem(
            f"{raw} is {problems[reason]} for {region}",
            hint="give the number in E.164 form, e.g. +14155550123",
        )
    if not phonenumbers.is_valid_number(parsed):
        raise UsageProblem(
            f"{raw} is not a valid {region} number",
            hint="check the digits; E.164 looks like +14155550123",
        )
    return E164(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


@lru_cache(maxsize=4096)
def national_format(number: str) -> str:
    """National format ("(415) 555-0123", "020 7946 0018"); the input unchanged if unparseable."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


@lru_cache(maxsize=4096)
def international_format(number: str) -> str:
    """International format ("+1 415-555-0123", "+27 21 686 7207"); unparseable: unchanged."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@lru_cache(maxsize=4096)
def country_of(number: str) -> str | None:
    import phonenumbers

    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return None


def national_significant(number: str) -> str:
    """The national significant number's digits (+14155550123 -> 4155550123)."""
    import phonenumbers

    return phonenumbers.national_significant_number(phonenumbers.parse(number, None))


def likely_type(number: str) -> Literal["local", "mobile", "toll-free"]:
    """The ``models.NumberType`` value a carrier most likely lists this number under (for
    quoting a buy)."""
    import phonenumbers
    from phonenumbers import PhoneNumberType

    kind = phonenumbers.number_type(phonenumbers.parse(number, None))
    if kind == PhoneNumberType.TOLL_FREE:
        return "toll-free"
    if kind == PhoneNumberType.MOBILE:
        return "mobile"
    return "local"


def masked(number: str) -> str:
    """``number`` with all but its country code and last two digits hidden, for a capture
    attached to a ticket: +14155550123 -> +1********23 (unparseable text: every digit but the
    last two)."""
    import phonenumbers

    digits = "".join(ch for ch in number if ch.isdigit())
    try:
        code = str(phonenumbers.parse(number, None).country_code)
    except phonenumbers.NumberParseException:
        code = ""
    if not digits.startswith(code):
        code = ""
    hidden = len(digits) - len(code) - 2
    return "+" + code + "*" * max(hidden, 0) + digits[-2:]
