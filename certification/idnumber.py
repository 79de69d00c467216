"""PRC resident ID numbers (居民身份证号码, GB 11643-1999): normalise, validate, mask.

The number is the key that links a WeChat user to a pension record, so a typo
must be caught here, before it reaches the agency's data, and the user must be
told *which* part is wrong. Errors therefore carry a machine-readable code
(:class:`IdNumberProblem`); the Chinese wording lives in
:mod:`wording.zh`, at the edge.

Layout of the 18 characters::

    RRRRRR YYYYMMDD SSS C
    region birth    seq check (0-9 or X)

The 17th character (last of ``SSS``) is odd for men and even for women. The
check character is ISO 7064 MOD 11-2 over the first 17 digits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Literal

from certification.halfwidth import to_halfwidth

__all__ = [
    "IdNumberInfo",
    "IdNumberProblem",
    "InvalidIdNumber",
    "check_digit",
    "mask_id_number",
    "normalize_id_number",
    "suspect_positions",
    "upgrade_15_to_18",
    "validate_id_number",
]

# ISO 7064 MOD 11-2 weights: 2**(17-i) mod 11 for positions 1..17.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# Check character for each value of (sum of weighted digits) mod 11.
_CHECK_CHARS = "10X98765432"
_DIGITS = frozenset("0123456789")
_EARLIEST_BIRTH = date(1900, 1, 1)


class IdNumberProblem(StrEnum):
    """Why an ID number was rejected. Values are stable keys for messages and logs."""

    EMPTY = "empty"
    WRONG_LENGTH = "wrong_length"
    LEGACY_15_DIGIT = "legacy_15_digit"
    BAD_CHARACTERS = "bad_characters"
    BAD_CHECK_DIGIT = "bad_check_digit"
    BAD_BIRTH_DATE = "bad_birth_date"
    BAD_REGION = "bad_region"


class InvalidIdNumber(ValueError):
    """Raised by :func:`validate_id_number`; ``code`` says which rule failed.

    The message deliberately does not echo the number: it ends up in logs, and
    an ID number is personal data.
    """

    def __init__(self, code: IdNumberProblem) -> None:
        super().__init__(str(code))
        self.code = code


@dataclass(frozen=True)
class IdNumberInfo:
    """What a valid ID number tells us. ``number`` is the normalised 18 characters."""

    number: str
    birth_date: date
    sex: Literal["M", "F"]
    region_code: str


def normalize_id_number(raw: str) -> str:
    """Return ``raw`` without spaces, with full-width characters made ASCII, upper-cased.

    Users paste numbers from chat messages and type them with a Chinese IME, so
    ``"１１０１ ０５…ｘ"`` is the same number as ``"110105…X"``. Nothing else is
    rewritten: other stray characters are left for validation to reject.
    """
    return "".join(to_halfwidth(raw).split()).upper()


def check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character ('0'-'9' or 'X') for 17 ASCII digits."""
    if len(first17) != 17 or not set(first17) <= _DIGITS:
        raise ValueError("check_digit needs exactly 17 ASCII digits")
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS))
    return _CHECK_CHARS[total % 11]


