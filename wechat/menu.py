"""The custom menu, as data, checked against WeChat's limits and pushed by ``flask --app app wechat-menu push``.

Limits (reference §3.2): 1–3 top-level buttons, 1–5 sub-buttons each; a
top-level name at most 16 bytes, a sub-button name at most 40 bytes (UTF-8, so
5 and 13 Chinese characters); key at most 128 bytes, url at most 1024 bytes.
"""

from __future__ import annotations

from wechat.config import WeChatSettings
from wechat.oauth import authorize_url
from wording import zh

# CLICK keys; wechat/replies.py answers each.
CERT_RECORDS = "CERT_RECORDS"
FAMILY = "FAMILY_HELP"
GUIDE = "GUIDE"
FAQ = "FAQ"
CONTACT = "CONTACT"
BINDING = "BINDING"
CONTACT_INFO = "CONTACT_INFO"

CERTIFY_PATH = "/h5/certify"  # the certification page (built by the certification-flow issue)
HOME_VISIT_PATH = "/h5/home-visit"  # ask the agency to certify at home

TOP_NAME_BYTES, SUB_NAME_BYTES, KEY_BYTES, URL_BYTES = 16, 40, 128, 1024


def build_menu(settings: WeChatSettings) -> dict:
    """The menu body for ``menu/create``. The certify link goes through OAuth so the page knows the openid."""
    return {"button": [
        {"name": zh.MENU_SERVICES, "sub_button": [
            {"type": "view", "name": zh.MENU_CERTIFY, "url": authorize_url(settings, CERTIFY_PATH, state="menu")},
            {"type": "click", "name": zh.MENU_RECORDS, "key": CERT_RECORDS},
            {"type": "click", "name": zh.MENU_FAMILY, "key": FAMILY},
            {"type": "view", "name": zh.MENU_HOME_VISIT, "url": authorize_url(settings, HOME_VISIT_PATH, state="menu")},
        ]},
        {"name": zh.MENU_GUIDES, "sub_button": [
            {"type": "click", "name": zh.MENU_GUIDE, "key": GUIDE},
            {"type": "click", "name": zh.MENU_FAQ, "key": FAQ},
            {"type": "click", "name": zh.MENU_CONTACT, "key": CONTACT},
        ]},
        {"name": zh.MENU_MINE, "sub_button": [
            {"type": "click", "name": zh.MENU_BINDING, "key": BINDING},
            {"type": "click", "name": zh.MENU_CONTACT_INFO, "key": CONTACT_INFO},
        ]},
    ]}


def problems(menu: dict) -> list[str]:
    """Everything WeChat would refuse in ``menu`` (empty list: it is valid)."""
    found: list[str] = []

    def size(s: str) -> int:
        return len(s.encode("utf-8"))

    buttons = menu.get("button") or []
    if not 1 <= len(buttons) <= 3:
        found.append(f"{len(buttons)} top-level buttons (1–3 allowed)")
    for top in buttons:
        name = top.get("name", "")
        if not name or size(name) > TOP_NAME_BYTES:
            found.append(f"top-level name {name!r} is {size(name)} bytes (1–{TOP_NAME_BYTES})")
        subs = top.get("sub_button")
        items = subs if subs is not None else [top]
        if subs is not None and not 1 <= len(subs) <= 5:
            found.append(f"{name!r} has {len(subs)} sub-buttons (1–5 allowed)")
        for item in items:
            n = item.get("name", "")
            if item is not top and (not n or size(n) > SUB_NAME_BYTES):
                found.append(f"sub-button name {n!r} is {size(n)} bytes (1–{SUB_NAME_BYTES})")
            kind = item.get("type")
            if kind == "click" and not 1 <= size(item.get("key", "")) <= KEY_BYTES:
                found.append(f"{n!r}: click key must be 1–{KEY_BYTES} bytes")
            elif kind == "view" and not 1 <= size(item.get("url", "")) <= URL_BYTES:
                found.append(f"{n!r}: view url must be 1–{URL_BYTES} bytes")
            elif kind == "miniprogram" and not all(item.get(k) for k in ("url", "appid", "pagepath")):
                found.append(f"{n!r}: miniprogram needs url, appid and pagepath")
            elif kind not in ("click", "view", "miniprogram"):
                found.append(f"{n!r}: unsupported type {kind!r}")
    return found


def push_menu(services) -> dict:
    """Validate, then ``menu/create``. Raises ValueError before calling WeChat if the menu is invalid."""
    menu = build_menu(services.settings.wechat)
    found = problems(menu)
    if found:
        raise ValueError("menu is invalid: " + "; ".join(found))
    services.wechat.menu.create(menu)
    return menu
