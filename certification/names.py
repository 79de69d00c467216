"""Masking a person's name for places a stranger may see it (a locked phone screen, a list)."""

from __future__ import annotations


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳修 → 欧*修; an empty name stays empty (the caller picks a neutral word)."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


_MARKUP = set("<>&\"'`")


def plain_name(name: str) -> str:
    """The name without markup or control characters, for text a chat client renders (bot replies)."""
    return "".join(ch for ch in (name or "") if ch not in _MARKUP and ch.isprintable()).strip()