def validate_id_number(raw: str, today: date) -> IdNumberInfo:
    """Validate an 18-character resident ID number and return what it encodes.

    ``today`` is passed in (never read from the clock) so that "born in the
    future" is decidable in tests and consistent within one request.

    Checks run from the coarsest to the most specific, and a wrong birth date
    or region is reported before a wrong check digit: a typo in those parts
    usually breaks the check digit too, and "the birth date is wrong" points the
    user at the digits to look at, where "the number is wrong" does not.

    A 15-digit number (issued before 1999) is rejected with
    ``legacy_15_digit``: pension records are keyed on the 18-digit number, and
    the user must type the number on their current card.
    """
    number = normalize_id_number(raw)
    if not number:
        raise InvalidIdNumber(IdNumberProblem.EMPTY)
    if len(number) == 15:
        if set(number) <= _DIGITS:
            raise InvalidIdNumber(IdNumberProblem.LEGACY_15_DIGIT)
        raise InvalidIdNumber(IdNumberProblem.BAD_CHARACTERS)
    if len(number) != 18:
        raise InvalidIdNumber(IdNumberProblem.WRONG_LENGTH)
    if not set(number[:17]) <= _DIGITS or number[17] not in _DIGITS | {"X"}:
        raise InvalidIdNumber(IdNumberProblem.BAD_CHARACTERS)

    region = number[:6]
    if not _plausible_region(region):
        raise InvalidIdNumber(IdNumberProblem.BAD_REGION)

    birth = _parse_birth_date(number[6:14])
    if birth is None or birth < _EARLIEST_BIRTH or birth > today:
        raise InvalidIdNumber(IdNumberProblem.BAD_BIRTH_DATE)

    if check_digit(number[:17]) != number[17]:
        raise InvalidIdNumber(IdNumberProblem.BAD_CHECK_DIGIT)

    sex: Literal["M", "F"] = "M" if int(number[16]) % 2 == 1 else "F"
    return IdNumberInfo(number=number, birth_date=birth, sex=sex, region_code=region)


def upgrade_15_to_18(raw: str) -> str:
    """Convert a legacy 15-digit number to its 18-digit form.

    The rule is fixed by GB 11643-1999: insert century "19" before the
    two-digit birth year and append the check digit. This is for staff tools
    that match old records; users are still asked for their 18-digit number
    (see :func:`validate_id_number`), because the conversion cannot know
    whether the person has since been issued a different number.
    """
    number = normalize_id_number(raw)
    if len(number) != 15 or not set(number) <= _DIGITS:
        raise ValueError("upgrade_15_to_18 needs exactly 15 ASCII digits")
    first17 = number[:6] + "19" + number[6:]
    return first17 + check_digit(first17)


def mask_id_number(raw: str) -> str:
    """Mask an ID number for display and logs: ``"2301**********1234"``.

    Keeps the first 4 (province and city, enough for staff to recognise the
    agency) and the last 4 (what people quote to tell family members' numbers
    apart). Never raises: it is called on unvalidated input in logs, and a
    string too short to mask safely comes back as stars only.
    """
    number = normalize_id_number(raw)
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def _plausible_region(region: str) -> bool:
    # Without a region table (it changes yearly) we only check the province
    # digit: 1-6 are mainland areas, 7 Taiwan, 8 Hong Kong/Macau/Taiwan residence
    # permits; 0 and 9 are never issued.
    return region[0] in "12345678"


def _parse_birth_date(yyyymmdd: str) -> date | None:
    try:
        return date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return None


def suspect_positions(raw: str, code: str, today: date) -> tuple[int, ...]:
    """Which characters of the normalised ``raw`` to mark for the user after ``code`` (0-based).

    So a typo shows where to look instead of emptying the form: stray characters,
    the region (1st–6th), the part of the birth date (7th–14th) that cannot be, or
    the check character (18th) when only the checksum fails.
    """
    number = normalize_id_number(raw)
    if code == IdNumberProblem.BAD_CHARACTERS:
        return tuple(i for i, ch in enumerate(number)
                     if ch not in _DIGITS and not (ch == "X" and i == len(number) - 1))
    if code == IdNumberProblem.BAD_REGION:
        return (0,)
    if code == IdNumberProblem.BAD_BIRTH_DATE and len(number) >= 14:
        year, month = int(number[6:10]), int(number[10:12])
        if not 1 <= month <= 12:
            return (10, 11)
        if _parse_birth_date(number[6:14]) is None:
            return (12, 13)
        if year < _EARLIEST_BIRTH.year or year > today.year:
            return (6, 7, 8, 9)
        return tuple(range(6, 14))
    if code == IdNumberProblem.BAD_CHECK_DIGIT and len(number) == 18:
        return (17,)
    return ()
