"""Table tests for ID number validation and masking (GB 11643-1999)."""

from __future__ import annotations

from datetime import date

import pytest

from certification.idnumber import (
    IdNumberProblem,
    InvalidIdNumber,
    check_digit,
    mask_id_number,
    normalize_id_number,
    upgrade_15_to_18,
    validate_id_number,
)
from tests.idnumbers import iso7064_check, make_id

TODAY = date(2025, 6, 15)


def wrong_check(number: str) -> str:
    right = number[17]
    return number[:17] + ("0" if right != "0" else "1")


def test_the_published_sample_is_valid():
    # The sample printed in GB 11643-1999 and countless references.
    info = validate_id_number("11010519491231002X", TODAY)
    assert info.number == "11010519491231002X"
    assert info.birth_date == date(1949, 12, 31)
    assert info.sex == "F"  # 17th digit 2 is even
    assert info.region_code == "110105"


@pytest.mark.parametrize("first17", ["11010519491231002", "23010219550312123", "13010419600229001", "81000019990101009"])
def test_check_digit_matches_independent_formula(first17):
    assert check_digit(first17) == iso7064_check(first17)


@pytest.mark.parametrize(
    ("seq", "sex"),
    [("001", "M"), ("002", "F"), ("119", "M"), ("990", "F"), ("457", "M"), ("458", "F")],
)
def test_sex_comes_from_the_17th_digit(seq, sex):
    assert validate_id_number(make_id(seq=seq), TODAY).sex == sex


@pytest.mark.parametrize(
    ("birth", "today"),
    [
        ("19000101", TODAY),  # earliest accepted
        ("19600229", TODAY),  # leap day in a leap year
        ("20000229", TODAY),  # 2000 is a leap year (divisible by 400)
        ("20250615", TODAY),  # born today: not in the future
        ("19491231", date(1950, 1, 1)),
    ],
)
def test_valid_birth_dates(birth, today):
    number = make_id(birth=birth)
    assert validate_id_number(number, today).birth_date == date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))


@pytest.mark.parametrize(
    "birth",
    [
        "19990230",  # Feb 30 never exists
        "19000229",  # 1900 is not a leap year
        "20230229",  # 2023 is not a leap year
        "19551301",  # month 13
        "19550001",  # month 0
        "19550100",  # day 0
        "19550431",  # April has 30 days
        "18991231",  # before 1900
        "20250616",  # tomorrow
        "20991231",  # far future
    ],
)
def test_bad_birth_dates(birth):
    with pytest.raises(InvalidIdNumber) as err:
        validate_id_number(make_id(birth=birth), TODAY)
    assert err.value.code is IdNumberProblem.BAD_BIRTH_DATE


@pytest.mark.parametrize("region", ["000000", "012345", "912345", "999999"])
def test_bad_region(region):
    with pytest.raises(InvalidIdNumber) as err:
        validate_id_number(make_id(region=region), TODAY)
    assert err.value.code is IdNumberProblem.BAD_REGION


@pytest.mark.parametrize("region", ["110105", "230102", "130104", "500101", "710000", "810000", "820000"])
def test_plausible_regions(region):
    assert validate_id_number(make_id(region=region), TODAY).region_code == region


@pytest.mark.parametrize(
    "number",
    [make_id(), make_id(seq="001"), "11010519491231002X"],
)
def test_bad_check_digit(number):
    with pytest.raises(InvalidIdNumber) as err:
        validate_id_number(wrong_check(number), TODAY)
    assert err.value.code is IdNumberProblem.BAD_CHECK_DIGIT


def test_swapped_digits_are_caught_by_the_check_digit():
    number = make_id(seq="123")
    swapped = number[:14] + "213" + number[17]
    with pytest.raises(InvalidIdNumber) as err:
        validate_id_number(swapped, TODAY)
    assert err.value.code is IdNumberProblem.BAD_CHECK_DIGIT


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", IdNumberProblem.EMPTY),
        ("   ", IdNumberProblem.EMPTY),
        ("\u3000", IdNumberProblem.EMPTY),
        ("110105491231002", IdNumberProblem.LEGACY_15_DIGIT),
        ("1101 0549 1231 002", IdNumberProblem.LEGACY_15_DIGIT),
        ("11010549123100X", IdNumberProblem.BAD_CHARACTERS),
        ("1101051949123100", IdNumberProblem.WRONG_LENGTH),
        ("11010519491231002X1", IdNumberProblem.WRONG_LENGTH),
        ("1", IdNumberProblem.WRONG_LENGTH),
        ("11010519491231002Y", IdNumberProblem.BAD_CHARACTERS),
        ("1101051949123100X2", IdNumberProblem.BAD_CHARACTERS),
        ("A1010519491231002X", IdNumberProblem.BAD_CHARACTERS),
        ("11010519491231-02X", IdNumberProblem.BAD_CHARACTERS),
        ("110105194912310\u0660\u0662X", IdNumberProblem.BAD_CHARACTERS),  # Arabic-Indic digits are not ASCII
    ],
)
def test_shape_errors(raw, code):
    with pytest.raises(InvalidIdNumber) as err:
        validate_id_number(raw, TODAY)
    assert err.value.code is code


def test_error_message_does_not_echo_the_number():
    number = wrong_check(make_id())
    with pytest.raises(InvalidIdNumber) as err:
        validate_id_number(number, TODAY)
    assert number[:6] not in str(err.value)


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("11010519491231002x", "11010519491231002X"),
        (" 110105 19491231 002X ", "11010519491231002X"),
        ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"),
        ("１１０１０５\u3000１９４９１２３１\u3000００２Ｘ", "11010519491231002X"),
        ("\t11010519491231002X\n", "11010519491231002X"),
    ],
)
def test_normalisation(raw, normalised):
    assert normalize_id_number(raw) == normalised
    assert validate_id_number(raw, TODAY).number == normalised


def test_legacy_upgrade_gives_a_valid_18_digit_number():
    legacy = "110105491231002"
    upgraded = upgrade_15_to_18(legacy)
    assert upgraded == "11010519491231002X"
    assert validate_id_number(upgraded, TODAY).birth_date == date(1949, 12, 31)
    with pytest.raises(InvalidIdNumber) as err:
        validate_id_number(legacy, TODAY)
    assert err.value.code is IdNumberProblem.LEGACY_15_DIGIT


@pytest.mark.parametrize("bad", ["11010549123100", "11010519491231002X", "11010549123100A"])
def test_legacy_upgrade_rejects_non_legacy_input(bad):
    with pytest.raises(ValueError):
        upgrade_15_to_18(bad)


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("230102195503121234", "2301**********1234"),
        ("11010519491231002x", "1101**********002X"),
        ("１１０１０５１９４９１２３１００２Ｘ", "1101**********002X"),
        ("110105491231002", "1101*******1002"),
        ("12345678", "********"),
        ("123", "***"),
        ("", ""),
    ],
)
def test_masking(raw, masked):
    assert mask_id_number(raw) == masked


def test_mask_hides_the_birth_date():
    number = make_id(birth="19550312")
    assert "19550312" not in mask_id_number(number)
    assert len(mask_id_number(number)) == 18
