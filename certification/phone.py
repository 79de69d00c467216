"""Mainland China mobile numbers: validate and mask.

Kept apart from :mod:`certification.idnumber` because it is a different
identifier with its own rules; both follow the same pattern (normalise, raise a
coded error, mask for display).
"""

from __future__ import annotations

import re

from certification.halfwidth import to_halfwidth

__all__ = ["BAD_PHONE", "InvalidPhoneNumber", "mask_phone", "validate_phone"]

BAD_PHONE = "bad_phone"

_MOBILE = re.compile(r"1[3-9][0-9]{9}", re.ASCII)
_COUNTRY_PREFIXES = ("+86", "0086")


class InvalidPhoneNumber(ValueError):
    """Raised by :func:`validate_phone`; ``code`` is always ``"bad_phone"``."""

    def __init__(self, code: str = BAD_PHONE) -> None:
        super().__init__(code)
        self.code = code


def validate_phone(raw: str) -> str:
    """Return the 11-digit mobile number in ``raw`` or raise :class:`InvalidPhoneNumber`.

    Accepts what people paste from contacts: spaces, hyphens, full-width digits
    and a ``+86``/``0086`` prefix. Only mobile numbers (``1[3-9]`` + 9 digits)
    pass, since the number is used for SMS reminders; landlines cannot get them.
    """
    number = _compact(raw)
    for prefix in _COUNTRY_PREFIXES:
        if number.startswith(prefix):
            number = number[len(prefix):]
            break
    if not _MOBILE.fullmatch(number):
        raise InvalidPhoneNumber()
    return number


def mask_phone(raw: str) -> str:
    """Mask a mobile number for display: ``"138****5678"``.

    Never raises; input that is not a valid mobile number is masked entirely,
    so a malformed value cannot leak through a display path.
    """
    try:
        number = validate_phone(raw)
    except InvalidPhoneNumber:
        return "*" * len(_compact(raw))
    return number[:3] + "****" + number[-4:]


def _compact(raw: str) -> str:
    return "".join(to_halfwidth(raw).split()).replace("-", "")
