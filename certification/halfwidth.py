"""Folding full-width characters to ASCII, for numbers typed with a Chinese IME.

A Chinese input method in full-width mode types ``１２３`` and ``Ｘ`` and an
ideographic space; those are the same characters to the user, so every
identifier the user types goes through :func:`to_halfwidth` before it is checked.
"""

from __future__ import annotations

__all__ = ["to_halfwidth"]

# Full-width forms U+FF01..U+FF5E sit at a fixed offset from ASCII 0x21..0x7E;
# U+3000 is the ideographic space.
_FULLWIDTH_TO_ASCII = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH_TO_ASCII[0x3000] = 0x20


def to_halfwidth(text: str) -> str:
    """Return ``text`` with full-width ASCII forms and the ideographic space made ASCII.

    Deliberately narrower than Unicode NFKC, which would also turn circled digits
    and the like into ASCII digits and so accept input that no one typed on purpose.
    """
    return text.translate(_FULLWIDTH_TO_ASCII)
