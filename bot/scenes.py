"""QR-code scenes: what scanning one of our parametric QR codes does.

A scene string is ``prefix:value`` (e.g. ``bind:<random single-use token>``;
never an ID number). Other parts of the product register what a prefix means::

    from bot.scenes import on_scene, SceneRejected

    @on_scene("bind")
    def bind_family(services, openid: str, value: str) -> str:
        ...  # look the token up; raise SceneRejected("…") if used or expired
        return "…"  # the reply text, from wording.zh

The handler returns the text to show the user. :func:`handle_scene` gives a
kind "this code has expired" answer for unknown prefixes and rejected values.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from wording import zh

log = logging.getLogger("lifecert.wechat.scenes")

SceneHandler = Callable[..., str]  # (services, openid, value) -> reply text
_handlers: dict[str, SceneHandler] = {}

EXPIRED_REPLY = zh.EXPIRED_QR_REPLY


class SceneRejected(Exception):
    """The scene's value is unknown, used or expired. ``str(exc)``, if set, is shown to the user."""


def on_scene(prefix: str) -> Callable[[SceneHandler], SceneHandler]:
    """Register ``fn`` to handle scenes ``prefix:value`` (a later registration replaces an earlier one)."""

    def register(fn: SceneHandler) -> SceneHandler:
        _handlers[prefix] = fn
        return fn

    return register


def handle_scene(services, openid: str, scene: str) -> str:
    prefix, _, value = scene.partition(":")
    handler = _handlers.get(prefix)
    if handler is None or not value:
        log.info("unknown QR scene", extra={"scene_prefix": prefix[:16]})
        return EXPIRED_REPLY
    try:
        return handler(services, openid, value)
    except SceneRejected as exc:
        return str(exc) or EXPIRED_REPLY
