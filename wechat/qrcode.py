"""Parametric QR codes: a temporary ``QR_STR_SCENE`` code whose scan WeChat pushes back to /wechat."""

from __future__ import annotations

from typing import Any


def create_scene_qrcode(services: Any, scene: str, expire_seconds: int = 600) -> dict:
    """A temporary QR code for ``scene``: ``{"ticket", "expire_seconds", "url", "image_url"}``.

    ``image_url`` is WeChat's showqrcode address for the ticket (the fake serves
    a real image there too).
    """
    if not 1 <= len(scene) <= 64:
        raise ValueError("a scene string is 1–64 characters")
    client = services.wechat
    res = client.qrcode.create({"expire_seconds": expire_seconds, "action_name": "QR_STR_SCENE",
                                "action_info": {"scene": {"scene_str": scene}}})
    res["image_url"] = client.qrcode.get_url(res["ticket"])
    return res
