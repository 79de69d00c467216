"""Every code the core can return has Chinese text for the edge, and nothing else does."""

from __future__ import annotations

import re

from certification.binding import Reason
from certification.cycle import StatusCode
from certification.idnumber import IdNumberProblem
from certification.phone import BAD_PHONE
from wording.zh import MESSAGES

ALL_CODES = {str(c) for enum in (IdNumberProblem, StatusCode, Reason) for c in enum} | {BAD_PHONE}
HAN = re.compile(r"[\u4e00-\u9fff]")


def test_every_code_has_a_message():
    assert sorted(ALL_CODES - MESSAGES.keys()) == []


def test_no_message_for_a_code_that_does_not_exist():
    assert sorted(MESSAGES.keys() - ALL_CODES) == []


def test_messages_are_short_chinese_sentences():
    for code, text in MESSAGES.items():
        assert HAN.search(text), code
        assert text.endswith("。"), code
        assert len(text) <= 60, code
