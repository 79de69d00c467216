"""Table tests for mainland mobile numbers."""

from __future__ import annotations

import pytest

from certification.phone import BAD_PHONE, InvalidPhoneNumber, mask_phone, validate_phone


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("13812345678", "13812345678"),
        ("19912345678", "19912345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
    ],
)
def test_valid_mobiles(raw, number):
    assert validate_phone(raw) == number


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "12812345678",  # 12x is not a mobile prefix
        "10812345678",
        "23812345678",
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "1381234567a",
        "051187654321",  # landline
        "+1 138 1234 5678",
        "\u0661\u0663\u0668\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668",  # Arabic-Indic digits
    ],
)
def test_invalid_mobiles(raw):
    with pytest.raises(InvalidPhoneNumber) as err:
        validate_phone(raw)
    assert err.value.code == BAD_PHONE == "bad_phone"


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 139-0000-1111", "139****1111"),
        ("12345", "*****"),
        ("", ""),
    ],
)
def test_mask_phone(raw, masked):
    assert mask_phone(raw) == masked
