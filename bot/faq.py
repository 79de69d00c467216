"""The questions retirees and their families actually ask, answered in short plain Chinese.

Shown as a numbered list (reply with the number to read one), and matched by
keyword from free text. ``{hotline}`` is filled from settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from wording import zh


@dataclass(frozen=True)
class Entry:
    title: str
    keywords: tuple[str, ...]
    answer: str


ENTRIES: tuple[Entry, ...] = tuple(Entry(title, keywords, answer) for title, keywords, answer in zh.FAQ)


def index_text() -> str:
    lines = [zh.FAQ_INDEX_HEADER]
    lines += [f"{i}. {e.title}" for i, e in enumerate(ENTRIES, 1)]
    return "\n".join(lines)


def answer(number: int, hotline: str) -> str | None:
    if 1 <= number <= len(ENTRIES):
        entry = ENTRIES[number - 1]
        return zh.FAQ_ANSWER_TITLE.format(title=entry.title) + entry.answer.format(hotline=hotline)
    return None


def match(text: str, hotline: str) -> str | None:
    """The answer whose keywords appear in ``text``, if exactly one question fits best."""
    for i, entry in enumerate(ENTRIES, 1):
        if any(k in text for k in entry.keywords):
            return answer(i, hotline)
    return None
