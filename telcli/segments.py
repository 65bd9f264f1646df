"""SMS encoding and segment arithmetic (3GPP TS 23.038 / 23.040), pure and stdlib only.

A message that fits the GSM 7-bit default alphabet is sent as GSM-7: 160 septets in one
segment, 153 per segment once it is split (7 septets go to the concatenation header). The
escape-table characters (``^ { } \\ [ ~ ] | €`` and form feed) take two septets each, and a
two-septet character is never split across segments. Anything else forces UCS-2 (UTF-16):
70 code units in one segment, 67 per segment when split; characters outside the BMP (most
emoji) are surrogate pairs, two code units that are kept together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# GSM 03.38 basic character set (the 128 positions of the default alphabet; ESC excluded).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The escape (extension) table: each costs ESC + the character, two septets.
GSM7_EXTENDED = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    encoding: str  # "GSM-7" | "UCS-2"
    segments: int
    characters: int  # user-perceived code points
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    per_segment: int  # the capacity that applies (160/153 or 70/67)
    non_gsm: tuple[str, ...] = ()  # the characters that forced UCS-2, first occurrence order

    def to_json(self) -> dict[str, Any]:
        return {
            "encoding": self.encoding,
            "segments": self.segments,
            "characters": self.characters,
            "units": self.units,
            "per_segment": self.per_segment,
            "non_gsm_characters": list(self.non_gsm),
        }


def _pack(costs: list[int], single: int, multi: int) -> int:
    """Segments needed for items of the given unit costs; an item never straddles two."""
    total = sum(costs)
    if total == 0:
        return 1  # an empty body is still one (empty) segment on the wire
    if total <= single:
        return 1
    segments, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            segments += 1
            used = 0
        used += cost
    return segments


def analyze(text: str) -> SegmentInfo:
    """Encoding and segment count of ``text`` as a carrier would send it (no smart encoding)."""
    non_gsm = tuple(
        dict.fromkeys(c for c in text if c not in GSM7_BASIC and c not in GSM7_EXTENDED)
    )
    if not non_gsm:
        costs = [2 if c in GSM7_EXTENDED else 1 for c in text]
        segments = _pack(costs, GSM7_SINGLE, GSM7_MULTI)
        per = GSM7_SINGLE if segments == 1 else GSM7_MULTI
        return SegmentInfo("GSM-7", segments, len(text), sum(costs), per)
    costs = [2 if ord(c) > 0xFFFF else 1 for c in text]
    segments = _pack(costs, UCS2_SINGLE, UCS2_MULTI)
    per = UCS2_SINGLE if segments == 1 else UCS2_MULTI
    return SegmentInfo("UCS-2", segments, len(text), sum(costs), per, non_gsm)
