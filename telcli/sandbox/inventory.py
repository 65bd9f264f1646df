"""The sandbox's numbers for sale: deterministic, realistic, different per provider.

Every number is generated from a fixed seed per (provider, country, type, area), so the same
numbers exist on every machine and in every run; a test asserts each one is valid according to
``phonenumbers``. Twilio and Telnyx stock different numbers (and partly different cities) at
different prices, so a search across both carriers merges meaningfully. Numbers owned in the
sandbox (see ``state.py``) are hidden from search; a released number is for sale again at once.

Coverage (per provider; Twilio / Telnyx share the country list, not the numbers):

==== ===================================== ===================== ==============================
     local (cities)                        mobile                toll-free
==== ===================================== ===================== ==============================
US   8 area codes x 6 (415, 212, 312, 512   none (Twilio sells    20 in 800/833/844/855/866/877/888
     shared; 206 303 617 808 Twilio only;   no US mobile)
     213 305 404 702 Telnyx only)
CA   5 area codes x 7                       none                  20 (NANP toll-free)
GB   5 cities x 7 (London, Manchester ...)  20 (07xxx)            20 (0800/0808)
ZA   5 cities x 7 (Cape Town, Jo'burg ...)  20                    20 (0800)
AU   5 cities x 7 (Sydney, Melbourne ...)   20 (04xx)             20 (1800)
DE   5 cities x 7 (Berlin, München ...)     20 (015x/016x/017x)   20 (0800)
==== ===================================== ===================== ==============================

Address requirements (Twilio's vocabulary: none / any / local / foreign), the same at both
carriers, chosen to be plausible rather than exact:

==== ======= ======= ==========
     local   mobile  toll-free
==== ======= ======= ==========
US   none    -       none
CA   none    -       none
GB   any     none    none
ZA   local   local   none
AU   any     any     none
DE   local   any     none
==== ======= ======= ==========

Twilio answers with ``address_requirements`` on each number. Telnyx has no such field on a
search result; it answers ``GET /phone_numbers_regulatory_requirements`` with one address
requirement per number whose ``acceptance_criteria.locality_limit`` is ``"Worldwide"`` for
"any" and ``"Same country as the phone number"`` for "local".

Prices (USD). Twilio prices come from Pricing v1 per (country, type); Telnyx puts
``cost_information`` (monthly and upfront) on each search result:

==== ========================= ===================================
     Twilio local/mobile/tf    Telnyx monthly (= upfront) local/mobile/tf
==== ========================= ===================================
US   1.15 / - / 2.15           1.00 / - / 1.00
CA   1.15 / - / 2.15           1.00 / - / 1.50 (upfront 1.00)
GB   1.15 / 1.15 / 2.00*       1.50 / 3.00 / 3.00
ZA   4.25 / 6.00 / 25.00       3.50 / 5.50 / 20.00
AU   3.00* / 6.50 / 16.00      2.50 / 6.00 / 12.00
DE   1.50 / 12.00 / 25.00      1.20 / 10.00 / 20.00
==== ========================= ===================================

(*) discounted: Twilio's ``base_price`` is higher than its ``current_price`` (GB toll-free 2.30,
AU local 3.50).

Only US and Canadian numbers carry ``lata``, ``rate_center``, ``postal_code``, ``latitude`` and
``longitude`` (as Twilio documents); every local number has a locality and a region (US state
or Canadian province code; a nation, province, state or Land elsewhere).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import cache

LOCAL = "local"
MOBILE = "mobile"
TOLL_FREE = "toll_free"
NUMBER_TYPES = (LOCAL, MOBILE, TOLL_FREE)

PROVIDERS = ("twilio", "telnyx")

VOICE, SMS, MMS, FAX = "voice", "sms", "mms", "fax"


@dataclass(frozen=True, slots=True)
class Country:
    iso: str
    name: str
    calling_code: str


COUNTRIES: dict[str, Country] = {
    c.iso: c
    for c in (
        Country("US", "United States", "1"),
        Country("CA", "Canada", "1"),
        Country("GB", "United Kingdom", "44"),
        Country("ZA", "South Africa", "27"),
        Country("AU", "Australia", "61"),
        Country("DE", "Germany", "49"),
    )
}


@dataclass(frozen=True, slots=True)
class InventoryNumber:
    """One number for sale at one provider."""

    provider: str
    phone_number: str  # E.164
    national: str  # national significant number (digits only)
    iso_country: str
    number_type: str  # LOCAL | MOBILE | TOLL_FREE
    ndc: str  # area code / national destination code
    capabilities: frozenset[str]
    address_requirement: str  # none | any | local | foreign
    monthly_cost: str
    upfront_cost: str
    currency: str
    locality: str | None = None
    region: str | None = None
    rate_center: str | None = None
    lata: str | None = None
    postal_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    beta: bool = False
    quickship: bool = True
    reservable: bool = False

    @property
    def is_nanp(self) -> bool:
        return self.phone_number.startswith("+1")


@dataclass(frozen=True, slots=True)
class _Area:
    key: str
    ndc: str
    prefixes: tuple[str, ...]  # the national number starts with one of these
    length: int  # digits in the national significant number
    locality: str | None = None
    region: str | None = None
    rate_center: str | None = None
    lata: str | None = None
    postal_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None


def _spread(base: str, digits: str) -> tuple[str, ...]:
    return tuple(base + d for d in digits)


def _nanp(
    npa: str,
    locality: str,
    region: str,
    rate_center: str,
    lata: str | None,
    postal: str,
    lat: float,
    lon: float,
) -> _Area:
    return _Area(
        npa,
        npa,
        _spread(npa, "23456789"),
        10,
        locality,
        region,
        rate_center,
        lata,
        postal,
        lat,
        lon,
    )


_US = {
    a.key: a
    for a in (
        _nanp("415", "San Francisco", "CA", "SNFC CNTL", "722", "94103", 37.7749, -122.4194),
        _nanp("212", "New York", "NY", "NWYRCYZN01", "132", "10001", 40.7506, -73.9972),
        _nanp("312", "Chicago", "IL", "CHICAGO", "358", "60601", 41.8858, -87.6181),
        _nanp("512", "Austin", "TX", "AUSTIN", "558", "78701", 30.2711, -97.7437),
        _nanp("206", "Seattle", "WA", "SEATTLE", "674", "98101", 47.6101, -122.3344),
        _nanp("303", "Denver", "CO", "DENVER", "656", "80202", 39.7525, -104.9995),
        _nanp("617", "Boston", "MA", "BOSTON", "128", "02108", 42.3576, -71.0637),
        _nanp("808", "Hilo", "HI", "HILO", "834", "96720", 19.72, -155.09),
        _nanp("213", "Los Angeles", "CA", "LSAN DA 01", "730", "90012", 34.0614, -118.2385),
        _nanp("305", "Miami", "FL", "MIAMI", "460", "33130", 25.7663, -80.2048),
        _nanp("404", "Atlanta", "GA", "ATLANTA", "438", "30303", 33.7527, -84.3918),
        _nanp("702", "Las Vegas", "NV", "LAS VEGAS", "721", "89101", 36.1727, -115.1221),
    )
}
_CA = {
    a.key: a
    for a in (
        _nanp("416", "Toronto", "ON", "TORONTO", None, "M5H 2N2", 43.6532, -79.3832),
        _nanp("604", "Vancouver", "BC", "VANCOUVER", None, "V6B 1A1", 49.2827, -123.1207),
        _nanp("514", "Montreal", "QC", "MONTREAL", None, "H2Y 1C6", 45.5017, -73.5673),
        _nanp("403", "Calgary", "AB", "CALGARY", None, "T2P 1J9", 51.0447, -114.0719),
        _nanp("613", "Ottawa", "ON", "OTTAWA-HULL", None, "K1P 1J1", 45.4215, -75.6972),
        _nanp("902", "Halifax", "NS", "HALIFAX", None, "B3H 1A1", 44.6488, -63.5752),
    )
}
_GB = {
    a.key: a
    for a in (
        _Area("london", "20", ("203", "207", "208"), 10, "London", "England"),
        _Area("manchester", "161", _spread("161", "23456789"), 10, "Manchester", "England"),
        _Area("birmingham", "121", _spread("121", "234567"), 10, "Birmingham", "England"),
        _Area("edinburgh", "131", _spread("131", "2345678"), 10, "Edinburgh", "Scotland"),
        _Area("liverpool", "151", _spread("151", "23456789"), 10, "Liverpool", "England"),
        _Area("glasgow", "141", _spread("141", "23456789"), 10, "Glasgow", "Scotland"),
        _Area("newcastle", "191", _spread("191", "23456789"), 10, "Newcastle upon Tyne", "England"),
        _Area("cambridge", "1223", _spread("1223", "23456789"), 10, "Cambridge", "England"),
    )
}
_ZA = {
    a.key: a
    for a in (
        _Area("cpt", "21", _spread("21", "2345678"), 9, "Cape Town", "Western Cape"),
        _Area("jhb", "11", _spread("11", "2345678"), 9, "Johannesburg", "Gauteng"),
        _Area("dbn", "31", _spread("31", "2345678"), 9, "Durban", "KwaZulu-Natal"),
        _Area("pta", "12", _spread("12", "2345678"), 9, "Pretoria", "Gauteng"),
        _Area("gqb", "41", _spread("41", "2345678"), 9, "Gqeberha", "Eastern Cape"),
        _Area("bfn", "51", _spread("51", "2345678"), 9, "Bloemfontein", "Free State"),
    )
}
_AU = {
    a.key: a
    for a in (
        _Area("syd", "2", ("28", "29"), 9, "Sydney", "NSW"),
        _Area("mel", "3", ("38", "39"), 9, "Melbourne", "VIC"),
        _Area("bne", "7", ("73",), 9, "Brisbane", "QLD"),
        _Area("per", "8", ("89",), 9, "Perth", "WA"),
        _Area("adl", "8", ("88",), 9, "Adelaide", "SA"),
    )
}
_DE = {
    a.key: a
    for a in (
        _Area("ber", "30", _spread("30", "123456789"), 10, "Berlin", "Berlin"),
        _Area("muc", "89", _spread("89", "123456789"), 10, "München", "Bayern"),
        _Area("ham", "40", _spread("40", "123456789"), 10, "Hamburg", "Hamburg"),
        _Area("cgn", "221", _spread("221", "123456789"), 10, "Köln", "Nordrhein-Westfalen"),
        _Area("fra", "69", _spread("69", "123456789"), 10, "Frankfurt am Main", "Hessen"),
        _Area("dus", "211", _spread("211", "123456789"), 10, "Düsseldorf", "Nordrhein-Westfalen"),
        _Area("str", "711", _spread("711", "123456789"), 10, "Stuttgart", "Baden-Württemberg"),
    )
}

_NANP_TOLL_FREE = _Area(
    "tf",
    "8xx",
    tuple(npa + d for npa in ("800", "833", "844", "855", "866", "877", "888") for d in "23456789"),
    10,
)

# Non-geographic ranges: (country, type) -> area. NDC is the leading block of the range.
_NON_GEOGRAPHIC: dict[tuple[str, str], _Area] = {
    ("US", TOLL_FREE): _NANP_TOLL_FREE,
    ("CA", TOLL_FREE): _NANP_TOLL_FREE,
    ("GB", MOBILE): _Area(
        "mob",
        "7",
        (
            "740",
            "741",
            "742",
            "743",
            "747",
            "748",
            "751",
            "753",
            "771",
            "772",
            "780",
            "781",
            "784",
            "785",
            "786",
        ),
        10,
    ),
    ("GB", TOLL_FREE): _Area(
        "tf", "8xx", _spread("800", "0123456789") + _spread("808", "1234"), 10
    ),
    ("ZA", MOBILE): _Area(
        "mob",
        "6",
        ("60", "61", "62", "63", "71", "72", "73", "74", "76", "79", "82", "83", "84"),
        9,
    ),
    ("ZA", TOLL_FREE): _Area("tf", "800", ("800",), 9),
    ("AU", MOBILE): _Area("mob", "4", ("40", "41", "42", "43", "46"), 9),
    ("AU", TOLL_FREE): _Area("tf", "1800", ("1800",), 10),
    ("DE", MOBILE): _Area(
        "mob",
        "15",
        ("151", "152", "157", "160", "170", "171", "172", "175", "176", "177", "178", "179"),
        11,
    ),
    ("DE", TOLL_FREE): _Area("tf", "800", _spread("800", "123456789"), 10),
}

# (country) -> the local areas each provider stocks, and how many numbers per area.
_LOCAL_AREAS: dict[str, dict[str, tuple[tuple[_Area, ...], int]]] = {
    "US": {
        "twilio": (
            tuple(_US[k] for k in ("415", "212", "312", "512", "206", "303", "617", "808")),
            6,
        ),
        "telnyx": (
            tuple(_US[k] for k in ("415", "212", "312", "512", "213", "305", "404", "702")),
            6,
        ),
    },
    "CA": {
        "twilio": (tuple(_CA[k] for k in ("416", "604", "514", "403", "613")), 7),
        "telnyx": (tuple(_CA[k] for k in ("416", "604", "514", "403", "902")), 7),
    },
    "GB": {
        "twilio": (
            tuple(_GB[k] for k in ("london", "manchester", "birmingham", "edinburgh", "liverpool")),
            7,
        ),
        "telnyx": (
            tuple(_GB[k] for k in ("london", "manchester", "glasgow", "newcastle", "cambridge")),
            7,
        ),
    },
    "ZA": {
        "twilio": (tuple(_ZA[k] for k in ("cpt", "jhb", "dbn", "pta", "gqb")), 7),
        "telnyx": (tuple(_ZA[k] for k in ("cpt", "jhb", "dbn", "pta", "bfn")), 7),
    },
    "AU": {p: (tuple(_AU.values()), 7) for p in PROVIDERS},
    "DE": {
        "twilio": (tuple(_DE[k] for k in ("ber", "muc", "ham", "cgn", "fra")), 7),
        "telnyx": (tuple(_DE[k] for k in ("ber", "muc", "ham", "dus", "str")), 7),
    },
}
_NON_GEOGRAPHIC_COUNT = 20

_V, _VS, _VSM = frozenset({VOICE}), frozenset({VOICE, SMS}), frozenset({VOICE, SMS, MMS})
# (country, type) -> weighted capability sets, so capability filters have something to remove.
_CAPABILITIES: dict[tuple[str, str], tuple[tuple[int, frozenset[str]], ...]] = {
    ("US", LOCAL): ((6, _VSM), (2, _VS), (2, _VSM | {FAX})),
    ("US", TOLL_FREE): ((7, _VSM), (3, _V)),
    ("CA", LOCAL): ((6, _VSM), (4, _VS)),
    ("CA", TOLL_FREE): ((1, _VS),),
    ("GB", LOCAL): ((8, _V), (2, _V | {FAX})),
    ("GB", MOBILE): ((7, _VS), (3, _VSM)),
    ("GB", TOLL_FREE): ((1, _V),),
    ("ZA", LOCAL): ((1, _V),),
    ("ZA", MOBILE): ((1, _VS),),
    ("ZA", TOLL_FREE): ((1, _V),),
    ("AU", LOCAL): ((1, _V),),
    ("AU", MOBILE): ((6, _VSM), (4, _VS)),
    ("AU", TOLL_FREE): ((1, _V),),
    ("DE", LOCAL): ((8, _V), (2, _V | {FAX})),
    ("DE", MOBILE): ((1, _VS),),
    ("DE", TOLL_FREE): ((1, _V),),
}

ADDRESS_REQUIREMENTS: dict[tuple[str, str], str] = {
    ("US", LOCAL): "none",
    ("US", TOLL_FREE): "none",
    ("CA", LOCAL): "none",
    ("CA", TOLL_FREE): "none",
    ("GB", LOCAL): "any",
    ("GB", MOBILE): "none",
    ("GB", TOLL_FREE): "none",
    ("ZA", LOCAL): "local",
    ("ZA", MOBILE): "local",
    ("ZA", TOLL_FREE): "none",
    ("AU", LOCAL): "any",
    ("AU", MOBILE): "any",
    ("AU", TOLL_FREE): "none",
    ("DE", LOCAL): "local",
    ("DE", MOBILE): "any",
    ("DE", TOLL_FREE): "none",
}


@dataclass(frozen=True, slots=True)
class TwilioPrice:
    base_price: str
    current_price: str


TWILIO_PRICE_UNIT = "USD"
# Pricing v1 FetchPhoneNumberCountry: (country, type) -> price. Types absent here are not sold.
TWILIO_PRICES: dict[tuple[str, str], TwilioPrice] = {
    ("US", LOCAL): TwilioPrice("1.15", "1.15"),
    ("US", TOLL_FREE): TwilioPrice("2.15", "2.15"),
    ("CA", LOCAL): TwilioPrice("1.15", "1.15"),
    ("CA", TOLL_FREE): TwilioPrice("2.15", "2.15"),
    ("GB", LOCAL): TwilioPrice("1.15", "1.15"),
    ("GB", MOBILE): TwilioPrice("1.15", "1.15"),
    ("GB", TOLL_FREE): TwilioPrice("2.30", "2.00"),
    ("ZA", LOCAL): TwilioPrice("4.25", "4.25"),
    ("ZA", MOBILE): TwilioPrice("6.00", "6.00"),
    ("ZA", TOLL_FREE): TwilioPrice("25.00", "25.00"),
    ("AU", LOCAL): TwilioPrice("3.50", "3.00"),
    ("AU", MOBILE): TwilioPrice("6.50", "6.50"),
    ("AU", TOLL_FREE): TwilioPrice("16.00", "16.00"),
    ("DE", LOCAL): TwilioPrice("1.50", "1.50"),
    ("DE", MOBILE): TwilioPrice("12.00", "12.00"),
    ("DE", TOLL_FREE): TwilioPrice("25.00", "25.00"),
}

TELNYX_CURRENCY = "USD"
# (country, type) -> (monthly_cost, upfront_cost) at Telnyx.
TELNYX_COSTS: dict[tuple[str, str], tuple[str, str]] = {
    ("US", LOCAL): ("1.00", "1.00"),
    ("US", TOLL_FREE): ("1.00", "1.00"),
    ("CA", LOCAL): ("1.00", "1.00"),
    ("CA", TOLL_FREE): ("1.50", "1.00"),
    ("GB", LOCAL): ("1.50", "1.50"),
    ("GB", MOBILE): ("3.00", "3.00"),
    ("GB", TOLL_FREE): ("3.00", "3.00"),
    ("ZA", LOCAL): ("3.50", "3.50"),
    ("ZA", MOBILE): ("5.50", "5.50"),
    ("ZA", TOLL_FREE): ("20.00", "20.00"),
    ("AU", LOCAL): ("2.50", "2.50"),
    ("AU", MOBILE): ("6.00", "6.00"),
    ("AU", TOLL_FREE): ("12.00", "12.00"),
    ("DE", LOCAL): ("1.20", "1.20"),
    ("DE", MOBILE): ("10.00", "10.00"),
    ("DE", TOLL_FREE): ("20.00", "20.00"),
}

# NANP exchanges that are never assigned to subscribers (N11 service codes, 555 directory,
# 950/958/959/976 special use).
_NANP_RESERVED_EXCHANGES = {"555", "950", "958", "959", "976"}


def offered_types(country: str) -> tuple[str, ...]:
    """The number types sold in ``country`` (the same at both carriers)."""
    return tuple(t for t in NUMBER_TYPES if (country, t) in ADDRESS_REQUIREMENTS)


def _weighted(
    rng: random.Random, choices: tuple[tuple[int, frozenset[str]], ...]
) -> frozenset[str]:
    return rng.choices([c for _, c in choices], weights=[w for w, _ in choices])[0]


def _draw(rng: random.Random, area: _Area, taken: set[str], calling_code: str) -> str:
    while True:
        prefix = rng.choice(area.prefixes)
        national = prefix + "".join(
            rng.choice("0123456789") for _ in range(area.length - len(prefix))
        )
        if calling_code == "1":
            exchange = national[3:6]
            if exchange[1:] == "11" or exchange in _NANP_RESERVED_EXCHANGES:
                continue
        e164 = f"+{calling_code}{national}"
        if e164 not in taken:
            taken.add(e164)
            return national


def _make(
    provider: str,
    country: Country,
    number_type: str,
    area: _Area,
    count: int,
    taken: set[str],
) -> list[InventoryNumber]:
    rng = random.Random(f"telcli-sandbox/{provider}/{country.iso}/{number_type}/{area.key}")
    key = (country.iso, number_type)
    monthly, upfront = TELNYX_COSTS[key]
    price = TWILIO_PRICES[key]
    numbers = []
    for _ in range(count):
        national = _draw(rng, area, taken, country.calling_code)
        if provider == "twilio":
            monthly, upfront, currency = price.current_price, "0.00", TWILIO_PRICE_UNIT
        else:
            currency = TELNYX_CURRENCY
        ndc = national[:3] if area.ndc == "8xx" else area.ndc
        numbers.append(
            InventoryNumber(
                provider=provider,
                phone_number=f"+{country.calling_code}{national}",
                national=national,
                iso_country=country.iso,
                number_type=number_type,
                ndc=ndc,
                capabilities=_weighted(rng, _CAPABILITIES[key]),
                address_requirement=ADDRESS_REQUIREMENTS[key],
                monthly_cost=monthly,
                upfront_cost=upfront,
                currency=currency,
                locality=area.locality,
                region=area.region,
                rate_center=area.rate_center,
                lata=area.lata,
                postal_code=area.postal_code,
                latitude=area.latitude,
                longitude=area.longitude,
                quickship=not (number_type == TOLL_FREE and rng.random() < 0.25),
                reservable=country.calling_code == "1" and number_type == LOCAL,
            )
        )
    return numbers


@cache
def _all() -> dict[str, tuple[InventoryNumber, ...]]:
    # One shared "taken" set across providers and countries keeps every number unique, so a
    # number belongs to exactly one carrier's stock (US and CA share the NANP toll-free space).
    taken: set[str] = set()
    stock: dict[str, list[InventoryNumber]] = {p: [] for p in PROVIDERS}
    for provider in PROVIDERS:
        for iso, country in COUNTRIES.items():
            areas, per_area = _LOCAL_AREAS[iso][provider]
            for area in areas:
                stock[provider] += _make(provider, country, LOCAL, area, per_area, taken)
            for number_type in (MOBILE, TOLL_FREE):
                area = _NON_GEOGRAPHIC.get((iso, number_type))
                if area is not None:
                    stock[provider] += _make(
                        provider, country, number_type, area, _NON_GEOGRAPHIC_COUNT, taken
                    )
    return {p: tuple(numbers) for p, numbers in stock.items()}


def inventory(provider: str) -> tuple[InventoryNumber, ...]:
    """Every number ``provider`` has for sale in an empty sandbox, in a stable order."""
    return _all()[provider]


@cache
def _index(provider: str) -> dict[str, InventoryNumber]:
    return {n.phone_number: n for n in inventory(provider)}


def lookup(provider: str, phone_number: str) -> InventoryNumber | None:
    """The stock entry for an E.164 number, or None when ``provider`` never sold it."""
    return _index(provider).get(phone_number)


def stock(provider: str, country: str, number_type: str | None) -> list[InventoryNumber]:
    return [
        n
        for n in inventory(provider)
        if n.iso_country == country and (number_type is None or n.number_type == number_type)
    ]


_KEYPAD = {
    letter: digit
    for digit, letters in {
        "2": "ABC",
        "3": "DEF",
        "4": "GHI",
        "5": "JKL",
        "6": "MNO",
        "7": "PQRS",
        "8": "TUV",
        "9": "WXYZ",
    }.items()
    for letter in letters
}

_PATTERN_CHARS = re.compile(r"^[0-9A-Za-z*+\-(). ]*$")


def valid_pattern(pattern: str) -> bool:
    """Twilio's ``Contains``: digits, letters (keypad), ``*`` for any digit; punctuation ignored."""
    return bool(_PATTERN_CHARS.match(pattern)) and len(keypad_digits(pattern)) >= 1


def keypad_digits(pattern: str) -> str:
    """Letters become their phone-keypad digit ("STORM" -> "78676"); '*' stays; the rest goes."""
    out = []
    for ch in pattern.upper():
        if ch.isdigit() or ch == "*":
            out.append(ch)
        elif ch in _KEYPAD:
            out.append(_KEYPAD[ch])
    return "".join(out)


def pattern_regex(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(r"\d" if ch == "*" else ch for ch in keypad_digits(pattern)))


def nanp_friendly(e164: str) -> str:
    """``(415) 555-0123``, the way Twilio formats ``friendly_name`` for NANP numbers."""
    n = e164[2:]
    return f"({n[:3]}) {n[3:6]}-{n[6:]}"


def friendly_name(e164: str) -> str:
    # Twilio shows NANP numbers in national format and other numbers in E.164.
    return nanp_friendly(e164) if e164.startswith("+1") and len(e164) == 12 else e164
