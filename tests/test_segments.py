"""The SMS segment and encoding calculator against known cases (3GPP TS 23.038/23.040)."""

from __future__ import annotations

import pytest

from telcli.segments import GSM7_BASIC, GSM7_EXTENDED, analyze


@pytest.mark.parametrize(
    ("length", "segments"),
    [(0, 1), (1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_gsm7_boundaries_are_160_then_153(length, segments):
    info = analyze("a" * length)
    assert (info.encoding, info.segments, info.units) == ("GSM-7", segments, length)
    assert info.per_segment == (160 if segments == 1 else 153)


@pytest.mark.parametrize(
    ("length", "segments"), [(70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)]
)
def test_ucs2_boundaries_are_70_then_67(length, segments):
    info = analyze("ж" * length)
    assert (info.encoding, info.segments, info.units) == ("UCS-2", segments, length)
    assert info.per_segment == (70 if segments == 1 else 67)


def test_extension_characters_count_double():
    assert analyze("€" * 80).units == 160 and analyze("€" * 80).segments == 1
    assert analyze("€" * 81).segments == 2
    text = "{[~]}^|\\€\f"
    assert analyze(text).units == 2 * len(text) and analyze(text).encoding == "GSM-7"
    # 159 plain + one escape character = 161 septets: two segments.
    assert analyze("a" * 159 + "€").segments == 2


def test_an_escape_pair_is_never_split_across_segments():
    # 152 septets then a two-septet '€': it cannot start at septet 153, so it opens segment 2;
    # 152 + 2 + 152 = 306 septets would fit 2×153 exactly if splitting were allowed.
    text = "a" * 152 + "€" + "a" * 152
    info = analyze(text)
    assert info.units == 306 and info.segments == 3


def test_one_emoji_forces_ucs2_and_counts_two_code_units():
    info = analyze("Hello from telcli 👋")
    assert info.encoding == "UCS-2" and info.non_gsm == ("👋",)
    assert info.units == len("Hello from telcli ") + 2 and info.segments == 1
    assert analyze("a" * 159 + "😀").segments == 3  # 161 code units at 67 each
    # A surrogate pair is kept whole: 66 units, then the emoji cannot fit unit 67.
    assert analyze("a" * 66 + "😀" + "a" * 66).segments == 3


def test_gsm_accents_stay_gsm7_but_other_accents_force_ucs2():
    assert analyze("Café à Zürich, Ñandù, Ψ").encoding == "GSM-7"
    info = analyze("Crème brûlée, fête")  # û and ê are not in the GSM alphabet
    assert info.encoding == "UCS-2" and info.non_gsm == ("û", "ê")


def test_alphabet_sizes_match_the_standard():
    assert len(GSM7_BASIC) == 127  # 128 positions minus ESC
    assert len(GSM7_EXTENDED) == 10
    assert not GSM7_BASIC & GSM7_EXTENDED


def test_to_json_is_stable():
    assert analyze("hi 😀").to_json() == {
        "encoding": "UCS-2",
        "segments": 1,
        "characters": 4,
        "units": 5,
        "per_segment": 70,
        "non_gsm_characters": ["😀"],
    }
